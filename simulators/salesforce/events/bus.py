"""The event bus of one org: channels with a retained, ordered event log on the virtual clock.

Channels:
- ``/event/<Name>__e``: one log per platform event; replay ids 1, 2, 3... per channel.
- ``/data/<Entity>ChangeEvent`` (custom ``/data/<Name>__ChangeEvent``) and ``/data/ChangeEvents``:
  every change event gets ONE replay id from the org's CDC sequence and is appended to both its
  entity channel and ``/data/ChangeEvents`` (the same ``BusEvent``). So replay ids increase on
  every channel, are the same for an event on both channels, and are not contiguous on an entity
  channel (Salesforce says never to compute one from another).

Retention: 72 h on the virtual clock, expired lazily whenever a channel is read or written; and
at most ``EventLimits.retained_per_channel`` events per channel (the oldest go first), so a burst
never grows memory without bound. A ``Subscription`` is a position, never a queue: a subscriber
that stops reading costs nothing.
"""

from __future__ import annotations

import asyncio
import bisect
import functools
import random
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from simulators.salesforce.events.changes import Change, PendingEvent

RETENTION = timedelta(hours=72)
ALL_CHANGES = "/data/ChangeEvents"
NEW_EVENTS = -1
ALL_EVENTS = -2


class UnknownChannel(Exception):
    def __init__(self, channel: str) -> None:
        super().__init__(f"The channel you requested to subscribe to doesn't exist {channel}")
        self.channel = channel


class InvalidReplay(Exception):
    def __init__(self, channel: str, replay: int) -> None:
        super().__init__(
            f"The replayId {{{replay}}} you provided was invalid. Please provide a valid ID, "
            "-2 to replay all events, or -1 to replay only new events."
        )
        self.channel = channel
        self.replay = replay


class TooManyClients(Exception):
    """Over the org's DurableStreamingApiConcurrentClients allocation."""

    def __init__(self) -> None:
        super().__init__("Organization concurrent user limit exceeded")


class DeliveryLimitExceeded(Exception):
    """Over the org's DailyDeliveredPlatformEvents allocation (rolling 24 h)."""

    def __init__(self) -> None:
        super().__init__("Organization total events daily limit exceeded")


class PublishLimitExceeded(Exception):
    """Over the org's HourlyPublishedPlatformEvents allocation (rolling hour)."""

    def __init__(self) -> None:
        super().__init__("HourlyPublishedPlatformEvents Limit exceeded.")


@dataclass(frozen=True)
class EventLimits:
    """Allocations of an Enterprise Edition org (raise them in ``OrgSpec`` for big benchmarks)."""

    concurrent_clients: int = 1_000  # DurableStreamingApiConcurrentClients
    daily_delivered: int = 50_000  # DailyDeliveredPlatformEvents (PE and CDC, CometD and Pub/Sub)
    hourly_published: int = 250_000  # HourlyPublishedPlatformEvents
    #: Memory bound besides retention: the oldest events of a channel go first beyond this.
    retained_per_channel: int = 100_000
    retention: timedelta = RETENTION


@dataclass(frozen=True)
class ChangeHeader:
    """CDC ``ChangeEventHeader`` (salesforce-events.md §1.6)."""

    entity_name: str
    record_ids: tuple[str, ...]
    change_type: str  # CREATE UPDATE DELETE UNDELETE
    changed_fields: tuple[str, ...]
    nulled_fields: tuple[str, ...]
    diff_fields: tuple[str, ...]
    commit_timestamp: int  # epoch ms, virtual clock
    commit_number: int
    commit_user: str
    transaction_key: str
    sequence_number: int
    change_origin: str

    def common_json(self) -> dict[str, Any]:
        """The header fields both transports send alike; each adds its own encoding of the
        changed, nulled and diff fields (CometD: names; Pub/Sub: bitmaps)."""
        return {
            "entityName": self.entity_name,
            "recordIds": list(self.record_ids),
            "changeType": self.change_type,
            "changeOrigin": self.change_origin,
            "transactionKey": self.transaction_key,
            "sequenceNumber": self.sequence_number,
            "commitTimestamp": self.commit_timestamp,
            "commitNumber": self.commit_number,
            "commitUser": self.commit_user,
        }


