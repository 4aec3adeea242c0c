"""Declarative, seeded fault rules (WireMock's vocabulary, LocalStack Chaos API's shape).

A rule matches on method, a path glob and/or an operation (route name) and optionally a caller;
its effect is a status with the vendor's error body (rendered by the simulator's dialect), added
latency (fixed or log-normal), or a connection reset. It fires with a probability drawn from a
seeded generator, or by a scripted sequence such as ``500,500,ok``.

The same sequence grammar works per request with the ``X-Sim-Fault`` header: requests carrying
the same header value walk the same sequence, so a client that retries sees 500, 500, then ok.
Faults are off by default and never apply to the ``/__sim`` control plane.
"""

from __future__ import annotations

import fnmatch
import random
import re
from dataclasses import dataclass
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from contracts.models import JsonInt, StrictModel, StrictVariant

FAULT_HEADER = "X-Sim-Fault"
MAX_LATENCY_MS = 30_000.0


class StatusEffect(StrictVariant):
    type: Literal["status"] = "status"
    status: JsonInt = Field(ge=400, le=599)
    error_code: str | None = Field(default=None, max_length=100)
    message: str | None = Field(default=None, max_length=1000)
    retry_after: JsonInt | None = Field(default=None, ge=0, le=86_400)


class LatencyEffect(StrictVariant):
    """Fixed latency, or log-normal around ``median_ms`` with shape ``sigma``."""

    type: Literal["latency"] = "latency"
    fixed_ms: float | None = Field(default=None, ge=0, le=MAX_LATENCY_MS)
    median_ms: float | None = Field(default=None, gt=0, le=MAX_LATENCY_MS)
    sigma: float = Field(default=0.0, ge=0, le=3)

    @model_validator(mode="after")
    def _one_shape(self) -> LatencyEffect:
        if (self.fixed_ms is None) == (self.median_ms is None):
            raise ValueError("latency needs exactly one of fixed_ms or median_ms")
        return self


class ResetEffect(StrictVariant):
    type: Literal["connection_reset"] = "connection_reset"


class RecordErrorEffect(StrictVariant):
    """Record-level failures inside a batch call that still answers 200: each record fails with
    ``error_code`` with ``probability`` (a seeded draw per record). The pipeline does not answer;
    it puts a ``RecordFault`` on the request context and the simulator's batch DML applies it."""

    type: Literal["record_error"] = "record_error"
    error_code: str = Field(default="UNABLE_TO_LOCK_ROW", min_length=1, max_length=100)
    message: str | None = Field(default=None, max_length=1000)
    probability: float = Field(default=1.0, ge=0.0, le=1.0)


Effect = Annotated[
    StatusEffect | LatencyEffect | ResetEffect | RecordErrorEffect, Field(discriminator="type")
]
AnyEffect = StatusEffect | LatencyEffect | ResetEffect | RecordErrorEffect

#: Messages for record errors that name no message of their own.
RECORD_ERROR_MESSAGES: dict[str, str] = {
    "UNABLE_TO_LOCK_ROW": "unable to obtain exclusive access to this record or 1 records",
}


@dataclass(frozen=True)
class RecordFault:
    """The record-level fault decided for one request: ``fails(i)`` says whether the record at
    index ``i`` (0-based, in request order) fails. Seeded per request, so runs repeat."""

    error_code: str
    message: str
    probability: float
    seed: int

    def fails(self, index: int) -> bool:
        if self.probability >= 1.0:
            return True
        return random.Random(f"{self.seed}:{index}").random() < self.probability


_STEP = re.compile(r"^(?:ok|reset|[45]\d\d|latency:\d+(?:\.\d+)?)$")


def parse_sequence(text: str) -> list[str]:
    """``"500, 500,ok"`` -> ``["500", "500", "ok"]``; raises ValueError on an unknown step."""
    steps = [step.strip().lower() for step in text.split(",") if step.strip()]
    if not steps:
        raise ValueError("a fault sequence needs at least one step")
    if len(steps) > 100:
        raise ValueError("a fault sequence has at most 100 steps")
    for step in steps:
        if not _STEP.match(step):
            raise ValueError(f"unknown fault step {step!r}: use ok, reset, a status 400-599 or latency:<ms>")
    return steps


def step_effect(step: str) -> StatusEffect | LatencyEffect | ResetEffect | None:
    if step == "ok":
        return None
    if step == "reset":
        return ResetEffect()
    if step.startswith("latency:"):
        return LatencyEffect(fixed_ms=min(float(step.split(":", 1)[1]), MAX_LATENCY_MS))
    return StatusEffect(status=int(step))


