"""The baseline: a JSON ratchet of accepted failures a partner commits next to their adapter.

A failed check whose id is in the baseline is *known*: reported, but it does not fail the run.
Any other failure does. A baseline entry whose check ran and passed is reported as *fixed*, so
the ratchet can be tightened with ``--update-baseline`` (which rewrites the file with exactly the
current failures). Only ids and titles are stored: no ids or amounts that change between runs,
so the file's diff shows what changed in conformance and nothing else.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from contracts.conformance.preflight import TargetError
from contracts.conformance.results import RunReport, Status

FORMAT = "q2c-verify-baseline/1"


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
        check.known = check.id in entries
    report.fixed = sorted(i for i in entries if i in ran and ran[i].status is Status.PASSED)


def write_baseline(path: Path, report: RunReport) -> int:
    failures = sorted(report.failures, key=lambda c: c.id)
    document = {
        "format": FORMAT,
        "contract_version": report.contract_version,
        "updated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "failures": [{"id": c.id, "stage": c.stage.value, "title": c.title} for c in failures],
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise TargetError(f"cannot write the baseline {path}: {exc.strerror or exc}") from None
    for check in failures:
        check.known = True
    return len(failures)
