"""What both of the core's API clients share: an owned (or injected) aiohttp session, an
injectable sleep and seeded jitter for backoff (so tests never wait), and a call hook for metrics."""

from __future__ import annotations

import abc
import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Self

import aiohttp

Sleep = Callable[[float], Awaitable[None]]


class HttpClient(abc.ABC):
    backoff_base: float = 0.1
    backoff_cap: float = 5.0

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession | None = None,
        owns_session: bool = False,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        on_call: Callable[[str], None] | None = None,
    ) -> None:
        self._session = session
        # An injected session stays the caller's unless handed over (the core builds the billing
        # client's session, with the pacing middleware, and hands it over).
        self._owns_session = session is None or owns_session
        self._sleep = sleep
        self._random = rng or random.Random(0)
        self._on_call = on_call
        self.calls = 0

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None and self._owns_session:
            await self._session.close()
        self._session = None

    @abc.abstractmethod
    def _new_session(self) -> aiohttp.ClientSession:
        """Each client builds its own (TLS trust, pool size, timeout)."""

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = self._new_session()
            self._owns_session = True
        return self._session

    def _counted(self, kind: str) -> None:
        self.calls += 1
        if self._on_call is not None:
            self._on_call(kind)

    async def _backoff(self, attempt: int) -> None:
        """Exponential backoff with "equal jitter": half to all of base * 2^attempt, capped."""
        delay = min(self.backoff_cap, self.backoff_base * 2**attempt)
        await self._sleep(delay * self._random.uniform(0.5, 1.0))
