"""The event log: every state change appends one event; ``publish`` hands it on (webhook outbox).

Conventions:
- ``id`` is ``evt_`` + 10 digits from the seeded id factory: sortable, no dots (a valid
  ``webhook-id``); the log is ordered by append, which is also id order;
- ``sequence`` is per account, gap-free, starting at 1; events without an account (catalog,
  bill-run summaries) take the next number of one global sequence;
- ``timestamp`` is the virtual time of the change (for changes made by the clock: the instant the
  work was due, not the end of the advance);
- ``subject`` is a snapshot of the object at append time: a shallow copy whose fields are all
  immutable values (frozen dataclasses, tuples), so later changes never alter old events.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, get_args

from contracts.generated import billing_models as wire
from simulators.kit.ids import IdFactory

# The contract's event types, read from the model generated from it (one definition).
EVENT_TYPES: tuple[str, ...] = get_args(wire.Event.model_fields["type"].annotation)


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    type: str
    timestamp: datetime
    account_id: str | None
    account_external_id: str | None
    object_type: str
    object_id: str
    object_version: int
    sequence: int
    subject: Any


def snapshot(obj: Any) -> Any:
    """A frozen dataclass is its own snapshot; a mutable one is shallow-copied (its fields are
    immutable values, so the copy never changes)."""
    params = getattr(type(obj), "__dataclass_params__", None)
    if params is not None and params.frozen:
        return obj
    state = getattr(obj, "__dict__", None)
    if state is None:
        return copy.copy(obj)
    clone = object.__new__(type(obj))
    clone.__dict__.update(state)
    return clone


class EventLog:
    def __init__(self, ids: IdFactory, publish: Callable[[Event], None] | None = None) -> None:
        self._ids = ids
        self._publish = publish
        self._events: list[Event] = []
        self._position: dict[str, int] = {}
        self._by_account: dict[str, list[int]] = {}
        self._account_sequence: dict[str, int] = {}
        self._global_sequence = 0

    def clear(self) -> None:
        self._events.clear()
        self._position.clear()
        self._by_account.clear()
        self._account_sequence.clear()
        self._global_sequence = 0

    def __len__(self) -> int:
        return len(self._events)

    def append(
        self,
        type: str,
        *,
        timestamp: datetime,
        subject: Any,
        object_type: str,
        object_id: str,
        object_version: int,
        account_id: str | None = None,
        account_external_id: str | None = None,
    ) -> Event:
        if account_id is None:
            self._global_sequence += 1
            sequence = self._global_sequence
        else:
            sequence = self._account_sequence.get(account_id, 0) + 1
            self._account_sequence[account_id] = sequence
        event = Event(
            id=self._ids.prefixed("evt"),
            type=type,
            timestamp=timestamp,
            account_id=account_id,
            account_external_id=account_external_id,
            object_type=object_type,
            object_id=object_id,
            object_version=object_version,
            sequence=sequence,
            subject=snapshot(subject),
        )
        self._position[event.id] = len(self._events)
        if account_id is not None:
            self._by_account.setdefault(account_id, []).append(len(self._events))
        self._events.append(event)
        if self._publish is not None:
            self._publish(event)
        return event

    def get(self, event_id: str) -> Event | None:
        index = self._position.get(event_id)
        return None if index is None else self._events[index]

    def contains(self, event_id: str) -> bool:
        return event_id in self._position

    def query(
        self,
        *,
        after: str | None = None,
        types: Collection[str] | None = None,
        object_id: str | None = None,
        account_id: str | None = None,
    ) -> list[Event]:
        """Events in log order, strictly after the event ``after`` (a cursor)."""
        start = 0 if after is None else self._position[after] + 1
        if account_id is not None:
            candidates = [self._events[i] for i in self._by_account.get(account_id, []) if i >= start]
        else:
            candidates = self._events[start:]
        wanted = set(types) if types else None
        return [
            e
            for e in candidates
            if (wanted is None or e.type in wanted) and (object_id is None or e.object_id == object_id)
        ]
