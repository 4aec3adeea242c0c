"""The whole system with the core subscribed to Salesforce events (CometD or Pub/Sub), and the
waits the event tests need ("the core has seen every event published so far")."""

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from integration.core import CoreSettings
from integration.events.consumer import EventConsumer, EventSettings, Mode
from integration.events.model import CHANNELS
from sandbox import scenario
from sandbox.system import SystemOptions
from simulators.billing.app import BillingSettings
from simulators.salesforce.api.routes import STATE
from simulators.salesforce.app import SalesforceSettings
from simulators.salesforce.pubsub.server import PubSubSettings
from tests.support.sandbox import Sandbox, make_sandbox


@contextlib.asynccontextmanager
async def event_sandbox(tmp_path: Path, mode: Mode, **settings: Any) -> AsyncIterator[Sandbox]:
    """No polling and no billing webhooks: the core hears of changes through ``mode`` only."""
    options = SystemOptions(
        state_dir=tmp_path,
        salesforce=SalesforceSettings(seed=7, pubsub=PubSubSettings(port=0)),
        billing=BillingSettings(seed=7, rate_limit=None, counts={"accounts": 0}),
        core=CoreSettings(events=EventSettings(mode=mode, reconnect_base=0.05, **settings)),
        register_webhooks=False,  # billing's webhooks would sync too: Salesforce events only
    )
    async with make_sandbox(options) as sandbox:
        yield sandbox


def consumer(sandbox: Sandbox) -> EventConsumer:
    events = sandbox.system.core.events
    assert events is not None
    return events


def latest(sandbox: Sandbox) -> dict[str, int]:
    """The newest replay id of each of the core's channels, on the simulator's bus."""
    bus = sandbox.system.apps["salesforce"][STATE].default_org().events
    return {channel: bus.latest_replay_id(channel) for channel in CHANNELS}


async def caught_up(sandbox: Sandbox, timeout: float = 30) -> None:
    """Every event published so far is stored and turned into jobs, and the jobs are done."""
    targets = latest(sandbox)
    if not await consumer(sandbox).wait_caught_up(targets, timeout):
        store = sandbox.system.core.store
        positions = await store.channels.positions()
        raise AssertionError(f"the core missed events: bus at {targets}, core at {positions}")
    assert await sandbox.system.core.engine.wait_idle(timeout), "the core did not settle"


def customer(n: int, **changes: Any) -> dict[str, Any]:
    """A complete Account that asks to be linked (the fields billing requires)."""
    return {
        "Name": f"Event Customer {n}",
        "BillingStreet": f"{n} Main Street",
        "BillingCity": "Springfield",
        "BillingPostalCode": "12345",
        "BillingCountry": "USA",
        "Billing_Primary_Email__c": f"billing{n}@example.com",
        "Billing_Cycle__c": scenario.CYCLE_NAMES[0],
        "Billing_Account_Category__c": scenario.CATEGORY_NAMES[0],
        "Billing_Link_Requested__c": True,
        **changes,
    }


async def sim(url: str, method: str, path: str, body: Any = None) -> Any:
    """A call to a simulator's control plane (or any JSON endpoint), asserting it succeeded."""
    async with aiohttp.ClientSession() as session, session.request(method, url + path, json=body) as answer:
        assert answer.status < 300, await answer.text()
        return await answer.json(content_type=None)


async def latest_over_http(salesforce_url: str) -> dict[str, int]:
    """The bus's newest replay id per channel the core follows (through the control plane: for
    a core in its own process)."""
    found: dict[str, int] = {}
    for channel in CHANNELS:
        answer = await sim(salesforce_url, "GET", f"/__sim/events/retained?channel={channel}&limit=1")
        found[channel] = int(answer["latest_replay_id"])
    return found
