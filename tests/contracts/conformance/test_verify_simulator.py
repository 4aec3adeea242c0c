"""``q2c verify`` against the billing simulator, the reference implementation: every stage runs
and it scores 100%. The same run's reports are checked for structure and numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from contracts.conformance.spec import billing_contract
from simulators.billing.app import create_app
from tests.support.conformance import API_KEY, BURST, SIM_SETTINGS
from tests.support.servers import running_app

# One full run (every stage) shared by the module: it belongs to the contract gate (`make contract`).
pytestmark = [pytest.mark.slow, pytest.mark.contract]


class Run:
    def __init__(self, exit_code: int, output: str, report_dir: Path, seconds: float) -> None:
        self.exit_code = exit_code
        self.output = output
        self.report_dir = report_dir
        self.seconds = seconds
        self.report: dict[str, Any] = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """As a new user runs it: the installed ``q2c`` in a scratch directory, with a relative
    ``--report-dir`` (which once broke the fuzz stage: its config file was looked up twice)."""
    scratch = tmp_path_factory.mktemp("verify")
    with running_app(lambda: create_app(SIM_SETTINGS), name="billing") as billing:
        started = time.monotonic()
        done = subprocess.run(
            [
                str(Path(sys.executable).with_name("q2c")),
                "verify",
                "--target",
                billing.url,
                "--token",
                API_KEY,
                "--report-dir",
                "report",
                "--max-examples",
                "3",
                "--seed",
                "1",
                "--rate-limit-burst",
                str(BURST),
            ],
            cwd=scratch,
            env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        seconds = time.monotonic() - started
    return Run(done.returncode, done.stdout + done.stderr, scratch / "report", seconds)


def test_verify_scores_100_percent_on_the_simulator_with_every_stage(full_run: Run) -> None:
    report = full_run.report
    assert full_run.exit_code == 0, full_run.output
    assert report["stages"] == ["fuzz", "scenarios", "webhooks"]
    assert report["score"] == 1.0
    assert report["counts"]["failed"] == 0
    # Nothing was waved through as not applicable: the simulator declares every capability and
    # its rate limit answered the burst with a 429.
    assert report["counts"]["not_applicable"] == 0, [
        c["id"] for c in report["checks"] if c["status"] != "passed"
    ]
    stages = {c["stage"] for c in report["checks"]}
    assert stages == {"fuzz", "scenarios", "webhooks", "certification"}
    # The reference implementation is certified at every level, each with its own index.
    assert report["certified_levels"] == ["core", "orders", "billing_operations"]
    assert all(0.0 < level["index"]["share"] <= 1.0 for level in report["levels"])
    assert "level billing_operations: certified" in full_run.output
    ids = {c["id"] for c in report["checks"]}
    assert {
        "fuzz.run",
        "rate_limit.retry_after",
        "webhooks.retry_keeps_id",
        "summary.matches_invoices",
    } <= ids
    # The fuzzer reached every operation with every schemathesis check.
    fuzzed = {c["operations"][0] for c in report["checks"] if c["stage"] == "fuzz" and c["operations"]}
    assert fuzzed == set(billing_contract().operations)
    coverage = report["coverage"]
    total = len(billing_contract().operations)
    assert coverage["operations"] == {"exercised": total, "total": total, "share": 1.0}
    assert coverage["responses"]["total"] == len(billing_contract().documented_responses())
    assert 0.5 < report["index"] <= 1.0
    assert "score 100.0%" in full_run.output
    assert any(note.startswith("rate limit: 429 after") for note in report["notes"]), report["notes"]
    print(f"\nq2c verify against the simulator: {full_run.seconds:.1f}s, index {report['index']:.3f}")


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[str, dict[str, str | None]] = {}
        self.rows: list[dict[str, str | None]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        if found.get("id"):
            self.by_id[str(found["id"])] = found
        if tag == "tr" and "data-check" in found:
            self.rows.append(found)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(path: Path) -> _Html:
    parser = _Html()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_the_html_report_renders_the_run_and_is_self_contained(full_run: Run) -> None:
    report = full_run.report
    html = _parse(full_run.report_dir / "report.html")
    assert html.by_id["score"]["data-value"] == f"{report['score']:.6f}"
    responses = report["coverage"]["responses"]
    assert html.by_id["index"]["data-exercised"] == str(responses["exercised"])
    assert html.by_id["index"]["data-total"] == str(responses["total"])
    assert html.by_id["operations"]["data-exercised"] == str(len(billing_contract().operations))
    counts = html.by_id["counts"]
    assert counts["data-passed"] == str(report["counts"]["passed"])
    assert counts["data-failed"] == "0"
    assert html.by_id["failures"]["data-count"] == "0"
    assert "no-failures" in html.by_id
    # One row per check, with its status, and one coverage row per operation.
    assert len(html.rows) == len(report["checks"])
    assert {row["data-check"]: row["data-status"] for row in html.rows} == {
        c["id"]: c["status"] for c in report["checks"]
    }
    coverage_rows = [a for t, a in html.tags if t == "tr" and "data-operation" in a]
    assert len(coverage_rows) == len(billing_contract().operations)
    levels = {a["data-level"]: a["data-certified"] for t, a in html.tags if t == "tr" and "data-claimed" in a}
    assert levels == {"core": "true", "orders": "true", "billing_operations": "true"}
    assert sum(int(str(a["data-exercised"])) for a in coverage_rows) == responses["exercised"]
    # Self-contained: no scripts, stylesheets, images or any other fetched asset.
    assert not [t for t, a in html.tags if t in ("script", "link", "img", "iframe") or "src" in a]
    assert html.by_id["target"]["data-target"] == report["target"]


def test_the_junit_report_has_a_testcase_per_check_and_no_failure(full_run: Run) -> None:
    root = ET.parse(full_run.report_dir / "junit.xml").getroot()
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(full_run.report["checks"])
    assert root.get("failures") == "0"
    assert {s.get("name") for s in root.findall("testsuite")} == {
        "fuzz",
        "scenarios",
        "webhooks",
        "certification",
    }
    properties = {p.get("name"): p.get("value") for p in root.findall("./testsuite/properties/property")}
    assert properties["level.core"] == properties["level.billing_operations"] == "certified"
    assert (full_run.report_dir / "fuzz" / "events.ndjson").exists()
    assert (full_run.report_dir / "fuzz" / "schemathesis.toml").exists()
