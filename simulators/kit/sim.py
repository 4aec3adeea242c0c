"""``SimKit``: the shared machinery one simulator owns (clock, meter, faults, journal, outbox, ids).

A simulator supplies its state as a ``SimulatorState``: something that can load a seeded dataset.
``reset`` reloads the start-up dataset (same seed, same ids); ``reseed`` loads another one.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from aiohttp import web

from simulators.kit.clock import Clock
from simulators.kit.faults import Faults
from simulators.kit.ids import IdFactory
from simulators.kit.journal import Journal
from simulators.kit.meter import Meter
from simulators.kit.outbox import Outbox


class SimulatorState(Protocol):
    """The simulator's own models, as the control plane sees them."""

    #: The seed counts this simulator understands, with their start-up defaults.
    seed_defaults: Mapping[str, int]
    #: The largest count the control plane accepts for each kind.
    seed_maximums: Mapping[str, int]

    async def load(self, seed: int, counts: Mapping[str, int]) -> Mapping[str, int]:
        """Drop all state and build the seeded dataset; return what was created, by kind."""
        ...


@dataclass
class SimKit:
    name: str
    seed: int
    clock: Clock
    meter: Meter
    faults: Faults
    journal: Journal
    outbox: Outbox
    ids: IdFactory
    state: SimulatorState
    counts: dict[str, int] = field(default_factory=dict)
    last_seed_summary: dict[str, int] = field(default_factory=dict)
    started_at: datetime | None = None
    _request_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @classmethod
    def create(
        cls,
        name: str,
        state: SimulatorState,
        *,
        seed: int = 42,
        clock: Clock | None = None,
        meter: Meter | None = None,
        outbox: Outbox | None = None,
        journal_capacity: int = 10_000,
        counts: Mapping[str, int] | None = None,
        webhook_hosts: Iterable[str] | None = None,
    ) -> SimKit:
        clock = clock or Clock()
        if outbox is None:
            outbox = (
                Outbox(clock, seed=seed)
                if webhook_hosts is None
                else Outbox(clock, seed=seed, allowed_hosts=webhook_hosts)
            )
        return cls(
            name=name,
            seed=seed,
            clock=clock,
            meter=meter or Meter(clock),
            faults=Faults(seed),
            journal=Journal(journal_capacity),
            outbox=outbox,
            ids=IdFactory(seed),
            state=state,
            counts=dict(counts if counts is not None else state.seed_defaults),
        )

    def next_request_id(self) -> str:
        return f"req_{self.name[:2]}{next(self._request_ids):010d}"

    def check_counts(self, counts: Mapping[str, int]) -> dict[str, int]:
        unknown = sorted(set(counts) - set(self.state.seed_defaults))
        if unknown:
            known = ", ".join(sorted(self.state.seed_defaults)) or "none"
            raise ValueError(f"unknown seed count {unknown[0]!r}; this simulator knows: {known}")
        return {**self.state.seed_defaults, **counts}

    async def reseed(self, seed: int, counts: Mapping[str, int]) -> dict[str, int]:
        """Everything back to empty, then a fresh seeded dataset. Configuration is kept."""
        full = self.check_counts(counts)
        self.seed = seed
        self.counts = full
        await self.clock.reset()
        self.meter.reset()
        self.faults.reset(seed)
        self.journal.clear()
        self.outbox.reset(seed)
        self.ids.reset(seed)
        self.last_seed_summary = dict(await self.state.load(seed, full))
        return self.last_seed_summary

    async def reset(self) -> dict[str, int]:
        """Back to the last seeded dataset (start-up seed unless ``reseed`` changed it)."""
        return await self.reseed(self.seed, self.counts)


KIT = web.AppKey("q2c_sim_kit", SimKit)


async def kit_lifecycle(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: seed at start-up, own the outbox workers and the clock ticker, stop them all."""
    kit = app[KIT]
    await kit.reset()
    kit.started_at = kit.clock.now()
    await kit.outbox.start()
    ticker = asyncio.create_task(kit.clock.run_ticker(), name=f"{kit.name}-clock-ticker")
    try:
        yield
    finally:
        ticker.cancel()
        await asyncio.gather(ticker, return_exceptions=True)
        await kit.outbox.stop()
