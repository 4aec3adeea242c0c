"""Client-side pacing for an upstream with a rate limit (the billing adapter: 429 + Retry-After).

A ``Pacer`` is shared by every request of one client: an optional request rate with a burst
(GCRA, i.e. a token bucket computed as reservations, so waiters are served first come, first
served) and a hold that one 429 puts on *every* request until its ``Retry-After`` has passed, so
a burst of parallel requests backs off together instead of each spending its retries. The
aiohttp client middleware ``pacing_middleware`` applies it to every call and re-sends a request
refused with 429 after the hold, up to ``max_wait`` seconds of waiting; past that the 429 goes to
the client, whose own retry rules apply.

Time is injectable (``Clock``) so tests run the default limits on a virtual clock.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Protocol

from aiohttp import ClientHandlerType, ClientMiddlewareType, ClientRequest, ClientResponse

MAX_RETRY_AFTER = 60.0
DEFAULT_RETRY_AFTER = 1.0


class Clock(Protocol):
    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class MonotonicClock:
    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass
class Pacer:
    rate: float | None = None  # requests per second; None: paced by Retry-After alone
    burst: int = 1
    max_wait: float = 10.0  # seconds of 429 holds one request waits out before giving up
    clock: Clock = field(default_factory=MonotonicClock)
    throttled: int = 0  # 429 answers seen (the upstream's meter counts them too)
    waited: float = 0.0  # seconds requests spent waiting for a slot (summed over requests)
    _tat: float = 0.0  # GCRA's theoretical arrival time of the next request
    _hold_until: float = 0.0

    def __post_init__(self) -> None:
        if self.rate is not None and self.rate <= 0:
            raise ValueError("the rate must be positive")
        if self.burst < 1:
            raise ValueError("the burst must be at least 1")

    def _reserve(self, now: float) -> float:
        """Take the next slot; the seconds until it comes."""
        if self.rate is None:
            return 0.0
        interval = 1.0 / self.rate
        arrival = max(self._tat, now)
        self._tat = arrival + interval
        return max(arrival + interval - self.burst * interval - now, 0.0)

    async def acquire(self) -> None:
        """Wait for a slot, and for any hold a 429 put on the upstream meanwhile."""
        while True:
            now = self.clock.now()
            if now < self._hold_until:
                await self._wait(self._hold_until - now)
                continue
            delay = self._reserve(now)
            if delay > 0:
                await self._wait(delay)
            if self.clock.now() >= self._hold_until:
                return

    def hold(self, seconds: float, *, since: float | None = None) -> None:
        """The upstream said 429: nobody calls it for ``seconds`` from ``since`` (when the refused
        request went out: the upstream counted from then, not from when the answer was read)."""
        self.throttled += 1
        start = self.clock.now() if since is None else since
        self._hold_until = max(self._hold_until, start + seconds)

    async def _wait(self, seconds: float) -> None:
        self.waited += seconds
        await self.clock.sleep(seconds)


def retry_after_seconds(value: str | None) -> float:
    """``Retry-After`` in seconds (the delta form; anything else: one second), capped."""
    try:
        seconds = float(value) if value is not None else DEFAULT_RETRY_AFTER
    except ValueError:
        seconds = DEFAULT_RETRY_AFTER
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def pacing_middleware(pacer: Pacer) -> ClientMiddlewareType:
    async def middleware(request: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        waited = 0.0
        while True:
            await pacer.acquire()
            sent = pacer.clock.now()
            response = await handler(request)
            if response.status != 429 or waited >= pacer.max_wait:
                return response
            delay = retry_after_seconds(response.headers.get("Retry-After"))
            pacer.hold(delay, since=sent)
            waited += delay
            response.release()

    return middleware
