"""The baseline: a JSON ratchet of accepted failures a partner commits next to their adapter.

A failed check whose id is in the baseline is *known*: reported, but it does not fail the run;
a failure caused by a known root is known too. Any other failure does. A baseline entry whose
check ran and passed is reported as *fixed*, so the ratchet can be tightened with
``--update-baseline``.

The baseline is kept per stage: an update rewrites the entries of the stages that ran with
exactly their current root failures and keeps the entries of the stages that did not run (an
``--only scenarios`` update leaves the fuzz entries alone). Every write says what changed. Only
ids and titles are stored: no ids or amounts that change between runs, so the file's diff shows
what changed in conformance and nothing else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from contracts.conformance.preflight import TargetError
from contracts.conformance.results import RunReport, Status

FORMAT = "q2c-verify-baseline/1"


@dataclass
class BaselineChange:
    """What a write did: entries added, removed, and kept because their stage did not run."""

    path: Path
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: dict[str, int] = field(default_factory=dict)
    total: int = 0

    def describe(self) -> str:
        parts = [f"baseline {self.path} written: {self.total} known failures"]
        parts.append(f"added {len(self.added)}" + (f" ({', '.join(self.added)})" if self.added else ""))
        parts.append(
            f"removed {len(self.removed)}" + (f" ({', '.join(self.removed)})" if self.removed else "")
        )
        if self.kept:
            kept = ", ".join(f"{count} {stage}" for stage, count in sorted(self.kept.items()))
            parts.append(f"kept {kept} (stages that did not run)")
        return "; ".join(parts)


def load_baseline(path: Path, *, creating: bool = False) -> dict[str, dict[str, Any]]:
    if not path.exists():
        if creating:
            return {}
        raise TargetError(f"baseline {path} does not exist (write it with --update-baseline)")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TargetError(f"baseline {path} is not readable JSON ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise TargetError(f"baseline {path} is not a q2c verify baseline (format {FORMAT!r})")
    entries = document.get("failures")
    if not isinstance(entries, list) or not all(isinstance(e, dict) and "id" in e for e in entries):
        raise TargetError(f"baseline {path} has no list of failures with ids")
    return {str(entry["id"]): entry for entry in entries}


def apply_baseline(report: RunReport, entries: dict[str, dict[str, Any]]) -> None:
    ran = {check.id: check for check in report.checks}
    for check in report.failures:
        check.known = check.id in entries or (check.caused_by is not None and check.caused_by in entries)
    report.fixed = sorted(i for i in entries if i in ran and ran[i].status is Status.PASSED)


def write_baseline(path: Path, report: RunReport, previous: dict[str, dict[str, Any]]) -> BaselineChange:
    """Rewrite the entries of the stages that ran (and the certification, which always runs);
    keep the others. Failures caused by another are covered by their root's entry."""
    ran = {stage.value for stage in report.stages} | {"certification"}
    kept = {i: e for i, e in previous.items() if str(e.get("stage", "")) not in ran}
    current = {c.id: {"id": c.id, "stage": c.stage.value, "title": c.title} for c in report.roots}
    entries = {**kept, **current}
    change = BaselineChange(path, total=len(entries))
    change.added = sorted(set(current) - set(previous))
    change.removed = sorted(set(previous) - set(entries))
    for entry in kept.values():
        stage = str(entry.get("stage", "?"))
        change.kept[stage] = change.kept.get(stage, 0) + 1
    document = {
        "format": FORMAT,
        "contract_version": report.contract_version,
        "updated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "failures": [entries[i] for i in sorted(entries)],
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise TargetError(f"cannot write the baseline {path}: {exc.strerror or exc}") from None
    for check in report.failures:
        check.known = True
    return change