class FaultRuleSpec(StrictModel):
    method: str | None = Field(default=None, max_length=10, pattern=r"^[A-Za-z]+$")  # an HTTP token
    path: str | None = Field(default=None, max_length=500, description="glob, e.g. /services/data/*/query*")
    operation: str | None = Field(default=None, max_length=200)
    caller: str | None = Field(default=None, max_length=200)
    effect: Effect | None = None
    sequence: list[Annotated[str, Field(max_length=20)]] | None = Field(
        default=None, min_length=1, max_length=100
    )
    probability: float = Field(default=1.0, ge=0.0, le=1.0)
    times: JsonInt | None = Field(default=None, ge=1, le=1_000_000)

    @field_validator("method")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else value

    @field_validator("sequence")
    @classmethod
    def _steps(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else parse_sequence(",".join(value))

    @model_validator(mode="after")
    def _effect_or_sequence(self) -> FaultRuleSpec:
        if (self.effect is None) == (self.sequence is None):
            raise ValueError("a fault rule needs exactly one of 'effect' or 'sequence'")
        return self


class FaultRule(FaultRuleSpec):
    """A stored rule (validated on the way in as a ``FaultRuleSpec``)."""

    model_config = ConfigDict(extra="ignore")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nulls(cls, value: object) -> object:
        return value  # stored rules carry nulls for unset fields

    id: str
    fired: int = 0
    matched: int = 0


@dataclass(frozen=True)
class RequestFacts:
    method: str
    path: str
    operation: str | None = None
    caller: str | None = None


SpecT = TypeVar("SpecT", bound=BaseModel)
RuleT = TypeVar("RuleT", bound=BaseModel)


class SeededRules(Generic[SpecT, RuleT]):
    """Rules by id (``<prefix>_000001``, ...) and the seeded generator that decides when they
    fire: the shape shared by inbound fault rules and the outbox's outbound ones."""

    rule_type: type[RuleT]
    prefix: str

    def __init__(self, seed: int = 0) -> None:
        self._seed = seed
        self.random = random.Random(seed)
        self._rules: dict[str, RuleT] = {}
        self._next_id = 1

    def reset(self, seed: int | None = None) -> None:
        if seed is not None:
            self._seed = seed
        self.random = random.Random(self._seed)
        self._next_id = 1
        self.clear()

    def add(self, spec: SpecT) -> RuleT:
        rule = self.rule_type(id=f"{self.prefix}_{self._next_id:06d}", **spec.model_dump(exclude_none=True))
        self._next_id += 1
        self._rules[str(getattr(rule, "id"))] = rule  # noqa: B009 (RuleT is any model with an id)
        return rule

    def remove(self, rule_id: str) -> bool:
        return self._rules.pop(rule_id, None) is not None

    def clear(self) -> None:
        self._rules.clear()

    def rules(self) -> list[RuleT]:
        return list(self._rules.values())


class Faults(SeededRules[FaultRuleSpec, FaultRule]):
    rule_type = FaultRule
    prefix = "flt"

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self._header_positions: dict[str, int] = {}

    def clear(self) -> None:
        super().clear()
        self._header_positions.clear()

    def decide(self, facts: RequestFacts, header: str | None = None) -> AnyEffect | None:
        """The effect to apply to this request, if any. Header sequences win over rules."""
        if header is not None:
            steps = parse_sequence(header)
            position = self._header_positions.get(header, 0)
            self._header_positions[header] = position + 1
            return step_effect(steps[position]) if position < len(steps) else None
        for rule in self._rules.values():
            if not _matches(rule, facts):
                continue
            if rule.times is not None and rule.fired >= rule.times:
                continue
            rule.matched += 1
            effect: AnyEffect | None
            if rule.sequence is not None:
                position = rule.matched - 1
                effect = step_effect(rule.sequence[position]) if position < len(rule.sequence) else None
            elif rule.probability >= 1.0 or self.random.random() < rule.probability:
                effect = rule.effect
            else:
                effect = None
            if effect is not None:
                rule.fired += 1
                return effect
        return None

    def record_fault(self, effect: RecordErrorEffect) -> RecordFault:
        """This request's per-record decisions, seeded from the rules' generator."""
        message = effect.message or RECORD_ERROR_MESSAGES.get(effect.error_code, "Injected record error.")
        return RecordFault(effect.error_code, message, effect.probability, self.random.getrandbits(64))

    def latency_seconds(self, effect: LatencyEffect) -> float:
        if effect.fixed_ms is not None:
            return effect.fixed_ms / 1000.0
        assert effect.median_ms is not None
        sample = self.random.lognormvariate(0.0, effect.sigma) * effect.median_ms
        return min(sample, MAX_LATENCY_MS) / 1000.0


def _matches(rule: FaultRule, facts: RequestFacts) -> bool:
    if rule.method is not None and rule.method != facts.method.upper():
        return False
    if rule.path is not None and not fnmatch.fnmatchcase(facts.path, rule.path):
        return False
    if rule.operation is not None and rule.operation != facts.operation:
        return False
    return rule.caller is None or rule.caller == facts.caller
