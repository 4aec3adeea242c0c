"""The replay-position store: events and the position they move to in one transaction,
redeliveries ignored, the position never backwards, and what a (re)subscription starts from."""

from collections.abc import AsyncIterator

import pytest

from integration.store import Store, StoredEvent, open_store

CHANNEL = "/data/AccountChangeEvent"


def stored(replay_id: int, at: str = "2026-01-01T00:00:00.000+00:00") -> StoredEvent:
    return StoredEvent(CHANNEL, replay_id, None, {"fields": {"n": replay_id}, "header": None}, at, 1.0)


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    opened = await open_store(":memory:")
    try:
        yield opened
    finally:
        await opened.close()


async def test_no_row_means_never_subscribed_and_a_row_without_id_means_replay_everything(
    store: Store,
) -> None:
    assert await store.channels.position(CHANNEL) is None
    await store.channels.subscribed(CHANNEL)
    position = await store.channels.position(CHANNEL)
    assert position is not None
    assert (position.replay_id, position.replay()) == (None, -2)


async def test_events_and_position_are_written_together_and_redeliveries_ignored(store: Store) -> None:
    assert await store.channels.record(CHANNEL, [stored(5), stored(6)]) == 2
    assert await store.channels.record(CHANNEL, [stored(6), stored(7)]) == 1  # 6 again: ignored
    position = await store.channels.position(CHANNEL)
    assert position is not None
    assert position.replay_id == 7
    assert [e.replay_id for e in await store.channels.take_new()] == [5, 6, 7]


async def test_the_position_never_moves_back(store: Store) -> None:
    await store.channels.record(CHANNEL, [stored(9, "2026-01-02T00:00:00.000+00:00")])
    await store.channels.record(CHANNEL, [stored(3, "2026-01-01T00:00:00.000+00:00")])  # a replay (-2)
    position = await store.channels.position(CHANNEL)
    assert position is not None
    assert (position.replay_id, position.last_event_at) == (9, "2026-01-02T00:00:00.000+00:00")


async def test_a_failed_transaction_stores_neither_events_nor_position(store: Store) -> None:
    bad = StoredEvent(CHANNEL, 2, None, {"fields": {"x": object()}}, None, 1.0)  # not JSON-able
    with pytest.raises(TypeError):
        await store.channels.record(CHANNEL, [stored(1), bad])
    assert await store.channels.position(CHANNEL) is None
    assert await store.channels.take_new() == []


async def test_forgetting_an_expired_position_keeps_the_time_of_the_last_event(store: Store) -> None:
    await store.channels.record(CHANNEL, [stored(4, "2026-01-03T00:00:00.000+00:00")])
    await store.channels.forget_position(CHANNEL)
    position = await store.channels.position(CHANNEL)
    assert position is not None
    assert (position.replay_id, position.last_event_at) == (None, "2026-01-03T00:00:00.000+00:00")


async def test_marking_and_pruning(store: Store) -> None:
    await store.channels.record(CHANNEL, [stored(i) for i in range(1, 6)])
    await store.channels.mark([(CHANNEL, 1), (CHANNEL, 2), (CHANNEL, 3)], "processed")
    await store.channels.mark([(CHANNEL, 4)], "dead", "bad action")
    assert await store.channels.counts() == {CHANNEL: {"processed": 3, "dead": 1, "new": 1}}
    assert await store.channels.prune(keep=2) == 3  # 1..3 processed and more than 2 behind 5
    assert await store.channels.counts() == {CHANNEL: {"dead": 1, "new": 1}}


async def test_a_batch_of_echoes_moves_the_position_without_storing_them(store: Store) -> None:
    # The core's own change events are not stored (the consumer passes none of them), but the
    # subscription must not replay them after a restart: the position moves past the batch.
    assert await store.channels.record(CHANNEL, [], through=stored(9)) == 0
    position = await store.channels.position(CHANNEL)
    assert position is not None
    assert position.replay_id == 9
    assert await store.channels.take_new() == []
