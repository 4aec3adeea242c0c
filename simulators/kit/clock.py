"""A virtual clock shared by a simulator's models.

The clock is either *running* (wall time plus an offset) or *frozen* (time only moves when told).
Time only moves forward. Two things hang off it:

- listeners, told about every span of time that passed (``old -> new``), so bill runs, aging and
  session expiry run on virtual time;
- sleepers (``sleep_until``), woken when the virtual time reaches their deadline, whether real time
  got there (running clock) or ``advance()`` jumped past it. Webhook retries use this, so a test can
  fast-forward a five-hour retry instead of waiting for it.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

TimeListener = Callable[[datetime, datetime], Awaitable[None]]

# Far enough for any billing scenario, near enough that date arithmetic never overflows.
MAX_DATETIME = datetime(9000, 1, 1, tzinfo=UTC)


class ClockError(ValueError):
    """A clock move that cannot be done (backwards, or out of range)."""


class Clock:
    def __init__(
        self,
        *,
        start: datetime | None = None,
        frozen: bool = False,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._wall = wall
        self._initial_start = start
        self._initial_frozen = frozen
        self._listeners: list[TimeListener] = []
        self._timers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._sequence = itertools.count()
        self._wake_handle: asyncio.TimerHandle | None = None
        self._notify_lock = asyncio.Lock()
        self._frozen_at: datetime | None = None
        self._offset = timedelta(0)
        self._observed = self._configure(start, frozen)

    def _configure(self, start: datetime | None, frozen: bool) -> datetime:
        wall_now = self._wall_now()
        begin = _aware(start) if start is not None else wall_now
        self._offset = begin - wall_now
        self._frozen_at = begin if frozen else None
        return begin

    def _wall_now(self) -> datetime:
        return datetime.fromtimestamp(self._wall(), UTC)

    # -- reading -------------------------------------------------------------------------------

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def now(self) -> datetime:
        if self._frozen_at is not None:
            return self._frozen_at
        return self._wall_now() + self._offset

    def timestamp(self) -> float:
        return self.now().timestamp()

    def today(self) -> date:
        return self.now().date()

    # -- moving ---------------------------------------------------------------------------------

    def freeze(self) -> None:
        if self._frozen_at is None:
            self._frozen_at = self.now()
            self._schedule_wake()

    def unfreeze(self) -> None:
        if self._frozen_at is not None:
            self._offset = self._frozen_at - self._wall_now()
            self._frozen_at = None
            self._schedule_wake()

    async def advance(self, by: timedelta | None = None, *, to: datetime | None = None) -> datetime:
        """Move virtual time forward by a duration or to an instant; run listeners and sleepers."""
        if (by is None) == (to is None):
            raise ClockError("give exactly one of 'by' or 'to'")
        now = self.now()
        if by is not None:
            if by < timedelta(0):
                raise ClockError(f"the clock only moves forward; got a move of {by}")
            try:
                target = now + by
            except OverflowError as exc:
                raise ClockError("clock move out of range") from exc
        else:
            assert to is not None
            target = _aware(to)
            if target < now:
                raise ClockError(
                    f"the clock only moves forward: {target.isoformat()} is before {now.isoformat()}"
                )
        if target > MAX_DATETIME:
            raise ClockError(f"clock move out of range: the latest instant is {MAX_DATETIME.isoformat()}")
        if self._frozen_at is not None:
            self._frozen_at = target
        else:
            self._offset += target - now
        await self._notify(target)
        return target

    async def tick(self) -> None:
        """Tell listeners about real time that passed on a running clock."""
        await self._notify(self.now())

    async def run_ticker(self, interval: float = 1.0) -> None:
        """Owned by a simulator's cleanup_ctx: keeps listeners current while the clock runs."""
        while True:
            await asyncio.sleep(interval)
            if not self.frozen:
                await self.tick()

    async def reset(self) -> None:
        """Back to the configured start. Sleepers are woken so they re-read their state."""
        self._observed = self._configure(self._initial_start, self._initial_frozen)
        timers, self._timers = self._timers, []
        for _, _, future in timers:
            if not future.done():
                future.set_result(None)
        self._schedule_wake()

    async def _notify(self, now: datetime) -> None:
        async with self._notify_lock:
            previous = self._observed
            if now > previous:
                self._observed = now
                for listener in list(self._listeners):
                    await listener(previous, now)
        self._fire_due()
        self._schedule_wake()

    # -- listeners and sleepers ---------------------------------------------------------------

    def subscribe(self, listener: TimeListener) -> Callable[[], None]:
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def timer(self, deadline: datetime) -> asyncio.Future[None]:
        """A future resolved when virtual time reaches ``deadline`` (registered at once)."""
        deadline = _aware(deadline)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if deadline <= self.now():
            future.set_result(None)
            return future
        heapq.heappush(self._timers, (deadline, next(self._sequence), future))
        self._schedule_wake()
        return future

    async def sleep_until(self, deadline: datetime) -> None:
        """Wait until virtual time reaches ``deadline`` (by real time passing or by ``advance``)."""
        future = self.timer(deadline)
        try:
            await future
        finally:
            if not future.done():
                future.cancel()

    def pending_sleepers(self) -> int:
        return sum(1 for _, _, future in self._timers if not future.done())

    def _fire_due(self) -> None:
        now = self.now()
        while self._timers and (self._timers[0][0] <= now or self._timers[0][2].done()):
            _, _, future = heapq.heappop(self._timers)
            if not future.done():
                future.set_result(None)

    def _schedule_wake(self) -> None:
        if self._wake_handle is not None:
            self._wake_handle.cancel()
            self._wake_handle = None
        if self._frozen_at is not None or not self._timers:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        delay = max(0.0, (self._timers[0][0] - self.now()).total_seconds())
        self._wake_handle = loop.call_later(delay, self._on_wake)

    def _on_wake(self) -> None:
        self._wake_handle = None
        self._fire_due()
        self._schedule_wake()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
