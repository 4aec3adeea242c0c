"""A bounded ring of the vendor requests a simulator served, for tests and debugging."""

from __future__ import annotations

import fnmatch
import itertools
from collections import deque
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class JournalEntry:
    seq: int
    time: datetime
    request_id: str
    caller: str
    method: str
    path: str
    operation: str | None
    status: int
    latency_ms: float
    metered: bool
    family: str | None
    fault: str | None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["time"] = self.time.isoformat()
        return data


class Journal:
    def __init__(self, capacity: int = 10_000) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._entries: deque[JournalEntry] = deque(maxlen=capacity)
        self._sequence = itertools.count(1)

    @property
    def capacity(self) -> int:
        assert self._entries.maxlen is not None
        return self._entries.maxlen

    def __len__(self) -> int:
        return len(self._entries)

    def record(self, **fields: Any) -> JournalEntry:
        entry = JournalEntry(seq=next(self._sequence), **fields)
        self._entries.append(entry)
        return entry

    def clear(self) -> None:
        self._entries.clear()

    def query(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        caller: str | None = None,
        metered: bool | None = None,
        since_seq: int | None = None,
        limit: int = 100,
    ) -> list[JournalEntry]:
        """Newest last. ``path`` is a glob; ``since_seq`` keeps entries after that sequence."""
        found: list[JournalEntry] = []
        for entry in reversed(self._entries):
            if since_seq is not None and entry.seq <= since_seq:
                break
            if method is not None and entry.method != method.upper():
                continue
            if path is not None and not fnmatch.fnmatchcase(entry.path, path):
                continue
            if status is not None and entry.status != status:
                continue
            if caller is not None and entry.caller != caller:
                continue
            if metered is not None and entry.metered != metered:
                continue
            found.append(entry)
            if len(found) >= limit:
                break
        found.reverse()
        return found

    def __iter__(self) -> itertools.chain[JournalEntry]:
        return itertools.chain(self._entries)
