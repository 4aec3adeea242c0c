"""``--outbound`` / ``Q2C_SALESFORCE_OUTBOUND`` reach the Salesforce simulator on ``q2c salesforce``
and ``q2c up``; a file that does not load is a usage error naming the flag."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import sandbox.runtime
from q2c.cli import app
from simulators.salesforce.api.outbound_control import OUTBOUND

GOOD = "declarations:\n  - name: A\n    object: Account\n    endpoint_url: http://127.0.0.1:9000/om\n"


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(sandbox.runtime, "run_system", lambda options, **kw: seen.update(system=options))
    monkeypatch.setattr(sandbox.runtime, "run_components", lambda specs, **kw: seen.update(specs=specs))
    return seen


def test_salesforce_loads_the_declarations_file(captured: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "outbound.yaml"
    path.write_text(GOOD)
    result = CliRunner().invoke(app, ["salesforce", "--outbound", str(path)])
    assert result.exit_code == 0, result.output
    (spec,) = captured["specs"]
    assert [d.name for d in spec.app[OUTBOUND].declarations] == ["A"]


def test_up_reads_the_variable(captured: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "outbound.yaml"
    path.write_text(GOOD)
    result = CliRunner().invoke(app, ["up"], env={"Q2C_SALESFORCE_OUTBOUND": str(path)})
    assert result.exit_code == 0, result.output
    assert captured["system"].salesforce.outbound_files == (path,)


def test_a_bad_file_is_a_usage_error(captured: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "outbound.yaml"
    path.write_text("declarations:\n  - name: A\n    object: Account\n")
    result = CliRunner().invoke(app, ["salesforce", "--outbound", str(path)], env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert "Invalid value for --outbound" in result.output
    assert "declarations.0.endpoint_url: Field required" in result.output
    assert captured == {}
