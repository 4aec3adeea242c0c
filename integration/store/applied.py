"""The versions of billing objects the core has already written to the CRM (issue 14).

Order processing writes a service's inventory record and an order's results itself; billing then
announces the same change by webhook (``service.activated``, ``order.completed``...). A webhook
whose object version the core has already applied is an echo of its own work: the dispatcher
drops it instead of queueing a job that would only re-read the CRM to find nothing to do.
Table ``applied_versions`` (schema in ``integration.store.db``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import aiosqlite

from integration.store.db import locked, transaction

CHUNK = 500  # ids per statement (SQLite's variable limit is far above)


class AppliedVersions:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def record(self, kind: str, versions: Mapping[str, int]) -> None:
        """Remember ``id -> version`` as applied (never moving a version backwards)."""
        if not versions:
            return
        async with transaction(self._db):
            await self._db.executemany(
                "INSERT INTO applied_versions (kind, id, version) VALUES (?, ?, ?)"
                " ON CONFLICT (kind, id) DO UPDATE SET version = MAX(version, excluded.version)",
                [(kind, key, int(version)) for key, version in versions.items()],
            )

    async def versions(self, kind: str, ids: Iterable[str]) -> dict[str, int]:
        """The applied version of each id that has one."""
        wanted = sorted(set(ids))
        applied: dict[str, int] = {}
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            marks = ", ".join("?" * len(chunk))
            async with (
                locked(self._db),
                self._db.execute(
                    f"SELECT id, version FROM applied_versions WHERE kind = ? AND id IN ({marks})",
                    (kind, *chunk),
                ) as cursor,
            ):
                applied.update({str(row[0]): int(row[1]) for row in await cursor.fetchall()})
        return applied
