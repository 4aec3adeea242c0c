"""The whole system in-process, for the end-to-end tests."""

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp

from contracts import defaults
from integration.clients.billing import BillingClient, BillingConfig
from integration.clients.salesforce import SalesforceClient, SalesforceConfig
from sandbox.system import System, SystemOptions


@dataclass
class Sandbox:
    system: System
    crm_user: SalesforceClient
    billing: BillingClient

    async def core(self, method: str, path: str, body: Any = None, *, expect: int | None = None) -> Any:
        headers = {"Authorization": f"Bearer {defaults.CORE_API_TOKEN}"}
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, self.system.url("core") + path, json=body, headers=headers) as response,
        ):
            payload = await response.json(content_type=None)
            if expect is not None:
                assert response.status == expect, payload
            return payload

    def salesforce_calls(self) -> int:
        return self.system.kit("salesforce").meter.used()

    def billing_calls(self, operation: str | None = None) -> int:
        if operation is None:
            return self.system.kit("billing").meter.used()
        return sum(1 for e in self.system.kit("billing").journal if e.operation == operation)

    async def settle(self) -> None:
        await self.system.kit("billing").outbox.wait_settled(timeout=120)
        assert await self.system.core.engine.wait_idle(timeout=300), "the core did not settle"

    async def billing_accounts(self) -> list[dict[str, Any]]:
        return await self.billing.collect("/accounts")


@contextlib.asynccontextmanager
async def make_sandbox(options: SystemOptions) -> AsyncIterator[Sandbox]:
    """The system with an empty CRM (no seeded Accounts) and clients for both sides."""
    async with System(options) as system:
        await system.kit("salesforce").reseed(options.salesforce.seed, {"accounts": 0})
        crm_user = SalesforceClient(
            SalesforceConfig(
                login_url=system.url("salesforce"),
                client_id=defaults.SALESFORCE_CLIENT_ID,
                client_secret=defaults.SALESFORCE_CLIENT_SECRET,
            )
        )
        billing = BillingClient(BillingConfig(system.url("billing"), defaults.BILLING_API_KEY))
        try:
            yield Sandbox(system, crm_user, billing)
        finally:
            await crm_user.close()
            await billing.close()
