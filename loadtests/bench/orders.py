"""``q2c bench orders``: order lines per second end to end (activation -> Synced) and Salesforce
calls per line, with the Salesforce simulator, the billing simulator and the integration core in
one process. Also the order scenario the crash and budget tests share (tests/e2e).

The scenario: customers (complete, not linked: the first order's link task links them) each get
an opening order with one New line; once that is carried out, each gets a second order of five
lines, the measured one: a New Internet Access with a Static IP add-on on it (same order), a New
SIP trunk, a New virtual server, and a Change Quantity on the opening order's service. Orders are
placed by a CRM user through its own connected app (``DESK_CLIENT_ID``), so the simulator's meter
tells the core's calls (``defaults.SALESFORCE_CLIENT_ID``) from the user's.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import tempfile
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
from rich.console import Console
from rich.table import Table

from contracts import defaults
from integration.clients.salesforce import SalesforceClient, SalesforceConfig, soql_in
from integration.core import CoreSettings
from integration.engine import ORDER, SERVICE
from integration.events.consumer import EventSettings
from integration.events.dispatch import CORE_CLIENT_ID
from integration.flows.context import FlowSettings
from integration.flows.link import QUERY_CHUNK
from integration.flows.orders import process_orders
from sandbox import scenario
from sandbox.orders import LineSpec, OrderSpec, PlacedOrder, activate_orders, place_orders
from sandbox.system import System, SystemOptions
from simulators.billing.app import BillingSettings
from simulators.salesforce.api.routes import STATE
from simulators.salesforce.app import SalesforceSettings
from simulators.salesforce.events.bus import EventBus
from simulators.salesforce.models.orgs import ConnectedAppSpec, OrgSpec

#: The CRM user's connected app (the core keeps the default one).
DESK_CLIENT_ID = "q2c-order-desk"
DESK_CLIENT_SECRET = "q2c-order-desk-secret"
LINES_PER_ORDER = 5  # the measured order: 4 New lines (one an add-on) + 1 Change Quantity
CHANGED_QUANTITY = 3
ALL_CHANGES = "/data/ChangeEvents"
#: What the core writes while it carries out orders (the budget's W): CDC on all of them.
WRITTEN = ("Account", "Order", "OrderItem", "WorkOrder", "WorkOrderLineItem", "Billing_Service__c")
#: The workers a stepped run holds (see ``carry_out``).
STEPPED = (ORDER, SERVICE)


def salesforce_settings(seed: int) -> SalesforceSettings:
    """The default org plus the order desk's connected app (same user, its own meter caller)."""
    org = OrgSpec()
    desk = ConnectedAppSpec(DESK_CLIENT_ID, DESK_CLIENT_SECRET, name="Q2C order desk")
    return SalesforceSettings(seed=seed, orgs=(replace(org, apps=(*org.apps, desk)),))


def desk_client(
    login_url: str, *, client_id: str = DESK_CLIENT_ID, secret: str = DESK_CLIENT_SECRET
) -> SalesforceClient:
    return SalesforceClient(SalesforceConfig(login_url=login_url, client_id=client_id, client_secret=secret))


# -- the scenario -----------------------------------------------------------------------------------


async def customers(sf: SalesforceClient, count: int, *, seed: int) -> list[str]:
    """Complete customer accounts that have not asked for a link (the order links them)."""
    planned = scenario.plan_accounts(count, seed=seed, prospect_share=0, incomplete_share=0)
    for p in planned:
        p.record["Billing_Link_Requested__c"] = False
    return (await scenario.create_crm(sf, planned)).ids


def opening_orders(account_ids: Sequence[str], day: date | str) -> list[OrderSpec]:
    return [OrderSpec(a, [LineSpec("New", "INET-100", term_months=12)], day) for a in account_ids]


def change_orders(
    account_ids: Sequence[str], services: Mapping[str, str], day: date | str
) -> list[OrderSpec]:
    """Five lines an account: 4 New (one an add-on on a new line) + 1 Change Quantity on the
    account's opening service (``services``: Account Id -> its Billing_Service__c Id)."""
    return [
        OrderSpec(
            a,
            [
                LineSpec("New", "INET-100", term_months=12),
                LineSpec("Add-On", "IP-STATIC", parent=0),
                LineSpec("New", "SIP-10", term_months=24),
                LineSpec("New", "VS-4", quantity=2, term_months=12),
                LineSpec("Change Quantity", quantity=CHANGED_QUANTITY, service_id=services[a]),
            ],
            day,
        )
        for a in account_ids
    ]


