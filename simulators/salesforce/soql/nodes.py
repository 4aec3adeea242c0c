"""The SOQL syntax tree: immutable dataclasses, names exactly as written (binding to the schema
happens at execution). Every node keeps the offset where it starts, for caret messages."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

# --- operands -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldPath:
    """``Name``, ``Account.Name``, ``Account.Owner.Email`` (parts as written)."""

    parts: tuple[str, ...]
    position: int

    @property
    def text(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True, slots=True)
class FunctionCall:
    """``COUNT()``, ``SUM(Amount)``, ``CALENDAR_YEAR(CreatedDate)``, ``toLabel(Status)``."""

    name: str
    """Upper-case function name."""
    argument: FieldPath | None
    position: int
    written: str
    """The name as written, for messages."""


Operand = FieldPath | FunctionCall

AGGREGATE_FUNCTIONS = frozenset({"COUNT", "COUNT_DISTINCT", "SUM", "AVG", "MIN", "MAX"})


def is_aggregate(operand: Operand) -> bool:
    return isinstance(operand, FunctionCall) and operand.name in AGGREGATE_FUNCTIONS


# --- SELECT items ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SelectField:
    operand: Operand
    alias: str | None
    position: int


class FieldsKind(enum.Enum):
    ALL = "ALL"
    STANDARD = "STANDARD"
    CUSTOM = "CUSTOM"


@dataclass(frozen=True, slots=True)
class SelectFields:
    """``FIELDS(ALL|STANDARD|CUSTOM)``."""

    kind: FieldsKind
    position: int


@dataclass(frozen=True, slots=True)
class SelectSubquery:
    """A child relationship subquery: ``(SELECT LastName FROM Contacts)``."""

    query: Query
    position: int


@dataclass(frozen=True, slots=True)
class TypeOfBranch:
    object_name: str
    fields: tuple[FieldPath, ...]
    position: int


@dataclass(frozen=True, slots=True)
class SelectTypeOf:
    """``TYPEOF What WHEN Account THEN Name ELSE Name END``."""

    relationship: str
    branches: tuple[TypeOfBranch, ...]
    else_fields: tuple[FieldPath, ...]
    position: int


SelectItem = SelectField | SelectFields | SelectSubquery | SelectTypeOf


# --- values ---------------------------------------------------------------------------------


class LiteralKind(enum.Enum):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    NULL = "null"
    DATE = "date"
    DATETIME = "datetime"


@dataclass(frozen=True, slots=True)
class Literal:
    kind: LiteralKind
    value: Any
    """str, Decimal, bool, None, date or (UTC) datetime."""
    raw: str
    """As written; for strings the text between the quotes with escapes undecoded (for LIKE)."""
    position: int


@dataclass(frozen=True, slots=True)
class RelativeDate:
    """``TODAY``, ``LAST_N_DAYS:30`` and friends."""

    name: str
    amount: int | None
    position: int


Value = Literal | RelativeDate


# --- conditions -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Comparison:
    operand: Operand
    operator: str
    """One of ``= != < <= > >= LIKE``."""
    value: Value
    position: int


@dataclass(frozen=True, slots=True)
class Membership:
    """``IN (...)`` / ``NOT IN (...)`` with a literal list."""

    operand: Operand
    values: tuple[Value, ...]
    negated: bool
    position: int


@dataclass(frozen=True, slots=True)
class SemiJoin:
    """``Id IN (SELECT AccountId FROM Contact)`` / ``NOT IN`` (anti-join)."""

    operand: Operand
    query: Query
    negated: bool
    position: int


@dataclass(frozen=True, slots=True)
class Includes:
    """``INCLUDES ('A;B', 'C')`` / ``EXCLUDES (...)`` on multi-select picklists."""

    operand: Operand
    values: tuple[Literal, ...]
    excludes: bool
    position: int


@dataclass(frozen=True, slots=True)
class Not:
    condition: Condition
    position: int


@dataclass(frozen=True, slots=True)
class And:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Or:
    conditions: tuple[Condition, ...]


Condition = Comparison | Membership | SemiJoin | Includes | Not | And | Or


# --- query ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderItem:
    operand: Operand
    descending: bool
    nulls_last: bool
    position: int


@dataclass(frozen=True, slots=True)
class FromClause:
    """``Account``, or in a child subquery ``Contacts`` / ``Account.Contacts``."""

    parts: tuple[str, ...]
    alias: str | None
    position: int

    @property
    def name(self) -> str:
        return self.parts[-1]


@dataclass(frozen=True, slots=True)
class Query:
    text: str
    """The whole statement this query belongs to (shared by subqueries), for caret messages."""
    select: tuple[SelectItem, ...]
    source: FromClause
    where: Condition | None
    group_by: tuple[Operand, ...]
    having: Condition | None
    order_by: tuple[OrderItem, ...]
    limit: int | None
    offset: int | None
    position: int
    limit_position: int = -1

    @property
    def is_count_only(self) -> bool:
        """``SELECT COUNT() FROM ...``."""
        return any(
            isinstance(item, SelectField)
            and isinstance(item.operand, FunctionCall)
            and item.operand.name == "COUNT"
            and item.operand.argument is None
            for item in self.select
        )

    @property
    def is_aggregate(self) -> bool:
        return bool(self.group_by) or any(
            isinstance(item, SelectField) and is_aggregate(item.operand) for item in self.select
        )
