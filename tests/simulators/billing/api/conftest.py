"""The billing simulator under test: a real app (contract, engine, outbox) on a frozen clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from simulators.billing.app import create_app
from tests.support.billing_api import (
    Client,
    MakeClient,
    settings,
)


@pytest.fixture
def make_client(aiohttp_client: Callable[..., Awaitable[Client]]) -> MakeClient:
    async def make(**overrides: Any) -> Client:
        return await aiohttp_client(create_app(settings(**overrides)))

    return make


@pytest.fixture
async def client(make_client: MakeClient) -> Client:
    return await make_client()
