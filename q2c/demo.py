"""``q2c demo``: the main job, end to end, on free ports with a throw-away state directory.

1. start Salesforce, billing and the integration core (the core subscribes to billing webhooks);
2. seed N Salesforce Accounts through the REST API (prospects, customers with dirty country
   names, some missing required billing data);
3. link the accounts that request it: the core hears of them through Salesforce change events
   (CometD), not a call (refusals land in Salesforce with per-field reasons);
4. order services in billing for the linked accounts (they reach the CRM's inventory by
   billing's ``service.*`` webhooks), then order-to-cash through the CRM (``q2c.demo_orders``):
   catalog sync, orders for every operation carried out through work orders;
5. run two billing periods on billing's virtual clock, with payments for some accounts and a
   past-due invoice for others; webhooks drive the invoice and financial sync;
6. quick actions: the CRM's ``Billing_Action__e`` buttons, ``open`` billing for a few prospects
   and ``sync`` a few customers, through the same event subscription;
7. reconcile Salesforce against billing.

A closing table shows what happened and what it cost. Exit 0 only when the drift is 0.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from contracts import defaults
from integration.clients.salesforce import SalesforceClient, SalesforceConfig
from integration.core import CoreSettings
from integration.engine import KINDS, LINK, ORDER, SERVICE, SYNC
from integration.events.consumer import EventSettings
from integration.events.model import CHANNELS
from q2c.actions_cli import call_core
from q2c.demo_orders import run_orders
from sandbox import scenario
from sandbox.system import System, SystemOptions
from simulators.billing.app import BillingSettings
from simulators.salesforce.api.routes import STATE
from simulators.salesforce.app import SalesforceSettings

STEPS = (
    "start",
    "seed Salesforce",
    "link",
    "order services",
    "orders through work orders",
    "billing period 1",
    "billing period 2",
    "quick actions",
    "reconcile",
)
# The workers whose batches the script sets (released by settle()): what webhooks and change
# events queue meanwhile waits for the next settle, whatever the timing of their arrival.
HELD = (ORDER, SERVICE, SYNC)
QUICK_ACTIONS = 3  # prospects opened and customers synced by Billing_Action__e


@dataclass
class DemoResult:
    rows: list[tuple[str, str]] = field(default_factory=list)
    refusals: list[tuple[str, str]] = field(default_factory=list)
    line_errors: list[tuple[str, str]] = field(default_factory=list)
    drift: int = -1
    ok: bool = False

    def add(self, what: str, value: object) -> None:
        self.rows.append((what, str(value)))


async def _core(system: System, method: str, path: str, body: Any = None) -> Any:
    """The core's actions API, as ``q2c link`` and friends call it."""
    return await call_core(system.url("core"), defaults.CORE_API_TOKEN, method, path, body, timeout=600)


def first_of_next_month(moment: datetime) -> datetime:
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return datetime(year, month, 1, 12, tzinfo=UTC)


async def settle(system: System) -> None:
    """Webhooks delivered and turned into jobs, then each held worker runs what is queued for it,
    one kind after the other (orders first: what they cause in billing comes back as service
    and invoice events for the next kinds), then held again; the unheld kinds (links, catalog,
    ETL quotes) are waited for as well. Same seed, same batches. Awaited, never slept on."""
    engine = system.core.engine
    outbox = system.kit("billing").outbox
    for kind in HELD:
        await outbox.wait_settled(timeout=120)
        if not await engine.wait_dispatched(timeout=120):
            raise RuntimeError("the integration core did not take in its webhooks within 120 s")
        engine.release(kind)
        try:
            if not await engine.wait_kinds_idle([kind], timeout=300):
                raise RuntimeError(f"the integration core's {kind} jobs did not settle within 300 s")
        finally:
            engine.hold(kind)
    if not await engine.wait_kinds_idle([k for k in KINDS if k not in HELD], timeout=300):
        raise RuntimeError("the integration core did not settle within 300 s")


