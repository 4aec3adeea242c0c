"""Idempotency keys, per Zuora and Stripe: the first response is kept and replayed.

- A key is scoped to the API key that sent it and kept for 24 hours of the *virtual* clock.
- Same key, same request (method, path and body, compared as canonical JSON): the original
  status, body and headers are replayed.
- Same key, different request: 422 ``idempotency_mismatch``.
- Same key while the first request is still running: 409 ``idempotency_conflict``.
- Only requests that reached the billing system are kept (successes and business refusals);
  requests refused before they ran (bad input, auth, rate limit) leave no trace, so they can be
  fixed and retried under the same key. A request that crashed releases its key.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from contracts.problem import Problem

RETENTION = timedelta(hours=24)
HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


@dataclass
class StoredResponse:
    status: int
    body: bytes
    content_type: str | None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Entry:
    fingerprint: str
    created_at: datetime
    response: StoredResponse | None = None

    @property
    def in_flight(self) -> bool:
        return self.response is None


class IdempotencyStore:
    def __init__(self, retention: timedelta = RETENTION) -> None:
        self.retention = retention
        self._entries: OrderedDict[tuple[str, str], Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()

    def _expire(self, now: datetime) -> None:
        oldest_kept = now - self.retention
        while self._entries:
            key, entry = next(iter(self._entries.items()))
            if entry.created_at > oldest_kept or entry.in_flight:
                break
            del self._entries[key]

    def begin(self, scope: str, key: str, print_: str, now: datetime) -> StoredResponse | None:
        """Claim ``key`` for a new request, or return the response to replay.

        Raises 409 while the first request runs and 422 for a different request."""
        self._expire(now)
        entry = self._entries.get((scope, key))
        if entry is not None and entry.created_at <= now - self.retention and not entry.in_flight:
            del self._entries[(scope, key)]
            entry = None
        if entry is None:
            self._entries[(scope, key)] = Entry(print_, now)
            return None
        if entry.fingerprint != print_:
            raise Problem(
                422,
                "idempotency_mismatch",
                f"{HEADER} {key!r} was used for a different request (method, path or body); "
                "use a new key for a new request",
                param=HEADER,
            )
        if entry.response is None:
            raise Problem(
                409,
                "idempotency_conflict",
                f"a request with {HEADER} {key!r} is still being processed; retry when it has finished",
                param=HEADER,
            )
        return entry.response

    def finish(self, scope: str, key: str, response: StoredResponse) -> None:
        entry = self._entries.get((scope, key))
        if entry is not None:
            entry.response = response

    def release(self, scope: str, key: str) -> None:
        """Forget a claim whose request failed unexpectedly (so a retry runs it again)."""
        entry = self._entries.get((scope, key))
        if entry is not None and entry.in_flight:
            del self._entries[(scope, key)]