async def services_by_account(sf: SalesforceClient, account_ids: Sequence[str]) -> dict[str, str]:
    """Account Id -> its one Billing_Service__c Id (the opening order's service)."""
    found: dict[str, list[str]] = {}
    for start in range(0, len(account_ids), QUERY_CHUNK):
        chunk = account_ids[start : start + QUERY_CHUNK]
        for row in await sf.query(
            f"SELECT Id, Account__c FROM Billing_Service__c WHERE Account__c IN {soql_in(chunk)}"
        ):
            found.setdefault(str(row["Account__c"]), []).append(str(row["Id"]))
    missing = [a for a in account_ids if len(found.get(a, [])) != 1]
    if missing:
        raise RuntimeError(
            f"{len(missing)} accounts without exactly one service, e.g. {missing[0]}: {found.get(missing[0])}"
        )
    return {a: found[a][0] for a in account_ids}


async def sync_statuses(sf: SalesforceClient, order_ids: Sequence[str]) -> dict[str, int]:
    """How many of these orders have each Billing_Sync_Status__c (None: not set)."""
    counts: dict[str, int] = {}
    for start in range(0, len(order_ids), QUERY_CHUNK):
        chunk = order_ids[start : start + QUERY_CHUNK]
        for row in await sf.query(f"SELECT Billing_Sync_Status__c FROM Order WHERE Id IN {soql_in(chunk)}"):
            status = str(row["Billing_Sync_Status__c"])
            counts[status] = counts.get(status, 0) + 1
    return counts


def billing_orders_per_crm_order(billing_orders: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """CRM Order Id -> billing orders placed for it: external id ``<Order Id>``, or the Order Id
    and a suffix for a later submission of some of its lines (``:<n>``, ``-<key>``)."""
    counts: dict[str, int] = {}
    for order in billing_orders:
        found = re.match(r"[A-Za-z0-9]*", str(order.get("external_id") or ""))
        crm_order = found.group(0) if found else ""
        counts[crm_order] = counts.get(crm_order, 0) + 1
    return counts


# -- measuring in one process -----------------------------------------------------------------------


def event_bus(system: System) -> EventBus:
    bus: EventBus = system.apps["salesforce"][STATE].default_org().events
    return bus


def select_written(bus: EventBus) -> None:
    """Change Data Capture on every object the core writes: its change events count the records."""
    bus.select_entities(sorted({*bus.selected_entities(), *WRITTEN}))


def records_written(bus: EventBus, after_replay: int) -> dict[str, int]:
    """Records the core wrote since ``after_replay``, per object: one change event per record
    (create or update) whose changeOrigin names the core's client (``Sforce-Call-Options``)."""
    written: dict[str, int] = {}
    for event in bus.retained(ALL_CHANGES):
        header = event.header
        if event.replay_id <= after_replay or header is None:
            continue
        if f"client={CORE_CLIENT_ID}" in header.change_origin:
            written[header.entity_name] = written.get(header.entity_name, 0) + len(header.record_ids)
    return written


def budget(records: int, lines: int) -> int:
    """Issue 14: ceil(W/200) + ceil(N/200) + 10 Salesforce calls for N lines writing W records."""
    return math.ceil(records / 200) + math.ceil(lines / 200) + 10


@dataclass
class OrdersRun:
    """One system, its desk client, and the core driven through its actions API."""

    system: System
    desk: SalesforceClient

    async def core(self, path: str, body: Any) -> Any:
        headers = {"Authorization": f"Bearer {defaults.CORE_API_TOKEN}"}
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3600)) as session,
            session.post(self.system.url("core") + path, json=body, headers=headers) as response,
        ):
            payload = await response.json(content_type=None)
            if response.status >= 300:
                raise RuntimeError(f"POST {path}: {response.status} {payload}")
            return payload

    def today(self) -> date:
        return self.system.kit("billing").clock.now().date()

    def core_calls(self) -> int:
        return self.system.kit("salesforce").meter.used(caller=defaults.SALESFORCE_CLIENT_ID)

    async def caught_up(self) -> None:
        """Every org event the core follows so far received and turned into jobs."""
        events, bus = self.system.core.events, event_bus(self.system)
        if events is not None:
            targets = {c: bus.latest_replay_id(c) for c in events.settings.channels}
            if not await events.wait_caught_up(targets, 600):
                raise RuntimeError("the core did not catch up with the org's events")

    async def settle(self, rounds: int = 20, *, release: Sequence[str] = ()) -> None:
        """Until nothing moves: org events taken in, billing's webhooks delivered and taken in,
        the core idle (awaitables, never a sleep). ``release``: held kinds that run (a batch
        each, with every job queued so far) only once the rest is quiet, then are held again."""
        engine, outbox = self.system.core.engine, self.system.kit("billing").outbox
        bus = event_bus(self.system)
        before = None
        for _ in range(rounds):
            await self.caught_up()
            await outbox.wait_settled(timeout=300)
            if not await engine.wait_dispatched(timeout=300):
                raise RuntimeError("the core did not take in its webhooks")
            for kind in release:
                engine.release(kind)
            try:
                if not await engine.wait_idle(timeout=600):
                    raise RuntimeError("the core did not settle")
            finally:
                for kind in release:
                    engine.hold(kind)
            now = (bus.latest_replay_id(ALL_CHANGES), len(outbox.deliveries()))
            if now == before:
                return
            before = now
        raise RuntimeError("the system did not settle")

    async def process(self, placed: Sequence[PlacedOrder]) -> None:
        """Orders placed activated reach the core by their change events (``--events``); without
        events, through the actions API. Then until everything settled."""
        if self.system.core.events is None:
            ids = [p.order_id for p in placed]
            await self.core("/actions/orders", {"order_ids": ids, "wait": True, "timeout_seconds": 3600})
        await self.settle()

    async def prepare(self, accounts: int, *, seed: int) -> list[OrderSpec]:
        """Catalog, customers and their opening orders carried out; the measured orders' specs."""
        await self.core("/actions/catalog-sync", {"wait": True, "timeout_seconds": 600})
        account_ids = await customers(self.desk, accounts, seed=seed)
        opened = await place_orders(self.desk, opening_orders(account_ids, self.today()))
        await self.process(opened)
        statuses = await sync_statuses(self.desk, [p.order_id for p in opened])
        if statuses != {"Synced": len(opened)}:
            raise RuntimeError(f"opening orders not all Synced: {statuses}")
        services = await services_by_account(self.desk, account_ids)
        return change_orders(account_ids, services, self.today())


