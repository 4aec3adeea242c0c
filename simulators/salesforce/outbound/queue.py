"""One org's Outbound Messages (``org.outbound``): installed declarations, criteria evaluated on
committed rows, and the notification queue with its attempts, on the virtual clock.

- Evaluation runs from the DML commit hook, so rolled-back work never queues anything, and only
  appends to the queue: delivery (``delivery.py``) happens later and never blocks DML.
- ``trigger`` follows Salesforce's evaluation criteria: ``onCreateOnly``; ``onAllChanges`` (created
  and every edit that leaves the record meeting the criteria); ``onCreateOrTriggeringUpdate``
  (created, and edits that make a record meet the criteria when it did not before; the set of
  records meeting them is kept from the moment the declaration is installed).
- Retries: Salesforce documents exponential back-off up to 2 h apart, for 24 h, then the message
  is dropped. The first interval is not documented: 15 s here, doubling, capped at 2 h.
- Messages are built at send time from the record's current values ("only the latest data").
- Declarations are None until the org is configured, so the seed data loads without messages.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from simulators.salesforce import soql
from simulators.salesforce.catalogue import SalesforceError
from simulators.salesforce.models.dml import Change
from simulators.salesforce.models.store import OrgStore
from simulators.salesforce.outbound.declarations import (
    Declaration,
    DeclarationError,
    check_url,
    resolve_fields,
    resolve_object,
    unique_names,
)
from simulators.salesforce.outbound.envelope import MessageHeader, NotificationData
from simulators.salesforce.soql.ports import ObjectInfo, Record

if TYPE_CHECKING:
    from simulators.salesforce.models.orgs import Org

log = logging.getLogger(__name__)
NotificationState = Literal["pending", "delivered", "expired", "cancelled"]
ACTION_PREFIX = "04k"  # WorkflowOutboundMessage
NOTIFICATION_PREFIX = "04l"  # an outbound message notification
EXCERPT_CHARS = 300
#: Finished notifications (delivered, expired, cancelled) kept for the control plane; older ones
#: are forgotten, so a long run never grows memory without bound.
KEEP_FINISHED = 10_000


@dataclass(frozen=True)
class Schedule:
    first_retry: timedelta = timedelta(seconds=15)
    max_interval: timedelta = timedelta(hours=2)
    lifetime: timedelta = timedelta(hours=24)
    batch_size: int = 100  # notifications per SOAP message
    timeout: float = 60.0  # real seconds per attempt

    def interval(self, failures: int) -> timedelta:
        """The wait after the ``failures``-th failed attempt."""
        if failures >= 30:  # 15 s * 2**30 is far past the cap; avoid huge numbers
            return self.max_interval
        interval: timedelta = self.first_retry * (2 ** max(failures - 1, 0))
        return min(interval, self.max_interval)


@dataclass(frozen=True)
class Attempt:
    number: int
    at: datetime  # virtual clock
    status: int | None
    error: str | None
    response_excerpt: str | None
    duration_ms: float

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "at": self.at.isoformat(),
            "status": self.status,
            "error": self.error,
            "response_excerpt": self.response_excerpt,
            "duration_ms": round(self.duration_ms, 3),
        }


@dataclass
class Notification:
    id: str
    action: str  # the declaration's name
    action_id: str
    object_name: str
    record_id: str
    created_at: datetime
    expires_at: datetime
    next_attempt_at: datetime | None
    state: NotificationState = "pending"
    attempts: list[Attempt] = field(default_factory=list)
    in_flight: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "action": self.action,
            "action_id": self.action_id,
            "object": self.object_name,
            "record_id": self.record_id,
            "state": self.state,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "next_attempt_at": self.next_attempt_at.isoformat() if self.next_attempt_at else None,
            "attempts": [attempt.to_json() for attempt in self.attempts],
        }


@dataclass
class Action:
    """An installed declaration: resolved names, its id, the parsed criteria query."""

    declaration: Declaration
    action_id: str
    object_name: str
    fields: tuple[str, ...]
    query: soql.Query
    matched: set[str]

    def to_json(self) -> dict[str, Any]:
        return {**self.declaration.model_dump(mode="json"), "action_id": self.action_id}


@dataclass(frozen=True)
class Batch:
    action: Action
    notifications: list[Notification]


@dataclass(frozen=True)
class Result:
    """One POST's outcome, applied to every notification it carried."""

    at: datetime
    acked: bool
    status: int | None
    error: str | None
    response_excerpt: str | None
    duration_ms: float


