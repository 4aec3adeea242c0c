import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from simulators.kit.clock import MAX_DATETIME, Clock, ClockError

START = datetime(2026, 1, 1, tzinfo=UTC)


def frozen() -> Clock:
    return Clock(start=START, frozen=True)


def test_frozen_clock_does_not_move_by_itself() -> None:
    clock = frozen()
    assert clock.now() == START
    assert clock.today().isoformat() == "2026-01-01"


def test_running_clock_follows_wall_time_plus_offset() -> None:
    wall = [1_000.0]
    clock = Clock(start=START, wall=lambda: wall[0])
    wall[0] += 90
    assert clock.now() == START + timedelta(seconds=90)


async def test_advance_by_and_to_move_forward_and_tell_listeners() -> None:
    clock = frozen()
    spans: list[tuple[datetime, datetime]] = []

    async def listener(old: datetime, new: datetime) -> None:
        spans.append((old, new))

    clock.subscribe(listener)
    await clock.advance(timedelta(days=1))
    await clock.advance(to=START + timedelta(days=3))
    assert clock.now() == START + timedelta(days=3)
    assert spans == [
        (START, START + timedelta(days=1)),
        (START + timedelta(days=1), START + timedelta(days=3)),
    ]


async def test_clock_refuses_to_move_backwards() -> None:
    clock = frozen()
    with pytest.raises(ClockError, match="only moves forward"):
        await clock.advance(timedelta(seconds=-1))
    with pytest.raises(ClockError, match="only moves forward"):
        await clock.advance(to=START - timedelta(days=1))
    with pytest.raises(ClockError, match="out of range"):
        await clock.advance(to=MAX_DATETIME + timedelta(days=1))
    assert clock.now() == START


async def test_unsubscribed_listener_is_not_called() -> None:
    clock = frozen()
    calls = []

    async def listener(old: datetime, new: datetime) -> None:
        calls.append(new)

    unsubscribe = clock.subscribe(listener)
    unsubscribe()
    await clock.advance(timedelta(hours=1))
    assert calls == []


async def test_timer_fires_when_advance_passes_its_deadline() -> None:
    clock = frozen()
    timer = clock.timer(START + timedelta(hours=5))
    assert clock.pending_sleepers() == 1
    await clock.advance(timedelta(hours=4))
    assert not timer.done()
    await clock.advance(timedelta(hours=2))
    assert timer.done()
    assert clock.pending_sleepers() == 0


async def test_timer_already_due_is_resolved_at_once() -> None:
    clock = frozen()
    assert clock.timer(START).done()


async def test_sleeper_on_running_clock_wakes_by_real_time() -> None:
    clock = Clock(start=START)  # running: wall time passes
    deadline = clock.now() + timedelta(milliseconds=20)
    await asyncio.wait_for(clock.sleep_until(deadline), timeout=2)
    assert clock.now() >= deadline


async def test_reset_restores_start_and_wakes_sleepers() -> None:
    clock = frozen()
    await clock.advance(timedelta(days=10))
    timer = clock.timer(START + timedelta(days=20))
    await clock.reset()
    assert timer.done()
    assert clock.now() == START


def test_freeze_then_unfreeze_keeps_time_continuous() -> None:
    wall = [0.0]
    clock = Clock(start=START, wall=lambda: wall[0])
    wall[0] = 10
    clock.freeze()
    wall[0] = 100
    assert clock.now() == START + timedelta(seconds=10)
    clock.unfreeze()
    wall[0] = 105
    assert clock.now() == START + timedelta(seconds=15)
