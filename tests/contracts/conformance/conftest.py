"""A fresh billing simulator per test, on a free loopback port in a background thread, and a way to
run ``q2c verify`` against it (directly, or through a broken adapter in front of it)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from contracts.conformance.fuzz import FuzzOptions
from contracts.conformance.runner import VerifyOptions, verify_main
from simulators.billing.app import BillingSettings, create_app
from tests.support.servers import running_app

from .adapters import Adapter

API_KEY = "q2c-billing-key"
BURST = 600
# Generous enough that the fuzzer and the scripted checks are (almost) never throttled, low enough
# that the bounded burst of the rate-limit check (BURST requests, 25 at a time) meets a 429.
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
        webhook_timeout=15.0,
        fuzz=fuzz,
        run_id=overrides.pop("run_id", "TESTRUN1"),
        rate_limit_burst=overrides.pop("rate_limit_burst", BURST),
        **overrides,
    )
    buffer = io.StringIO()
    code = verify_main(options, Console(file=buffer, width=200, color_system=None))
    return Verified(code, buffer.getvalue(), report_dir)


@pytest.fixture
def billing_url() -> Iterator[str]:
    with running_app(lambda: create_app(SIM_SETTINGS), name="billing") as billing:
        yield billing.url


@pytest.fixture
def proxied(billing_url: str) -> Callable[[type[Adapter]], Any]:
    """Start an adapter class in front of the simulator: ``with proxied(Broken) as url: ...``."""
    import contextlib

    @contextlib.contextmanager
    def start(kind: type[Adapter]) -> Iterator[str]:
        adapter = kind(billing_url)
        with running_app(adapter.app, name=f"adapter-{adapter.name}") as running:
            yield running.url

    return start


def with_fuzz(**changes: Any) -> FuzzOptions:
    return replace(FuzzOptions(seed=1, max_examples=2, timeout=240), **changes)
