"""The fuzz stage is seeded and reproducible: the same seed against the same fresh adapter gives
the same checks and the same responses; it runs with its own schemathesis settings."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from simulators.billing.app import create_app
from tests.support.conformance import SIM_SETTINGS, verify_against, with_fuzz
from tests.support.servers import running_app

OPERATIONS = ("createAccount", "getAccount", "listAccounts", "getAccountSummary")
# A rate limit answers by wall-clock pace, so only an unthrottled target replays exactly.
UNTHROTTLED = replace(SIM_SETTINGS, rate_limit=None)


def _fuzz_once(report_dir: Path, seed: int) -> tuple[dict[str, str], dict[str, list[str]]]:
    with running_app(lambda: create_app(UNTHROTTLED), name="billing") as billing:
        run = verify_against(
            billing.url, report_dir, only=("fuzz",), fuzz=with_fuzz(seed=seed, operations=OPERATIONS)
        )
    assert run.exit_code == 0, run.output
    checks = {c["id"]: c["status"] for c in run.report["checks"]}
    exercised = {op: entry["exercised"] for op, entry in run.report["coverage"]["per_operation"].items()}
    return checks, exercised


@pytest.mark.slow
@pytest.mark.contract
def test_the_same_seed_gives_the_same_fuzz_run(tmp_path: Path) -> None:
    first = _fuzz_once(tmp_path / "a", seed=7)
    second = _fuzz_once(tmp_path / "b", seed=7)
    assert first == second
    checks, exercised = first
    fuzzed = {c.split(".")[1] for c in checks if c.startswith("fuzz.") and c != "fuzz.run"}
    assert fuzzed == set(OPERATIONS)
    assert {c for c in checks if not c.startswith("fuzz.")} == {
        f"levels.{n}" for n in ("core", "orders", "billing_operations")
    }
    assert set(checks.values()) == {"passed"}
    assert exercised["createAccount"]  # the run reached the operations it was given
    assert not exercised["createOrder"]  # and no other
    config = (tmp_path / "a" / "fuzz" / "schemathesis.toml").read_text(encoding="utf-8")
    assert "expected-statuses" in config
    log = (tmp_path / "a" / "fuzz" / "schemathesis.log").read_text(encoding="utf-8")
    assert str(tmp_path / "a" / "fuzz" / "schemathesis.toml") in log  # used, not the walk-up file
    assert "Seed: 7" in log
