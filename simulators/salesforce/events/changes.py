"""What a committed transaction hands the bus: record changes (for CDC and the commit hooks) and
platform events published in it, plus where the work came from (the API, its client id, the user).

The origin travels in a context variable set by the request pipeline, so DML code deep inside a
batch does not carry it through every signature.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

ChangeKind = Literal["create", "update", "delete", "undelete", "hard_delete"]

#: The API that made a change, as ``changeOrigin`` names it (``com/salesforce/api/<api>/<ver>``).
ApiName = Literal["rest", "soap", "bulkapi", "toolingrest", "apex"]


@dataclass(frozen=True)
class Origin:
    """Who made a change: the API and version, the ``Sforce-Call-Options`` client id, the user."""

    api: str | None = None  # None: not an API change (seed, control plane): changeOrigin is ""
    version: str = "66.0"
    client: str | None = None
    user_id: str | None = None

    @property
    def change_origin(self) -> str:
        """``com/salesforce/api/rest/66.0;client=q2c`` (the client part only when one was named)."""
        if self.api is None:
            return ""
        base = f"com/salesforce/api/{self.api}/{self.version.lstrip('v')}"
        return base if not self.client else f"{base};client={self.client}"


_ORIGIN: ContextVar[Origin | None] = ContextVar("salesforce_change_origin", default=None)


def current_origin() -> Origin | None:
    return _ORIGIN.get()


@contextmanager
def origin(value: Origin) -> Iterator[Origin]:
    """Every DML inside the block is attributed to ``value``."""
    token = _ORIGIN.set(value)
    try:
        yield value
    finally:
        _ORIGIN.reset(token)


def set_origin(value: Origin | None) -> None:
    """For a request handler's whole task (the request pipeline sets it once per request)."""
    _ORIGIN.set(value)


def parse_call_options(header: str | None) -> str | None:
    """The ``client=`` part of ``Sforce-Call-Options: client=acme, defaultNamespace=x``."""
    if not header:
        return None
    for part in header.split(","):
        key, _, value = part.partition("=")
        if key.strip().lower() == "client" and value.strip():
            return value.strip()
    return None


@dataclass(frozen=True)
class Change:
    """One record change of a unit of work (committed or not: the unit drops rolled-back ones).

    ``fields`` holds every field value after the change (JSON-able: datetimes as ISO strings);
    ``changed_fields`` names, for an update, the fields whose value changed (LastModifiedDate
    included, as Salesforce lists it); ``nulled_fields`` the changed fields that became null.
    """

    kind: ChangeKind
    object_name: str
    record_id: str
    fields: Mapping[str, Any] = field(default_factory=dict, compare=False)
    changed_fields: tuple[str, ...] = ()
    nulled_fields: tuple[str, ...] = ()
    origin: Origin | None = field(default=None, compare=False)


@dataclass(frozen=True)
class PendingEvent:
    """A platform event published in a unit of work; the bus gets it when the unit commits."""

    event_name: str
    fields: Mapping[str, Any]
    event_uuid: str
    created_by_id: str
    origin: Origin | None = None


@dataclass(frozen=True)
class PublishResult:
    """What a platform event publish answers: the (not unique) ``e00…`` id and the EventUuid."""

    id: str
    event_uuid: str


class EventSink(Protocol):
    """The org's event bus as DML sees it (``simulators.salesforce.events.bus.EventBus``)."""

    def new_event_uuid(self) -> str: ...

    def check_publish(self, count: int = 1) -> None: ...

    def commit(self, changes: Sequence[Change], events: Sequence[PendingEvent]) -> Any: ...
