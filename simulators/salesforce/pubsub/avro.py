"""Avro for the Pub/Sub API: event schemas built from the org schema, payload encoding with fastavro,
and the CDC field bitmaps (salesforce-events.md §2.6).

- A platform event's schema is a record named after the event in ``com.sforce.eventbus`` with
  ``CreatedDate`` (long, epoch ms) and ``CreatedById`` (string), then ``EventUuid`` and the custom
  fields as ``["null", T]`` with ``default: null``.
- A change event's schema starts with the ``ChangeEventHeader`` record, then every field of the
  entity (``Id``, ``IsDeleted`` and ``SystemModstamp`` never appear) as ``["null", T]``; a compound
  address is a nested ``Address`` record, defined once and referenced by name afterwards.
- Datetimes are epoch milliseconds (long), dates days since the epoch (int), money double.
- Payloads are the raw Avro datum (``schemaless_writer``): no container header, no fingerprint.
- The schema id is derived from the schema's canonical JSON (stable while the schema is, new when
  a field is added), and the schema carries it as its top-level ``uuid`` attribute.
- Bitmaps: element 0 is ``0x<HEX>`` over the top-level fields (bit i = field i, LSB first), then
  ``<parentPos>-0x<HEX>`` over a compound field's children. Upper-case hex: the npm client only
  decodes ``0-9A-F``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import fastavro

from simulators.salesforce.events.bus import BusEvent, change_event_name
from simulators.salesforce.models.schema import ObjectDef

NAMESPACE = "com.sforce.eventbus"
#: Never part of a change event (salesforce-events.md §1.6; the record id is in the header).
CDC_HIDDEN = frozenset({"Id", "IsDeleted", "SystemModstamp"})
#: Set by the platform on a published event, never a custom field.
PE_SYSTEM = frozenset({"ReplayId", "EventUuid", "CreatedDate", "CreatedById"})
CHANGE_TYPES = (
    "CREATE", "UPDATE", "DELETE", "UNDELETE",
    "GAP_CREATE", "GAP_UPDATE", "GAP_DELETE", "GAP_UNDELETE", "GAP_OVERFLOW",
)  # fmt: skip
_AVRO_TYPE = {
    "boolean": "boolean",
    "int": "int",
    "double": "double",
    "currency": "double",
    "percent": "double",
    "date": "int",
    "datetime": "long",
}
_EPOCH = date(1970, 1, 1)
_STRING_ARRAY = {"type": "array", "items": "string"}
CHANGE_EVENT_HEADER: dict[str, Any] = {
    "type": "record",
    "name": "ChangeEventHeader",
    "namespace": NAMESPACE,
    "fields": [
        {"name": "entityName", "type": "string"},
        {"name": "recordIds", "type": _STRING_ARRAY},
        {
            "name": "changeType",
            "type": {
                "type": "enum",
                "name": "ChangeType",
                "namespace": NAMESPACE,
                "symbols": list(CHANGE_TYPES),
            },
        },
        {"name": "changeOrigin", "type": "string"},
        {"name": "transactionKey", "type": "string"},
        {"name": "sequenceNumber", "type": "int"},
        {"name": "commitTimestamp", "type": "long"},
        {"name": "commitNumber", "type": "long"},
        {"name": "commitUser", "type": "string"},
        {"name": "nulledFields", "type": _STRING_ARRAY},
        {"name": "diffFields", "type": _STRING_ARRAY},
        {"name": "changedFields", "type": _STRING_ARRAY},
    ],
}


@dataclass(frozen=True)
class Slot:
    """One top-level field of an event schema: its Avro name, the Salesforce field(s) it holds."""

    name: str
    sf_type: str
    #: For a compound address: (child Avro name, stored Salesforce field, type) per component.
    children: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class EventSchema:
    """An event type's Avro schema, its id, and how its fields map to the org's fields."""

    event_name: str
    schema_id: str
    schema: Mapping[str, Any]
    slots: tuple[Slot, ...]
    is_change_event: bool
    #: fastavro's parsed form, for encoding and decoding.
    parsed: Any = field(compare=False, repr=False, default=None)

    @property
    def json(self) -> str:
        return json.dumps(self.schema, separators=(",", ":"))


def _nullable(name: str, avro_type: Any, doc: str) -> dict[str, Any]:
    return {"name": name, "type": ["null", avro_type], "doc": doc, "default": None}


def _finish(event_name: str, fields: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    body = {"type": "record", "name": event_name, "namespace": NAMESPACE, "fields": fields}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).digest()
    schema_id = base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")
    return schema_id, {**body, "uuid": schema_id}


def platform_event_schema(obj: ObjectDef) -> EventSchema:
    fields: list[dict[str, Any]] = [
        {"name": "CreatedDate", "type": "long", "doc": "CreatedDate:DateTime"},
        {"name": "CreatedById", "type": "string", "doc": "CreatedBy:EntityId"},
        _nullable("EventUuid", "string", "EventUuid:Text"),
    ]
    slots = [Slot("CreatedDate", "datetime"), Slot("CreatedById", "reference"), Slot("EventUuid", "string")]
    for fd in obj.fields():
        if fd.name in PE_SYSTEM or not fd.stored:
            continue
        fields.append(_nullable(fd.name, _AVRO_TYPE.get(fd.type, "string"), f"Data:{fd.type}"))
        slots.append(Slot(fd.name, fd.type))
    schema_id, schema = _finish(obj.name, fields)
    return EventSchema(obj.name, schema_id, schema, tuple(slots), False, fastavro.parse_schema(schema))


def change_event_schema(obj: ObjectDef) -> EventSchema:
    fields: list[dict[str, Any]] = [
        {"name": "ChangeEventHeader", "type": CHANGE_EVENT_HEADER, "doc": "Data:ComplexValueType"}
    ]
    slots = [Slot("ChangeEventHeader", "header")]
    address_defined = False
    for fd in obj.fields():
        if fd.name in CDC_HIDDEN or fd.compound_of is not None:
            continue
        if fd.type == "address":
            children = tuple(
                (component.removeprefix(fd.name.removesuffix("Address")), component, "string")
                for component in fd.components
            )
            if address_defined:
                record: Any = f"{NAMESPACE}.Address"
            else:
                record = {
                    "type": "record",
                    "name": "Address",
                    "namespace": NAMESPACE,
                    "fields": [_nullable(child, "string", "Data:Text") for child, _, _ in children],
                }
                address_defined = True
            fields.append(_nullable(fd.name, record, "Data:Address"))
            slots.append(Slot(fd.name, "address", children))
        elif fd.stored:
            fields.append(_nullable(fd.name, _AVRO_TYPE.get(fd.type, "string"), f"Data:{fd.type}"))
            slots.append(Slot(fd.name, fd.type))
    schema_id, schema = _finish(change_event_name(obj.name), fields)
    return EventSchema(schema["name"], schema_id, schema, tuple(slots), True, fastavro.parse_schema(schema))


# -- values -------------------------------------------------------------------------------------


def to_avro(value: Any, sf_type: str) -> Any:
    """A field value as the bus holds it (JSON-able, or Python dates) in its Avro representation."""
    if value is None:
        return None
    if sf_type == "datetime":
        when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return int(when.astimezone(UTC).timestamp() * 1000)
    if sf_type == "date":
        day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
        return (day - _EPOCH).days
    avro = _AVRO_TYPE.get(sf_type, "string")
    if avro == "double":
        return float(value)
    if avro == "int":
        return int(value)
    if avro == "boolean":
        return bool(value)
    return value if isinstance(value, str) else str(value)


def from_avro(value: Any, sf_type: str) -> Any:
    """An Avro value of a published event back to the JSON-able value the bus holds."""
    if value is None:
        return None
    if sf_type == "datetime":
        when = datetime.fromtimestamp(int(value) / 1000, tz=UTC)
        return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
    if sf_type == "date":
        return date.fromordinal(_EPOCH.toordinal() + int(value)).isoformat()
    return value


def bitmap(positions: Iterable[int]) -> str:
    mask = 0
    for position in positions:
        mask |= 1 << position
    return f"0x{mask:X}"


def _named(slot: Slot, child: tuple[str, str, str], names: set[str]) -> bool:
    """An address component is named ``BillingCity`` or ``BillingAddress.City``."""
    return child[1] in names or f"{slot.name}.{child[0]}" in names


def _child_value(fields: Mapping[str, Any], slot: Slot, child: tuple[str, str, str]) -> Any:
    """The bus holds a compound as a nested mapping (``BillingAddress: {City: ...}``) or flat."""
    nested = fields.get(slot.name)
    if isinstance(nested, Mapping) and child[0] in nested:
        return nested[child[0]]
    return fields.get(child[1])


def field_bitmaps(slots: Sequence[Slot], names: Iterable[str]) -> list[str]:
    """``["0x<HEX>", "<parentPos>-0x<HEX>", ...]`` for Salesforce field names (empty for none).

    A changed address component sets its bit in the address's child bitmap only, as Salesforce's
    decoders read it back as ``BillingAddress.City``."""
    wanted = set(names)
    if not wanted:
        return []
    top: list[int] = []
    nested: list[str] = []
    for position, slot in enumerate(slots):
        if slot.name in wanted:
            top.append(position)
        children = [i for i, child in enumerate(slot.children) if _named(slot, child, wanted)]
        if children:
            nested.append(f"{position}-{bitmap(children)}")
    return [bitmap(top), *nested]


# -- payloads -----------------------------------------------------------------------------------


def _header(event: BusEvent, slots: Sequence[Slot]) -> dict[str, Any]:
    header = event.header
    assert header is not None  # callers pass change events only
    return {
        **header.common_json(),
        "nulledFields": field_bitmaps(slots, header.nulled_fields),
        "diffFields": field_bitmaps(slots, header.diff_fields),
        "changedFields": field_bitmaps(slots, header.changed_fields),
    }


def change_record(event: BusEvent, schema: EventSchema) -> dict[str, Any]:
    """Every field of the schema: values for CREATE/UNDELETE, only the changed ones for UPDATE
    (the rest null, as Pub/Sub sends them), none for DELETE."""
    header = event.header
    assert header is not None
    if header.change_type == "UPDATE":
        present: set[str] | None = set(header.changed_fields)
    elif header.change_type == "DELETE":
        present = set()
    else:
        present = None  # everything
    record: dict[str, Any] = {"ChangeEventHeader": _header(event, schema.slots)}
    for slot in schema.slots[1:]:
        if slot.children:
            parts = {
                child[0]: to_avro(_child_value(event.fields, slot, child), child[2])
                if present is None or slot.name in present or _named(slot, child, present)
                else None
                for child in slot.children
            }
            record[slot.name] = parts if any(v is not None for v in parts.values()) else None
        elif present is None or slot.name in present:
            record[slot.name] = to_avro(event.fields.get(slot.name), slot.sf_type)
        else:
            record[slot.name] = None
    return record


def platform_event_record(event: BusEvent, schema: EventSchema) -> dict[str, Any]:
    record = {slot.name: to_avro(event.fields.get(slot.name), slot.sf_type) for slot in schema.slots}
    record["CreatedDate"] = int(event.created.astimezone(UTC).timestamp() * 1000)
    record["CreatedById"] = event.created_by_id
    record["EventUuid"] = event.event_uuid
    return record


def encode(record: Mapping[str, Any], parsed_schema: Any) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, parsed_schema, dict(record))
    return out.getvalue()


def decode(payload: bytes, parsed_schema: Any) -> dict[str, Any]:
    """Raises ValueError (or EOFError/struct errors, normalised by the caller) on a bad datum."""
    value = fastavro.schemaless_reader(io.BytesIO(payload), parsed_schema, None)
    if not isinstance(value, dict):
        raise ValueError("the payload is not an Avro record")
    return value
