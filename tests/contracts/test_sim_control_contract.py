"""schemathesis, all phases and all checks, against the control plane of each running simulator."""

from collections.abc import Callable
from pathlib import Path

import pytest
from aiohttp import web

from contracts.gate import run_gate, schemathesis_command
from simulators.billing.app import create_app as billing_app
from simulators.salesforce.app import create_app as salesforce_app
from tests.support.servers import running_app

ROOT = Path(__file__).resolve().parents[2]

# The long-poll waits up to its timeout for a delivery that random input never matches;
# it is covered by tests/simulators/kit/test_control.py instead of being fuzzed for minutes.
EXCLUDED = ("simWaitDelivery",)


@pytest.mark.slow
@pytest.mark.parametrize("factory", [salesforce_app, billing_app], ids=["salesforce", "billing"])
@pytest.mark.contract
def test_control_plane_conforms_to_its_contract(factory: Callable[[], web.Application]) -> None:
    with running_app(factory) as app:
        command = schemathesis_command(
            f"{app.url}/__sim/openapi.yaml", app.url, max_examples=25, exclude_operation_ids=EXCLUDED
        )
        result = run_gate(command, cwd=ROOT, timeout=300)
    assert result.passed, result.failure_report(6000)
    assert "No issues found" in result.output
