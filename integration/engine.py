"""The core's engine: owned background workers that turn inbound events into jobs and jobs into
flow runs, in batches. Started and stopped by the app's cleanup_ctx; nothing is fire-and-forget.

- dispatcher: inbox events -> one coalesced ``sync`` job per billing account (after a short
  batching window, so a burst of events becomes one batch);
- link worker: ``link`` jobs (an account snapshot each) -> ``link_accounts`` in batches;
- sync worker: ``sync`` jobs (a billing account id each) -> ``sync_accounts`` in batches;
- the order-to-cash workers (issue 14), one per kind, each a flow over a batch of keys:
  ``order`` (a CRM Order id) -> ``process_orders``; ``catalog`` (a billing product id, ``*`` for
  the whole catalog) -> ``sync_catalog``; ``service`` (a billing service id) -> ``sync_services``;
  ``etl`` (an OrderItem id) -> ``quote_etl``; ``retry_task`` (a WorkOrderLineItem id) ->
  ``retry_tasks`` and then its orders;
- optional pollers: billing's ``GET /events`` (the fallback for adapters without webhooks) and
  Salesforce's link requests by SystemModstamp.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from integration.background import guarded, pause
from integration.clients.billing import BillingApiError
from integration.clients.salesforce import LimitReserveReached, SalesforceApiError
from integration.flows.catalog import sync_catalog
from integration.flows.context import FlowContext
from integration.flows.inventory import sync_services
from integration.flows.link import account_fields, link_accounts, select_accounts
from integration.flows.orders import activated_orders_pending, process_orders, quote_etl, retry_tasks
from integration.flows.sync import sync_accounts
from integration.store import InboxEvent, Job

log = logging.getLogger(__name__)

LINK, SYNC = "link", "sync"
ORDER, CATALOG, SERVICE, ETL, RETRY_TASK = "order", "catalog", "service", "etl", "retry_task"
WHOLE_CATALOG = "*"
# Kinds whose jobs come one event at a time: their workers wait for a quiet moment (see
# EngineSettings.batch_quiet) so a burst becomes one bulkified batch.
BATCHED = (SYNC, ORDER, SERVICE)
SYNC_EVENT_PREFIXES = ("invoice.", "payment.", "account.", "bill_run.")


class KeyedReport(Protocol):
    """What every keyed flow reports: the keys that failed for a reason worth retrying."""

    failed: dict[str, str]


KeyedFlow = Callable[[FlowContext, list[str]], Awaitable[KeyedReport]]


@dataclass(frozen=True)
class EngineSettings:
    link_batch: int = 1000
    sync_batch: int = 2000
    # Orders are processed a whole batch at a time (every read and write bulkified across it):
    # the larger the batch, the fewer part-filled 200-record collections.
    order_batch: int = 1000
    keyed_batch: int = 1000  # catalog, service, etl and retry_task jobs
    # Load billing's whole catalog into the CRM the first time the core starts on a store.
    initial_catalog_sync: bool = True
    # Events are batched: a sync batch starts once no new event came for `batch_quiet` seconds,
    # or `batch_max_wait` seconds after the first one, whichever is sooner.
    batch_quiet: float = 0.3
    batch_max_wait: float = 3.0
    max_attempts: int = 8
    retry_base: float = 2.0
    reserve_retry: float = 300.0  # when Salesforce's limit reserve is reached
    lease_seconds: float = 600.0
    billing_poll_interval: float = 0.0  # 0: off (webhooks); > 0: poll GET /events
    salesforce_poll_interval: float = 0.0  # 0: off; > 0: poll link requests by SystemModstamp


class Engine:
    def __init__(self, ctx: FlowContext, settings: EngineSettings | None = None) -> None:
        self.ctx = ctx
        self.settings = settings or EngineSettings()
        kinds = (LINK, SYNC, ORDER, CATALOG, SERVICE, ETL, RETRY_TASK, "inbox")
        self._wake = {kind: asyncio.Event() for kind in kinds}
        self._progress = asyncio.Condition()
        self._tasks: list[asyncio.Task[None]] = []
        self._held: set[str] = set()  # kinds whose worker waits for release() (see hold())
        # Billing ids a sync found not linked (yet): a link in flight syncs them again when done.
        # In memory: bounded by the billing accounts the core ever heard of without linking.
        self._synced_unlinked: set[str] = set()
        # Debounce state for sync and order batches, per kind (in memory: after a restart, work
        # simply starts).
        self._last_event: dict[str, float] = {}
        self._first_event: dict[str, float] = {}

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        recovered = await self.ctx.store.jobs.recover()
        if recovered:
            log.info("took back %d jobs leased by a previous process", recovered)
        loops: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            ("dispatcher", self._dispatch_loop),
            ("link-worker", lambda: self._work_loop(LINK, self.settings.link_batch, self._run_link)),
            ("sync-worker", lambda: self._work_loop(SYNC, self.settings.sync_batch, self._run_sync)),
            ("order-worker", lambda: self._work_loop(ORDER, self.settings.order_batch, self._run_orders)),
        ]
        keyed: list[tuple[str, KeyedFlow]] = [
            (CATALOG, _catalog_flow),
            (SERVICE, sync_services),
            (ETL, quote_etl),
            (RETRY_TASK, self._retry_tasks),
        ]
        for kind, flow in keyed:
            loops.append((f"{kind}-worker", self._keyed_loop(kind, flow)))
        if self.settings.billing_poll_interval > 0:
            loops.append(("billing-poller", self._billing_poll_loop))
        if self.settings.salesforce_poll_interval > 0:
            loops.append(("salesforce-poller", self._salesforce_poll_loop))
        if self.settings.initial_catalog_sync and not await self.ctx.store.checkpoints.get(CATALOG_SYNCED):
            # The catalog's initial load (billing masters it); product.updated keeps it current.
            await self.request(CATALOG, [WHOLE_CATALOG])
        self._tasks = [asyncio.create_task(guarded(name, loop), name=f"core-{name}") for name, loop in loops]
        for event in self._wake.values():
            event.set()  # pick up whatever the previous process left

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    def notify(self, kind: str) -> None:
        self._wake[kind].set()

    def hold(self, kind: str) -> None:
        """Keep ``kind``'s worker from starting batches until ``release``: jobs queue up (and
        coalesce per key) meanwhile. A scripted run (``q2c demo``) sets its batch boundaries this
        way, so the same seed gives the same batches whatever the timing of webhooks."""
        self._held.add(kind)

    def release(self, kind: str) -> None:
        self._held.discard(kind)
        self.notify(kind)

    # -- enqueueing (the actions API and the pollers) ------------------------------------------

    async def request_link(self, accounts: Sequence[dict[str, Any]]) -> int:
        count = await self.ctx.store.jobs.enqueue_many(LINK, [(str(a["Id"]), dict(a)) for a in accounts])
        self.notify(LINK)
        return count

    async def request_sync(self, billing_account_ids: Sequence[str], *, delay: float = 0.0) -> int:
        count = await self.ctx.store.jobs.enqueue_many(
            SYNC, [(i, None) for i in billing_account_ids], delay=delay
        )
        self._arrived(SYNC)
        return count

    async def request(self, kind: str, keys: Sequence[str], *, versions: dict[str, int] | None = None) -> int:
        """Queue keyed jobs (orders, catalog products, services, ETL quotes, task retries);
        coalesced per key while open. ``versions``: the object version each event announced
        (services), so a job whose version the core has written meanwhile is skipped."""
        versions = versions or {}
        items = [(k, {"version": versions[k]} if k in versions else None) for k in dict.fromkeys(keys)]
        count = await self.ctx.store.jobs.enqueue_many(kind, items)
        if kind in BATCHED:
            self._arrived(kind)
        else:
            self.notify(kind)
        return count

    async def request_orders(self, order_ids: Sequence[str]) -> int:
        return await self.request(ORDER, order_ids)

    def _arrived(self, kind: str) -> None:
        now = time.monotonic()
        self._last_event[kind] = now
        self._first_event.setdefault(kind, now)
        self.notify(kind)

    def _debounce(self, kind: str) -> float:
        """Seconds ``kind``'s worker should still wait for more events to join its batch."""
        first = self._first_event.get(kind)
        if first is None:
            return 0.0
        due = min(self._last_event[kind] + self.settings.batch_quiet, first + self.settings.batch_max_wait)
        return max(due - time.monotonic(), 0.0)

    async def wait_for(self, kind: str, keys: Sequence[str], timeout: float) -> bool:
        """True once none of ``keys`` has an open job of ``kind`` (False on timeout)."""
        keys = list(keys)
        try:
            async with asyncio.timeout(timeout), self._progress:
                while await self.ctx.store.jobs.open_keys(kind, keys):
                    await self._progress.wait()
        except TimeoutError:
            return False
        return True

    async def wait_kinds_idle(self, kinds: Sequence[str], timeout: float) -> bool:
        """True once no job of these kinds is pending or running (False on timeout); jobs of
        other kinds (say, held ones) do not count."""
        jobs = self.ctx.store.jobs
        try:
            async with asyncio.timeout(timeout), self._progress:
                while sum([await jobs.open_count(kind) for kind in kinds]):
                    await self._progress.wait()
        except TimeoutError:
            return False
        return True

    async def wait_dispatched(self, timeout: float) -> bool:
        """True once every stored inbound event has been turned into jobs (False on timeout)."""
        try:
            async with asyncio.timeout(timeout), self._progress:
                while (await self.ctx.store.inbox.counts()).get("new"):
                    await self._progress.wait()
        except TimeoutError:
            return False
        return True

    async def wait_idle(self, timeout: float) -> bool:
        try:
            async with asyncio.timeout(timeout), self._progress:
                while await self.ctx.store.jobs.open_count() or (await self.ctx.store.inbox.counts()).get(
                    "new"
                ):
                    await self._progress.wait()
        except TimeoutError:
            return False
        return True

    async def _progressed(self) -> None:
        async with self._progress:
            self._progress.notify_all()

    # -- dispatcher -----------------------------------------------------------------------------

    async def _dispatch_loop(self) -> None:
        while True:
            self._wake["inbox"].clear()
            events = await self.ctx.store.inbox.take_new()
            if not events:
                await self._wake["inbox"].wait()
                continue
            accounts: list[str] = []
            keyed: dict[str, list[str]] = {ORDER: [], CATALOG: [], SERVICE: []}
            versions: dict[str, int] = {}
            ignored: list[str] = []
            echoes = await self._echoes(events)
            for event in events:
                if event.event_id in echoes:
                    continue
                if event.type and event.type.startswith(SYNC_EVENT_PREFIXES) and event.account_id:
                    accounts.append(event.account_id)
                elif (routed := _route_billing_event(event.type, event.payload)) is not None:
                    keyed[routed[0]].append(routed[1])
                    data = event.payload.get("data") or {}
                    if routed[0] == SERVICE and isinstance(data.get("version"), int):
                        versions[routed[1]] = max(data["version"], versions.get(routed[1], 0))
                else:
                    ignored.append(event.event_id)
            await self.request_sync(list(dict.fromkeys(accounts)))
            for kind, keys in keyed.items():
                if keys:
                    await self.request(kind, keys, versions=versions if kind == SERVICE else None)
            acted = [e.event_id for e in events if e.event_id not in ignored and e.event_id not in echoes]
            await self.ctx.store.inbox.mark(acted, "processed")
            if ignored:
                await self.ctx.store.inbox.mark(ignored, "processed", "no flow for this event type")
            if echoes:
                await self.ctx.store.inbox.mark(sorted(echoes), "processed", "already applied by the core")
            for event in events:
                self.ctx.metrics.events_processed.labels(event.source).inc()
            await self._progressed()

    async def _echoes(self, events: Sequence[InboxEvent]) -> set[str]:
        """Events announcing a service or order version the core itself already wrote to the
        CRM (order processing did): nothing to do, so no job (and no Salesforce read)."""
        refs: dict[str, dict[str, tuple[str, int]]] = {"service": {}, "order": {}}
        for event in events:
            data = event.payload.get("data")
            kind = (event.type or "").partition(".")[0]
            if kind not in refs or not isinstance(data, dict):
                continue
            if kind == "order" and data.get("status") not in ("completed", "failed"):
                continue
            if isinstance(data.get("id"), str) and isinstance(data.get("version"), int):
                refs[kind][event.event_id] = (data["id"], data["version"])
        echoes: set[str] = set()
        for kind, by_event in refs.items():
            if by_event:
                applied = await self.ctx.store.applied.versions(kind, (o for o, _ in by_event.values()))
                echoes |= {e for e, (o, version) in by_event.items() if applied.get(o, -1) >= version}
        return echoes

    # -- workers --------------------------------------------------------------------------------

    async def _work_loop(self, kind: str, batch: int, run: Callable[[list[Job]], Awaitable[None]]) -> None:
        queue = self.ctx.store.jobs
        while True:
            self._wake[kind].clear()
            if kind in self._held:
                await self._wake[kind].wait()
                continue
            if kind in BATCHED and (linger := self._debounce(kind)) > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake[kind].wait(), linger)
                continue
            self._first_event.pop(kind, None)
            jobs = await queue.lease(kind, batch, lease_seconds=self.settings.lease_seconds)
            if not jobs:
                due = await queue.next_due(kind)
                timeout = None if due is None else max(due - time.time(), 0.0) + 0.001
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake[kind].wait(), timeout)
                continue
            try:
                await run(jobs)
            except LimitReserveReached as exc:
                await queue.retry([j.id for j in jobs], str(exc), delay=self.settings.reserve_retry)
            except (SalesforceApiError, BillingApiError) as exc:
                await self._retry_or_dead(kind, jobs, str(exc))
            except Exception as exc:  # a bug or a malformed payload: dead-letter, never a crash loop
                log.exception("%s batch failed", kind)
                await queue.dead([j.id for j in jobs], f"{type(exc).__name__}: {exc}")
                self.ctx.metrics.events_dead_lettered.labels(kind).inc(len(jobs))
            self.ctx.metrics.queue_depth.set(await queue.open_count())
            await self._progressed()

    async def _retry_or_dead(self, kind: str, jobs: Sequence[Job], error: str) -> None:
        queue = self.ctx.store.jobs
        dead = [j.id for j in jobs if j.attempts >= self.settings.max_attempts]
        retry = [j for j in jobs if j.attempts < self.settings.max_attempts]
        if dead:
            await queue.dead(dead, error)
            self.ctx.metrics.events_dead_lettered.labels(kind).inc(len(dead))
        for job in retry:
            delay = self.settings.retry_base * 2 ** (job.attempts - 1)
            await queue.retry([job.id], error, delay=delay)
        self.ctx.metrics.events_retried.labels(kind).inc(len(retry))

    async def _run_link(self, jobs: list[Job]) -> None:
        valid = [j for j in jobs if j.payload and "Id" in j.payload]
        malformed = [j.id for j in jobs if not (j.payload and "Id" in j.payload)]
        if malformed:
            await self.ctx.store.jobs.dead(malformed, "link job without an account snapshot")
        report = await link_accounts(self.ctx, [j.payload for j in valid if j.payload])
        # Billing's account.created webhook may come, and its sync run, before the link is
        # stored: that sync found nothing linked, and an account without invoices would never
        # get another event. Those accounts are synced again now that they are linked.
        linked = {
            str(o.billing.id) for o in report.outcomes if o.status == "linked" and o.billing is not None
        }
        if missed := sorted(linked & self._synced_unlinked):
            self._synced_unlinked.difference_update(missed)
            await self.request_sync(missed)
        by_id = {o.sf_id: o for o in report.outcomes}
        done = [j.id for j in valid if by_id[j.key].status != "failed"]
        await self.ctx.store.jobs.complete(done)
        failed = [j for j in valid if by_id[j.key].status == "failed"]
        for job in failed:
            await self._retry_or_dead(LINK, [job], by_id[job.key].message or "link failed")

    async def _run_sync(self, jobs: list[Job]) -> None:
        report = await sync_accounts(self.ctx, [j.key for j in jobs])
        if report.not_linked:
            # Remembered first, then checked again: a link stored while this batch ran either
            # finds them in the set (_run_link) or is found here; either way they sync again.
            self._synced_unlinked.update(report.not_linked)
            linked_meanwhile = sorted(await self.ctx.store.xref.by_billing_ids(report.not_linked))
            if linked_meanwhile:
                self._synced_unlinked.difference_update(linked_meanwhile)
                await self.request_sync(linked_meanwhile)
        now = time.time()
        done = [j for j in jobs if j.key not in report.failed]
        await self.ctx.store.jobs.complete([j.id for j in done])
        for job in done:
            self.ctx.metrics.lag_seconds.observe(max(now - job.enqueued_at, 0.0))
        failed = [j for j in jobs if j.key in report.failed]
        for job in failed:
            await self._retry_or_dead(SYNC, [job], report.failed[job.key])

    def _keyed_loop(self, kind: str, flow: KeyedFlow) -> Callable[[], Awaitable[None]]:
        async def run(jobs: list[Job]) -> None:
            await self._run_keyed(kind, jobs, flow)

        return lambda: self._work_loop(kind, self.settings.keyed_batch, run)

    async def _run_keyed(self, kind: str, jobs: list[Job], flow: KeyedFlow) -> None:
        """One flow over the batch's keys; the keys it reports failed retry with backoff."""
        if kind == SERVICE:
            # Order processing may have written these very versions since the webhook came.
            announced = {
                j.key: int(j.payload["version"]) for j in jobs if j.payload and "version" in j.payload
            }
            applied = await self.ctx.store.applied.versions("service", announced)
            echoes = [j for j in jobs if applied.get(j.key, -1) >= announced.get(j.key, 1 << 62)]
            await self.ctx.store.jobs.complete([j.id for j in echoes])
            jobs = [j for j in jobs if j not in echoes]
            if not jobs:
                return
        report = await flow(self.ctx, [j.key for j in jobs])
        done = [j.id for j in jobs if j.key not in report.failed]
        await self.ctx.store.jobs.complete(done)
        for job in jobs:
            if job.key in report.failed:
                await self._retry_or_dead(kind, [job], report.failed[job.key])

    async def _run_orders(self, jobs: list[Job]) -> None:
        await self._run_keyed(ORDER, jobs, process_orders)

    async def _retry_tasks(self, ctx: FlowContext, task_ids: list[str]) -> KeyedReport:
        """The ``retry_task`` quick action: reset the failed tasks, then run their orders."""
        order_ids = await retry_tasks(ctx, task_ids)
        if order_ids:
            await self.request_orders(order_ids)
        return _NothingFailed()

    # -- pollers --------------------------------------------------------------------------------

    async def poll_billing_events(self) -> int:
        """One pass over billing's event log from the stored cursor into the inbox."""
        stored = 0
        cursor = await self.ctx.store.checkpoints.get("billing_events")
        while True:
            page = await self.ctx.billing.events_page(cursor, limit=100)
            for event in page.data:
                if await self.ctx.store.inbox.add(event.id, "poll", event.model_dump(mode="json")):
                    stored += 1
                    self.ctx.metrics.events_received.labels("poll").inc()
                cursor = event.id
            if cursor is not None:
                await self.ctx.store.checkpoints.set("billing_events", cursor)
            if not page.has_more:
                break
        if stored:
            self.notify("inbox")
        return stored

    async def poll_salesforce(self) -> int:
        """One delta poll of Salesforce for link requests changed since the last poll.

        SystemModstamp has a one-second grain, so a request written later in the second the last
        poll saw would slip past ``>``: the window overlaps (``>=``) and the Ids already taken at
        that second travel with the checkpoint. Jobs are stored before the checkpoint moves, so a
        crash between the two repeats a poll (coalesced per account) instead of losing one."""
        since, seen = _read_poll_checkpoint(await self.ctx.store.checkpoints.get(SALESFORCE_POLL))
        criterion = self.ctx.settings.link_criterion
        if since:
            criterion = f"({criterion}) AND SystemModstamp >= {since}"
        found = await select_accounts(self.ctx, criterion=criterion)
        await self.poll_orders()
        accounts = [a for a in found if str(a["Id"]) not in seen]
        if accounts:
            await self.request_link(accounts)
            newest = _soql_datetime(max(str(a["SystemModstamp"]) for a in accounts))
            at_newest = {str(a["Id"]) for a in accounts if _soql_datetime(str(a["SystemModstamp"])) == newest}
            if newest == since:
                at_newest |= seen
            checkpoint = json.dumps({"since": newest, "ids": sorted(at_newest)})
            await self.ctx.store.checkpoints.set(SALESFORCE_POLL, checkpoint)
        return len(accounts)

    async def poll_orders(self) -> int:
        """Activated orders (and orders whose tasks a person completed) changed since the last
        poll, queued for processing. The window starts a little before the previous poll began
        (clocks and commit order); an order seen twice is harmless, processing is re-entrant."""
        since = await self.ctx.store.checkpoints.get(ORDER_POLL)
        started = datetime.now(UTC) - timedelta(seconds=ORDER_POLL_OVERLAP)
        orders = await activated_orders_pending(self.ctx, since or None)
        if orders:
            await self.request_orders(orders)
        await self.ctx.store.checkpoints.set(ORDER_POLL, started.strftime("%Y-%m-%dT%H:%M:%SZ"))
        return len(orders)

    async def _billing_poll_loop(self) -> None:
        while True:
            await self.poll_billing_events()
            await pause(self.settings.billing_poll_interval)

    async def _salesforce_poll_loop(self) -> None:
        while True:
            await self.poll_salesforce()
            await pause(self.settings.salesforce_poll_interval)


