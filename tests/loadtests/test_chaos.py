"""The chaos gate: the plan is a function of the seed; the gate itself runs as a subprocess
(``q2c chaos``: the three components as processes, faults, SIGKILLs) and its exit
code and report are asserted, including a planted defect it must catch and name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from loadtests.chaos.observe import ChaosTimeout, Observer, Reading
from loadtests.chaos.plan import CORE_BILLING_CALLER, make_plan
from q2c.chaos_cli import chaos

pytestmark = pytest.mark.slow

GATE = [sys.executable, "-m", "q2c.cli", "chaos"]
#: What the core's billing account creates answer when the planted defect is on: a permanent
#: refusal, so no account can ever be linked (the core creates through the batch operation, which
#: the simulator declares).
PLANTED = {
    "target": "billing",
    "caller": CORE_BILLING_CALLER,
    "operation": "createAccountsBatch",
    "effect": {
        "type": "status",
        "status": 400,
        "error_code": "planted_defect",
        "message": "planted by the test",
    },
}


def run_gate(
    report_dir: Path, *args: str, timeout: float = 240
) -> tuple[subprocess.CompletedProcess[str], Any]:
    result = subprocess.run(
        [*GATE, "--report-dir", str(report_dir), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )
    path = report_dir / "chaos.json"
    report = json.loads(path.read_text()) if path.exists() else None
    return result, report


# -- the plan ------------------------------------------------------------------------------------


def test_the_plan_is_a_function_of_the_seed() -> None:
    first = make_plan(seed=7, accounts=60, periods=2, kills=2)
    assert first == make_plan(seed=7, accounts=60, periods=2, kills=2)
    assert first.to_json() != make_plan(seed=8, accounts=60, periods=2, kills=2).to_json()
    # Kills alternate: the first during the links (billing creates), the second during a period.
    assert [(k.phase, k.trigger) for k in first.kills] == [
        ("link", "billing_creates"),
        ("periods", "billing_summaries"),
    ]
    four = make_plan(seed=7, accounts=60, periods=2, kills=4).kills
    assert [k.trigger for k in four] == [
        "billing_creates",
        "billing_summaries",
        "billing_creates",
        "salesforce_writes",
    ]
    assert all(k.count >= 1 for k in first.kills)
    assert sum(first.wave_sizes()) == 60


def test_the_plan_carries_every_fault_family_the_issue_names() -> None:
    names = {family.name for family in make_plan(seed=1, accounts=10, periods=1, kills=0).faults}
    assert names == {
        "billing 5xx",
        "billing 429 + Retry-After",
        "billing connection reset on account creation",
        "Salesforce UNABLE_TO_LOCK_ROW inside collections",
        "Salesforce 503",
        "Salesforce REQUEST_LIMIT_EXCEEDED",
        "webhook drop",
        "webhook duplicate",
        "webhook reorder",
    }


def test_a_plan_needs_accounts_and_periods() -> None:
    with pytest.raises(ValueError, match="at least one account and one period"):
        make_plan(seed=1, accounts=0, periods=1, kills=0)


def test_a_reading_is_idle_only_when_every_part_is() -> None:
    idle = Reading(1, 0, 0, inbox_events=5, billing_events=5, link_requests=0)  # a retry pending: no matter
    assert idle.idle
    assert idle.busy() == "idle"
    behind = Reading(0, 0, 0, inbox_events=4, billing_events=5, link_requests=2)
    assert not behind.idle
    assert behind.busy() == (
        "the core holds 4 of billing's 5 events; 2 Salesforce accounts still request a link"
    )


def test_a_system_stuck_with_nothing_in_flight_is_final_not_a_hang(monkeypatch: pytest.MonkeyPatch) -> None:
    observer = Observer("http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3", poll_interval=0.001)
    observer.stall_seconds = 0.05
    stuck = Reading(0, 0, 0, inbox_events=3, billing_events=3, link_requests=2)
    monkeypatch.setattr(observer, "reading", lambda: stuck)
    assert observer.wait_idle(time.monotonic() + 30, "the link wave 1") == stuck
    assert observer.stalls == [
        {
            "while": "the link wave 1",
            "stuck": "2 Salesforce accounts still request a link",
            "reading": stuck.to_json(),
        }
    ]
    # Work in flight is never taken for stuck: that waits for the deadline.
    busy = Reading(0, 1, 0, inbox_events=3, billing_events=3, link_requests=2)
    monkeypatch.setattr(observer, "reading", lambda: busy)
    monkeypatch.setattr(observer, "_wait_core", lambda timeout: None)
    with pytest.raises(ChaosTimeout, match="the link wave 2 did not settle: 1 core jobs open"):
        observer.wait_idle(time.monotonic() + 0.2, "the link wave 2")
    observer.close()


def test_a_bad_fault_option_is_refused_with_the_option_named() -> None:
    app = typer.Typer()
    app.command()(chaos)
    result = CliRunner().invoke(app, ["--fault", '{"target": "mars"}'], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "--fault" in result.output
    assert "billing, salesforce or webhooks" in result.output


# -- the gate, as a subprocess --------------------------------------------------------------------


def test_the_short_gate_passes_with_two_kills_mid_flow(tmp_path: Path) -> None:
    result, report = run_gate(tmp_path, "--short", "--seed", "5")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "RESULT: PASS" in result.stdout
    verdict = report["verdict"]
    assert (verdict["lost"], verdict["duplicated"], verdict["drift"]) == (0, 0, 0)
    assert verdict["requested_links"] > 0
    assert verdict["linked"] == verdict["requested_links"]
    assert verdict["billing_accounts"] == verdict["external_ids"] == verdict["requested_links"]
    assert verdict["billing_invoices"] == verdict["salesforce_invoices"] > 0
    assert [k["phase"] for k in report["kills"]] == ["link", "periods"]
    assert all(k["mid_flow"] for k in report["kills"])
    # Each restarted core took back jobs its killed predecessor had leased: the kills hit work.
    assert all(k["jobs_taken_back"] > 0 for k in report["kills"]), report["kills"]
    # The faults really hit the core (the counters are the simulators' own).
    assert [f["state"] for f in report["faults"]] == ["installed"] * 9
    for target in ("billing", "salesforce", "webhooks"):
        assert sum(f["fired"] for f in report["faults"] if f["target"] == target) > 0, target
    assert (tmp_path / "run" / "core.log").read_text().count("=== start") == 3  # started, 2 restarts


def test_a_planted_defect_fails_the_gate_and_is_named(tmp_path: Path) -> None:
    result, report = run_gate(
        tmp_path, "--short", "--accounts", "6", "--kills", "0", "--fault", json.dumps(PLANTED)
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "RESULT: FAIL" in result.stdout
    verdict = report["verdict"]
    assert verdict["passed"] is False
    assert verdict["linked"] == 0
    assert verdict["lost"] == verdict["requested_links"] > 0
    problem = verdict["problems"]["account without a billing account"]
    assert problem["count"] > 0
    # The example names the account and what the core wrote back to it.
    assert "planted_defect" in problem["examples"][0]
    assert "account without a billing account" in result.stdout


def test_a_run_that_cannot_settle_times_out_with_exit_2_and_what_was_busy(tmp_path: Path) -> None:
    unavailable = {**PLANTED, "effect": {"type": "status", "status": 503}}
    result, report = run_gate(
        tmp_path,
        "--short",
        "--accounts",
        "3",
        "--kills",
        "0",
        "--timeout",
        "20",
        "--fault",
        json.dumps(unavailable),
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert report["exit_code"] == 2
    assert report["error"].startswith("timed out after 20 s: the link wave 1 did not settle")
    assert report["last_reading"]["idle"] is False
    assert "RESULT: ERROR (exit 2)" in result.stdout


def test_a_fault_a_simulator_refuses_stops_the_run_before_it_starts(tmp_path: Path) -> None:
    bogus = {"target": "webhooks", "effect": {"type": "explode"}}
    result, report = run_gate(tmp_path, "--short", "--fault", json.dumps(bogus))
    assert result.returncode == 2, result.stdout + result.stderr
    assert report["error"].startswith("fault families not installed: extra fault 1 (unavailable: HTTP 400: ")
    assert "verdict" not in report
    assert report["seconds"] == {"start": report["seconds"]["start"]}  # no phase ran
