"""``--pubsub-port`` / ``Q2C_PUBSUB_PORT`` and ``--tls`` reach the Salesforce simulator's Pub/Sub
API settings on both ``q2c salesforce`` and ``q2c up``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import sandbox.runtime
from contracts import defaults
from q2c.cli import app
from simulators.salesforce.app import PUBSUB


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(sandbox.runtime, "run_system", lambda options, **kw: seen.update(system=options))
    monkeypatch.setattr(sandbox.runtime, "run_components", lambda specs, **kw: seen.update(specs=specs))
    return seen


def invoke(*args: str, env: dict[str, str] | None = None) -> None:
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output


def test_salesforce_serves_pubsub_on_the_flag_port_with_tls(captured: dict[str, Any], tmp_path: Path) -> None:
    invoke("salesforce", "--pubsub-port", "9123", "--tls", "--state-dir", str(tmp_path))
    (spec,) = captured["specs"]
    server = spec.app[PUBSUB]
    assert (server.settings.port, server.settings.tls_state_dir) == (9123, tmp_path)


def test_up_reads_the_variable_and_defaults_to_8704(captured: dict[str, Any]) -> None:
    invoke("up", env={"Q2C_PUBSUB_PORT": "9124"})
    assert captured["system"].salesforce.pubsub.port == 9124
    invoke("up")
    assert captured["system"].salesforce.pubsub.port == defaults.PUBSUB_PORT
    assert captured["system"].salesforce.pubsub.tls_state_dir is None
