"""What a verify run produces: checks with their outcome, the HTTP exchanges behind them, and the
contract coverage they add up to.

- A *check* is one named rule (``accounts.create``, ``webhooks.signature``,
  ``fuzz.createAccount.response_schema_conformance``) of one conformance level. It passes, fails,
  or is not applicable (the adapter declares the capability unsupported); a failure carries the
  expected and actual values and a curl command that reproduces it. A failure caused by another
  (a fact it needed was not established) names that *root* in ``caused_by``.
- The *conformance index* is the share of the contract's documented responses (operation x
  status) the run exercised with the API key; the operation share is reported beside it.
- The *score* is the share of applicable checks that passed, each root failure counted once
  (the failures it caused are reported, not scored).
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
#: Headers a reproduction leaves out: the transport's own, which curl sets itself.
_TRANSPORT_HEADERS = frozenset(
    {"host", "content-length", "accept-encoding", "connection", "user-agent", "transfer-encoding"}
)


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_APPLICABLE = "not_applicable"


class Stage(StrEnum):
    FUZZ = "fuzz"
    SCENARIOS = "scenarios"
    WEBHOOKS = "webhooks"
    #: The per-level checks computed from every stage that ran (never selected with --only).
    CERTIFICATION = "certification"


#: The stages ``--only``/``--skip`` select.
RUN_STAGES = (Stage.FUZZ, Stage.SCENARIOS, Stage.WEBHOOKS)


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

    def text(self) -> str:
        """The whole body: the report never cuts a value (the console shortens its own lines)."""
        return self.response_body.decode("utf-8", errors="replace")

    def summary(self) -> str:
        if self.status == 0:
            return f"{self.method} {self.url}: no answer ({self.error})"
        body = self.text()
        return f"{self.status} {self.media_type or '(no content type)'}" + (f" {body}" if body else "")


UNSUPPORTED = "unsupported_operation"


def refused(exchange: Exchange) -> bool:
    """A 422 ``unsupported_operation`` answer: the adapter says it does not do this."""
    if exchange.status != 422:
        return False
    try:
        body = json.loads(exchange.response_body)
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("code") == UNSUPPORTED


def curl(exchange: Exchange, token: str | None = None) -> str:
    """A shell command that sends the same request with every header that matters (the
    Idempotency-Key included, or an idempotency failure would not reproduce); the API key
    becomes ``$Q2C_VERIFY_TOKEN``, so the command can be shared."""
    parts = ["curl", "-sS", "-i", "-X", exchange.method]
    for name, value in exchange.request_headers.items():
        if name.lower() in _TRANSPORT_HEADERS:
            continue
        if name.lower() == "authorization" and (
            (token and value == f"Bearer {token}") or value == "[Filtered]"
        ):
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
    #: The conformance level the check belongs to (``x-q2c-conformance``).
    level: str | None = None
    #: The root failure this one follows from (a fact it needed was not established).
    caused_by: str | None = None
    #: The capability the check exercises, when one gates it.
    capability: str | None = None

    @property
    def root(self) -> bool:
        return self.status is Status.FAILED and self.caused_by is None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "stage": self.stage.value,
            "title": self.title,
            "status": self.status.value,
            "level": self.level,
            "capability": self.capability,
            "operations": list(self.operations),
            "expected": self.expected,
            "actual": self.actual,
            "reproduce": self.reproduce,
            "detail": self.detail,
            "known": self.known,
            "caused_by": self.caused_by,
        }


@dataclass
class Coverage:
    """Which (operation, documented response) pairs some request of the run exercised."""

    seen: set[tuple[str, int]] = field(default_factory=set)
    #: Operations that answered 422 unsupported_operation -> how to see it (a curl, or a note).
    refused: dict[str, str] = field(default_factory=dict)

    def add(self, operation_id: str | None, status: int) -> None:
        if operation_id is not None and status:
            self.seen.add((operation_id, status))

    def merge(self, other: Coverage) -> None:
        self.seen |= other.seen
        for operation_id, how in other.refused.items():
            self.refused.setdefault(operation_id, how)

    def figures(self, contract: Contract, only: Iterable[str] | None = None) -> dict[str, Any]:
        """The index over the whole contract, or over the operations ``only`` names (a level)."""
        if only is not None:
            return self._figures(contract, set(only))
        return self._figures(contract, set(contract.operations))

    def _figures(self, contract: Contract, scope: set[str]) -> dict[str, Any]:
        documented = {(op, key) for op, key in contract.documented_responses() if op in scope}
        exercised: set[tuple[str, str]] = set()
        undocumented: set[tuple[str, int]] = set()
        for operation_id, status in self.seen:
            if operation_id not in scope:
                continue
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
            if op_id in scope
        }
        return {
            "operations": _share(len(operations & scope), len(scope)),
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
    #: Per conformance level: claimed, certified, why not, its checks and index (``levels.py``).
    levels: list[dict[str, Any]] = field(default_factory=list)

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
    def roots(self) -> list[CheckResult]:
        """Failures not caused by another: what the score counts."""
        return [check for check in self.checks if check.root]

    @property
    def applicable(self) -> int:
        return self.count(Status.PASSED) + len(self.roots)

    @property
    def score(self) -> float:
        applicable = self.applicable
        return self.count(Status.PASSED) / applicable if applicable else 1.0

    @property
    def certified(self) -> list[str]:
        return [level["level"] for level in self.levels if level["certified"]]

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
            "applicable": self.applicable,
            "certified_levels": self.certified,
            "levels": self.levels,
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
