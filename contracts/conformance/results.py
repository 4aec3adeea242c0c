"""What a verify run produces: checks with their outcome, the HTTP exchanges behind them, and the
contract coverage they add up to.

- A *check* is one named rule (``accounts.create``, ``webhooks.signature``,
  ``fuzz.createAccount.response_schema_conformance``). It passes, fails, or is not applicable
  (the adapter declares the capability unsupported); a failure carries the expected and actual
  values and a curl command that reproduces it.
- The *conformance index* is the share of the contract's documented responses (operation x
  status) the run exercised; the operation share is reported beside it.
- The *score* is the share of applicable checks that passed.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from contracts.conformance.spec import Contract

TOKEN_PLACEHOLDER = "$Q2C_VERIFY_TOKEN"
_SHOWN_REQUEST_HEADERS = ("authorization", "content-type", "idempotency-key", "if-match", "x-q2c-client")


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_APPLICABLE = "not_applicable"


class Stage(StrEnum):
    FUZZ = "fuzz"
    SCENARIOS = "scenarios"
    WEBHOOKS = "webhooks"


@dataclass
class Exchange:
    """One HTTP request the harness made and the answer it got (status 0: no answer)."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes | None
    status: int
    response_headers: dict[str, str]
    response_body: bytes
    operation_id: str | None = None
    error: str | None = None

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.response_headers.items() if k.lower() == lowered), None)

    @property
    def media_type(self) -> str:
        return (self.header("Content-Type") or "").split(";", 1)[0].strip().lower()

    def text(self, limit: int = 600) -> str:
        body = self.response_body.decode("utf-8", errors="replace")
        return body if len(body) <= limit else body[:limit] + "..."

    def summary(self) -> str:
        if self.status == 0:
            return f"{self.method} {self.url}: no answer ({self.error})"
        body = self.text(300)
        return f"{self.status} {self.media_type or '(no content type)'}" + (f" {body}" if body else "")


def curl(exchange: Exchange, token: str | None = None) -> str:
    """A shell command that sends the same request; the API key becomes ``$Q2C_VERIFY_TOKEN``."""
    parts = ["curl", "-sS", "-i", "-X", exchange.method]
    for name, value in exchange.request_headers.items():
        if name.lower() not in _SHOWN_REQUEST_HEADERS:
            continue
        if token and name.lower() == "authorization" and value == f"Bearer {token}":
            parts += ["-H", f"Authorization: Bearer {TOKEN_PLACEHOLDER}"]
            continue
        parts += ["-H", f"{name}: {value}"]
    if exchange.request_body:
        parts += ["--data-binary", exchange.request_body.decode("utf-8", errors="replace")]
    parts.append(exchange.url)
    # The placeholder must stay expandable, so it goes in double quotes, everything else in single.
    quoted = []
    for part in parts:
        if TOKEN_PLACEHOLDER in part:
            quoted.append('"' + part.replace('"', '\\"') + '"')
        else:
            quoted.append(shlex.quote(part))
    return " ".join(quoted)


@dataclass
class CheckResult:
    id: str
    stage: Stage
    title: str
    status: Status
    operations: tuple[str, ...] = ()
    expected: str = ""
    actual: str = ""
    reproduce: str = ""
    detail: str = ""
    #: Set by the baseline: a failure partners have accepted (it does not fail the run).
    known: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "stage": self.stage.value,
            "title": self.title,
            "status": self.status.value,
            "operations": list(self.operations),
            "expected": self.expected,
            "actual": self.actual,
            "reproduce": self.reproduce,
            "detail": self.detail,
            "known": self.known,
        }


@dataclass
class Coverage:
    """Which (operation, documented response) pairs some request of the run exercised."""

    seen: set[tuple[str, int]] = field(default_factory=set)

    def add(self, operation_id: str | None, status: int) -> None:
        if operation_id is not None and status:
            self.seen.add((operation_id, status))

    def merge(self, other: Coverage) -> None:
        self.seen |= other.seen

    def figures(self, contract: Contract) -> dict[str, Any]:
        documented = contract.documented_responses()
        exercised: set[tuple[str, str]] = set()
        undocumented: set[tuple[str, int]] = set()
        for operation_id, status in self.seen:
            key = contract.operations[operation_id].documents(status)
            if key is None:
                undocumented.add((operation_id, status))
            else:
                exercised.add((operation_id, key))
        operations = {op for op, _ in self.seen}
        per_operation = {
            op_id: {
                "documented": sorted(op.responses),
                "exercised": sorted(key for o, key in exercised if o == op_id),
            }
            for op_id, op in contract.operations.items()
        }
        return {
            "operations": _share(len(operations & set(contract.operations)), len(contract.operations)),
            "responses": _share(len(exercised), len(documented)),
            "undocumented": sorted(f"{op} {status}" for op, status in undocumented),
            "per_operation": per_operation,
        }


def _share(part: int, whole: int) -> dict[str, Any]:
    return {"exercised": part, "total": whole, "share": (part / whole) if whole else 1.0}


@dataclass
class RunReport:
    target: str
    contract_version: str
    stages: tuple[Stage, ...]
    checks: list[CheckResult] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)
    capabilities: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 0
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    duration_seconds: float = 0.0
    #: Baseline entries that no longer fail (candidates to remove with --update-baseline).
    fixed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def extend(self, results: Iterable[CheckResult]) -> None:
        self.checks.extend(results)

    def count(self, status: Status) -> int:
        return sum(1 for check in self.checks if check.status is status)

    @property
    def failures(self) -> list[CheckResult]:
        return [check for check in self.checks if check.status is Status.FAILED]

    @property
    def new_failures(self) -> list[CheckResult]:
        return [check for check in self.failures if not check.known]

    @property
    def score(self) -> float:
        passed = self.count(Status.PASSED)
        applicable = passed + self.count(Status.FAILED)
        return passed / applicable if applicable else 1.0

    def index(self, contract: Contract) -> dict[str, Any]:
        return self.coverage.figures(contract)

    def to_json(self, contract: Contract) -> dict[str, Any]:
        figures = self.index(contract)
        return {
            "target": self.target,
            "contract_version": self.contract_version,
            "stages": [stage.value for stage in self.stages],
            "seed": self.seed,
            "started_at": self.started_at.isoformat(),
            "duration_seconds": round(self.duration_seconds, 3),
            "capabilities": dict(self.capabilities),
            "score": self.score,
            "index": figures["responses"]["share"],
            "coverage": figures,
            "counts": {status.value: self.count(status) for status in Status} | {"known": self.known_count},
            "checks": [check.to_json() for check in self.checks],
            "fixed": self.fixed,
            "notes": self.notes,
        }

    @property
    def known_count(self) -> int:
        return sum(1 for check in self.failures if check.known)


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False)
