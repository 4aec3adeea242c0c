"""The core's durable store: one SQLite file (WAL) under ``.q2c/``, opened through aiosqlite.

Tables:
- ``xref``: Salesforce Account Id <-> billing account id <-> BAN, plus the last values written
  to Salesforce (so a sync writes only what changed, without reading Salesforce first).
- ``inbox``: every inbound event, keyed by its event id (webhook-id), written before it is
  acted on; a malformed one is kept as a dead letter with the reason.
- ``jobs``: the work queue (kind + key, attempts, next run time, lease); at most one pending
  job per (kind, key), so 1,000 events about one account coalesce into one job.
- ``checkpoints``: cursors (billing event log position, Salesforce SystemModstamp).
- ``channel_events``, ``replay_positions``: Salesforce events received and each channel's
  replay position (``integration.store.channels``).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS xref (
    sf_account_id   TEXT PRIMARY KEY,
    billing_id      TEXT UNIQUE,
    ban             TEXT UNIQUE,
    linked_at       TEXT,
    financials      TEXT,           -- JSON of the seven fields as last written to Salesforce
    financials_at   TEXT
);
CREATE TABLE IF NOT EXISTS link_results (
    sf_account_id   TEXT PRIMARY KEY,
    status          TEXT NOT NULL,  -- linked | refused | failed
    created         INTEGER NOT NULL DEFAULT 0,
    billing_id      TEXT,
    message         TEXT,
    at              TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS synced_invoices (
    invoice_id      TEXT PRIMARY KEY,
    sf_account_id   TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,  -- hash of the fields last written to Salesforce
    synced_at       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS synced_invoices_account ON synced_invoices (sf_account_id);
CREATE TABLE IF NOT EXISTS inbox (
    event_id        TEXT PRIMARY KEY,
    source          TEXT NOT NULL,  -- webhook | poll
    type            TEXT,
    account_id      TEXT,
    payload         TEXT NOT NULL,
    received_at     TEXT NOT NULL,
    status          TEXT NOT NULL,  -- new | processed | dead
    reason          TEXT
);
CREATE INDEX IF NOT EXISTS inbox_status ON inbox (status, received_at);
CREATE TABLE IF NOT EXISTS jobs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL,
    key             TEXT NOT NULL,
    payload         TEXT,
    status          TEXT NOT NULL,  -- pending | leased | done | dead
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_run_at     REAL NOT NULL,
    lease_owner     TEXT,
    lease_until     REAL,
    last_error      TEXT,
    enqueued_at     REAL NOT NULL,
    updated_at      REAL NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_one_pending_per_key ON jobs (kind, key) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (status, kind, next_run_at);
CREATE TABLE IF NOT EXISTS checkpoints (
    name            TEXT PRIMARY KEY,
    value           TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS channel_events (
    channel         TEXT NOT NULL,
    replay_id       INTEGER NOT NULL,
    event_uuid      TEXT,
    payload         TEXT NOT NULL,  -- the transport-neutral event (integration.events.model)
    created_at      TEXT,           -- when Salesforce created it (commit time / CreatedDate)
    received_at     REAL NOT NULL,  -- epoch seconds
    status          TEXT NOT NULL,  -- new | processed | dead
    reason          TEXT,
    PRIMARY KEY (channel, replay_id)
);
CREATE INDEX IF NOT EXISTS channel_events_status ON channel_events (status, received_at);
CREATE TABLE IF NOT EXISTS applied_versions (
    kind            TEXT NOT NULL,  -- service | order (billing objects)
    id              TEXT NOT NULL,
    version         INTEGER NOT NULL, -- the newest version the core wrote to the CRM
    PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS replay_positions (
    channel         TEXT PRIMARY KEY,
    replay_id       INTEGER,        -- NULL: subscribed, nothing stored yet (see the module doc)
    last_event_at   TEXT,           -- created_at of the newest stored event (recovery scans)
    updated_at      TEXT NOT NULL
);
"""


async def open_database(path: Path | str) -> aiosqlite.Connection:
    """Open (creating if needed) the store. ``":memory:"`` is accepted for tests."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    connection = await aiosqlite.connect(str(path), isolation_level=None)
    connection.row_factory = aiosqlite.Row
    await connection.execute("PRAGMA journal_mode=WAL")
    # NORMAL is durable across a process crash (SIGKILL) in WAL mode; only power loss can lose
    # the last transactions, which is fine for a sandbox.
    await connection.execute("PRAGMA synchronous=NORMAL")
    await connection.execute("PRAGMA busy_timeout=5000")
    await connection.executescript(SCHEMA)
    return connection


_LOCKS: weakref.WeakKeyDictionary[aiosqlite.Connection, asyncio.Lock] = weakref.WeakKeyDictionary()


def _lock(connection: aiosqlite.Connection) -> asyncio.Lock:
    """One lock per connection: a transaction spans several awaits, and any other statement sent
    on the same connection meanwhile would silently join it."""
    lock = _LOCKS.get(connection)
    if lock is None:
        lock = _LOCKS[connection] = asyncio.Lock()
    return lock


@asynccontextmanager
async def transaction(connection: aiosqlite.Connection) -> AsyncIterator[aiosqlite.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on error, alone on the connection."""
    async with _lock(connection):
        await connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            await connection.execute("ROLLBACK")
            raise
        await connection.execute("COMMIT")


@asynccontextmanager
async def locked(connection: aiosqlite.Connection) -> AsyncIterator[aiosqlite.Connection]:
    """For reads: never interleaved with someone else's open transaction."""
    async with _lock(connection):
        yield connection
