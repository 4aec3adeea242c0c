"""One Salesforce event as the core keeps it, whichever transport brought it.

CometD delivers ``{"channel", "data": {"payload": {...}, "event": {"replayId": n}}}`` with the
changed fields only; Pub/Sub delivers every field as Avro with bitmaps. Each transport turns its
shape into a ``ChannelEvent`` (fields present = fields changed, for change events) so the
dispatcher reads one shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

ACCOUNT_CHANGES = "/data/AccountChangeEvent"
BILLING_ACTIONS = "/event/Billing_Action__e"
# Order processing (issue 14): activation, a person completing a task, a Cancel line added.
ORDER_CHANGES = (
    "/data/OrderChangeEvent",
    "/data/OrderItemChangeEvent",
    "/data/WorkOrderLineItemChangeEvent",
)
CHANNELS = (ACCOUNT_CHANGES, BILLING_ACTIONS, *ORDER_CHANGES)


@dataclass(frozen=True)
class ChannelEvent:
    channel: str
    replay_id: int
    fields: Mapping[str, Any]  # change events: the changed fields only (CometD's encoding)
    header: Mapping[str, Any] | None = None  # ChangeEventHeader (camelCase keys), None for platform events
    event_uuid: str | None = None
    created_at: str | None = None  # ISO 8601 UTC (commit time of a change, CreatedDate of an event)
    received_at: float = field(default=0.0)  # epoch seconds when the core read it

    @property
    def is_change(self) -> bool:
        return self.header is not None

    def to_json(self) -> dict[str, Any]:
        return {"fields": dict(self.fields), "header": None if self.header is None else dict(self.header)}

    @classmethod
    def from_json(
        cls,
        channel: str,
        replay_id: int,
        payload: Mapping[str, Any],
        *,
        event_uuid: str | None,
        created_at: str | None,
        received_at: float,
    ) -> ChannelEvent:
        return cls(
            channel,
            replay_id,
            dict(payload.get("fields") or {}),
            payload.get("header"),
            event_uuid,
            created_at,
            received_at,
        )


def from_cometd(message: Mapping[str, Any], received_at: float) -> ChannelEvent:
    """A CometD event message (``data.payload`` and ``data.event.replayId``)."""
    data = message["data"]
    payload = dict(data.get("payload") or {})
    header = payload.pop("ChangeEventHeader", None)
    if header is not None:
        header = {**header, "changedFields": component_names(header.get("changedFields") or [])}
        created = _from_millis(header.get("commitTimestamp"))
    else:
        created = payload.get("CreatedDate")
    return ChannelEvent(
        channel=str(message["channel"]),
        replay_id=int(data["event"]["replayId"]),
        fields=flatten_address(payload),
        header=header,
        event_uuid=payload.get("EventUuid") or data["event"].get("EventUuid"),
        created_at=str(created) if created is not None else None,
        received_at=received_at,
    )


def flatten_address(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A compound address (``BillingAddress: {City: ...}``) as the component fields SOQL and the
    mapping name (``BillingCity``); every other field as it is."""
    flat: dict[str, Any] = {}
    for name, value in fields.items():
        if isinstance(value, Mapping) and name.endswith("Address"):
            prefix = name.removesuffix("Address")
            flat |= {prefix + child: v for child, v in value.items()}
        else:
            flat[name] = value
    return flat


def component_names(names: Iterable[str]) -> list[str]:
    """``BillingAddress.City`` (how CometD's changedFields names an address part) ->
    ``BillingCity``; other names unchanged."""
    found: list[str] = []
    for name in names:
        parent, _, child = str(name).partition(".")
        found.append(parent.removesuffix("Address") + child if child and parent.endswith("Address") else name)
    return found


def _from_millis(value: Any) -> str | None:
    try:
        millis = int(value)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(millis / 1000, UTC).isoformat(timespec="milliseconds")


def created_epoch(value: str | None) -> float | None:
    """Epoch seconds of an event's creation time (for lag), None if unknown or unreadable."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
