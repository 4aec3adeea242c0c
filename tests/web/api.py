"""The components' own APIs, read by the tests to check what the pages show."""

from __future__ import annotations

from typing import Any

import aiohttp

from contracts import defaults
from sandbox.system import System

TOKENS = {"billing": defaults.BILLING_API_KEY, "core": defaults.CORE_API_TOKEN}


async def api(
    system: System, component: str, method: str, path: str, body: Any = None, expect: int | None = None
) -> Any:
    headers = {"Authorization": f"Bearer {TOKENS[component]}"} if component in TOKENS else {}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, system.url(component) + path, json=body, headers=headers) as response,
    ):
        payload = await response.json(content_type=None) if response.status != 204 else None
        if expect is not None:
            assert response.status == expect, payload
        return payload
