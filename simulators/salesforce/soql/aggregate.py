"""GROUP BY and the aggregate functions COUNT, COUNT_DISTINCT, SUM, AVG, MIN, MAX.

Groups are plain dicts keyed by canonical expression text (``Name``, ``COUNT(Id)``), so HAVING and
ORDER BY reuse the record machinery. Text groups case-insensitively (the first spelling seen is
the one reported); groups come out in first-seen order unless ORDER BY says otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from simulators.salesforce.soql.binding import BoundOperand, Kind
from simulators.salesforce.soql.conditions import fold
from simulators.salesforce.soql.ports import Record

GroupRow = dict[str, Any]


def group_rows(
    records: Iterable[Record], groups: Sequence[BoundOperand], aggregates: Sequence[BoundOperand]
) -> list[GroupRow]:
    buckets: dict[tuple[Any, ...], tuple[GroupRow, list[list[Any]]]] = {}
    for record in records:
        values = [group.get(record) for group in groups]
        key = tuple(_group_key(group.kind, value) for group, value in zip(groups, values, strict=True))
        bucket = buckets.get(key)
        if bucket is None:
            row = {group.key: value for group, value in zip(groups, values, strict=True)}
            bucket = buckets[key] = (row, [[] for _ in aggregates])
        for collected, aggregate in zip(bucket[1], aggregates, strict=True):
            collected.append(aggregate.get(record))
    if not groups and not buckets:
        # An aggregate query without GROUP BY always answers one row, even over no records.
        buckets[()] = ({}, [[] for _ in aggregates])
    out: list[GroupRow] = []
    for row, collected_values in buckets.values():
        for aggregate, collected in zip(aggregates, collected_values, strict=True):
            row[aggregate.key] = compute(aggregate, collected)
        out.append(row)
    return out


def compute(aggregate: BoundOperand, values: list[Any]) -> Any:
    function = aggregate.function
    if function == "COUNT" and aggregate.argument is None:
        return len(values)
    present = [value for value in values if value is not None]
    if function == "COUNT":
        return len(present)
    if function == "COUNT_DISTINCT":
        argument_kind = aggregate.argument.kind if aggregate.argument is not None else Kind.TEXT
        return len({_group_key(argument_kind, value) for value in present})
    if not present:
        return None
    if function == "SUM":
        return _sum(present)
    if function == "AVG":
        total = _sum(present)
        if isinstance(total, Decimal):
            return total / len(present)
        return float(total) / len(present)
    kind = aggregate.kind
    chooser = min if function == "MIN" else max
    if kind is Kind.TEXT:
        return chooser(present, key=fold)
    return chooser(present)


def _sum(values: list[Any]) -> Any:
    if any(isinstance(value, Decimal) for value in values):
        return sum(
            (value if isinstance(value, Decimal) else Decimal(repr(value)) for value in values), Decimal(0)
        )
    if any(isinstance(value, float) for value in values):
        return math.fsum(values)
    return sum(values)


def _group_key(kind: Kind, value: Any) -> Any:
    if value is not None and kind is Kind.TEXT:
        return fold(value)
    return value