async def run(*, seed: int, accounts: int, console: Console, state_dir: Path) -> DemoResult:
    # Over 80 lines on purpose: the demo's script read top to bottom, one step per progress line,
    # then the figures it measured; each step is a call into the scenario or the core's API.
    result = DemoResult()
    started = time.perf_counter()
    options = SystemOptions(
        state_dir=state_dir,
        salesforce=SalesforceSettings(seed=seed, frozen_clock=False),
        # An empty billing tenant (its reference data and catalog only), no rate limit locally.
        billing=BillingSettings(seed=seed, rate_limit=None, counts={"accounts": 0}),
        core=CoreSettings(events=EventSettings(mode="cometd")),
    )
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("starting the sandbox", total=len(STEPS))
        async with System(options) as system:
            # Same seed, same figures: syncs run in the batches settle() sets, not in windows
            # that depend on how fast webhooks happen to arrive.
            for kind in HELD:
                system.core.engine.hold(kind)
            events = system.core.events
            assert events is not None
            events.hold()  # the link step's events are dispatched as one batch (same seed, same calls)
            salesforce_kit, billing_kit = system.kit("salesforce"), system.kit("billing")
            await salesforce_kit.reseed(seed, {"accounts": 0})
            progress.update(task, advance=1, description=f"seeding {accounts} Salesforce accounts")
            crm_user = SalesforceClient(
                SalesforceConfig(
                    login_url=system.url("salesforce"),
                    client_id=defaults.SALESFORCE_CLIENT_ID,
                    client_secret=defaults.SALESFORCE_CLIENT_SECRET,
                )
            )
            crm = await scenario.create_crm(crm_user, scenario.plan_accounts(accounts, seed=seed))
            seeding_calls = salesforce_kit.meter.used()
            progress.update(task, advance=1, description="linking accounts that need billing (change events)")
            link = await link_through_events(system, crm.ids)
            link_calls = salesforce_kit.meter.used() - seeding_calls
            linked = [lk.billing_id for lk in await system.core.store.xref.all_links()]
            progress.update(task, advance=1, description=f"ordering services for {len(linked)} accounts")
            await scenario.order_services(system.core.billing, linked, seed=seed)
            await settle(system)
            progress.update(task, advance=1, description="catalog sync, then orders through work orders")
            before_orders, desk_before = salesforce_kit.meter.used(), crm_user.calls
            orders = await run_orders(
                crm_user,
                crm,
                link["linked"],
                core=lambda method, path, body: _core(system, method, path, body),
                billing=system.core.billing,
                settle=lambda: settle_all(system),
                today=billing_kit.clock.now().date(),
            )
            # The core's calls only: the CRM user's (placing orders, completing a task) are not.
            desk_calls = crm_user.calls - desk_before
            order_calls = salesforce_kit.meter.used() - before_orders - desk_calls
            clock = billing_kit.clock
            progress.update(task, advance=1, description="billing period 1 (invoices post, half get paid)")
            await clock.advance(to=first_of_next_month(clock.now()) + timedelta(days=1))
            await settle(system)
            await scenario.pay_open_invoices(system.core.billing, linked[: len(linked) // 2])
            progress.update(task, advance=1, description="billing period 2 (the unpaid go past due)")
            await clock.advance(to=first_of_next_month(clock.now()) + timedelta(days=20))
            await settle(system)
            progress.update(task, advance=1, description="quick actions (Billing_Action__e: open, sync)")
            before_actions = salesforce_kit.meter.used()
            opened = crm.ids_of("prospect")[:QUICK_ACTIONS]
            synced = [i for i in crm.ids_of("customer") if i in link["linked"]][:QUICK_ACTIONS]
            actions = [{"Action__c": "open", "Record_Id__c": i} for i in opened]
            actions += [{"Action__c": "sync", "Record_Id__c": i} for i in synced]
            try:
                await quick_actions(system, crm_user, actions, opened)
            finally:
                await crm_user.close()
            action_calls = salesforce_kit.meter.used() - before_actions
            renewed = await auto_renewed(system)
            progress.update(task, advance=1, description="reconciling Salesforce with billing")
            before_reconcile = salesforce_kit.meter.used()
            report = await _core(system, "POST", "/actions/reconcile")
            reconcile_calls = salesforce_kit.meter.used() - before_reconcile
            progress.update(task, advance=1)
            status = await _core(system, "GET", "/actions/status")
            sf_usage = salesforce_kit.meter.report()
            billing_usage = billing_kit.meter.report()
            outbox = billing_kit.outbox.stats()
    elapsed = time.perf_counter() - started
    core_calls = sf_usage["total"] - seeding_calls - reconcile_calls - action_calls - desk_calls
    sync_calls = core_calls - link_calls - order_calls
    outcomes = link["outcomes"]
    result.add(
        "Salesforce accounts seeded",
        f"{accounts} ({len(crm.ids_of('prospect'))} prospects, "
        f"{len(crm.ids_of('incomplete'))} missing billing data)",
    )
    result.add("accounts linked", f"{outcomes.get('linked', 0)} ({link['created']} created in billing)")
    result.add("accounts refused", outcomes.get("refused", 0))
    result.add("prospects left alone", len(crm.ids_of("prospect")) - len(opened))
    result.add(
        "quick actions (Billing_Action__e)",
        f"{len(actions)} (open {len(opened)}, sync {len(synced)}; {action_calls} Salesforce calls)",
    )
    result.add("catalog products in the CRM", orders.products)
    result.add(
        "CRM orders (lines by action)",
        f"{orders.orders} ({', '.join(f'{a} {n}' for a, n in sorted(orders.lines.items()))})",
    )
    result.add("manual tasks completed by a person", orders.manual_tasks_completed)
    result.add("Cancel lines with an ETL quote", orders.etl_quoted)
    result.add("order lines failed (business errors)", len(orders.line_errors))
    result.add("orders refused (missing billing data)", len(orders.order_errors))
    result.add(
        "CRM inventory (Billing_Service__c)",
        ", ".join(f"{k} {n}" for k, n in sorted(orders.services.items())),
    )
    result.add("automatic renewals in billing", renewed)
    result.add("Salesforce API calls by order processing (and catalog sync)", order_calls)
    result.add("invoices synced to Salesforce", status["synced_invoices"])
    result.add(
        "Salesforce API calls by the core",
        f"{core_calls} (link {link_calls}, orders {order_calls}, sync {sync_calls})",
    )
    result.add("Salesforce API calls by reconcile", reconcile_calls)
    result.add("Salesforce calls per linked account", f"{core_calls / max(outcomes.get('linked', 1), 1):.4f}")
    result.add("billing API calls", billing_usage["total"])
    result.add(
        "webhook deliveries (retries)",
        f"{outbox['succeeded']} ({outbox['attempts'] - outbox['succeeded'] - outbox['failed']})",
    )
    result.add("dead letters / dead jobs", f"{len(status['dead_letters'])} / {len(status['dead_jobs'])}")
    result.add("elapsed", f"{elapsed:.1f} s")
    result.add("drift (reconcile)", report["drift_count"])
    result.refusals = sorted(link["refused"].items())
    result.line_errors = orders.line_errors + orders.order_errors
    result.drift = int(report["drift_count"])
    result.ok = (
        result.drift == 0
        and status["synced_invoices"] > 0
        and outcomes.get("linked", 0) > 0
        and orders.services.get("Active", 0) > 0
    )
    return result


async def settle_all(system: System) -> None:
    """Salesforce's change events and billing's webhooks, each causing the other, until neither
    side has anything new (order processing writes to both)."""
    outbox = system.kit("billing").outbox
    for _ in range(10):
        before = (_bus_latest(system), outbox.stats()["attempts"])
        await _dispatch_step(system)
        await settle(system)
        if (_bus_latest(system), outbox.stats()["attempts"]) == before:
            return
    raise RuntimeError("Salesforce and billing kept producing events after 10 rounds")


async def auto_renewed(system: System) -> int:
    """Services whose current term billing renewed by itself (no order, no quote)."""
    services = await system.core.billing.services()
    return sum(1 for s in services if s.current_term is not None and s.current_term.type == "auto_renewed")


def _bus_latest(system: System) -> dict[str, int]:
    """The newest replay id of each channel the core follows, on the simulator's event bus."""
    bus = system.apps["salesforce"][STATE].default_org().events
    return {channel: bus.latest_replay_id(channel) for channel in CHANNELS}


async def _dispatch_step(system: System) -> None:
    """Every event published so far stored by the core (dispatch held), then dispatched as one
    batch; the consumer is held again for the next step."""
    events = system.core.events
    assert events is not None
    targets = _bus_latest(system)
    if not await events.wait_caught_up(targets, 300, dispatched=False):
        raise RuntimeError("the integration core did not receive its Salesforce events within 300 s")
    events.release()
    try:
        if not await events.wait_caught_up(targets, 300):
            raise RuntimeError("the integration core did not dispatch its Salesforce events within 300 s")
    finally:
        events.hold()


async def link_through_events(system: System, account_ids: list[str]) -> dict[str, Any]:
    """The link step: the accounts' change events (``Billing_Link_Requested__c`` set) become
    link jobs; the result in the shape ``POST /actions/link`` with ``wait`` answers."""
    await _dispatch_step(system)
    if not await system.core.engine.wait_for(LINK, account_ids, timeout=600):
        raise RuntimeError("the integration core did not link the accounts within 600 s")
    outcomes = await system.core.store.link_results.get_many(account_ids)
    counts: dict[str, int] = {}
    for outcome in outcomes.values():
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return {
        "outcomes": counts,
        "created": sum(1 for o in outcomes.values() if o.created),
        "refused": {k: o.message for k, o in outcomes.items() if o.status == "refused"},
        "linked": {k for k, o in outcomes.items() if o.status == "linked"},
    }


async def quick_actions(
    system: System, crm_user: SalesforceClient, actions: list[dict[str, str]], opened: list[str]
) -> None:
    """Publish the CRM's quick actions (one REST call), let the core dispatch them as one batch,
    then settle: the opened accounts linked, the syncs (and the new accounts' webhooks) run."""
    results = await crm_user.create("Billing_Action__e", actions)
    if not all(r.success for r in results):
        raise RuntimeError(f"publishing Billing_Action__e failed: {[r.error_text for r in results]}")
    await _dispatch_step(system)
    if not await system.core.engine.wait_for(LINK, opened, timeout=300):
        raise RuntimeError("the integration core did not open the accounts within 300 s")
    await settle(system)


def run_demo(*, seed: int, console: Console, accounts: int = 500) -> int:
    with tempfile.TemporaryDirectory(prefix="q2c-demo-") as state:
        result = asyncio.run(run(seed=seed, accounts=accounts, console=console, state_dir=Path(state)))
    table = Table(title=f"q2c demo (seed {seed})", title_justify="left")
    table.add_column("what")
    table.add_column("result", justify="right")
    for what, value in result.rows:
        table.add_row(what, value)
    console.print(table)
    _print_reasons(console, "refused links (written to Billing_Sync_Error__c)", "account", result.refusals)
    _print_reasons(console, "order lines and orders in error (from the CRM)", "record", result.line_errors)
    console.print(
        "[green]demo passed: drift 0[/green]"
        if result.ok
        else f"[red]demo failed: drift {result.drift}[/red]"
    )
    return 0 if result.ok else 1


def _print_reasons(
    console: Console, title: str, what: str, rows: list[tuple[str, str]], most: int = 10
) -> None:
    """A table of records and why they failed (the first ``most``), if there are any."""
    if not rows:
        return
    table = Table(title=title, title_justify="left")
    table.add_column(what)
    table.add_column("reason")
    for record, reason in rows[:most]:
        table.add_row(record, reason)
    if len(rows) > most:
        table.add_row("...", f"and {len(rows) - most} more")
    console.print(table)
