"""Result rows shaped as a real org shapes them.

- every record: ``attributes`` (type, url) then the selected fields in SELECT order, canonical
  casing; parent paths nest (``"Account": {"attributes": ..., "Name": ...}`` or ``null``);
- child subqueries: ``{"totalSize": n, "done": true, "records": [...]}`` or ``null``;
- compound address fields are assembled from their stored components;
- aggregate rows: ``{"attributes": {"type": "AggregateResult"}, "expr0": ...}``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simulators.salesforce.soql import messages
from simulators.salesforce.soql.binding import BoundOperand, Kind, Parents
from simulators.salesforce.soql.ports import FieldInfo, Record

RecordUrl = Callable[[str, str], str]

# Compound address: output key -> stored component suffix (``BillingAddress`` -> ``BillingCity``).
_ADDRESS_COMPONENTS = (
    ("city", "City"),
    ("country", "Country"),
    ("geocodeAccuracy", "GeocodeAccuracy"),
    ("latitude", "Latitude"),
    ("longitude", "Longitude"),
    ("postalCode", "PostalCode"),
    ("state", "State"),
    ("street", "Street"),
)


@dataclass(slots=True)
class FieldEntry:
    name: str


@dataclass(slots=True)
class AddressEntry:
    name: str

    @property
    def prefix(self) -> str:
        return self.name[: -len("Address")] if self.name.endswith("Address") else self.name


@dataclass(slots=True)
class ParentEntry:
    name: str
    reference: FieldInfo
    shape: RecordShape


@dataclass(slots=True)
class ChildEntry:
    name: str
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Parent id -> the child envelope, filled once the parent page is known."""


@dataclass(slots=True)
class TypeOfEntry:
    name: str
    reference: FieldInfo
    shapes: dict[str, RecordShape]
    """Lower-case object name -> the fields to show for a parent of that type."""


Entry = FieldEntry | AddressEntry | ParentEntry | ChildEntry | TypeOfEntry


@dataclass(slots=True)
class RecordShape:
    entries: list[Entry] = field(default_factory=list)

    def parent(self, name: str, reference: FieldInfo) -> RecordShape:
        for entry in self.entries:
            if isinstance(entry, ParentEntry) and entry.name.lower() == name.lower():
                return entry.shape
        entry = ParentEntry(name, reference, RecordShape())
        self.entries.append(entry)
        return entry.shape


class Selection:
    """What a (sub)query selects: the record shape and the flat columns for Bulk CSV."""

    def __init__(self) -> None:
        self.shape = RecordShape()
        self.columns: list[str] = []
        self.column_paths: list[tuple[str, ...] | None] = []
        self.children: list[tuple[ChildEntry, Any]] = []
        """Child entries and their compiled subquery (owned by the evaluator)."""
        self._seen: set[str] = set()

    def _claim(self, key: str) -> None:
        lowered = key.lower()
        if lowered in self._seen:
            raise messages.duplicate_field(key)
        self._seen.add(lowered)

    def add_field(self, operand: BoundOperand) -> None:
        assert operand.field is not None
        self._claim(operand.key)
        shape = self.shape
        for reference, name in zip(operand.references, operand.path, strict=False):
            shape = shape.parent(name, reference)
        name = operand.field.name
        if operand.kind is Kind.ADDRESS:
            shape.entries.append(AddressEntry(name))
            path: tuple[str, ...] | None = None
        else:
            shape.entries.append(FieldEntry(name))
            path = operand.path
        self.columns.append(operand.key)
        self.column_paths.append(path)

    def add_child(self, name: str, compiled: Any) -> ChildEntry:
        self._claim(name)
        entry = ChildEntry(name)
        self.shape.entries.append(entry)
        self.children.append((entry, compiled))
        self.columns.append(name)
        self.column_paths.append(None)
        return entry

    def add_type_of(self, name: str, reference: FieldInfo, shapes: dict[str, RecordShape]) -> None:
        self._claim(name)
        self.shape.entries.append(TypeOfEntry(name, reference, shapes))
        self.columns.append(name)
        self.column_paths.append(None)


class Shaper:
    def __init__(self, parents: Parents, record_url: RecordUrl) -> None:
        self.parents = parents
        self.record_url = record_url

    def record(self, record: Record, shape: RecordShape, object_name: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "attributes": {"type": object_name, "url": self.record_url(object_name, record["Id"])}
        }
        for entry in shape.entries:
            if isinstance(entry, FieldEntry):
                out[entry.name] = record.get(entry.name)
            elif isinstance(entry, ParentEntry):
                out[entry.name] = self._parent(record, entry.reference, entry.shape, None)
            elif isinstance(entry, ChildEntry):
                out[entry.name] = entry.results.get(record["Id"])
            elif isinstance(entry, AddressEntry):
                out[entry.name] = _address(record, entry.name, entry.prefix)
            else:
                out[entry.name] = self._parent(record, entry.reference, None, entry.shapes)
        return out

    def _parent(
        self,
        record: Record,
        reference: FieldInfo,
        shape: RecordShape | None,
        shapes_by_type: dict[str, RecordShape] | None,
    ) -> dict[str, Any] | None:
        parent_id = record.get(reference.name)
        if parent_id is None:
            return None
        parent = self.parents.get(parent_id)
        if parent is None:
            return None
        object_name = self.parents.object_of(reference, parent_id)
        if shapes_by_type is not None:
            shape = shapes_by_type.get(object_name.lower())
        return self.record(parent, shape or RecordShape(), object_name)


def aggregate_row(group: dict[str, Any], outputs: list[tuple[str, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {"attributes": {"type": "AggregateResult"}}
    for name, key in outputs:
        out[name] = group.get(key)
    return out


def _address(record: Record, name: str, prefix: str) -> dict[str, Any] | None:
    compound = record.get(name)
    if isinstance(compound, dict):  # a store may assemble the compound value itself
        return compound
    value = {key: record.get(prefix + suffix) for key, suffix in _ADDRESS_COMPONENTS}
    if all(component is None for component in value.values()):
        return None
    return value
