"""Seeded identifiers: same seed, same ids, in the same order."""

from __future__ import annotations

import random
import uuid


class IdFactory:
    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._counters: dict[str, int] = {}
        self.random = random.Random(seed)

    def reset(self, seed: int | None = None) -> None:
        if seed is not None:
            self.seed = seed
        self._counters.clear()
        self.random = random.Random(self.seed)

    def next_number(self, kind: str) -> int:
        """1, 2, 3... per kind."""
        value = self._counters.get(kind, 0) + 1
        self._counters[kind] = value
        return value

    def prefixed(self, prefix: str, width: int = 10) -> str:
        """``evt_0000000001``: sortable, readable, deterministic."""
        return f"{prefix}_{self.next_number(prefix):0{width}d}"

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.random.getrandbits(128), version=4)

    def token(self, nbytes: int = 16) -> str:
        return self.random.randbytes(nbytes).hex()
