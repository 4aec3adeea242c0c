"""The load gates as CI runs them: ``q2c load`` in a subprocess (the system in one process, locust
in its own, never in pytest's), small bounded workloads on loopback, the verdict read from the
exit code, the printed table and ``gate.json``."""

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

# Four batches of 200: one per user, one or two per worker.
LINK = ("--users", "4", "--run-time", "60s", "--workload", "accounts=800", "--workload", "batch=200")


@dataclass
class LoadRun:
    returncode: int
    stdout: str
    stderr: str
    report_dir: Path

    @property
    def gate(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads((self.report_dir / "gate.json").read_text())
        return result

    def value(self, metric: str) -> float:
        return float(self.gate["metrics"][metric])


def q2c_load(report_dir: Path, *args: str, timeout: float = 150) -> LoadRun:
    done = subprocess.run(
        [str(Path(sys.executable).with_name("q2c")), "load", *args, "--report-dir", str(report_dir)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=report_dir.parent,
        env={**os.environ, "COLUMNS": "200"},
    )
    return LoadRun(done.returncode, done.stdout, done.stderr, report_dir)


@pytest.fixture(scope="module")
def link_run(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, int], LoadRun]:
    """``q2c load link`` in a given core mode and worker count, run once per module."""
    runs: dict[tuple[str, int], LoadRun] = {}

    def run(mode: str, workers: int) -> LoadRun:
        if (mode, workers) not in runs:
            report = tmp_path_factory.mktemp(f"link-{mode}-{workers}") / "report"
            switch = "--record-by-record" if mode == "naive" else "--bulk"
            runs[mode, workers] = q2c_load(report, "link", switch, "--workers", str(workers), *LINK)
        return runs[mode, workers]

    return run


def test_the_link_gate_passes_on_the_bulkified_core(link_run: Callable[[str, int], LoadRun]) -> None:
    run = link_run("bulk", 0)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "RESULT: PASS" in run.stdout
    gate = run.gate
    assert gate["passed"] is True
    assert gate["breaches"] == []
    assert gate["info"]["linked"] == 800
    assert gate["info"]["label"] == "bulkified"
    # Read from the Salesforce simulator's meter: a query and a collection update per 200 accounts.
    assert run.value("salesforce_calls_per_account") <= 0.02
    # Batch create (200 accounts a call), plus reference data and capabilities.
    assert run.value("billing_calls_per_account") <= 0.02
    assert run.value("linked_share") == 1.0
    report = json.loads((run.report_dir / "report.json").read_text())
    assert sum(entry["num_requests"] for entry in report) == 4  # locust's own JSON report: 4 batches
    assert "<html" in (run.report_dir / "report.html").read_text()[:2000].lower()


def test_the_link_gate_fails_on_calls_per_account_with_batching_switched_off(
    link_run: Callable[[str, int], LoadRun],
) -> None:
    run = link_run("naive", 0)
    assert run.returncode == 3, run.stdout + run.stderr
    assert "salesforce_calls_per_account" in run.gate["breaches"]
    assert "RESULT: BREACH of salesforce_calls_per_account" in run.stdout
    row = next(line for line in run.stdout.splitlines() if line.startswith("salesforce_calls_per_account"))
    assert row.rstrip().endswith("BREACH")
    assert run.value("salesforce_calls_per_account") >= 1.0  # one write per account, plus the queries
    assert run.gate["info"]["label"] == "record by record (naive)"
    assert run.value("linked_share") == 1.0  # same work done: only the chattiness differs


@pytest.mark.parametrize("mode", ["bulk", "naive"])
def test_two_workers_give_the_same_verdict_as_one_process(
    link_run: Callable[[str, int], LoadRun], mode: str
) -> None:
    one, two = link_run(mode, 0), link_run(mode, 2)
    assert two.gate["info"]["workers"] == 2
    assert one.gate["info"]["workers"] == 0
    assert (two.returncode, two.gate["breaches"]) == (one.returncode, one.gate["breaches"])
    assert two.returncode == (0 if mode == "bulk" else 3)
    # The meter counts the core's calls whichever process sent the requests.
    assert two.gate["info"]["linked"] == one.gate["info"]["linked"] == 800
    assert two.gate["info"]["requests"] == one.gate["info"]["requests"] == 4
    assert two.value("salesforce_calls_per_account") == pytest.approx(
        one.value("salesforce_calls_per_account"), rel=0.5
    )


def test_the_invoice_sync_gate_passes_with_webhooks_driving_the_core(tmp_path: Path) -> None:
    # 280 accounts, two virtual days a step: 20 invoices a step, as in gates.yaml's workload.
    run = q2c_load(
        tmp_path / "report",
        "invoice_sync",
        "--run-time",
        "5s",
        "--workload",
        "accounts=280",
        "--workload",
        "advance_by=P2D",
    )
    assert run.returncode == 0, run.stdout + run.stderr
    info = run.gate["info"]
    assert info["invoices"] >= 40
    assert info["clock_steps"] >= 3
    assert run.value("salesforce_calls_per_invoice") <= 0.25
    assert 0 < run.value("lag_p50_seconds") <= run.value("lag_p95_seconds")


def test_the_simulators_gate_reports_every_endpoint(tmp_path: Path) -> None:
    run = q2c_load(
        tmp_path / "report",
        "simulators",
        "--run-time",
        "3s",
        "--workload",
        "salesforce_accounts=500",
        "--workload",
        "billing_accounts=100",
    )
    assert run.returncode == 0, run.stdout + run.stderr
    for endpoint in (
        "SF GET /query (SOQL)",
        "SF PATCH /composite/sobjects (25 records)",
        "billing POST /orders",
    ):
        assert endpoint in run.stdout
    info = run.gate["info"]
    assert info["salesforce_calls"] > 0
    assert info["billing_calls"] > 0
    assert run.value("requests_per_second") > 0


def test_unreachable_targets_are_an_error_not_a_pass_or_a_breach(tmp_path: Path) -> None:
    closed = "http://127.0.0.1:9"  # discard: nothing listens on loopback
    run = q2c_load(
        tmp_path / "report",
        "link",
        "--salesforce-url",
        closed,
        "--billing-url",
        closed,
        "--core-url",
        closed,
        "--run-time",
        "20s",
        timeout=60,
    )
    assert run.returncode == 2, run.stdout + run.stderr
    assert "RESULT: ERROR: preparing the run failed" in run.stdout
    assert "error" in run.gate
