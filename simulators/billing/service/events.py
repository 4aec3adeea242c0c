"""The event log as the contract reads it: a cursor query and one event by id."""

from __future__ import annotations

from collections.abc import Collection

from simulators.billing.engine.runtime import Runtime
from simulators.billing.models import errors
from simulators.billing.models.events import EVENT_TYPES, Event


class EventService:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def find(
        self,
        *,
        after: str | None = None,
        types: Collection[str] | None = None,
        object_id: str | None = None,
        account_id: str | None = None,
    ) -> list[Event]:
        log = self.rt.log
        if after is not None and not log.contains(after):
            raise errors.invalid("after", f"cursor {after!r} is not an event id of this log")
        if types:
            unknown = sorted(set(types) - set(EVENT_TYPES))
            if unknown:
                raise errors.fail(errors.UNKNOWN_EVENT_TYPE, f"unknown event types {unknown}", param="types")
        return log.query(after=after, types=types, object_id=object_id, account_id=account_id)

    def get(self, event_id: str) -> Event:
        event = self.rt.log.get(event_id)
        if event is None:
            raise errors.not_found("event", event_id)
        return event
