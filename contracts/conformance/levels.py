"""Conformance levels and capabilities, as the contract defines them (``x-q2c-conformance``).

A *level* (core, orders, billing operations) is a set of operations and the checks that exercise
them; an adapter claims levels in ``GET /capabilities`` ``levels`` (absent: every level). A
*capability* gates operations: declared unsupported, they may answer 422
``unsupported_operation``; claimed, they are exercised and must be honoured.

An adapter is *certified* for a level it claims when every capability the level requires is
claimed and no check of the level failed (a baselined failure included: the baseline keeps CI
green, it does not certify).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from contracts.conformance.results import UNSUPPORTED, CheckResult, Stage, Status
from contracts.conformance.spec import Contract


@dataclass(frozen=True)
class Level:
    name: str
    title: str
    operations: tuple[str, ...]
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class Gate:
    """A capability and the operations it gates; ``unsupported`` lists the values that mean "no"
    (a boolean capability: false or absent)."""

    name: str
    operations: tuple[str, ...]
    unsupported: tuple[Any, ...] = (False, None)


@dataclass(frozen=True)
class Conformance:
    levels: tuple[Level, ...]
    gates: tuple[Gate, ...]

    @classmethod
    def of(cls, contract: Contract) -> Conformance:
        section = contract.document.get("x-q2c-conformance") or {}
        levels = tuple(
            Level(
                name,
                str(raw.get("title", name)),
                tuple(raw.get("operations", ())),
                tuple(raw.get("requires", ())),
            )
            for name, raw in (section.get("levels") or {}).items()
        )
        gates = []
        for name, raw in (section.get("capabilities") or {}).items():
            off = raw.get("unsupported")
            unsupported: tuple[Any, ...] = (False, None)
            if off is not None:
                unsupported = (None, *(off if isinstance(off, list) else [off]))
            gates.append(Gate(name, tuple(raw.get("operations", ())), unsupported))
        return cls(levels, tuple(gates))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(level.name for level in self.levels)

    def level(self, name: str) -> Level:
        return next(level for level in self.levels if level.name == name)

    def level_of(self, operation_id: str) -> str | None:
        return next((lv.name for lv in self.levels if operation_id in lv.operations), None)

    def claimed(self, capabilities: Mapping[str, Any]) -> tuple[str, ...]:
        declared = capabilities.get("levels")
        if not isinstance(declared, list):
            return self.names
        return tuple(name for name in self.names if name in declared)

    def gate(self, name: str) -> Gate:
        return next(gate for gate in self.gates if gate.name == name)

    def supports(self, capabilities: Mapping[str, Any], name: str) -> bool:
        return capabilities.get(name) not in self.gate(name).unsupported

    def gates_off(self, capabilities: Mapping[str, Any], operation_id: str) -> list[str]:
        """The capabilities gating ``operation_id`` that the adapter declares unsupported."""
        return [
            g.name
            for g in self.gates
            if operation_id in g.operations and not self.supports(capabilities, g.name)
        ]

    def expected(self, capabilities: Mapping[str, Any], operation_id: str) -> bool:
        """Whether the adapter must honour ``operation_id`` (a claimed level, no gate off)."""
        level = self.level_of(operation_id)
        return level in self.claimed(capabilities) and not self.gates_off(capabilities, operation_id)


@dataclass
class LevelVerdict:
    name: str
    title: str
    claimed: bool
    certified: bool
    reasons: list[str] = field(default_factory=list)
    passed: int = 0
    failed: int = 0
    not_applicable: int = 0
    index: dict[str, Any] = field(default_factory=dict)
    unsupported: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.name,
            "title": self.title,
            "claimed": self.claimed,
            "certified": self.certified,
            "reasons": self.reasons,
            "checks": {"passed": self.passed, "failed": self.failed, "not_applicable": self.not_applicable},
            "index": self.index,
            "unsupported_operations": self.unsupported,
        }


def level_checks(
    conformance: Conformance,
    contract: Contract,
    capabilities: Mapping[str, Any],
    checks: list[CheckResult],
    refusals: Mapping[str, str],
) -> list[CheckResult]:
    """One check per level: every operation of a claimed level is honoured, and the capabilities
    the level requires are claimed. ``refusals``: operation -> what answered 422
    ``unsupported_operation`` (a curl, or "the fuzz stage")."""
    results = []
    claimed = conformance.claimed(capabilities)
    for level in conformance.levels:
        result = CheckResult(
            f"levels.{level.name}",
            Stage.CERTIFICATION,
            f"Level {level.name}: every operation of the level is honoured and its required capabilities are claimed",
            Status.PASSED,
            level=level.name,
        )
        results.append(result)
        if level.name not in claimed:
            result.status = Status.NOT_APPLICABLE
            result.detail = f"level {level.name} is not in capabilities.levels {list(claimed)}"
            continue
        missing = [c for c in level.requires if not conformance.supports(capabilities, c)]
        refused_ops = sorted(
            op for op in refusals if op in level.operations and conformance.expected(capabilities, op)
        )
        if not missing and not refused_ops:
            continue
        result.status = Status.FAILED
        result.expected = f"every operation of level {level.name} honoured" + (
            f" and capabilities {', '.join(level.requires)} claimed" if level.requires else ""
        )
        problems = [f"capabilities.{c} is {capabilities.get(c)!r}, the level requires it" for c in missing]
        problems += [
            f"{op} ({contract.operations[op].label}) answered 422 {UNSUPPORTED}" for op in refused_ops
        ]
        result.actual = "; ".join(problems)
        result.operations = tuple(refused_ops)
        result.reproduce = next((refusals[op] for op in refused_ops if refusals[op].startswith("curl ")), "")
        # A refusal a scenario check already failed on is that check's failure: point at it.
        roots = sorted(
            {
                c.id
                for c in checks
                if c.status is Status.FAILED
                and c.caused_by is None
                and set(c.operations) & set(refused_ops)
                and UNSUPPORTED in c.actual
            }
        )
        if (
            roots
            and not missing
            and all(any(op in c.operations for c in checks if c.id in roots) for op in refused_ops)
        ):
            result.caused_by = roots[0]
    return results


def verdicts(
    conformance: Conformance,
    capabilities: Mapping[str, Any],
    checks: Iterable[CheckResult],
    index: Mapping[str, dict[str, Any]],
    refusals: Mapping[str, str],
) -> list[LevelVerdict]:
    claimed = conformance.claimed(capabilities)
    found = list(checks)
    out = []
    for level in conformance.levels:
        mine = [c for c in found if c.level == level.name]
        verdict = LevelVerdict(level.name, level.title, level.name in claimed, False)
        verdict.passed = sum(c.status is Status.PASSED for c in mine)
        verdict.failed = sum(c.status is Status.FAILED for c in mine)
        verdict.not_applicable = sum(c.status is Status.NOT_APPLICABLE for c in mine)
        verdict.index = dict(index.get(level.name, {}))
        verdict.unsupported = sorted(op for op in refusals if op in level.operations)
        if not verdict.claimed:
            verdict.reasons.append("not claimed (capabilities.levels)")
        else:
            failed = [c.id + (" (known)" if c.known else "") for c in mine if c.status is Status.FAILED]
            if failed:
                verdict.reasons.append("failed: " + ", ".join(failed))
            verdict.certified = not failed and verdict.passed > 0
            if not verdict.passed and not failed:
                verdict.reasons.append("no check of the level ran")
        out.append(verdict)
    return out
