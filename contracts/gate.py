"""Running schemathesis as a contract gate (a subprocess: its CLI is the stable interface).

All phases (examples, coverage, fuzzing, stateful) and all checks, seeded, with no example
database, so the same seed reproduces the same run. Used by the test suite, ``make contract``
and ``q2c verify``'s fuzz stage.

The gates' seed comes from the commit (``gate_seed``), so each commit explores new cases, and it
is printed with every gate result, so any failure reproduces with ``Q2C_FUZZ_SEED=<seed>``.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PHASES = "examples,coverage,fuzzing,stateful"
SEED_VARIABLE = "Q2C_FUZZ_SEED"
# Outside a git checkout (an sdist, a container without .git) the gates fall back to this seed.
DEFAULT_GATE_SEED = 1


@functools.cache
def gate_seed() -> int:
    """``$Q2C_FUZZ_SEED`` when set, else derived from ``git rev-parse HEAD``, else 1."""
    configured = os.environ.get(SEED_VARIABLE, "").strip()
    if configured:
        try:
            return int(configured, 0)
        except ValueError:
            raise ValueError(f"{SEED_VARIABLE}={configured!r} is not an integer") from None
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        return int(head[:8], 16)  # 32 bits of the commit: plenty of distinct runs
    except (OSError, subprocess.SubprocessError, ValueError):
        return DEFAULT_GATE_SEED


def seed_note(seed: int) -> str:
    """The line every gate prints: what ran and how to run exactly that again."""
    return f"schemathesis seed {seed} (reproduce with {SEED_VARIABLE}={seed})"


@dataclass(frozen=True)
class GateRun:
    command: list[str]
    returncode: int
    output: str

    @property
    def passed(self) -> bool:
        return self.returncode == 0

    @property
    def seed(self) -> int | None:
        return command_seed(self.command)

    def failure_report(self, tail: int = 8000) -> str:
        """The seed note, then the end of schemathesis' output (for an assertion message)."""
        seed = self.seed
        return (seed_note(seed) + "\n" if seed is not None else "") + self.output[-tail:]


def command_seed(command: Sequence[str]) -> int | None:
    """The ``--seed`` a schemathesis command line runs with, if it names one."""
    flag = list(command).index("--seed") if "--seed" in command else -1
    return int(command[flag + 1]) if 0 <= flag < len(command) - 1 else None


def schemathesis_command(
    spec: str,
    base_url: str,
    *,
    seed: int | None = None,
    max_examples: int = 30,
    headers: Sequence[str] = (),
    exclude_operation_ids: Sequence[str] = (),
    junit_path: Path | None = None,
    ndjson_path: Path | None = None,
    config_file: Path | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    """``seed`` defaults to ``gate_seed()``; ``config_file`` replaces the walk-up discovery of
    schemathesis.toml (it must precede ``run``)."""
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
        str(gate_seed() if seed is None else seed),
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
    """Run the gate and print its seed (pytest shows it with the test's output)."""
    seed = command_seed(command)
    if seed is not None:
        print(seed_note(seed))
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    return GateRun(command, done.returncode, done.stdout + done.stderr)
