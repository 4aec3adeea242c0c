from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from integration.store import Store, open_store


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await open_store(tmp_path / "core.sqlite3", owner="worker-a")
    yield opened
    await opened.close()


async def test_pending_jobs_coalesce_per_kind_and_key(store: Store) -> None:
    await store.jobs.enqueue_many("sync", [("acct_1", None), ("acct_2", None)])
    await store.jobs.enqueue_many("sync", [("acct_1", None)] * 50)
    await store.jobs.enqueue_many("link", [("acct_1", {"Id": "acct_1"})])
    assert await store.jobs.open_count("sync") == 2
    assert await store.jobs.open_count() == 3


async def test_newest_payload_wins_and_earliest_run_time_is_kept(store: Store) -> None:
    await store.jobs.enqueue("link", "001A", {"Name": "old"}, delay=10)
    await store.jobs.enqueue("link", "001A", {"Name": "new"}, delay=0)
    jobs = await store.jobs.lease("link", 10)
    assert [(j.key, j.payload, j.attempts) for j in jobs] == [("001A", {"Name": "new"}, 1)]


async def test_lease_takes_only_due_jobs_of_one_kind_in_order(tmp_path: Path) -> None:
    clock = FakeTime()
    store = await open_store(tmp_path / "db.sqlite3", owner="w")
    store.jobs._now = clock
    try:
        await store.jobs.enqueue_many("sync", [(f"k{n}", None) for n in range(5)])
        await store.jobs.enqueue("sync", "later", delay=30)
        await store.jobs.enqueue("link", "other")
        first = await store.jobs.lease("sync", 3)
        assert [j.key for j in first] == ["k0", "k1", "k2"]
        assert [j.key for j in await store.jobs.lease("sync", 10)] == ["k3", "k4"]
        assert await store.jobs.lease("sync", 10) == []
        assert await store.jobs.next_due("sync") == clock.now + 30
        clock.now += 30
        assert [j.key for j in await store.jobs.lease("sync", 10)] == ["later"]
    finally:
        await store.close()


async def test_complete_retry_and_dead(store: Store) -> None:
    await store.jobs.enqueue_many("sync", [("a", None), ("b", None), ("c", None)])
    a, b, c = await store.jobs.lease("sync", 10)
    await store.jobs.complete([a.id])
    await store.jobs.retry([b.id], "503 from billing", delay=0)
    await store.jobs.dead([c.id], "malformed")
    assert await store.jobs.counts() == {"sync": {"done": 1, "pending": 1, "dead": 1}}
    (again,) = await store.jobs.lease("sync", 10)
    assert (again.key, again.attempts) == ("b", 2)
    assert (await store.jobs.dead_jobs())[0]["last_error"] == "malformed"


async def test_retry_folds_into_a_newer_pending_job(store: Store) -> None:
    await store.jobs.enqueue("sync", "acct")
    (leased,) = await store.jobs.lease("sync", 1)
    await store.jobs.enqueue("sync", "acct")  # an event arrived while the first run was going on
    await store.jobs.retry([leased.id], "failed", delay=0)
    assert await store.jobs.open_count("sync") == 1


async def test_a_restarted_process_takes_back_jobs_leased_by_a_dead_one(tmp_path: Path) -> None:
    path = tmp_path / "core.sqlite3"
    first = await open_store(path, owner="process-1")
    await first.jobs.enqueue_many("link", [(f"001{n}", {"Id": f"001{n}"}) for n in range(4)])
    leased = await first.jobs.lease("link", 2)
    assert len(leased) == 2
    await first.close()  # as good as a SIGKILL for the database: the lease is left behind

    second = await open_store(path, owner="process-2")
    try:
        assert await second.jobs.recover() == 2
        keys = sorted(j.key for j in await second.jobs.lease("link", 10))
        assert keys == ["0010", "0011", "0012", "0013"]
    finally:
        await second.close()


async def test_open_keys_counts_only_unfinished_jobs(store: Store) -> None:
    await store.jobs.enqueue_many("link", [("x", None), ("y", None)])
    x, _ = await store.jobs.lease("link", 2)
    await store.jobs.complete([x.id])
    assert await store.jobs.open_keys("link", ["x", "y", "z"]) == 1
