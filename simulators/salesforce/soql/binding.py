"""Binding names to the schema: objects, field paths through parent relationships, functions.

A bound operand carries a getter (record -> Python value) built once per execution, so the
per-row work is a couple of dictionary lookups.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from simulators.salesforce.soql import messages
from simulators.salesforce.soql.nodes import FieldPath, FunctionCall, Operand
from simulators.salesforce.soql.parser import DATE_FUNCTIONS
from simulators.salesforce.soql.ports import DataSource, FieldInfo, ObjectInfo, Record

Getter = Callable[[Record], Any]


class Kind(enum.Enum):
    """How values of a field compare, sort and group."""

    TEXT = "string"
    ID = "id"
    BOOLEAN = "boolean"
    NUMBER = "double"
    DATE = "date"
    DATETIME = "dateTime"
    MULTIPICKLIST = "multipicklist"
    ADDRESS = "address"


_KIND_BY_TYPE = {
    "id": Kind.ID,
    "reference": Kind.ID,
    "boolean": Kind.BOOLEAN,
    "int": Kind.NUMBER,
    "long": Kind.NUMBER,
    "double": Kind.NUMBER,
    "currency": Kind.NUMBER,
    "percent": Kind.NUMBER,
    "date": Kind.DATE,
    "datetime": Kind.DATETIME,
    "multipicklist": Kind.MULTIPICKLIST,
    "address": Kind.ADDRESS,
}


def kind_of(field_type: str) -> Kind:
    """Unknown describe types (string, textarea, picklist, email, phone, url, ...) are text."""
    return _KIND_BY_TYPE.get(field_type.lower(), Kind.TEXT)


@dataclass(frozen=True, slots=True)
class BoundOperand:
    key: str
    """Canonical expression text: ``Account.Name``, ``COUNT(Id)``, ``CALENDAR_YEAR(CreatedDate)``."""
    kind: Kind
    get: Getter
    position: int
    field: FieldInfo | None = None
    """The field at the end of the path (None for ``COUNT()``)."""
    path: tuple[str, ...] = ()
    """Canonical relationship names then the field name."""
    references: tuple[FieldInfo, ...] = ()
    """The reference fields walked to reach the field (empty for a direct field)."""
    function: str | None = None
    argument: BoundOperand | None = None

    @property
    def index_field(self) -> str | None:
        """The field name when this is a plain field of the queried object (index-eligible)."""
        if self.function is None and not self.references and self.field is not None:
            return self.field.name
        return None

    @property
    def is_aggregate(self) -> bool:
        return self.function in ("COUNT", "COUNT_DISTINCT", "SUM", "AVG", "MIN", "MAX")


class Parents:
    """Parent records fetched once per execution, and the object type of polymorphic parents."""

    def __init__(self, source: DataSource) -> None:
        self._source = source
        self._records: dict[str, Record | None] = {}
        self._types: dict[str, str] = {}

    def get(self, record_id: str) -> Record | None:
        try:
            return self._records[record_id]
        except KeyError:
            record = self._records[record_id] = self._source.get(record_id)
            return record

    def object_of(self, reference: FieldInfo, record_id: str) -> str:
        targets = reference.reference_to
        if len(targets) == 1:
            return targets[0]
        known = self._types.get(record_id)
        if known is None:
            known = targets[0] if targets else ""
            for target in targets:
                hits = self._source.lookup(target, "Id", [record_id], include_deleted=True)
                if hits is not None and any(True for _ in hits):
                    known = target
                    break
            self._types[record_id] = known
        return known


@dataclass
class Scope:
    """What names resolve against: the queried object and its optional alias."""

    info: ObjectInfo
    alias: str | None = None
    names: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        names = {self.info.name.lower()}
        if self.alias:
            names.add(self.alias.lower())
        self.names = frozenset(names)


class Binder:
    def __init__(self, source: DataSource, text: str, parents: Parents) -> None:
        self.source = source
        self.text = text
        self.parents = parents
        self._objects: dict[str, ObjectInfo | None] = {}

    def object(self, name: str, position: int) -> ObjectInfo:
        key = name.lower()
        if key not in self._objects:
            self._objects[key] = self.source.describe(name)
        info = self._objects[key]
        if info is None:
            raise messages.unsupported_type(self.text, position, name)
        return info

    # --- field paths ------------------------------------------------------------------------

    def path(self, scope: Scope, node: FieldPath) -> BoundOperand:
        parts = node.parts
        info = scope.info
        # ``Account.Name`` on Account (or ``a.Name`` with an alias) names the object itself,
        # unless a relationship of that name exists.
        if len(parts) > 1 and parts[0].lower() in scope.names and info.parent_relationship(parts[0]) is None:
            parts = parts[1:]
        references: list[FieldInfo] = []
        names: list[str] = []
        for part in parts[:-1]:
            reference = info.parent_relationship(part)
            if reference is None or not reference.reference_to:
                raise messages.unknown_relationship(self.text, node.position, part)
            references.append(reference)
            names.append(reference.relationship_name or part)
            # Polymorphic lookups bind against their first target (assumption: real orgs only
            # allow the common "Name" fields there).
            info = self.object(reference.reference_to[0], node.position)
        final = info.field(parts[-1])
        if final is None:
            raise messages.no_such_column(self.text, node.position, parts[-1], info.name)
        names.append(final.name)
        getter = path_getter(tuple(reference.name for reference in references), final.name, self.parents)
        return BoundOperand(
            key=".".join(names),
            kind=kind_of(final.type),
            get=getter,
            position=node.position,
            field=final,
            path=tuple(names),
            references=tuple(references),
        )

    def operand(self, scope: Scope, node: Operand) -> BoundOperand:
        if isinstance(node, FieldPath):
            return self.path(scope, node)
        return self.function(scope, node)

    def function(self, scope: Scope, node: FunctionCall) -> BoundOperand:
        name = node.name
        if node.argument is None:  # COUNT()
            return BoundOperand(
                key="COUNT()", kind=Kind.NUMBER, get=_always_none, position=node.position, function=name
            )
        argument = self.path(scope, node.argument)
        key = f"{name}({argument.key})"
        if name in DATE_FUNCTIONS:
            if argument.kind not in (Kind.DATE, Kind.DATETIME):
                raise messages.malformed(
                    self.text,
                    node.position,
                    f"Invalid field {argument.key} for function {node.written}: date or datetime required",
                )
            transform, result_kind = _DATE_FUNCTION_IMPLEMENTATIONS[name]
            inner = argument.get

            def get_date_part(record: Record) -> Any:
                value = inner(record)
                return None if value is None else transform(value)

            return BoundOperand(
                key=key,
                kind=result_kind,
                get=get_date_part,
                position=node.position,
                field=argument.field,
                path=argument.path,
                references=argument.references,
                function=name,
                argument=argument,
            )
        if name in ("TOLABEL", "CONVERTCURRENCY"):
            return BoundOperand(
                key=argument.key,
                kind=argument.kind,
                get=argument.get,
                position=node.position,
                field=argument.field,
                path=argument.path,
                references=argument.references,
            )
        # Aggregates: the value comes from the group row, computed in aggregate.py.
        if name in ("SUM", "AVG") and argument.kind is not Kind.NUMBER:
            # Assumption: a real org answers this with INVALID_FIELD.
            raise messages.invalid_field(
                self.text,
                node.position,
                f"field {argument.key} does not support aggregate operator {name}",
            )
        if argument.kind in (Kind.MULTIPICKLIST, Kind.ADDRESS) and name != "COUNT":
            raise messages.invalid_field(
                self.text, node.position, f"field {argument.key} does not support aggregate operator {name}"
            )
        kind = Kind.NUMBER if name in ("COUNT", "COUNT_DISTINCT", "SUM", "AVG") else argument.kind
        return BoundOperand(
            key=key,
            kind=kind,
            get=argument.get,
            position=node.position,
            field=argument.field,
            path=argument.path,
            references=argument.references,
            function=name,
            argument=argument,
        )


def path_getter(references: tuple[str, ...], name: str, parents: Parents) -> Getter:
    """A getter for ``name`` reached through the reference fields ``references``."""
    if not references:

        def direct(record: Record) -> Any:
            return record.get(name)

        return direct
    if len(references) == 1:
        (reference,) = references

        def one_hop(record: Record) -> Any:
            parent_id = record.get(reference)
            if parent_id is None:
                return None
            parent = parents.get(parent_id)
            return None if parent is None else parent.get(name)

        return one_hop

    def walk(record: Record) -> Any:
        current: Record | None = record
        for hop in references:
            parent_id = current.get(hop) if current is not None else None
            if parent_id is None:
                return None
            current = parents.get(parent_id)
        return None if current is None else current.get(name)

    return walk


def _always_none(record: Record) -> Any:
    return None


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _hour(value: date | datetime) -> int:
    return value.hour if isinstance(value, datetime) else 0


_DATE_FUNCTION_IMPLEMENTATIONS: dict[str, tuple[Callable[[Any], Any], Kind]] = {
    "CALENDAR_MONTH": (lambda v: v.month, Kind.NUMBER),
    "CALENDAR_QUARTER": (lambda v: (v.month - 1) // 3 + 1, Kind.NUMBER),
    "CALENDAR_YEAR": (lambda v: v.year, Kind.NUMBER),
    "DAY_IN_MONTH": (lambda v: v.day, Kind.NUMBER),
    "DAY_IN_WEEK": (lambda v: (v.weekday() + 1) % 7 + 1, Kind.NUMBER),  # 1 = Sunday
    "DAY_IN_YEAR": (lambda v: v.timetuple().tm_yday, Kind.NUMBER),
    "DAY_ONLY": (_as_date, Kind.DATE),
    # Fiscal year = calendar year (assumption, see literals.py).
    "FISCAL_MONTH": (lambda v: v.month, Kind.NUMBER),
    "FISCAL_QUARTER": (lambda v: (v.month - 1) // 3 + 1, Kind.NUMBER),
    "FISCAL_YEAR": (lambda v: v.year, Kind.NUMBER),
    "HOUR_IN_DAY": (_hour, Kind.NUMBER),
    "WEEK_IN_MONTH": (lambda v: (v.day - 1) // 7 + 1, Kind.NUMBER),
    "WEEK_IN_YEAR": (lambda v: (v.timetuple().tm_yday - 1) // 7 + 1, Kind.NUMBER),
}
