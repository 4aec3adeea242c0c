"""`q2c bench startup`: the start-up figure of docs/benchmarks.md, measured over fresh runs."""

import json

import pytest
from typer.testing import CliRunner

from q2c.cli import app


@pytest.mark.slow
def test_bench_startup_measures_fresh_runs_and_prints_the_figures() -> None:
    result = CliRunner().invoke(app, ["bench", "startup", "--runs", "2"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output[result.output.index("{") :])
    assert figures["runs"] == 2
    assert 0 < figures["min_s"] <= figures["median_s"] <= figures["max_s"] < 60
    assert figures["goal_s"] == 2.0
    assert 0 <= figures["within_goal"] <= 2
    assert "command to all three components ready" in result.output
