"""A bus event as the Streaming API delivers it (salesforce-events.md §1.5, §1.6).

``{"channel": <the subscribed channel>, "data": {"schema", "payload", "event": {"replayId"}}}``.
CometD sends changed fields only: CREATE and UNDELETE carry every non-null field, UPDATE the
changed fields (nulled ones as explicit nulls), DELETE none; the header has ``changedFields``
but no ``nulledFields``/``diffFields`` (those are Pub/Sub's). Dates stay ISO strings.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

from simulators.salesforce.events.bus import BusEvent, ChangeHeader, iso_ms

#: Never in a change event's body (§1.6), whatever the bus hands over.
HIDDEN = frozenset({"IsDeleted", "SystemModstamp"})


def schema_id(event_name: str) -> str:
    """A stable, Salesforce-shaped (22-character, URL-safe) schema id per event type."""
    digest = hashlib.sha256(f"q2c-schema:{event_name}".encode()).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def message(channel: str, event: BusEvent) -> dict[str, Any]:
    """The delivered message; ``channel`` is the subscription's (``/data/ChangeEvents`` too)."""
    payload = change_payload(event, event.header) if event.header is not None else event_payload(event)
    data = {"schema": schema_id(event.event_name), "payload": payload, "event": {"replayId": event.replay_id}}
    return {"channel": channel, "data": data}


def event_payload(event: BusEvent) -> dict[str, Any]:
    payload = {"CreatedDate": iso_ms(event.created), "CreatedById": event.created_by_id}
    payload.update(event.fields)
    payload.setdefault("EventUuid", event.event_uuid)
    return payload


def change_payload(event: BusEvent, header: ChangeHeader) -> dict[str, Any]:
    fields = event.fields
    body: dict[str, Any] = {}
    if header.change_type in ("CREATE", "UNDELETE"):
        for name, value in fields.items():
            if value is not None and name not in HIDDEN:
                body[name] = value
    elif header.change_type == "UPDATE":
        for name in (*header.changed_fields, *header.nulled_fields):
            if name not in HIDDEN:
                _put(body, name, fields)
    return {"ChangeEventHeader": change_header(header), **body}


def change_header(header: ChangeHeader) -> dict[str, Any]:
    return {**header.common_json(), "changedFields": list(header.changed_fields)}


def _put(body: dict[str, Any], name: str, fields: Mapping[str, Any]) -> None:
    """A changed field into the body; ``BillingAddress.City`` nests as Salesforce sends it."""
    parent, dot, child = name.partition(".")
    if not dot:
        body[name] = fields.get(name)
        return
    source = fields.get(parent)
    value = source.get(child) if isinstance(source, Mapping) else fields.get(name)
    nested = body.setdefault(parent, {})
    if isinstance(nested, dict):
        nested[child] = value
