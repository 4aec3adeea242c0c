"""Cursor pagination: ``limit`` and ``cursor`` in, ``{data, next_cursor, has_more}`` out.

A cursor is the sort key (the id) of the last item of the previous page; the next page holds the
items whose key comes after it. Any string the contract's cursor pattern admits is a valid
position, so a cursor never goes stale: items added or removed since simply appear in, or vanish
from, later pages.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
Json = dict[str, Any]


def _id(item: Any) -> str:
    return str(item.id)


def window(
    items: Sequence[T],
    *,
    limit: int,
    cursor: str | None,
    key: Callable[[T], str] = _id,
    ordered: bool = False,
) -> tuple[list[T], str | None]:
    """The items of one page and the cursor of the next (None on the last page).

    ``ordered``: the items are already in key order (a log), so they are not sorted again."""
    keyed = list(items) if ordered else sorted(items, key=key)
    start = 0
    if cursor is not None:
        start = bisect.bisect_right(keyed, cursor, key=key)
    chunk = keyed[start : start + limit]
    more = start + limit < len(keyed)
    return chunk, key(chunk[-1]) if more and chunk else None


def page(
    items: Sequence[T],
    render: Callable[[T], Json],
    *,
    limit: int,
    cursor: str | None,
    key: Callable[[T], str] = _id,
    ordered: bool = False,
) -> Json:
    chunk, next_cursor = window(items, limit=limit, cursor=cursor, key=key, ordered=ordered)
    return {
        "data": [render(item) for item in chunk],
        "next_cursor": next_cursor,
        "has_more": next_cursor is not None,
    }
