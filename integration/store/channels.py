"""Salesforce event channels in the core's store: the events received (an inbox per channel) and
each channel's replay position.

An event and the position it moves the channel to are written in ONE transaction, so the stored
position never runs ahead of the work (the event is durable before the position says it was
seen) and a redelivered event (same channel and replay id) is ignored: after a crash or a
reconnect the transport resumes from the position, and whatever it sends twice costs nothing.

Tables ``channel_events`` and ``replay_positions`` (schema in ``integration.store.db``).
Positions:
- no row, or a row without a replay id (subscribed, nothing durable yet; or after a recovery
  scan): the next subscription asks for every retained event (-2), as the delta poll's first
  scan reads every pending request; nothing published while the core was down or not yet
  started is lost (processing is idempotent, replaying older events is harmless);
- a replay id: the last event stored; the next subscription resumes after it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from integration.store.db import locked, transaction

NEW_EVENTS, ALL_EVENTS = -1, -2  # Salesforce's replay presets (CometD ext.replay values)


@dataclass(frozen=True)
class StoredEvent:
    channel: str
    replay_id: int
    event_uuid: str | None
    payload: dict[str, Any]
    created_at: str | None
    received_at: float


@dataclass(frozen=True)
class Position:
    channel: str
    replay_id: int | None
    last_event_at: str | None

    def replay(self) -> int:
        """The replay value to subscribe with (a stored id, or -2 when none is stored yet)."""
        return ALL_EVENTS if self.replay_id is None else self.replay_id


class Channels:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def position(self, channel: str) -> Position | None:
        async with (
            locked(self._db),
            self._db.execute(
                "SELECT replay_id, last_event_at FROM replay_positions WHERE channel = ?", (channel,)
            ) as cursor,
        ):
            row = await cursor.fetchone()
        if row is None:
            return None
        replay_id = row["replay_id"]
        return Position(channel, None if replay_id is None else int(replay_id), row["last_event_at"])

    async def subscribed(self, channel: str) -> None:
        """Remember that the core subscribes to ``channel`` (a row without a replay id, unless it
        has one already): a restart before the first event then asks for every retained event."""
        async with transaction(self._db):
            await self._db.execute(
                "INSERT OR IGNORE INTO replay_positions (channel, replay_id, updated_at) VALUES (?, NULL, ?)",
                (channel, _now()),
            )

    async def forget_position(self, channel: str) -> None:
        """The stored replay id expired: drop it (keeping ``last_event_at`` for the recovery
        scan); the channel resumes live after the scan."""
        async with transaction(self._db):
            await self._db.execute(
                "INSERT INTO replay_positions (channel, replay_id, updated_at) VALUES (?, NULL, ?)"
                " ON CONFLICT (channel) DO UPDATE SET replay_id = NULL, updated_at = excluded.updated_at",
                (channel, _now()),
            )

    async def record(
        self, channel: str, events: Sequence[StoredEvent], *, through: StoredEvent | None = None
    ) -> int:
        """Store events of one channel and move its position to the newest, atomically. Events
        already stored (a redelivery) are ignored. Returns how many were new. ``through``: the
        newest event the transport delivered, when some were not worth storing (the core's own
        echoes): the position still moves past them."""
        if not events and through is None:
            return 0
        newest = through or max(events, key=lambda e: e.replay_id)
        async with transaction(self._db):
            added = 0
            for event in events:
                cursor = await self._db.execute(
                    "INSERT OR IGNORE INTO channel_events (channel, replay_id, event_uuid, payload, created_at,"
                    " received_at, status) VALUES (?, ?, ?, ?, ?, ?, 'new')",
                    (
                        channel,
                        event.replay_id,
                        event.event_uuid,
                        json.dumps(event.payload),
                        event.created_at,
                        event.received_at,
                    ),
                )
                added += cursor.rowcount
            # Never backwards: a replay of older events (-2 after a restart) leaves the position.
            await self._db.execute(
                """
                INSERT INTO replay_positions (channel, replay_id, last_event_at, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (channel) DO UPDATE SET
                    replay_id = MAX(COALESCE(replay_positions.replay_id, 0), excluded.replay_id),
                    last_event_at = MAX(COALESCE(replay_positions.last_event_at, ''), excluded.last_event_at),
                    updated_at = excluded.updated_at
                """,
                (channel, newest.replay_id, newest.created_at or "", _now()),
            )
        return added

    async def take_new(self, limit: int = 1000) -> list[StoredEvent]:
        async with (
            locked(self._db),
            self._db.execute(
                "SELECT channel, replay_id, event_uuid, payload, created_at, received_at FROM channel_events"
                " WHERE status = 'new' ORDER BY received_at, channel, replay_id LIMIT ?",
                (limit,),
            ) as cursor,
        ):
            return [
                StoredEvent(
                    row["channel"],
                    int(row["replay_id"]),
                    row["event_uuid"],
                    json.loads(row["payload"]),
                    row["created_at"],
                    float(row["received_at"]),
                )
                async for row in cursor
            ]

    async def mark(self, keys: Sequence[tuple[str, int]], status: str, reason: str | None = None) -> None:
        if not keys:
            return
        async with transaction(self._db):
            await self._db.executemany(
                "UPDATE channel_events SET status = ?, reason = ? WHERE channel = ? AND replay_id = ?",
                [(status, reason, channel, replay_id) for channel, replay_id in keys],
            )

    async def counts(self) -> dict[str, dict[str, int]]:
        """``{channel: {status: n}}``."""
        result: dict[str, dict[str, int]] = {}
        async with (
            locked(self._db),
            self._db.execute(
                "SELECT channel, status, COUNT(*) FROM channel_events GROUP BY channel, status"
            ) as cursor,
        ):
            async for channel, status, count in cursor:
                result.setdefault(channel, {})[status] = count
        return result

    async def positions(self) -> list[Position]:
        async with (
            locked(self._db),
            self._db.execute(
                "SELECT channel, replay_id, last_event_at FROM replay_positions ORDER BY channel"
            ) as cursor,
        ):
            return [
                Position(
                    row["channel"],
                    None if row["replay_id"] is None else int(row["replay_id"]),
                    row["last_event_at"],
                )
                async for row in cursor
            ]

    async def prune(self, keep: int = 10_000) -> int:
        """Drop processed events beyond the newest ``keep`` per channel (the position, not the
        rows, is what resumes a subscription; the rows are for dedupe and inspection)."""
        async with transaction(self._db):
            cursor = await self._db.execute(
                """
                DELETE FROM channel_events WHERE status != 'new' AND replay_id <= (
                    SELECT COALESCE(MAX(replay_id), 0) - ? FROM channel_events AS newer
                    WHERE newer.channel = channel_events.channel)
                """,
                (keep,),
            )
            return cursor.rowcount


def _now() -> str:
    return datetime.now(UTC).isoformat()
