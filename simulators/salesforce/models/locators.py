"""Query locators: the stable snapshot behind ``nextRecordsUrl``.

A query's full result is kept under a ``01g…`` locator; each page is a slice of that snapshot,
so later writes never shift a paging client. Like a real org, a locator expires after 15 minutes
without use (virtual clock) and a user keeps at most 10 open (the oldest is dropped), after which
it answers INVALID_QUERY_LOCATOR.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from simulators.salesforce import catalogue
from simulators.salesforce.catalogue import SalesforceError
from simulators.salesforce.models import ids
from simulators.salesforce.models.ids import IdMinter

LOCATOR_IDLE = timedelta(minutes=15)
MAX_OPEN_PER_USER = 10
DEFAULT_BATCH = 2000
MIN_BATCH = 200
MAX_BATCH = 2000


@dataclass
class Cursor:
    id: str
    records: list[Any]
    total_size: int
    batch: int
    owner: str
    query_all: bool
    last_used: datetime


@dataclass(frozen=True)
class Page:
    total_size: int
    records: list[Any]
    next_locator: str | None  # "01g…-2000" or None when this is the last page


def invalid_locator() -> SalesforceError:
    return catalogue.INVALID_QUERY_LOCATOR.error()


def batch_size(header: str | None) -> int:
    """``Sforce-Query-Options: batchSize=N``: clamped to 200..2000 (not guaranteed, as documented).

    batchSize is the only option this header carries; anything else in it is refused (assumption:
    the exact code a real org uses for a malformed header is not documented).
    """
    if header is None:
        return DEFAULT_BATCH
    key, _, value = header.partition("=")
    if key.strip().lower() != "batchsize":
        raise catalogue.INVALID_HEADER_TYPE.error(detail=f"expected batchSize=N, got '{header}'")
    try:
        wanted = int(value.strip())
    except ValueError:
        raise catalogue.INVALID_HEADER_TYPE.error(
            detail=f"batchSize must be a number: {value.strip()}"
        ) from None
    return max(MIN_BATCH, min(MAX_BATCH, wanted))


class Locators:
    def __init__(self) -> None:
        self._cursors: OrderedDict[str, Cursor] = OrderedDict()

    def first_page(
        self,
        records: list[Any],
        total_size: int,
        *,
        batch: int,
        owner: str,
        query_all: bool,
        now: datetime,
        minter: IdMinter,
    ) -> Page:
        if len(records) <= batch:
            return Page(total_size, records, None)
        self._expire(now)
        snapshot = list(records)  # the locator owns its rows: later changes never shift a page
        cursor = Cursor(
            minter.mint(ids.QUERY_LOCATOR_PREFIX), snapshot, total_size, batch, owner, query_all, now
        )
        self._cursors[cursor.id] = cursor
        mine = [c for c in self._cursors.values() if c.owner == owner]
        for stale in mine[:-MAX_OPEN_PER_USER]:
            del self._cursors[stale.id]
        return Page(total_size, records[:batch], f"{cursor.id}-{batch}")

    def next_page(self, locator: str, *, owner: str, query_all: bool, now: datetime) -> Page:
        """``locator`` is ``01g…-offset`` (the last path segment of nextRecordsUrl)."""
        self._expire(now)
        cursor_id, _, offset_text = locator.partition("-")
        canonical = ids.normalize(cursor_id) if cursor_id else None
        cursor = self._cursors.get(canonical or "")
        if cursor is None or cursor.owner != owner or cursor.query_all != query_all:
            raise invalid_locator()
        try:
            offset = int(offset_text) if offset_text else 0
        except ValueError:
            raise invalid_locator() from None
        if not 0 <= offset <= len(cursor.records):
            raise invalid_locator()
        cursor.last_used = now
        end = offset + cursor.batch
        page = cursor.records[offset:end]
        if end >= len(cursor.records):
            del self._cursors[cursor.id]  # read to the end: the server releases the cursor
            return Page(cursor.total_size, page, None)
        return Page(cursor.total_size, page, f"{cursor.id}-{end}")

    def _expire(self, now: datetime) -> None:
        for cursor_id in [c.id for c in self._cursors.values() if now - c.last_used >= LOCATOR_IDLE]:
            del self._cursors[cursor_id]

    def __len__(self) -> int:
        return len(self._cursors)