class SyncedWatch:
    """When each order's ``Billing_Sync_Status__c`` became Synced, from the org's change events
    (read on the simulator's bus, in this process: an awaited event, not a poll of the CRM)."""

    def __init__(self, bus: EventBus, order_ids: Sequence[str]) -> None:
        self.subscription = bus.subscribe("/data/OrderChangeEvent")
        self.waiting = set(order_ids)

    async def run(self) -> float:
        """The ``time.perf_counter()`` at which the last of the orders was seen Synced."""
        while self.waiting:
            await self.subscription.wait(timeout=60)
            for event in self.subscription.take(1000):
                if event.header is not None and event.fields.get("Billing_Sync_Status__c") == "Synced":
                    self.waiting.difference_update(event.header.record_ids)
        return time.perf_counter()

    def close(self) -> None:
        self.subscription.close()


@dataclass(frozen=True)
class Measured:
    placed: list[PlacedOrder]
    seconds: float  # from activation until nothing moves (the core has taken in its own echoes too)
    synced_seconds: float  # from activation until the last order became Synced
    calls: int  # Salesforce calls the core made (the simulator's meter, the core's caller only)
    written: dict[str, int]  # records the core wrote, per object (change events it caused)
    billing_calls: int
    statuses: dict[str, int]  # Billing_Sync_Status__c of the measured orders

    @property
    def lines(self) -> int:
        return sum(len(p.item_ids) for p in self.placed)

    @property
    def records(self) -> int:
        return sum(self.written.values())


@contextlib.asynccontextmanager
async def orders_run(
    state_dir: Path, *, seed: int, record_by_record: bool = False
) -> AsyncIterator[OrdersRun]:
    """The whole system in this process, the core subscribed to the org's events over CometD
    (an activation's change event hands it the order), with the order desk's own client."""
    options = SystemOptions(
        state_dir=state_dir,
        salesforce=salesforce_settings(seed),
        billing=BillingSettings(seed=seed, rate_limit=None, counts={"accounts": 0}),
        core=replace(
            CoreSettings(),
            flows=FlowSettings(record_by_record=record_by_record),
            events=EventSettings(mode="cometd", reconnect_base=0.05),
        ),
    )
    async with System(options) as system:
        await system.kit("salesforce").reseed(seed, {"accounts": 0})
        run = OrdersRun(system, desk_client(system.url("salesforce")))
        try:
            yield run
        finally:
            await run.desk.close()


