"""The integration core's durable store (SQLite via aiosqlite)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from integration.store.applied import AppliedVersions
from integration.store.channels import Channels, Position, StoredEvent
from integration.store.db import open_database
from integration.store.inbox import Inbox, InboxEvent
from integration.store.jobs import Job, JobQueue
from integration.store.xref import Checkpoints, Link, LinkResult, LinkResults, Xref

__all__ = [
    "AppliedVersions",
    "Channels",
    "Checkpoints",
    "Inbox",
    "InboxEvent",
    "Job",
    "JobQueue",
    "Link",
    "LinkResult",
    "LinkResults",
    "Position",
    "Store",
    "StoredEvent",
    "Xref",
    "open_store",
]


@dataclass
class Store:
    db: aiosqlite.Connection
    jobs: JobQueue
    inbox: Inbox
    xref: Xref
    link_results: LinkResults
    checkpoints: Checkpoints
    channels: Channels
    applied: AppliedVersions

    async def close(self) -> None:
        await self.db.close()


async def open_store(path: Path | str, *, owner: str | None = None) -> Store:
    db = await open_database(path)
    return Store(
        db=db,
        jobs=JobQueue(db, owner=owner or f"core-{uuid.uuid4().hex[:12]}"),
        inbox=Inbox(db),
        xref=Xref(db),
        link_results=LinkResults(db),
        checkpoints=Checkpoints(db),
        channels=Channels(db),
        applied=AppliedVersions(db),
    )