class _Touched:
    """The org's data, with one object narrowed to the records a commit touched: the criteria
    query then evaluates those rows only (semi-joins and parent paths still see everything)."""

    def __init__(self, store: OrgStore, object_name: str, record_ids: Collection[str]) -> None:
        self._store = store
        self._object = object_name.lower()
        self._ids = record_ids

    def _rows(self, include_deleted: bool) -> list[Record]:
        rows = (self._store.get(record_id) for record_id in self._ids)
        return [row for row in rows if row is not None and (include_deleted or not row["IsDeleted"])]

    def describe(self, object_name: str) -> ObjectInfo | None:
        return self._store.describe(object_name)

    def scan(self, object_name: str, *, include_deleted: bool = False) -> Iterable[Record]:
        if object_name.lower() == self._object:
            return self._rows(include_deleted)
        return self._store.scan(object_name, include_deleted=include_deleted)

    def lookup(
        self, object_name: str, field: str, values: Collection[Any], *, include_deleted: bool = False
    ) -> Iterable[Record] | None:
        found = self._store.lookup(object_name, field, values, include_deleted=include_deleted)
        if found is None or object_name.lower() != self._object:
            return found
        return [row for row in found if row["Id"] in self._ids]

    def lookup_prefix(
        self, object_name: str, field: str, prefix: str, *, include_deleted: bool = False
    ) -> Iterable[Record] | None:
        if object_name.lower() == self._object:
            return None  # the touched rows are few: the engine scans them
        return self._store.lookup_prefix(object_name, field, prefix, include_deleted=include_deleted)

    def get(self, record_id: str) -> Record | None:
        return self._store.get(record_id)

    def now(self) -> datetime:
        return self._store.now()

    def today(self) -> Any:
        return self._store.today()


def _no_url(object_name: str, record_id: str) -> str:
    return ""


