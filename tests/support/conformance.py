"""Helpers for the q2c verify tests: the reference simulator settings, running verify."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rich.console import Console

from contracts.conformance.fuzz import FuzzOptions
from contracts.conformance.runner import VerifyOptions, verify_main
from simulators.billing.app import BillingSettings

API_KEY = "q2c-billing-key"


BURST = 600


SIM_SETTINGS = BillingSettings(
    rate_limit=200.0, rate_burst=150, counts={"accounts": 3, "services_per_account": 1}
)


@dataclass
class Verified:
    exit_code: int
    output: str
    report_dir: Path

    @property
    def report(self) -> dict[str, Any]:
        loaded = json.loads((self.report_dir / "report.json").read_text(encoding="utf-8"))
        assert isinstance(loaded, dict)
        return loaded

    def check(self, check_id: str) -> dict[str, Any]:
        found = [c for c in self.report["checks"] if c["id"] == check_id]
        assert len(found) == 1, (check_id, [c["id"] for c in self.report["checks"]])
        return found[0]

    def failed(self) -> set[str]:
        return {c["id"] for c in self.report["checks"] if c["status"] == "failed"}


Verify = Callable[..., Verified]


def verify_against(url: str, report_dir: Path, **overrides: Any) -> Verified:
    fuzz = overrides.pop("fuzz", FuzzOptions(seed=1, max_examples=2, timeout=240))
    options = VerifyOptions(
        target=url,
        token=overrides.pop("token", API_KEY),
        report_dir=report_dir,
        webhook_timeout=overrides.pop("webhook_timeout", 15.0),
        fuzz=fuzz,
        run_id=overrides.pop("run_id", "TESTRUN1"),
        rate_limit_burst=overrides.pop("rate_limit_burst", BURST),
        **overrides,
    )
    buffer = io.StringIO()
    code = verify_main(options, Console(file=buffer, width=200, color_system=None))
    return Verified(code, buffer.getvalue(), report_dir)


def with_fuzz(**changes: Any) -> FuzzOptions:
    return replace(FuzzOptions(seed=1, max_examples=2, timeout=240), **changes)
