"""The whole system in-process, for the end-to-end tests."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp

from contracts import defaults
from integration.clients.billing import BillingClient, BillingConfig
from integration.clients.salesforce import SalesforceClient, SalesforceConfig
from integration.engine import CATALOG, SYNC, WHOLE_CATALOG
from sandbox.system import System, SystemOptions


class JumpClock:
    """Virtual time for rate limits: a sleep jumps the clock to its end (never back), I/O takes
    none. Share it between a simulator's ``RateLimiter(now=clock.now)`` and the core's billing
    client (``billing_client(settings, clock=clock)``) to run the real limits without the wait."""

    def __init__(self) -> None:
        self._now = 0.0

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        self._now = max(self._now, self._now + seconds)
        await asyncio.sleep(0)


@dataclass
class Sandbox:
    system: System
    crm_user: SalesforceClient
    billing: BillingClient
    sync_held: bool = False

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

    def hold_sync(self) -> None:
        """From now on the core's sync worker runs only inside ``settle()``: one batch per step,
        whatever the timing of webhook deliveries (the way ``q2c demo`` is made repeatable)."""
        self.sync_held = True
        self.system.core.engine.hold(SYNC)

    async def settle(self) -> None:
        engine = self.system.core.engine
        await self.system.kit("billing").outbox.wait_settled(timeout=120)
        if self.sync_held:
            assert await engine.wait_dispatched(timeout=120), "the core did not take in its webhooks"
            engine.release(SYNC)
        try:
            assert await engine.wait_idle(timeout=300), "the core did not settle"
        finally:
            if self.sync_held:
                engine.hold(SYNC)

    async def billing_accounts(self) -> list[dict[str, Any]]:
        return await self.billing.collect("/accounts")


@contextlib.asynccontextmanager
async def make_sandbox(options: SystemOptions) -> AsyncIterator[Sandbox]:
    """The system with an empty CRM (no seeded Accounts) and clients for both sides."""
    async with System(options) as system:
        await system.kit("salesforce").reseed(options.salesforce.seed, {"accounts": 0})
        # The reseed replaced the org the core loaded billing's catalog into at start-up: load it
        # again (as after a sandbox refresh), so every test starts from a CRM with the catalog.
        engine = system.core.engine
        await engine.request(CATALOG, [WHOLE_CATALOG])
        assert await engine.wait_for(CATALOG, [WHOLE_CATALOG], timeout=120), "catalog sync"
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
