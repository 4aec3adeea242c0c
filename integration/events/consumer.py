"""The core's event consumer: owned background loops that keep the core subscribed to its
Salesforce channels, store what arrives, and turn it into jobs.

- receiver: transport -> ``store.channels.record`` (events and position in one transaction),
  reconnecting with backoff; an expired position is recovered (below); an org without the
  channels makes the core fall back to the SystemModstamp delta poll;
- processor: stored events -> ``dispatch`` -> link / sync jobs, then marks them processed;
- poller (fallback only): ``Engine.poll_salesforce`` on an interval.

Recovery when the stored replay id has expired: a durable "scan needed" mark (with the time of
the last event stored) is written first; the channel resubscribes for new events only (-1), and
then the scan runs: every account that matches the link criterion gets a link job (the delta
poll's query without its checkpoint) and every linked account modified since the last event
gets a sync. The mark is cleared only once those jobs are queued, so a crash mid-recovery
scans again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from integration.background import guarded, pause
from integration.engine import Engine
from integration.events.dispatch import Dispatch, classify, enqueue, is_echo
from integration.events.model import CHANNELS, ChannelEvent, created_epoch
from integration.events.transport import EventsUnavailable, ReplayExpired, Transport
from integration.flows.context import FlowContext
from integration.flows.link import select_accounts
from integration.store import Store, StoredEvent
from integration.store.channels import ALL_EVENTS

log = logging.getLogger(__name__)

Mode = Literal["cometd", "pubsub", "poll", "off"]
SCAN_NEEDED = "events_scan_needed"  # checkpoint: JSON {"since": ISO time or null}
PRUNE_EVERY = 10_000  # processed events kept per channel (and how often to prune)


@dataclass(frozen=True)
class EventSettings:
    # off: no events and no poll beyond EngineSettings (the library default, as before);
    # cometd / pubsub: subscribe; poll: the SystemModstamp delta poll only.
    mode: Mode = "off"
    channels: tuple[str, ...] = CHANNELS
    poll_interval: float = 30.0  # the fallback poll (and --events poll)
    pubsub_target: str | None = None  # host:port of the Pub/Sub API (default: the org's)
    reconnect_base: float = 0.5
    reconnect_cap: float = 30.0
    process_batch: int = 1000


class EventConsumer:
    def __init__(
        self,
        ctx: FlowContext,
        engine: Engine,
        settings: EventSettings,
        transport: Transport | None,
    ) -> None:
        self.ctx, self.engine, self.settings, self.transport = ctx, engine, settings, transport
        self._tasks: list[asyncio.Task[None]] = []
        self._wake = asyncio.Event()
        self._progress = asyncio.Condition()
        self._live_next: set[str] = set()  # channels to resubscribe at -1 (after an expiry)
        self.polling = False  # the fallback poll is running
        self.polls = 0  # fallback polls run so far
        self.echoes = 0  # change events the core caused itself, dropped on arrival
        self.held = False  # see hold()
        self._since_prune = 0
        self.connected = False

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        loops: list[tuple[str, Callable[[], Awaitable[None]]]] = []
        if self.transport is not None:
            loops += [("event-receiver", self._receive_loop), ("event-processor", self._process_loop)]
        elif self.settings.mode == "poll":
            loops.append(("event-poller", self._poll_loop))
        self._tasks = [asyncio.create_task(guarded(n, loop), name=f"core-{n}") for n, loop in loops]
        self._wake.set()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self.transport is not None:
            await self.transport.close()

    def hold(self) -> None:
        """Store events but do not dispatch them until ``release``: a scripted run (``q2c demo``)
        lets a whole step's events arrive, then dispatches them as one batch, so the same seed
        gives the same calls whatever the delivery timing."""
        self.held = True

    def release(self) -> None:
        self.held = False
        self._wake.set()

    # -- receiving ------------------------------------------------------------------------------

    async def replay_for(self, channel: str) -> int | None:
        """Where a (re)subscription to ``channel`` starts (see integration.store.channels)."""
        position = await self.ctx.store.channels.position(channel)
        if position is None:  # first start: what is retained, as the poll's first scan would
            await self.ctx.store.channels.subscribed(channel)
            return ALL_EVENTS
        if position.replay_id is None and channel in self._live_next:
            self._live_next.discard(channel)
            return None
        return position.replay()

    async def _receive_loop(self) -> None:
        assert self.transport is not None
        attempt = 0
        metrics = self.ctx.metrics
        while True:
            try:
                async for batch in self.transport.batches(self.settings.channels, self.replay_for):
                    self.connected = True
                    attempt = 0
                    await self._store(batch)
            except ReplayExpired as exc:
                log.warning("%s; recovering by a full scan, then resuming live", exc)
                await self._expired([exc.channel] if exc.channel else list(self.settings.channels))
                continue
            except EventsUnavailable as exc:
                log.warning("%s: falling back to polling every %g s", exc, self.settings.poll_interval)
                self.connected = False
                metrics.events_fallback.set(1)
                self.polling = True
                await self._poll_loop()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("%s subscription broke (%s); reconnecting", self.transport.name, exc)
            self.connected = False
            metrics.channel_reconnects.labels(self.transport.name).inc()
            await pause(min(self.settings.reconnect_base * 2**attempt, self.settings.reconnect_cap))
            attempt += 1

    async def _store(self, batch: Sequence[ChannelEvent]) -> None:
        if not batch:
            return
        channel = batch[0].channel
        rows = [
            StoredEvent(e.channel, e.replay_id, e.event_uuid, e.to_json(), e.created_at, e.received_at)
            for e in batch
        ]
        # The core's own writes come back as change events (order processing writes thousands):
        # not stored, never dispatched; the position still moves past them.
        kept = [row for row, event in zip(rows, batch, strict=True) if not is_echo(event)]
        latest = max(rows, key=lambda row: row.replay_id)
        added = await self.ctx.store.channels.record(channel, kept, through=latest)
        self.echoes += len(rows) - len(kept)
        metrics = self.ctx.metrics
        metrics.channel_events.labels(channel).inc(added)
        metrics.channel_position.labels(channel).set(max(e.replay_id for e in batch))
        newest = created_epoch(batch[-1].created_at)
        if newest is not None:
            metrics.channel_lag.labels(channel).set(max(batch[-1].received_at - newest, 0.0))
        if added:
            self._wake.set()
        await self._progressed()

    async def _expired(self, channels: Sequence[str]) -> None:
        positions = [await self.ctx.store.channels.position(c) for c in channels]
        since = min((p.last_event_at for p in positions if p and p.last_event_at), default=None)
        current = await self.ctx.store.checkpoints.get(SCAN_NEEDED)
        if current:  # an earlier recovery has not finished: scan from the earlier time
            earlier = json.loads(current).get("since")
            since = min(filter(None, [since, earlier]), default=None)
        await self.ctx.store.checkpoints.set(SCAN_NEEDED, json.dumps({"since": since}))
        for channel in channels:
            await self.ctx.store.channels.forget_position(channel)
            self._live_next.add(channel)
            self.ctx.metrics.channel_recoveries.labels(channel).inc()
        self._wake.set()

    # -- processing -----------------------------------------------------------------------------

    async def _process_loop(self) -> None:
        store = self.ctx.store
        mapped = set(self.ctx.mapping.account.salesforce_fields())
        while True:
            self._wake.clear()
            scan = await store.checkpoints.get(SCAN_NEEDED)
            if scan:
                await self.scan(json.loads(scan).get("since"))
                await store.checkpoints.set(SCAN_NEEDED, "")
                await self._progressed()
            if self.held:
                await self._wake.wait()
                continue
            stored = await store.channels.take_new(self.settings.process_batch)
            if not stored:
                await self._wake.wait()
                continue
            events = [
                ChannelEvent.from_json(
                    s.channel,
                    s.replay_id,
                    s.payload,
                    event_uuid=s.event_uuid,
                    created_at=s.created_at,
                    received_at=s.received_at,
                )
                for s in stored
            ]
            plan = await enqueue(self.ctx, self.engine, classify(events, mapped))
            await self._finish(events, plan)
            self._since_prune += len(events)
            if self._since_prune >= PRUNE_EVERY:  # the rows are for dedupe and inspection only
                self._since_prune = 0
                await store.channels.prune(keep=PRUNE_EVERY)

    async def _finish(self, events: Sequence[ChannelEvent], plan: Dispatch) -> None:
        store, metrics = self.ctx.store, self.ctx.metrics
        keys = [(e.channel, e.replay_id) for e in events]
        dead = [k for k in keys if k in plan.dead]
        for key in dead:
            await store.channels.mark([key], "dead", plan.dead[key])
            metrics.events_dead_lettered.labels("salesforce-event").inc()
        ignored = [k for k in keys if k in plan.ignored]
        for key in ignored:
            await store.channels.mark([key], "processed", plan.ignored[key])
        await store.channels.mark(
            [k for k in keys if k not in plan.dead and k not in plan.ignored], "processed"
        )
        now = time.time()
        for event in events:
            metrics.channel_processing_lag.labels(event.channel).observe(max(now - event.received_at, 0.0))
            metrics.events_processed.labels(event.channel).inc()
        await self._progressed()

    async def scan(self, since: str | None) -> tuple[int, int]:
        """The recovery scan: (link jobs, sync jobs) queued. Link requests are read afresh (the
        delta poll's criterion, no checkpoint); linked accounts changed since ``since`` sync."""
        accounts = await select_accounts(self.ctx)
        links = await self.engine.request_link(accounts) if accounts else 0
        syncs = 0
        if since:
            sobject = self.ctx.mapping.account.salesforce_object
            changed = await self.ctx.salesforce.query(
                f"SELECT Id FROM {sobject} WHERE SystemModstamp >= {_soql_datetime(since)}"
                " AND Billing_Account_Id__c != null"
            )
            found = await self.ctx.store.xref.get_many([str(r["Id"]) for r in changed])
            billing_ids = sorted({link.billing_id for link in found.values()})
            syncs = await self.engine.request_sync(billing_ids) if billing_ids else 0
        orders = await self.engine.poll_orders()
        log.info("recovery scan queued %d link, %d sync and %d order jobs", links, syncs, orders)
        return links, syncs

    # -- fallback ---------------------------------------------------------------------------------

    async def _poll_loop(self) -> None:
        while True:
            await self.engine.poll_salesforce()
            self.polls += 1
            await self._progressed()
            await pause(self.settings.poll_interval)

    async def wait_polls(self, count: int, timeout: float) -> bool:
        """True once the fallback poll has run ``count`` times in all (False on timeout)."""
        try:
            async with asyncio.timeout(timeout), self._progress:
                while self.polls < count:
                    await self._progress.wait()
        except TimeoutError:
            return False
        return True

    # -- waiting (tests, the demo) ----------------------------------------------------------------

    async def _progressed(self) -> None:
        async with self._progress:
            self._progress.notify_all()

    async def wait_processed(self, timeout: float) -> bool:
        """True once every stored event has become jobs (and no recovery scan is pending)."""
        store = self.ctx.store
        try:
            async with asyncio.timeout(timeout), self._progress:
                while await _busy(store):
                    await self._progress.wait()
        except TimeoutError:
            return False
        return True

    async def wait_caught_up(
        self, targets: dict[str, int], timeout: float, *, dispatched: bool = True
    ) -> bool:
        """True once each channel's stored position reached its target replay id and (with
        ``dispatched``) every stored event has become jobs: "the core has seen up to here"."""
        store = self.ctx.store

        async def behind() -> bool:
            for channel, target in targets.items():
                position = await store.channels.position(channel)
                if target and (position is None or (position.replay_id or 0) < target):
                    return True
            return dispatched and await _busy(store)

        try:
            async with asyncio.timeout(timeout), self._progress:
                while await behind():
                    await self._progress.wait()
        except TimeoutError:
            return False
        return True


async def _busy(store: Store) -> bool:
    counts = await store.channels.counts()
    return any(c.get("new") for c in counts.values()) or bool(await store.checkpoints.get(SCAN_NEEDED))


def _soql_datetime(value: str) -> str:
    """An ISO time -> a SOQL datetime literal (UTC, ``Z``)."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
