"""ORDER BY: case-insensitive text, nulls first unless ``NULLS LAST`` (whatever the direction),
stable, several keys."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from simulators.salesforce.soql.binding import Kind
from simulators.salesforce.soql.conditions import fold

Row = TypeVar("Row")


@dataclass(frozen=True, slots=True)
class SortKey:
    get: Callable[[Any], Any]
    kind: Kind
    descending: bool
    nulls_last: bool


def sort_rows(rows: list[Row], keys: list[SortKey]) -> list[Row]:
    """Sorts in place (one stable pass per key, last key first) and returns ``rows``."""
    for key in reversed(keys):
        rows.sort(key=_key_function(key), reverse=key.descending)
    return rows


def _key_function(key: SortKey) -> Callable[[Any], tuple[Any, ...]]:
    get = key.get
    # Nulls get a rank below or above every value so that, after an optional reversal, they
    # land where NULLS FIRST / NULLS LAST puts them.
    nulls_at_start_of_sort = key.nulls_last == key.descending
    null_key: tuple[Any, ...] = (0,) if nulls_at_start_of_sort else (2,)
    if key.kind is Kind.TEXT:

        def text_key(row: Any) -> tuple[Any, ...]:
            value = get(row)
            return null_key if value is None else (1, fold(value))

        return text_key

    def plain_key(row: Any) -> tuple[Any, ...]:
        value = get(row)
        return null_key if value is None else (1, value)

    return plain_key
