"""The id cross-reference (Salesforce Account Id <-> billing id <-> BAN) and what was last written
to Salesforce for each account and invoice, so syncs write only changes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from integration.store.db import locked, transaction

SQLITE_MAX_VARIABLES = 900  # stay under SQLite's default limit of host parameters


@dataclass(frozen=True)
class Link:
    sf_account_id: str
    billing_id: str
    ban: str | None
    financials: dict[str, Any] | None


def _chunks(values: Sequence[str], size: int = SQLITE_MAX_VARIABLES) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class Xref:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def link_many(self, links: Iterable[tuple[str, str, str | None]]) -> None:
        """Record (sf id, billing id, BAN) links; re-linking replaces the previous pairing."""
        now = _now()
        rows = list(links)
        if not rows:
            return
        async with transaction(self._db):
            for sf_id, billing_id, ban in rows:
                # A billing account linked to another Salesforce account moves (re-link).
                await self._db.execute(
                    "DELETE FROM xref WHERE (billing_id = ? OR ban = ?) AND sf_account_id != ?",
                    (billing_id, ban, sf_id),
                )
                await self._db.execute(
                    """
                    INSERT INTO xref (sf_account_id, billing_id, ban, linked_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (sf_account_id) DO UPDATE SET
                        billing_id = excluded.billing_id, ban = excluded.ban, linked_at = excluded.linked_at,
                        financials = CASE WHEN xref.billing_id = excluded.billing_id THEN xref.financials END
                    """,
                    (sf_id, billing_id, ban, now),
                )

    async def get_many(self, sf_ids: Sequence[str]) -> dict[str, Link]:
        found: dict[str, Link] = {}
        for chunk in _chunks(list(sf_ids)):
            marks = ",".join("?" * len(chunk))
            async with (
                locked(self._db),
                self._db.execute(
                    f"SELECT * FROM xref WHERE sf_account_id IN ({marks})", tuple(chunk)
                ) as cursor,
            ):
                async for row in cursor:
                    found[row["sf_account_id"]] = _link(row)
        return found

    async def by_billing_ids(self, billing_ids: Sequence[str]) -> dict[str, Link]:
        found: dict[str, Link] = {}
        for chunk in _chunks(list(billing_ids)):
            marks = ",".join("?" * len(chunk))
            async with (
                locked(self._db),
                self._db.execute(f"SELECT * FROM xref WHERE billing_id IN ({marks})", tuple(chunk)) as cursor,
            ):
                async for row in cursor:
                    found[row["billing_id"]] = _link(row)
        return found

    async def all_links(self) -> list[Link]:
        async with locked(self._db), self._db.execute("SELECT * FROM xref ORDER BY sf_account_id") as cursor:
            return [_link(row) async for row in cursor]

    async def count(self) -> int:
        async with locked(self._db), self._db.execute("SELECT COUNT(*) FROM xref") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def save_financials(self, rows: Iterable[tuple[str, dict[str, Any]]]) -> None:
        now = _now()
        async with transaction(self._db):
            await self._db.executemany(
                "UPDATE xref SET financials = ?, financials_at = ? WHERE sf_account_id = ?",
                [(json.dumps(values, sort_keys=True), now, sf_id) for sf_id, values in rows],
            )

    async def invoice_fingerprints(self, invoice_ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in _chunks(list(invoice_ids)):
            marks = ",".join("?" * len(chunk))
            async with (
                locked(self._db),
                self._db.execute(
                    f"SELECT invoice_id, fingerprint FROM synced_invoices WHERE invoice_id IN ({marks})",
                    tuple(chunk),
                ) as cursor,
            ):
                async for invoice_id, fingerprint in cursor:
                    found[invoice_id] = fingerprint
        return found

    async def save_invoices(self, rows: Iterable[tuple[str, str, str]]) -> None:
        """(invoice id, sf account id, fingerprint) as written to Salesforce."""
        now = _now()
        async with transaction(self._db):
            await self._db.executemany(
                "INSERT INTO synced_invoices (invoice_id, sf_account_id, fingerprint, synced_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (invoice_id) DO UPDATE SET sf_account_id = excluded.sf_account_id,"
                " fingerprint = excluded.fingerprint, synced_at = excluded.synced_at",
                [(invoice_id, sf_id, fingerprint, now) for invoice_id, sf_id, fingerprint in rows],
            )

    async def invoice_count(self) -> int:
        async with locked(self._db), self._db.execute("SELECT COUNT(*) FROM synced_invoices") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0


@dataclass(frozen=True)
class LinkResult:
    sf_account_id: str
    status: str
    created: bool
    billing_id: str | None
    message: str | None
    at: str


class LinkResults:
    """The last link outcome per account, for the actions API and reports."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def record(self, rows: Iterable[tuple[str, str, bool, str | None, str | None]]) -> None:
        now = _now()
        async with transaction(self._db):
            await self._db.executemany(
                "INSERT INTO link_results (sf_account_id, status, created, billing_id, message, at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sf_account_id) DO UPDATE SET status = excluded.status,"
                " created = excluded.created, billing_id = excluded.billing_id,"
                " message = excluded.message, at = excluded.at",
                [
                    (sf_id, status, int(created), billing_id, message, now)
                    for sf_id, status, created, billing_id, message in rows
                ],
            )

    async def get_many(self, sf_ids: Sequence[str]) -> dict[str, LinkResult]:
        found: dict[str, LinkResult] = {}
        for chunk in _chunks(list(sf_ids)):
            marks = ",".join("?" * len(chunk))
            async with (
                locked(self._db),
                self._db.execute(
                    f"SELECT * FROM link_results WHERE sf_account_id IN ({marks})", tuple(chunk)
                ) as cursor,
            ):
                async for row in cursor:
                    found[row["sf_account_id"]] = LinkResult(
                        row["sf_account_id"],
                        row["status"],
                        bool(row["created"]),
                        row["billing_id"],
                        row["message"],
                        row["at"],
                    )
        return found

    async def counts(self) -> dict[str, int]:
        async with (
            locked(self._db),
            self._db.execute("SELECT status, COUNT(*) FROM link_results GROUP BY status") as cursor,
        ):
            return {status: count async for status, count in cursor}

    async def created_count(self) -> int:
        async with (
            locked(self._db),
            self._db.execute("SELECT COUNT(*) FROM link_results WHERE created = 1") as cursor,
        ):
            row = await cursor.fetchone()
        return int(row[0]) if row else 0


class Checkpoints:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def get(self, name: str) -> str | None:
        async with (
            locked(self._db),
            self._db.execute("SELECT value FROM checkpoints WHERE name = ?", (name,)) as cursor,
        ):
            row = await cursor.fetchone()
        return None if row is None else str(row[0])

    async def set(self, name: str, value: str) -> None:
        async with transaction(self._db):
            await self._db.execute(
                "INSERT INTO checkpoints (name, value, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (name, value, _now()),
            )


def _link(row: aiosqlite.Row) -> Link:
    financials = row["financials"]
    return Link(
        row["sf_account_id"], row["billing_id"], row["ban"], json.loads(financials) if financials else None
    )


def _now() -> str:
    return datetime.now(UTC).isoformat()