async def carry_out(run: OrdersRun, specs: Sequence[OrderSpec], *, stepped: bool = False) -> Measured:
    """Place the orders as drafts (not measured), then measure from their activation until
    every one of them is carried out and nothing moves any more.

    ``stepped``: batch boundaries set by the run, not by the timing of billing's webhooks (the
    way ``q2c demo`` and the budget tests are made repeatable): the order and service workers
    are held, the activated orders are processed in one ``process_orders`` pass (what the
    engine runs for one batch), then the jobs billing's webhooks queued meanwhile (each order's
    ``order.*``, each service's ``service.*``) run as one batch per kind. Without it, everything
    runs as it comes (the benchmark's end-to-end figure)."""
    drafts = await place_orders(run.desk, specs, activate=False)
    ids = [p.order_id for p in drafts]
    bus = event_bus(run.system)
    select_written(bus)
    engine = run.system.core.engine
    replay, calls_before = bus.latest_replay_id(ALL_CHANGES), run.core_calls()
    billing_before = run.system.kit("billing").meter.used()
    watch = SyncedWatch(bus, ids)
    started = time.perf_counter()
    watching = asyncio.create_task(watch.run(), name="bench-orders-synced-watch")
    if stepped:
        for kind in STEPPED:
            engine.hold(kind)
    try:
        await activate_orders(run.desk, ids)
        if stepped:
            await run.caught_up()
            report = await process_orders(run.system.core.ctx, ids)
            if report.failed:
                raise RuntimeError(f"{len(report.failed)} orders failed: {next(iter(report.failed.items()))}")
            await run.settle(release=STEPPED)
        else:
            await run.process(drafts)
        synced_at = await asyncio.wait_for(watching, timeout=60)
    finally:
        watching.cancel()
        await asyncio.gather(watching, return_exceptions=True)  # owned: ended before we return
        watch.close()
        for kind in STEPPED:
            engine.release(kind)
    elapsed = time.perf_counter() - started
    return Measured(
        placed=drafts,
        seconds=elapsed,
        synced_seconds=synced_at - started,
        calls=run.core_calls() - calls_before,
        written=records_written(bus, replay),
        billing_calls=run.system.kit("billing").meter.used() - billing_before,
        statuses=await sync_statuses(run.desk, ids),
    )


async def measure(
    orders: int, *, stepped: bool = False, record_by_record: bool = False, seed: int = 14
) -> dict[str, Any]:
    """``orders`` orders of five lines, from activation to every order Synced (see ``carry_out``)."""
    with tempfile.TemporaryDirectory(prefix="q2c-bench-orders-") as state:
        async with orders_run(Path(state), seed=seed, record_by_record=record_by_record) as run:
            result = await carry_out(run, await run.prepare(orders, seed=seed), stepped=stepped)
    if result.statuses != {"Synced": orders}:
        raise RuntimeError(f"not every order Synced: {result.statuses}")
    lines = result.lines
    return {
        "mode": ("naive, " if record_by_record else "") + ("stepped" if stepped else "as it comes"),
        "orders": orders,
        "lines": lines,
        "seconds_to_synced": round(result.synced_seconds, 3),
        "lines_per_second": round(lines / result.synced_seconds, 1),
        "seconds_to_quiet": round(result.seconds, 3),
        "salesforce_calls": result.calls,
        "salesforce_calls_per_line": round(result.calls / lines, 4),
        "records_written": result.records,
        "records_written_by_object": dict(sorted(result.written.items())),
        "budget": budget(result.records, lines),
        "billing_calls": result.billing_calls,
        "billing_calls_per_line": round(result.billing_calls / lines, 4),
    }


def run(console: Console, *, quick: bool) -> dict[str, Any]:
    small, large = (50, 200) if quick else (200, 1000)  # orders of 5 lines each
    plan = [
        (small, {}),
        (large, {}),
        (small, {"stepped": True}),
        (small, {"stepped": True, "record_by_record": True}),
    ]
    rows: list[dict[str, Any]] = []
    for orders, options in plan:
        with console.status(f"orders: {orders * LINES_PER_ORDER} lines {options or ''}..."):
            rows.append(asyncio.run(measure(orders, **options)))
    table = Table(title="q2c bench orders (one process; activation -> Synced)", title_justify="left")
    columns = {
        "mode": "mode",
        "lines": "lines",
        "seconds_to_synced": "s",
        "lines_per_second": "lines/s",
        "salesforce_calls": "SF calls",
        "salesforce_calls_per_line": "per line",
        "records_written": "W",
        "budget": "budget",
    }
    for title in columns.values():
        table.add_column(title, justify="right")
    for row in rows:
        table.add_row(*(str(row[key]) for key in columns))
    console.print(table)
    return {"runs": rows, "budget": "ceil(W/200) + ceil(N/200) + 10 Salesforce calls (issue 14)"}
