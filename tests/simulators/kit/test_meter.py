from datetime import UTC, datetime, timedelta

import pytest

from simulators.kit.clock import Clock
from simulators.kit.meter import LimitExceeded, Meter, RateLimiter

START = datetime(2026, 3, 1, tzinfo=UTC)


def make(limit: int | None = None, enforce: bool = True) -> tuple[Clock, Meter]:
    clock = Clock(start=START, frozen=True)
    return clock, Meter(clock, limits={"rest": limit} if limit else None, enforce=enforce)


async def test_window_rolls_with_the_virtual_clock() -> None:
    clock, meter = make()
    meter.record("rest", scope="org1", caller="app", count=3)
    await clock.advance(timedelta(hours=12))
    meter.record("rest", scope="org1", caller="app", count=2)
    assert meter.reading("rest", "org1").used == 5
    await clock.advance(timedelta(hours=12))  # the first 3 are now exactly 24 h old: out
    assert meter.reading("rest", "org1").used == 2
    await clock.advance(timedelta(hours=12))
    assert meter.reading("rest", "org1").used == 0
    assert meter.report()["families"]["rest"]["all_time"] == 5


def test_counts_are_kept_per_family_scope_and_caller() -> None:
    _, meter = make()
    meter.record("rest", scope="org1", caller="a")
    meter.record("rest", scope="org1", caller="b", count=2)
    meter.record("rest", scope="org2", caller="a", count=4)
    meter.record("bulk", scope="org1", caller="a", count=7)
    assert meter.used("rest") == 7
    assert meter.used("rest", scope="org1") == 3
    assert meter.used(caller="a") == 12
    assert meter.used("rest", scope="org1", caller="b") == 2
    report = meter.report()
    assert report["total"] == 14
    assert report["families"]["rest"]["scopes"]["org1"]["callers"]["b"] == {"used": 2, "all_time": 2}


def test_limit_is_enforced_per_scope_and_refused_calls_are_not_counted() -> None:
    _, meter = make(limit=3)
    for _ in range(3):
        meter.record("rest", scope="org1")
    with pytest.raises(LimitExceeded) as refused:
        meter.record("rest", scope="org1")
    assert refused.value.reading.used == 3
    assert refused.value.reading.limit == 3
    assert meter.reading("rest", "org1").used == 3
    assert meter.record("rest", scope="org2").used == 1  # another org has its own allowance


async def test_limit_frees_up_as_the_window_rolls() -> None:
    clock, meter = make(limit=2)
    meter.record("rest", scope="org1", count=2)
    assert meter.reading("rest", "org1").exhausted
    await clock.advance(timedelta(hours=24))
    assert meter.record("rest", scope="org1").used == 1


def test_without_enforcement_the_meter_counts_past_the_limit() -> None:
    _, meter = make(limit=1, enforce=False)
    meter.record("rest")
    reading = meter.record("rest")
    assert reading.used == 2
    assert reading.remaining == 0


def test_rate_limiter_allows_a_burst_then_paces() -> None:
    now = [0.0]
    limiter = RateLimiter(rate=10, burst=3, now=lambda: now[0])
    assert [limiter.acquire("k") for _ in range(3)] == [None, None, None]
    wait = limiter.acquire("k")
    assert wait == pytest.approx(0.1)
    now[0] += 0.1
    assert limiter.acquire("k") is None
    assert limiter.acquire("other") is None  # buckets are per key
