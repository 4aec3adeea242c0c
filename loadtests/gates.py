"""Load gates: thresholds read from ``loadtests/gates.yaml``, evaluated against measured figures.

Pure code (no locust, no HTTP): the locust harness measures, this module judges and renders the
table. Also the two readings gates need from the system's own instruments: a meter's all-time
call count (``/__sim/usage``) and a quantile of a Prometheus histogram (the core's ``/metrics``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

GATES_FILE = Path(__file__).with_name("gates.yaml")
SCENARIOS = ("link", "invoice_sync", "simulators")
EXIT_PASS = 0
EXIT_ERROR = 2  # the run could not be measured (setup failed, a target did not answer)
EXIT_BREACH = 3


class GateFileError(ValueError):
    """gates.yaml is malformed or does not describe the scenario asked for."""


@dataclass(frozen=True)
class Threshold:
    metric: str
    bound: Literal["max", "min"]
    limit: float
    unit: str = ""
    description: str = ""

    def holds(self, value: float) -> bool:
        if math.isnan(value):
            return False
        return value <= self.limit if self.bound == "max" else value >= self.limit

    @property
    def text(self) -> str:
        return f"{'<=' if self.bound == 'max' else '>='} {_number(self.limit)}{_unit(self.unit)}"


@dataclass(frozen=True)
class ScenarioGates:
    scenario: str
    thresholds: tuple[Threshold, ...]
    workload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GateResult:
    threshold: Threshold
    value: float | None  # None: the metric was not measured (a breach)

    @property
    def passed(self) -> bool:
        return self.value is not None and self.threshold.holds(self.value)

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.threshold.metric,
            "bound": self.threshold.bound,
            "limit": self.threshold.limit,
            "unit": self.threshold.unit,
            "value": None if self.value is None or math.isnan(self.value) else self.value,
            "passed": self.passed,
        }


@dataclass(frozen=True)
class Verdict:
    scenario: str
    results: tuple[GateResult, ...]

    @property
    def passed(self) -> bool:
        return all(result.passed for result in self.results)

    @property
    def breaches(self) -> list[str]:
        return [result.threshold.metric for result in self.results if not result.passed]

    @property
    def exit_code(self) -> int:
        return EXIT_PASS if self.passed else EXIT_BREACH


def load_gates(scenario: str, path: Path | None = None) -> ScenarioGates:
    """The thresholds and workload of one scenario from the (versioned) gates file."""
    source = path or GATES_FILE
    try:
        document = yaml.safe_load(source.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise GateFileError(f"cannot read {source}: {exc}") from None
    if not isinstance(document, dict) or document.get("version") != 1:
        raise GateFileError(f"{source}: expected a mapping with 'version: 1'")
    scenarios = document.get("scenarios")
    if not isinstance(scenarios, dict) or scenario not in scenarios:
        raise GateFileError(f"{source}: no scenario {scenario!r}")
    entry = scenarios[scenario] or {}
    gates = entry.get("gates")
    if not isinstance(gates, dict) or not gates:
        raise GateFileError(f"{source}: scenario {scenario!r} has no gates")
    thresholds = []
    for metric, spec in gates.items():
        if not isinstance(spec, dict):
            raise GateFileError(f"{source}: {scenario}.{metric} must be a mapping with max or min")
        bounds = [key for key in ("max", "min") if key in spec]
        if (
            len(bounds) != 1
            or not isinstance(spec[bounds[0]], int | float)
            or isinstance(spec[bounds[0]], bool)
        ):
            raise GateFileError(f"{source}: {scenario}.{metric} needs exactly one numeric 'max' or 'min'")
        unknown = set(spec) - {"max", "min", "unit", "description"}
        if unknown:
            raise GateFileError(f"{source}: {scenario}.{metric}: unknown keys {sorted(unknown)}")
        bound: Literal["max", "min"] = "max" if bounds[0] == "max" else "min"
        thresholds.append(
            Threshold(
                str(metric),
                bound,
                float(spec[bound]),
                str(spec.get("unit", "")),
                str(spec.get("description", "")),
            )
        )
    workload = entry.get("workload") or {}
    if not isinstance(workload, dict):
        raise GateFileError(f"{source}: {scenario}.workload must be a mapping")
    return ScenarioGates(scenario, tuple(thresholds), workload)


def evaluate(gates: ScenarioGates, metrics: Mapping[str, float | None]) -> Verdict:
    """Each threshold against its measured value; a metric that was not measured is a breach."""
    return Verdict(
        gates.scenario,
        tuple(GateResult(threshold, metrics.get(threshold.metric)) for threshold in gates.thresholds),
    )


def render_table(verdict: Verdict, *, gated: bool = True, extra: Mapping[str, Any] | None = None) -> str:
    """A plain-text table: metric, threshold, value, verdict (then informational figures)."""
    rows = [("metric", "threshold", "value", "verdict")]
    for result in verdict.results:
        value = "not measured" if result.value is None else _number(result.value)
        if result.value is not None:
            value += _unit(result.threshold.unit)
        rows.append(
            (result.threshold.metric, result.threshold.text, value, "pass" if result.passed else "BREACH")
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [f"Load gate: {verdict.scenario}" + ("" if gated else " (--no-gate: report only)")]
    rule = "-+-".join("-" * width for width in widths)
    for index, row in enumerate(rows):
        lines.append(" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if index == 0:
            lines.append(rule)
    for name, value in (extra or {}).items():
        lines.append(f"  {name}: {_number(value) if isinstance(value, int | float) else value}")
    if verdict.passed:
        lines.append("RESULT: PASS")
    else:
        lines.append(f"RESULT: BREACH of {', '.join(verdict.breaches)}")
    return "\n".join(lines)


def _number(value: float) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) or (math.isfinite(value) and float(value).is_integer() and abs(value) < 1e12):
        return str(int(value))
    if not math.isfinite(value):
        return str(value)
    if abs(value) >= 100:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return f"{value:.5f}".rstrip("0").rstrip(".")


def _unit(unit: str) -> str:
    return f" {unit}" if unit else ""


# -- readings from the system's own instruments ------------------------------------------------


def meter_all_time(usage: Mapping[str, Any], family: str, *, caller: str | None = None) -> int:
    """All-time calls of one API family in a simulator's ``/__sim/usage`` report (all scopes;
    one caller when given). All-time, not the rolling window: a scenario that moves the virtual
    clock would otherwise see earlier calls fall out of the window."""
    fam = usage.get("families", {}).get(family)
    if fam is None:
        return 0
    if caller is None:
        return int(fam.get("all_time", 0))
    return sum(
        int(scope.get("callers", {}).get(caller, {}).get("all_time", 0))
        for scope in fam.get("scopes", {}).values()
    )


_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>[^}]*)\})?\s+(?P<value>\S+)")


def histogram_buckets(exposition: str, name: str) -> list[tuple[float, float]]:
    """Cumulative ``(le, count)`` buckets of one (unlabelled) histogram in a Prometheus text
    exposition, sorted by bound, ``+Inf`` last."""
    buckets: list[tuple[float, float]] = []
    for line in exposition.splitlines():
        match = _SAMPLE.match(line)
        if match is None or match.group("name") != f"{name}_bucket":
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group("labels") or ""))
        if "le" in labels:
            buckets.append((float(labels["le"]), float(match.group("value"))))
    return sorted(buckets)


def bucket_delta(
    after: Iterable[tuple[float, float]], before: Iterable[tuple[float, float]]
) -> list[tuple[float, float]]:
    """The observations made between two readings of the same histogram."""
    earlier = dict(before)
    return [(bound, count - earlier.get(bound, 0.0)) for bound, count in after]


def histogram_quantile(q: float, buckets: list[tuple[float, float]]) -> float:
    """Prometheus' ``histogram_quantile``: linear interpolation inside the bucket holding the
    q-th observation (the lowest bucket starts at 0); NaN without observations. A quantile in
    the ``+Inf`` bucket is the largest finite bound."""
    if not 0 <= q <= 1:
        raise ValueError("q must be between 0 and 1")
    if not buckets or buckets[-1][1] <= 0:
        return math.nan
    total = buckets[-1][1]
    rank = q * total
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank and count > lower_count:
            if math.isinf(bound):
                return lower_bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (count - lower_count)
        lower_bound, lower_count = bound, count
    return lower_bound
