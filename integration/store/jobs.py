"""The durable job queue: enqueue (coalescing per kind and key), lease in batches, complete,
retry with a delay, dead-letter. Leases carry the owner (one id per process), so a restarted
core takes back what a killed one held."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from integration.store.db import locked, transaction


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    key: str
    payload: dict[str, Any] | None
    attempts: int
    enqueued_at: float


class JobQueue:
    def __init__(self, db: aiosqlite.Connection, *, owner: str, now: Callable[[], float] = time.time) -> None:
        self._db = db
        self.owner = owner
        self._now = now

    async def enqueue_many(
        self, kind: str, items: Iterable[tuple[str, dict[str, Any] | None]], *, delay: float = 0.0
    ) -> int:
        """Add or refresh one pending job per key (the newest payload wins); returns how many."""
        now = self._now()
        rows = [
            (kind, key, json.dumps(payload) if payload is not None else None, now + delay, now, now)
            for key, payload in items
        ]
        if not rows:
            return 0
        async with transaction(self._db):
            await self._db.executemany(
                """
                INSERT INTO jobs (kind, key, payload, status, next_run_at, enqueued_at, updated_at)
                VALUES (?, ?, ?, 'pending', ?, ?, ?)
                ON CONFLICT (kind, key) WHERE status = 'pending' DO UPDATE SET
                    payload = COALESCE(excluded.payload, jobs.payload),
                    next_run_at = MIN(jobs.next_run_at, excluded.next_run_at),
                    updated_at = excluded.updated_at
                """,
                rows,
            )
        return len(rows)

    async def enqueue(
        self, kind: str, key: str, payload: dict[str, Any] | None = None, *, delay: float = 0.0
    ) -> None:
        await self.enqueue_many(kind, [(key, payload)], delay=delay)

    async def lease(self, kind: str, limit: int, *, lease_seconds: float = 300.0) -> list[Job]:
        """Take up to ``limit`` due pending jobs of one kind, oldest first."""
        now = self._now()
        async with transaction(self._db):
            cursor = await self._db.execute(
                """
                UPDATE jobs SET status = 'leased', lease_owner = ?, lease_until = ?, attempts = attempts + 1,
                                updated_at = ?
                WHERE id IN (SELECT id FROM jobs WHERE status = 'pending' AND kind = ? AND next_run_at <= ?
                             ORDER BY next_run_at, id LIMIT ?)
                RETURNING id, kind, key, payload, attempts, enqueued_at
                """,
                (self.owner, now + lease_seconds, now, kind, now, limit),
            )
            rows = await cursor.fetchall()
        jobs = [
            Job(
                row["id"],
                row["kind"],
                row["key"],
                json.loads(row["payload"]) if row["payload"] else None,
                row["attempts"],
                row["enqueued_at"],
            )
            for row in rows
        ]
        return sorted(jobs, key=lambda job: job.id)

    async def complete(self, job_ids: Sequence[int]) -> None:
        if job_ids:
            await self._finish(job_ids, "done", None)

    async def dead(self, job_ids: Sequence[int], error: str) -> None:
        if job_ids:
            await self._finish(job_ids, "dead", error)

    async def _finish(self, job_ids: Sequence[int], status: str, error: str | None) -> None:
        now = self._now()
        async with transaction(self._db):
            await self._db.executemany(
                "UPDATE jobs SET status = ?, last_error = ?, lease_owner = NULL, lease_until = NULL, updated_at = ?"
                " WHERE id = ?",
                [(status, error, now, job_id) for job_id in job_ids],
            )

    async def retry(self, job_ids: Sequence[int], error: str, *, delay: float) -> None:
        """Back to pending after ``delay`` seconds. If a newer pending job for the same key
        appeared meanwhile, this one is folded into it."""
        now = self._now()
        async with transaction(self._db):
            for job_id in job_ids:
                await self._db.execute(
                    """
                    UPDATE jobs SET status = CASE WHEN EXISTS (
                            SELECT 1 FROM jobs AS other
                            WHERE other.kind = jobs.kind AND other.key = jobs.key AND other.status = 'pending')
                        THEN 'done' ELSE 'pending' END,
                        next_run_at = ?, last_error = ?, lease_owner = NULL, lease_until = NULL, updated_at = ?
                    WHERE id = ?
                    """,
                    (now + delay, error, now, job_id),
                )

    async def recover(self) -> int:
        """At start-up: jobs leased by any other (dead) process, or whose lease ran out, go back
        to pending. Assumes one core process per store file (documented)."""
        now = self._now()
        async with transaction(self._db):
            cursor = await self._db.execute(
                """
                UPDATE jobs SET status = CASE WHEN EXISTS (
                        SELECT 1 FROM jobs AS other
                        WHERE other.kind = jobs.kind AND other.key = jobs.key AND other.status = 'pending')
                    THEN 'done' ELSE 'pending' END,
                    lease_owner = NULL, lease_until = NULL, updated_at = ?
                WHERE status = 'leased' AND (lease_owner != ? OR lease_until < ?)
                """,
                (now, self.owner, now),
            )
            return cursor.rowcount

    async def next_due(self, kind: str | None = None) -> float | None:
        query = "SELECT MIN(next_run_at) FROM jobs WHERE status = 'pending'"
        params: tuple[Any, ...] = ()
        if kind is not None:
            query += " AND kind = ?"
            params = (kind,)
        async with locked(self._db), self._db.execute(query, params) as cursor:
            row = await cursor.fetchone()
        return None if row is None or row[0] is None else float(row[0])

    async def counts(self) -> dict[str, dict[str, int]]:
        """``{kind: {status: n}}``."""
        result: dict[str, dict[str, int]] = {}
        async with (
            locked(self._db),
            self._db.execute("SELECT kind, status, COUNT(*) FROM jobs GROUP BY kind, status") as cursor,
        ):
            async for kind, status, count in cursor:
                result.setdefault(kind, {})[status] = count
        return result

    async def open_count(self, kind: str | None = None) -> int:
        query = "SELECT COUNT(*) FROM jobs WHERE status IN ('pending', 'leased')"
        params: tuple[Any, ...] = ()
        if kind is not None:
            query += " AND kind = ?"
            params = (kind,)
        async with locked(self._db), self._db.execute(query, params) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def open_keys(self, kind: str, keys: Sequence[str]) -> int:
        """How many of these keys still have a pending or leased job."""
        total = 0
        for start in range(0, len(keys), 900):
            chunk = keys[start : start + 900]
            marks = ",".join("?" * len(chunk))
            async with (
                locked(self._db),
                self._db.execute(
                    f"SELECT COUNT(DISTINCT key) FROM jobs WHERE kind = ? AND key IN ({marks})"
                    " AND status IN ('pending', 'leased')",
                    (kind, *chunk),
                ) as cursor,
            ):
                row = await cursor.fetchone()
            total += int(row[0]) if row else 0
        return total

    async def dead_jobs(self, limit: int = 100) -> list[dict[str, Any]]:
        async with (
            locked(self._db),
            self._db.execute(
                "SELECT id, kind, key, attempts, last_error FROM jobs WHERE status = 'dead' ORDER BY id DESC LIMIT ?",
                (limit,),
            ) as cursor,
        ):
            return [dict(row) async for row in cursor]
