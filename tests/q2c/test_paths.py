"""Every path option of every command means a path relative to the directory the user runs
``q2c`` in (issue 10 item 2: ``q2c verify --report-dir rep`` once broke the fuzz stage, which
runs schemathesis in another directory)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from q2c.cli import app
from q2c.startup import read_until


def _commands(command: Any, name: str = "q2c") -> Iterator[tuple[str, Any]]:
    yield name, command
    for sub_name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, f"{name} {sub_name}")


def test_every_path_option_of_every_command_resolves_against_the_cwd() -> None:
    path_options = [
        (f"{name} {param.opts[0]}", param.type_descriptor.parameter_info)
        for name, command in _commands(typer.main.get_command(app))
        for param in getattr(command, "params", [])
        if param.type_descriptor.annotation in (Path, list[Path])
    ]
    assert {
        "q2c up --state-dir",
        "q2c up --port-dir",
        "q2c up --schema",
        "q2c core --mapping",
        "q2c core --salesforce-ca-file",
        "q2c load --report-dir",
        "q2c load --gates",
        "q2c verify --report-dir",
        "q2c verify --baseline",
    } <= {name for name, _ in path_options}
    assert [name for name, info in path_options if not info.resolve_path] == []


def test_verify_and_load_get_absolute_paths_from_relative_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the commands hand to their runners is absolute (the runners start subprocesses in
    other directories)."""
    import contracts.conformance.runner
    import loadtests.runner

    seen: dict[str, Any] = {}
    monkeypatch.setattr(
        contracts.conformance.runner,
        "verify_main",
        lambda options, console: seen.setdefault("verify", options) and 0,
    )
    monkeypatch.setattr(loadtests.runner, "run_load", lambda options: seen.setdefault("load", options) and 0)
    (tmp_path / "known.json").write_text("{}")
    (tmp_path / "gates.yaml").write_text("{}")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "verify",
            "--target",
            "http://127.0.0.1:1",
            "--token",
            "t",
            "--report-dir",
            "rep",
            "--baseline",
            "known.json",
        ],
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["load", "link", "--report-dir", "../elsewhere/rep", "--gates", "gates.yaml"])
    assert result.exit_code == 0, result.output
    here = tmp_path.resolve()
    assert (seen["verify"].report_dir, seen["verify"].baseline) == (here / "rep", here / "known.json")
    assert (seen["load"].report_dir, seen["load"].gates_file) == (
        here.parent / "elsewhere" / "rep",
        here / "gates.yaml",
    )


def test_up_with_relative_state_and_port_dirs_from_a_scratch_directory(tmp_path: Path) -> None:
    q2c = str(Path(sys.executable).with_name("q2c"))
    process = subprocess.Popen(
        [
            q2c,
            "up",
            "--salesforce-port",
            "0",
            "--billing-port",
            "0",
            "--core-port",
            "0",
            "--web-port",
            "0",
            "--state-dir",
            "state",
            "--port-dir",
            "ports",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        read_until(process, "Press Ctrl-C to stop.", timeout=60)
        assert sorted(p.name for p in (tmp_path / "ports").iterdir()) == [
            "billing.port",
            "core.port",
            "salesforce.port",
            "web.port",
        ]
        assert (tmp_path / "state").is_dir()
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert process.returncode == 0
