"""Metering: every vendor call counted per API family, per scope (an org, an API key), per caller.

Counts live in one-second buckets over a rolling window of the *virtual* clock, so a test that
advances the clock by 24 hours sees yesterday's calls fall out of the window. A family may have a
limit per scope; with enforcement on, ``record`` refuses the call that would go over it.

``RateLimiter`` is the other kind of limit (requests per second with a burst), a token bucket per
key, as billing APIs apply it (429 + Retry-After).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from simulators.kit.clock import Clock


@dataclass(frozen=True)
class MeterReading:
    family: str
    scope: str
    used: int
    limit: int | None

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.used, 0)

    @property
    def exhausted(self) -> bool:
        return self.limit is not None and self.used >= self.limit


class LimitExceeded(Exception):
    """Raised by ``Meter.record`` when enforcement is on and the call would pass the limit."""

    def __init__(self, reading: MeterReading) -> None:
        super().__init__(f"{reading.family} limit of {reading.limit} reached for {reading.scope}")
        self.reading = reading


@dataclass
class _Window:
    """Counts in one-second buckets, oldest first, with a running total."""

    buckets: deque[list[int]] = field(default_factory=deque)
    total: int = 0

    def add(self, second: int, count: int) -> None:
        if self.buckets and self.buckets[-1][0] == second:
            self.buckets[-1][1] += count
        else:
            self.buckets.append([second, count])
        self.total += count

    def evict(self, oldest_kept: int) -> None:
        while self.buckets and self.buckets[0][0] < oldest_kept:
            self.total -= self.buckets.popleft()[1]


class Meter:
    def __init__(
        self,
        clock: Clock,
        *,
        window: timedelta = timedelta(hours=24),
        limits: Mapping[str, int] | None = None,
        enforce: bool = True,
    ) -> None:
        self._clock = clock
        self._window_seconds = int(window.total_seconds())
        self._limits: dict[str, int] = dict(limits or {})
        self.enforce = enforce
        self._by_scope: dict[tuple[str, str], _Window] = {}
        self._by_caller: dict[tuple[str, str, str], _Window] = {}
        self._all_time: dict[tuple[str, str, str], int] = {}

    @property
    def window(self) -> timedelta:
        return timedelta(seconds=self._window_seconds)

    def set_limit(self, family: str, limit: int | None) -> None:
        if limit is None:
            self._limits.pop(family, None)
        else:
            self._limits[family] = limit

    def limit(self, family: str) -> int | None:
        return self._limits.get(family)

    def _oldest_kept(self) -> int:
        return math.floor(self._clock.timestamp()) - self._window_seconds + 1

    def reading(self, family: str, scope: str = "default") -> MeterReading:
        window = self._by_scope.get((family, scope))
        used = 0
        if window is not None:
            window.evict(self._oldest_kept())
            used = window.total
        return MeterReading(family, scope, used, self._limits.get(family))

    def record(
        self, family: str, *, scope: str = "default", caller: str = "anonymous", count: int = 1
    ) -> MeterReading:
        """Count ``count`` calls; refuse (without counting) past the limit when enforcing."""
        current = self.reading(family, scope)
        if self.enforce and current.limit is not None and current.used + count > current.limit:
            # Assumption: a refused call is not counted (Salesforce's docs do not say otherwise).
            raise LimitExceeded(current)
        second = math.floor(self._clock.timestamp())
        self._by_scope.setdefault((family, scope), _Window()).add(second, count)
        caller_window = self._by_caller.setdefault((family, scope, caller), _Window())
        caller_window.evict(self._oldest_kept())
        caller_window.add(second, count)
        key = (family, scope, caller)
        self._all_time[key] = self._all_time.get(key, 0) + count
        return MeterReading(family, scope, current.used + count, current.limit)

    def used(self, family: str | None = None, *, scope: str | None = None, caller: str | None = None) -> int:
        """Calls in the current window matching every filter given."""
        oldest = self._oldest_kept()
        total = 0
        for (fam, scp, who), window in self._by_caller.items():
            if (
                (family is not None and fam != family)
                or (scope is not None and scp != scope)
                or (caller is not None and who != caller)
            ):
                continue
            window.evict(oldest)
            total += window.total
        return total

    def report(self) -> dict[str, Any]:
        """The shape served at ``/__sim/usage``."""
        oldest = self._oldest_kept()
        families: dict[str, Any] = {}
        for (family, scope, caller), window in sorted(self._by_caller.items()):
            window.evict(oldest)
            fam = families.setdefault(
                family, {"limit": self._limits.get(family), "used": 0, "all_time": 0, "scopes": {}}
            )
            scp = fam["scopes"].setdefault(scope, {"used": 0, "all_time": 0, "callers": {}})
            all_time = self._all_time.get((family, scope, caller), 0)
            scp["callers"][caller] = {"used": window.total, "all_time": all_time}
            scp["used"] += window.total
            scp["all_time"] += all_time
            fam["used"] += window.total
            fam["all_time"] += all_time
        for family, limit in self._limits.items():
            families.setdefault(family, {"limit": limit, "used": 0, "all_time": 0, "scopes": {}})
        return {
            "window_seconds": self._window_seconds,
            "as_of": self._clock.now().isoformat(),
            "total": sum(f["used"] for f in families.values()),
            "families": families,
        }

    def reset(self) -> None:
        self._by_scope.clear()
        self._by_caller.clear()
        self._all_time.clear()


class RateLimiter:
    """Token buckets per key: ``rate`` tokens per second up to ``burst``.

    Pacing is a property of real time (a client sending too fast), so it uses a monotonic wall
    clock by default, not the virtual clock (which may be frozen).
    """

    def __init__(self, rate: float, burst: int, *, now: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst <= 0:
            raise ValueError("rate and burst must be positive")
        self.rate = rate
        self.burst = burst
        self._now = now
        self._buckets: dict[str, tuple[float, float]] = {}

    def acquire(self, key: str) -> float | None:
        """Take a token; return None when allowed, else the seconds until one is available."""
        now = self._now()
        tokens, stamp = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - stamp) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            return None
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.rate

    def reset(self) -> None:
        self._buckets.clear()
