"""Running schemathesis as a contract gate (a subprocess: its CLI is the stable interface).

All phases (examples, coverage, fuzzing, stateful) and all checks, seeded, with no example
database, so the same seed reproduces the same run. Used by the test suite, ``make contract``
and ``q2c verify``'s fuzz stage.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PHASES = "examples,coverage,fuzzing,stateful"


@dataclass(frozen=True)
class GateRun:
    command: list[str]
    returncode: int
    output: str

    @property
    def passed(self) -> bool:
        return self.returncode == 0


def schemathesis_command(
    spec: str,
    base_url: str,
    *,
    seed: int = 1,
    max_examples: int = 30,
    headers: Sequence[str] = (),
    exclude_operation_ids: Sequence[str] = (),
    junit_path: Path | None = None,
    ndjson_path: Path | None = None,
    config_file: Path | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    """``config_file`` replaces the walk-up discovery of schemathesis.toml (it must precede ``run``)."""
    st = Path(sys.executable).with_name("st")
    command = [str(st)]
    if config_file is not None:
        command += ["--config-file", str(config_file)]
    command += [
        "run",
        spec,
        "--url",
        base_url,
        "--phases",
        PHASES,
        "--checks",
        "all",
        "--seed",
        str(seed),
        "--generation-database",
        "none",
        "--max-examples",
        str(max_examples),
    ]
    for header in headers:
        command += ["-H", header]
    for operation_id in exclude_operation_ids:
        command += ["--exclude-operation-id", operation_id]
    reports = {"junit": junit_path, "ndjson": ndjson_path}
    wanted = [kind for kind, path in reports.items() if path is not None]
    if wanted:
        command += ["--report", ",".join(wanted)]
        for kind in wanted:
            command += [f"--report-{kind}-path", str(reports[kind])]
    return command + list(extra)


def run_gate(command: list[str], *, cwd: Path | None = None, timeout: float = 600) -> GateRun:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    return GateRun(command, done.returncode, done.stdout + done.stderr)