@dataclass(frozen=True)
class BusEvent:
    channel: str  # the event's own channel: "/data/AccountChangeEvent", "/event/Billing_Action__e"
    replay_id: int
    created: datetime
    event_uuid: str
    event_name: str  # "AccountChangeEvent", "Billing_Action__e"
    #: CDC: every field after the change (no IsDeleted/SystemModstamp); PE: the event's fields
    #: with CreatedDate (ISO) and CreatedById. JSON-able (datetimes as ``…T…:SS.sssZ``).
    fields: Mapping[str, Any]
    header: ChangeHeader | None  # None for platform events
    created_by_id: str

    @property
    def is_change_event(self) -> bool:
        return self.header is not None


@functools.lru_cache(maxsize=256)  # a record's audit stamps repeat: formatted once
def iso_ms(when: datetime) -> str:
    """``2026-01-05T10:00:00.000Z``: one fixed format (aiosfstream compares these as strings)."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def epoch_ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def change_event_name(entity: str) -> str:
    """``Account`` -> ``AccountChangeEvent``; ``Order__c`` -> ``Order__ChangeEvent``."""
    return f"{entity[:-1]}ChangeEvent" if entity.endswith("__c") else f"{entity}ChangeEvent"


def entity_of(event_name: str) -> str:
    """The inverse of ``change_event_name``."""
    stem = event_name.removesuffix("ChangeEvent")
    return f"{stem}c" if stem.endswith("__") else stem


class _Log:
    """One channel's retained events, ordered by replay id, plus the readers waiting on it.

    A list with a moving head (expired events are skipped, then compacted in bulk), so finding
    a reader's position is a binary search, not a walk.
    """

    def __init__(self) -> None:
        self._events: list[BusEvent] = []
        self._head = 0
        self.latest = 0
        self.waiters: set[asyncio.Future[None]] = set()
        self.subscribers = 0

    @property
    def events(self) -> list[BusEvent]:
        """The retained events (a copy), oldest first."""
        return self._events[self._head :]

    def first(self) -> BusEvent | None:
        return self._events[self._head] if self._head < len(self._events) else None

    def __len__(self) -> int:
        return len(self._events) - self._head

    def append(self, event: BusEvent, cap: int) -> None:
        self._events.append(event)
        self.latest = event.replay_id
        if len(self) > cap:
            self._drop(len(self) - cap)
        for waiter in self.waiters:
            if not waiter.done():
                waiter.set_result(None)
        self.waiters.clear()

    def expire(self, cutoff: datetime) -> None:
        first = self.first()
        if first is None or first.created >= cutoff:
            return
        stop = bisect.bisect_left(self._events, cutoff, lo=self._head, key=lambda e: e.created)
        self._drop(stop - self._head)

    def _drop(self, count: int) -> None:
        self._head += count
        if self._head > 1024 and self._head * 2 > len(self._events):
            del self._events[: self._head]
            self._head = 0

    def after(self, position: int, limit: int) -> list[BusEvent]:
        start = bisect.bisect_right(self._events, position, lo=self._head, key=lambda e: e.replay_id)
        return self._events[start : start + limit]


class Subscription:
    """A position on a channel, never a queue: a stopped reader costs nothing."""

    def __init__(self, bus: EventBus, channel: str, position: int) -> None:
        self._bus = bus
        self.channel = channel
        self._position = position
        self.closed = False

    @property
    def position(self) -> int:
        """The last replay id handed out (or the one the subscription started after)."""
        return self._position

    def take(self, limit: int) -> list[BusEvent]:
        """The next events after the position (at most ``limit``, non-blocking); advances it."""
        if self.closed or limit <= 0:
            return []
        events = self._bus._log(self.channel).after(self._position, limit)
        if events:
            self._position = events[-1].replay_id
        return events

    def pending(self) -> bool:
        return bool(self._bus._log(self.channel).after(self._position, 1))

    async def wait(self, timeout: float) -> bool:
        """Real-time wait (long-poll) until an event may be available; False on timeout."""
        if self.closed:
            return False
        if self.pending():
            return True
        log = self._bus._log(self.channel)
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        log.waiters.add(waiter)
        try:
            await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            return False
        finally:
            log.waiters.discard(waiter)
        return not self.closed

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            log = self._bus._log(self.channel)
            log.subscribers = max(log.subscribers - 1, 0)  # the log may be new since a clear()


@dataclass
class _Window:
    """A rolling count on the virtual clock (daily deliveries, hourly publishes)."""

    span: timedelta
    entries: deque[tuple[datetime, int]] = field(default_factory=deque)
    total: int = 0

    def used(self, now: datetime) -> int:
        cutoff = now - self.span
        while self.entries and self.entries[0][0] <= cutoff:
            self.total -= self.entries.popleft()[1]
        return self.total

    def add(self, now: datetime, n: int) -> None:
        self.used(now)
        self.entries.append((now, n))
        self.total += n


class EventBus:
    """One org's bus. ``entities()`` names the objects that can have change events, and
    ``event_types()`` the platform events the schema defines (callables: schemas can grow)."""

    def __init__(
        self,
        now: Callable[[], datetime],
        *,
        entities: Callable[[], Iterable[str]],
        event_types: Callable[[], Iterable[str]],
        selected: Iterable[str] = (),
        limits: EventLimits | None = None,
        seed: int = 0,
    ) -> None:
        self._now = now
        self._entities = entities
        self._event_types = event_types
        self.limits = limits or EventLimits()
        self._rng = random.Random(f"salesforce-event-bus-{seed}")
        self._selected: set[str] = set(selected)
        self._logs: dict[str, _Log] = {}
        self._cdc_replay = 0
        self._commit_number = 0
        self._clients = 0
        self._delivered = _Window(timedelta(hours=24))
        self._published = _Window(timedelta(hours=1))

    # -- channels ---------------------------------------------------------------------------------

    def channel_exists(self, channel: str) -> bool:
        if channel == ALL_CHANGES:
            return True
        if channel.startswith("/event/"):
            return channel[len("/event/") :] in set(self._event_types())
        if channel.startswith("/data/") and channel.endswith("ChangeEvent"):
            return entity_of(channel[len("/data/") :]) in set(self._entities())
        return False

    def topics(self) -> list[str]:
        """Every channel that exists now: ``/data/ChangeEvents``, each entity's, each event's."""
        data = [f"/data/{change_event_name(e)}" for e in sorted(self._entities())]
        events = [f"/event/{name}" for name in sorted(self._event_types())]
        return [ALL_CHANGES, *data, *events]

    def topics_entities(self) -> list[str]:
        """The entities that can be selected for Change Data Capture."""
        return sorted(self._entities())

    def event_name(self, channel: str) -> str:
        """``/data/AccountChangeEvent`` -> ``AccountChangeEvent``; ``/event/X__e`` -> ``X__e``."""
        if not self.channel_exists(channel):
            raise UnknownChannel(channel)
        return channel.rsplit("/", 1)[1]

    def _log(self, channel: str) -> _Log:
        log = self._logs.get(channel)
        if log is None:
            log = self._logs[channel] = _Log()
        log.expire(self._now() - self.limits.retention)
        return log

    def latest_replay_id(self, channel: str) -> int:
        """The replay id of the channel's newest event, retained or not (0 when none ever)."""
        return self._log(channel).latest

    def earliest_replay_id(self, channel: str) -> int | None:
        """The oldest retained event's replay id (None when nothing is retained)."""
        first = self._log(channel).first()
        return first.replay_id if first is not None else None

    def retained(self, channel: str, limit: int | None = None) -> list[BusEvent]:
        """The retained events of a channel, oldest first (the control plane shows them)."""
        events = self._log(channel).events
        return events if limit is None else events[-limit:] if limit > 0 else []

    def subscriber_count(self, channel: str) -> int:
        return self._logs[channel].subscribers if channel in self._logs else 0

    # -- subscriptions ----------------------------------------------------------------------------

    def subscribe(self, channel: str, replay: int = NEW_EVENTS) -> Subscription:
        """-1: new events only; -2: everything retained; N: the events after N, where N must be
        a retained event's id (or the newest id): anything else is ``InvalidReplay``."""
        if not self.channel_exists(channel):
            raise UnknownChannel(channel)
        log = self._log(channel)
        if replay == NEW_EVENTS:
            position = log.latest
        elif replay == ALL_EVENTS:
            first = log.first()
            position = first.replay_id - 1 if first is not None else log.latest
        else:
            first = log.first()
            earliest = first.replay_id if first is not None else None
            if earliest is None or not earliest <= replay <= log.latest:
                raise InvalidReplay(channel, replay)
            position = replay
        log.subscribers += 1
        return Subscription(self, channel, position)

    # -- publishing (the DML transaction calls this after commit) ---------------------------------

    def new_event_uuid(self) -> str:
        """A version-4 UUID from the bus's seeded generator (same seed, same ids)."""
        bits = self._rng.getrandbits(128)
        bits = (bits & ~(0xF000 << 64) | (0x4000 << 64)) & ~(0xC000 << 48) | (0x8000 << 48)
        h = f"{bits:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def check_publish(self, count: int = 1) -> None:
        """Raises PublishLimitExceeded when ``count`` more would exceed the hourly allocation."""
        if self._published.used(self._now()) + count > self.limits.hourly_published:
            raise PublishLimitExceeded()

    def commit(self, changes: Sequence[Change], events: Sequence[PendingEvent]) -> list[BusEvent]:
        """One committed transaction: its change events (selected entities only) and platform
        events, sharing a transaction key, in order (``sequenceNumber`` 1..n over the changes)."""
        from simulators.salesforce.events import cdc  # cdc builds on this module's types

        if not changes and not events:
            return []
        now = self._now()
        out: list[BusEvent] = []
        # A hard delete is a DELETE unless the record was already in the recycle bin (no fields).
        wanted = [
            c for c in changes if c.object_name in self._selected and (c.kind != "hard_delete" or c.fields)
        ]
        if wanted:
            self._commit_number += 1
            key = self.new_event_uuid()
            for sequence, change in enumerate(wanted, start=1):
                self._cdc_replay += 1
                event = cdc.change_event(
                    change,
                    replay_id=self._cdc_replay,
                    now=now,
                    event_uuid=self.new_event_uuid(),
                    transaction_key=key,
                    sequence=sequence,
                    commit_number=self._commit_number,
                )
                self._append(event.channel, event)
                self._append(ALL_CHANGES, event)
                out.append(event)
        for pending in events:
            out.append(self.publish_platform_event(pending, now=now))
        return out

    def publish_platform_event(self, pending: PendingEvent, *, now: datetime | None = None) -> BusEvent:
        """A platform event onto ``/event/<Name>``; the REST layer reaches it via Dml after commit."""
        channel = f"/event/{pending.event_name}"
        if not self.channel_exists(channel):
            raise UnknownChannel(channel)
        when = now or self._now()
        self._published.add(when, 1)
        log = self._log(channel)
        fields = {**pending.fields, "CreatedDate": iso_ms(when), "CreatedById": pending.created_by_id}
        event = BusEvent(
            channel=channel,
            replay_id=log.latest + 1,
            created=when,
            event_uuid=pending.event_uuid,
            event_name=pending.event_name,
            fields=fields,
            header=None,
            created_by_id=pending.created_by_id,
        )
        self._append(channel, event)
        return event

    def _append(self, channel: str, event: BusEvent) -> None:
        self._log(channel).append(event, self.limits.retained_per_channel)

    # -- limits and metering ----------------------------------------------------------------------

    def client_connected(self) -> None:
        if self._clients >= self.limits.concurrent_clients:
            raise TooManyClients()
        self._clients += 1

    def client_disconnected(self) -> None:
        self._clients = max(self._clients - 1, 0)

    @property
    def connected_clients(self) -> int:
        return self._clients

    def check_delivery(self) -> None:
        """Raises DeliveryLimitExceeded once the rolling-24 h delivery allocation is used up."""
        if self._delivered.used(self._now()) >= self.limits.daily_delivered:
            raise DeliveryLimitExceeded()

    def count_delivered(self, n: int) -> None:
        if n > 0:
            self._delivered.add(self._now(), n)

    def delivered_today(self) -> int:
        return self._delivered.used(self._now())

    def published_this_hour(self) -> int:
        return self._published.used(self._now())

    # -- configuration: the CDC entity selection --------------------------------------------------

    def selected_entities(self) -> set[str]:
        return set(self._selected)

    def select_entities(self, names: Iterable[str]) -> None:
        """Replace the selection; names must be entities that can have change events."""
        wanted = set(names)
        unknown = sorted(wanted - set(self._entities()))
        if unknown:
            raise ValueError(
                f"not entities of this org that support Change Data Capture: {', '.join(unknown)}"
            )
        self._selected = wanted

    def clear(self) -> None:
        """Forget every event and start the replay ids again (an org just built and seeded:
        its seed data existed before anyone subscribed)."""
        self._logs.clear()
        self._cdc_replay = 0
        self._commit_number = 0
