"""Helpers for the billing API tests: settings, a client, request bodies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from simulators.billing.api.state import BILLING_API, BillingApi
from simulators.billing.app import BillingSettings

API_KEY = "q2c-billing-key"


AUTH = {"Authorization": f"Bearer {API_KEY}"}


START = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


Client = TestClient[web.Request, web.Application]


MakeClient = Callable[..., Awaitable[Client]]


def settings(**overrides: Any) -> BillingSettings:
    base: dict[str, Any] = {
        "rate_limit": None,
        "counts": {"accounts": 4, "services_per_account": 1},
        "clock_start": START,
        "clock_frozen": True,
    }
    base.update(overrides)
    return BillingSettings(**base)


def api_of(client: Client) -> BillingApi:
    return client.server.app[BILLING_API]


async def call(client: Client, method: str, path: str, body: Any = None, **headers: str) -> tuple[int, Any]:
    """A contract call with the default API key; returns (status, parsed JSON or None)."""
    sent = {**AUTH, **{k.replace("_", "-"): v for k, v in headers.items()}}
    async with client.request(method, path, json=body, headers=sent) as response:
        text = await response.text()
        return response.status, (None if not text else await response.json(content_type=None))


def account_body(external_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_id": external_id,
        "name": "Acme Networks Inc.",
        "email": "billing@acme.example",
        "billing_address": {
            "line1": "1 Market Street",
            "city": "San Francisco",
            "postal_code": "94105",
            "country": "US",
        },
        "bill_cycle_id": "bc_0000000001",
        "account_category_id": "cat_0000000001",
    }
    body.update(overrides)
    return body
