"""What every engine step needs: the store, the virtual clock, ids, settings, the event log and the
clock's work queue.

Conventions:
- ``now()`` is the virtual clock, except while the clock's work is replayed: then it is the
  instant that work was due (so events carry the time the change logically happened);
- date-keyed work (activations, scheduled changes, term ends, bill runs) is due at 00:00 UTC of
  its date; only aging uses the account's time zone (past due when the account-local date is
  after the due date);
- every change to a domain object goes through ``touch`` (version + 1, ``updated_at``), and every
  change to an account's money or schedule marks the account dirty so one
  ``account.summary_changed`` fires when the figures really changed.
"""

from __future__ import annotations

import gc
import heapq
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from simulators.billing.engine.proration import ProrationBasis
from simulators.billing.models.accounts import Account
from simulators.billing.models.events import Event, EventLog
from simulators.billing.models.store import Store
from simulators.kit.clock import Clock
from simulators.kit.ids import IdFactory


@dataclass(frozen=True)
class EngineSettings:
    #: ``actual`` (default), ``30_360`` (actual days / 30) or ``30_360_strict``.
    proration_basis: ProrationBasis = "actual"
    #: Leftover payment becomes unapplied credit; off: ``payment_exceeds_due``.
    allow_overpayment: bool = True
    #: ``start_bill_run`` without ``auto_approve`` (the contract's default: false).
    default_auto_approve: bool = False
    #: Unapplied credit pays newly posted invoices automatically.
    auto_apply_credit: bool = True
    #: Cancel for non-payment still bills the ETL.
    etl_on_non_payment: bool = True


class Versioned(Protocol):
    version: int
    updated_at: datetime


WorkKind = Literal["order_item", "term_end", "cycle_run", "aging"]
# Same-instant order: scheduled changes, then term ends, then bill runs, then aging.
PRIORITY: dict[str, int] = {"order_item": 0, "term_end": 1, "cycle_run": 2, "aging": 3}


@dataclass(order=True, frozen=True)
class WorkItem:
    due: datetime
    priority: int
    seq: int
    kind: str
    key: str


@contextmanager
def paused_gc() -> Iterator[None]:
    """Batch work (a bill run over thousands of accounts, a large seed) allocates a million small
    acyclic objects; the cyclic collector's full passes over them would triple the run time.
    Pause it for the batch and restore the previous state (reference counting still frees)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_ZONES: dict[str, ZoneInfo] = {}


def zone(name: str) -> ZoneInfo:
    found = _ZONES.get(name)
    if found is None:
        found = _ZONES[name] = ZoneInfo(name)
    return found


def start_of(day: date) -> datetime:
    """00:00 UTC of ``day``: when date-keyed work is due."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def local_midnight(day: date, timezone: str) -> datetime:
    """The UTC instant at which ``day`` begins in ``timezone``."""
    return datetime.combine(day, time(0), tzinfo=zone(timezone)).astimezone(UTC)


class Runtime:
    def __init__(self, clock: Clock, ids: IdFactory, settings: EngineSettings, log: EventLog) -> None:
        self.clock = clock
        self.ids = ids
        self.settings = settings
        self.log = log
        self.store = Store()
        self.queue: list[WorkItem] = []
        self._seq = itertools.count()
        self._at: datetime | None = None
        self.dirty: dict[str, None] = {}

    def reset(self) -> None:
        self.store = Store()
        self.queue = []
        self._seq = itertools.count()
        self._at = None
        self.dirty = {}
        self.log.clear()

    # -- time ----------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self._at if self._at is not None else self.clock.now()

    def today(self) -> date:
        """The UTC date (bill cycles and date-keyed work)."""
        return self.now().date()

    def local_today(self, account: Account) -> date:
        return self.now().astimezone(zone(account.timezone)).date()

    @contextmanager
    def at(self, instant: datetime) -> Iterator[None]:
        previous, self._at = self._at, instant
        try:
            yield
        finally:
            self._at = previous

    # -- work queue ----------------------------------------------------------------------------

    def schedule(self, due: datetime, kind: WorkKind, key: str) -> None:
        heapq.heappush(self.queue, WorkItem(due, PRIORITY[kind], next(self._seq), kind, key))

    def next_due(self, until: datetime) -> WorkItem | None:
        if self.queue and self.queue[0].due <= until:
            return heapq.heappop(self.queue)
        return None

    # -- changes and events --------------------------------------------------------------------

    def touch(self, obj: Versioned) -> None:
        obj.version += 1
        obj.updated_at = self.now()

    def mark_dirty(self, account_id: str) -> None:
        self.dirty[account_id] = None

    def emit(
        self,
        type: str,
        subject: Any,
        *,
        object_type: str,
        account_id: str | None,
        object_id: str | None = None,
        object_version: int | None = None,
    ) -> Event:
        account = self.store.accounts.get(account_id) if account_id is not None else None
        return self.log.append(
            type,
            timestamp=self.now(),
            subject=subject,
            object_type=object_type,
            object_id=object_id if object_id is not None else subject.id,
            object_version=object_version if object_version is not None else subject.version,
            account_id=account_id,
            account_external_id=account.external_id if account is not None else None,
        )