SALESFORCE_POLL = "salesforce_link_requests"
ORDER_POLL = "salesforce_order_poll"
CATALOG_SYNCED = "catalog_initial_sync_done"
ORDER_POLL_OVERLAP = 5.0  # seconds
# A billing order placed for a CRM order: ``<Order Id>``, or ``<Order Id>-<suffix>`` for a later
# submission of the same CRM order (a retried line).
_CRM_ORDER_REF = re.compile(r"^(801[a-zA-Z0-9]{12}(?:[a-zA-Z0-9]{3})?)(?:-[!-~]+)?$")


@dataclass
class _NothingFailed:
    failed: dict[str, str] = field(default_factory=dict)


async def _catalog_flow(ctx: FlowContext, keys: list[str]) -> KeyedReport:
    """``*`` among the keys: the whole catalog (one pass instead of one per product)."""
    whole = WHOLE_CATALOG in keys
    report = await sync_catalog(ctx, None if whole else keys)
    if whole and not report.failed:
        await ctx.store.checkpoints.set(CATALOG_SYNCED, "1")
    return report


def _route_billing_event(event_type: str | None, payload: dict[str, Any]) -> tuple[str, str] | None:
    """(job kind, key) for billing's catalog, service and order events; None: no flow for it.

    An order event names its CRM order by ``external_id`` (``<Order Id>`` or, for a later
    submission of the same CRM order, ``<Order Id>-<suffix>``); an order the CRM did not place (no
    such external id) has no flow here: its services reach the inventory by their own events."""
    data = payload.get("data")
    if not event_type or not isinstance(data, dict):
        return None
    if event_type.startswith("product."):
        return (CATALOG, str(data["id"])) if data.get("id") else None
    if event_type.startswith("service."):
        return (SERVICE, str(data["id"])) if data.get("id") else None
    if event_type.startswith("order."):
        found = _CRM_ORDER_REF.match(str(data.get("external_id") or ""))
        return (ORDER, found.group(1)) if found else None
    return None


def _read_poll_checkpoint(value: str | None) -> tuple[str | None, set[str]]:
    """(the SOQL datetime of the last poll's newest request, the Ids taken at that second); a
    checkpoint from before the Ids were kept is the bare datetime."""
    if not value:
        return None, set()
    if not value.startswith("{"):
        return value, set()
    stored = json.loads(value)
    return str(stored["since"]), {str(i) for i in stored["ids"]}


def _soql_datetime(value: str) -> str:
    """``2026-01-01T00:00:00.000+0000`` -> a SOQL datetime literal (``...000+00:00``)."""
    if len(value) >= 5 and value[-5] in "+-" and ":" not in value[-5:]:
        return value[:-2] + ":" + value[-2:]
    return value


KINDS = (LINK, SYNC, ORDER, CATALOG, SERVICE, ETL, RETRY_TASK)

__all__ = [
    "CATALOG",
    "ETL",
    "KINDS",
    "LINK",
    "ORDER",
    "RETRY_TASK",
    "SERVICE",
    "SYNC",
    "WHOLE_CATALOG",
    "Engine",
    "EngineSettings",
    "account_fields",
]