class Outbound:
    def __init__(self, org: Org, schedule: Schedule | None = None) -> None:
        self.org = org
        self.schedule = schedule or Schedule()
        #: None until configured (by the control plane, the YAML declarations, or a test).
        self.actions: dict[str, Action] | None = None
        self.notifications: dict[str, Notification] = {}
        self._finished: deque[str] = deque()
        #: Called whenever the queue changes (the delivery worker's wake-up).
        self.on_change: Callable[[], None] | None = None
        self._waiters: list[asyncio.Event] = []
        org.dml.commit_hooks.append(self._on_commit)

    # -- declarations ---------------------------------------------------------------------------

    @property
    def configured(self) -> bool:
        return self.actions is not None

    def declare(
        self, declarations: Sequence[Declaration], *, allowed_hosts: Iterable[str] | None = None
    ) -> list[Action]:
        """Replace every declaration (all checked before any is installed). A declaration keeps
        its ActionId across replacements by name; pending messages of removed ones are cancelled."""
        unique_names(declarations)
        hosts = list(allowed_hosts) if allowed_hosts is not None else None
        previous = self.actions or {}
        installed: dict[str, Action] = {}
        for index, declaration in enumerate(declarations):
            where = f"declarations[{index}] ({declaration.name})"
            try:
                check_url(declaration.endpoint_url, hosts)
            except DeclarationError as exc:
                raise DeclarationError(f"{where}: {exc}", exc.param) from None
            obj = resolve_object(self.org.schema, declaration, where)
            names = resolve_fields(obj, declaration, where)
            if declaration.user is not None and declaration.user.lower() not in self.org.users:
                raise DeclarationError(f"{where}: no user {declaration.user!r} in this org", "user")
            query = self._compile(obj.name, declaration.criteria, where)
            old = previous.get(declaration.name.lower())
            action_id = old.action_id if old is not None else self.org.minter.mint(ACTION_PREFIX)
            matched = self._baseline(query)
            installed[declaration.name.lower()] = Action(
                declaration, action_id, obj.name, names, query, matched
            )
        for note in self.notifications.values():
            if note.state == "pending" and note.action.lower() not in installed:
                self._finish(note, "cancelled")
        self.actions = installed
        self._changed()
        return list(installed.values())

    def _compile(self, object_name: str, criteria: str, where: str) -> soql.Query:
        text = f"SELECT Id FROM {object_name}" + (f" WHERE ({criteria})" if criteria.strip() else "")
        try:
            query = soql.parse(text)
            soql.execute(query, _Touched(self.org.store, object_name, ()), record_url=_no_url)
        except SalesforceError as exc:
            raise DeclarationError(
                f"{where}: criteria are not a valid condition: {exc.message}", "criteria"
            ) from None
        if query.limit is not None or query.offset is not None or query.order_by or query.group_by:
            raise DeclarationError(f"{where}: criteria must be a WHERE expression only", "criteria")
        return query

    def _baseline(self, query: soql.Query) -> set[str]:
        result = soql.execute(query, self.org.store, record_url=_no_url)
        return {str(record["Id"]) for record in result.records}

    def declarations(self) -> list[Action]:
        return list((self.actions or {}).values())

    # -- evaluation on commit -------------------------------------------------------------------

    def _on_commit(self, changes: Sequence[Change]) -> None:
        if not self.actions:
            return
        touched: dict[str, dict[str, bool]] = {}  # object -> record id -> created in this unit
        for change in changes:
            records = touched.setdefault(change.object_name, {})
            if change.kind == "create":
                records[change.record_id] = True
            elif change.kind == "update":
                records.setdefault(change.record_id, False)
            elif change.kind in ("delete", "hard_delete"):
                records.pop(change.record_id, None)
                for action in self.actions.values():
                    action.matched.discard(change.record_id)
        queued = False
        for action in self.actions.values():
            found = touched.get(action.object_name)
            if found and action.declaration.active:
                try:
                    queued |= self._evaluate(action, found)
                except SalesforceError:  # the DML has committed: a rule must never fail it
                    log.exception("outbound criteria of %s failed", action.declaration.name)
        if queued:
            self._changed()

    def _evaluate(self, action: Action, records: Mapping[str, bool]) -> bool:
        source = _Touched(self.org.store, action.object_name, set(records))
        result = soql.execute(action.query, source, record_url=_no_url)
        meeting = {str(record["Id"]) for record in result.records}
        trigger = action.declaration.trigger
        queued = False
        for record_id, created in records.items():
            now_meets = record_id in meeting
            before = record_id in action.matched
            if now_meets:
                action.matched.add(record_id)
            else:
                action.matched.discard(record_id)
            if trigger == "onCreateOnly":
                fire = created and now_meets
            elif trigger == "onAllChanges":
                fire = now_meets
            else:
                fire = now_meets and (created or not before)
            if fire:
                self._enqueue(action, record_id)
                queued = True
        return queued

    def _enqueue(self, action: Action, record_id: str) -> Notification:
        now = self.org.store.now()
        note = Notification(
            id=self.org.minter.mint(NOTIFICATION_PREFIX),
            action=action.declaration.name,
            action_id=action.action_id,
            object_name=action.object_name,
            record_id=record_id,
            created_at=now,
            expires_at=now + self.schedule.lifetime,
            next_attempt_at=now,
        )
        self.notifications[note.id] = note
        return note

    # -- the queue ------------------------------------------------------------------------------

    def due(self, now: datetime) -> list[Batch]:
        """Notifications due now, grouped per declaration into messages of at most 100; they
        are marked in flight until ``settle``. Messages past their 24 h expire here, unsent."""
        groups: dict[str, list[Notification]] = {}
        expired = False
        for note in self.notifications.values():
            if note.state != "pending" or note.in_flight or note.next_attempt_at is None:
                continue
            if note.expires_at <= now:
                self._finish(note, "expired")
                expired = True
            elif note.next_attempt_at <= now:
                groups.setdefault(note.action.lower(), []).append(note)
        batches = []
        size = self.schedule.batch_size
        for key, notes in groups.items():
            action = (self.actions or {}).get(key)
            if action is None:
                continue
            for start in range(0, len(notes), size):
                chunk = notes[start : start + size]
                for note in chunk:
                    note.in_flight = True
                batches.append(Batch(action, chunk))
        if expired:
            self._changed()
        return batches

    def next_due(self) -> datetime | None:
        """When the next attempt (or expiry) falls due; None when nothing waits."""
        times = [
            min(note.next_attempt_at, note.expires_at)
            for note in self.notifications.values()
            if note.state == "pending" and not note.in_flight and note.next_attempt_at is not None
        ]
        return min(times, default=None)

    def message(self, batch: Batch, header: MessageHeader) -> list[NotificationData]:
        """The notifications' data as of now (deleted records go without data)."""
        items = []
        for note in batch.notifications:
            row = self.org.store.row(note.record_id)
            values: dict[str, Any] = {}
            if row is not None and not row.is_deleted:
                values = {name: row[name] for name in batch.action.fields}
            else:
                values = {"Id": note.record_id}
            items.append(NotificationData(note.id, note.object_name, values))
        return items

    def header(self, action: Action, base_url: str, session_id: str | None) -> MessageHeader:
        version = action.declaration.api_version
        org15 = self.org.id[:15]
        return MessageHeader(
            organization_id=self.org.id,
            action_id=action.action_id,
            session_id=session_id if action.declaration.include_session_id else None,
            enterprise_url=f"{base_url}/services/Soap/c/{version}/{org15}",
            partner_url=f"{base_url}/services/Soap/u/{version}/{org15}",
        )

    def settle(self, batch: Batch, result: Result) -> None:
        """Record the attempt on each notification: Ack delivers; anything else retries on the
        schedule (the retry that would fall past the 24 h is the expiry instead)."""
        for note in batch.notifications:
            note.in_flight = False
            if note.state != "pending":
                continue  # cancelled while in flight
            note.attempts.append(
                Attempt(
                    len(note.attempts) + 1,
                    result.at,
                    result.status,
                    result.error,
                    result.response_excerpt,
                    result.duration_ms,
                )
            )
            if result.acked:
                self._finish(note, "delivered")
            else:
                retry = result.at + self.schedule.interval(len(note.attempts))
                note.next_attempt_at = min(retry, note.expires_at)
        self._changed()

    def _finish(self, note: Notification, state: NotificationState) -> None:
        note.state, note.next_attempt_at = state, None
        self._finished.append(note.id)
        while len(self._finished) > KEEP_FINISHED:
            self.notifications.pop(self._finished.popleft(), None)

    def retry_now(self, now: datetime, ids: Collection[str] | None = None) -> list[Notification]:
        """Pending notifications (all, or those named) become due now."""
        chosen = [
            note
            for note in self.notifications.values()
            if note.state == "pending" and (ids is None or note.id in ids)
        ]
        for note in chosen:
            if note.next_attempt_at is None or note.next_attempt_at > now:
                note.next_attempt_at = now
        if chosen:
            self._changed()
        return chosen

    def queue(self, state: str | None = None, action: str | None = None) -> list[Notification]:
        return [
            note
            for note in self.notifications.values()
            if (state is None or note.state == state)
            and (action is None or note.action.lower() == action.lower())
        ]

    # -- observation ----------------------------------------------------------------------------

    def _changed(self) -> None:
        for waiter in self._waiters:
            waiter.set()
        if self.on_change is not None:
            self.on_change()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Until ``predicate()`` holds after a queue change (real seconds; for tests and tools)."""
        async with asyncio.timeout(timeout):
            while not predicate():
                waiter = asyncio.Event()
                self._waiters.append(waiter)
                try:
                    await waiter.wait()
                finally:
                    self._waiters.remove(waiter)
