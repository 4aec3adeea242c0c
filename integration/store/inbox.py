"""The inbox: every inbound event stored before it is acted on, deduplicated by event id."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from integration.store.db import locked, transaction


@dataclass(frozen=True)
class InboxEvent:
    event_id: str
    source: str
    type: str | None
    account_id: str | None
    payload: dict[str, Any]
    received_at: str


class Inbox:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def add(self, event_id: str, source: str, payload: dict[str, Any]) -> bool:
        """Store a well-formed event; False when this id was seen before (a duplicate)."""
        account_id = payload.get("account_id")
        async with transaction(self._db):
            cursor = await self._db.execute(
                "INSERT OR IGNORE INTO inbox (event_id, source, type, account_id, payload, received_at, status)"
                " VALUES (?, ?, ?, ?, ?, ?, 'new')",
                (
                    event_id,
                    source,
                    payload.get("type"),
                    account_id if isinstance(account_id, str) else None,
                    json.dumps(payload),
                    _now(),
                ),
            )
        return cursor.rowcount == 1

    async def add_dead(self, event_id: str, source: str, raw: str, reason: str) -> bool:
        """Keep a malformed event as a dead letter with the reason (never retried)."""
        async with transaction(self._db):
            cursor = await self._db.execute(
                "INSERT OR IGNORE INTO inbox (event_id, source, payload, received_at, status, reason)"
                " VALUES (?, ?, ?, ?, 'dead', ?)",
                (event_id, source, json.dumps({"raw": raw[:20_000]}), _now(), reason),
            )
        return cursor.rowcount == 1

    async def take_new(self, limit: int = 1000) -> list[InboxEvent]:
        async with (
            locked(self._db),
            self._db.execute(
                "SELECT event_id, source, type, account_id, payload, received_at FROM inbox"
                " WHERE status = 'new' ORDER BY received_at, event_id LIMIT ?",
                (limit,),
            ) as cursor,
        ):
            return [
                InboxEvent(
                    row["event_id"],
                    row["source"],
                    row["type"],
                    row["account_id"],
                    json.loads(row["payload"]),
                    row["received_at"],
                )
                async for row in cursor
            ]

    async def mark(self, event_ids: Sequence[str], status: str, reason: str | None = None) -> None:
        async with transaction(self._db):
            await self._db.executemany(
                "UPDATE inbox SET status = ?, reason = ? WHERE event_id = ?",
                [(status, reason, event_id) for event_id in event_ids],
            )

    async def counts(self) -> dict[str, int]:
        async with (
            locked(self._db),
            self._db.execute("SELECT status, COUNT(*) FROM inbox GROUP BY status") as cursor,
        ):
            return {status: count async for status, count in cursor}

    async def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        async with (
            locked(self._db),
            self._db.execute(
                "SELECT event_id, source, type, reason, received_at FROM inbox WHERE status = 'dead'"
                " ORDER BY received_at DESC LIMIT ?",
                (limit,),
            ) as cursor,
        ):
            return [dict(row) async for row in cursor]


def _now() -> str:
    return datetime.now(UTC).isoformat()
