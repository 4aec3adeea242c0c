"""``q2c bench startup``: how long ``q2c up`` takes, as a new user runs it, from the command to
all three components answering their readiness endpoint (the goal: under 2 s).

Each run is a fresh ``q2c up`` process on free ports with a fresh state directory; the clock
stops when the banner is printed and ``/__sim/ready`` (both simulators) and ``/health`` (the
core) have answered 200. A timed benchmark rather than a timed test: on a loaded machine a
fixed bound in a test is flaky, here the figure is simply reported (docs/benchmarks.md).
"""

from __future__ import annotations

import json
import os
import queue
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

READY_MARKER = "Press Ctrl-C to stop."
READINESS = {"salesforce": "/__sim/ready", "billing": "/__sim/ready", "core": "/health"}
GOAL_SECONDS = 2.0


def q2c_command(*args: str) -> list[str]:
    """The installed ``q2c`` next to this interpreter (what a user runs), else ``python -m``."""
    script = Path(sys.executable).with_name("q2c")
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "q2c.cli", *args]


def read_until(process: subprocess.Popen[str], marker: str, timeout: float) -> list[str]:
    """Lines of stdout up to the one containing ``marker``, read by a thread: event-driven and
    bounded by ``timeout`` (AssertionError with what was read when it does not come)."""
    assert process.stdout is not None
    stdout = process.stdout
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in iter(stdout.readline, ""):
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            break
        seen.append(line)
        if marker in line:
            return seen
    raise AssertionError(f"no {marker!r} within {timeout} s; got: {''.join(seen)}")


def get_json(url: str) -> tuple[int, dict[str, Any]]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, json.loads(response.read())


def start_up(state: Path, *extra: str) -> subprocess.Popen[str]:
    """``q2c up`` on free ports; the chosen ports land in ``state/ports/<component>.port``."""
    args = ["up", "--salesforce-port", "0", "--billing-port", "0", "--core-port", "0", "--web-port", "0"]
    args += ["--port-dir", str(state / "ports"), "--state-dir", str(state / "state"), *extra]
    return subprocess.Popen(
        q2c_command(*args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        cwd=state,
    )


def readiness(state: Path) -> dict[str, int]:
    """Each component's readiness status, at the ports ``q2c up`` wrote."""
    ports = {name: (state / "ports" / f"{name}.port").read_text().strip() for name in READINESS}
    return {name: get_json(f"http://127.0.0.1:{ports[name]}{path}")[0] for name, path in READINESS.items()}


def stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    """Ctrl-C, as a user stops it: the exit code and what went to stderr."""
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    return process.returncode, stderr


def measure_once(timeout: float = 60.0) -> float:
    with tempfile.TemporaryDirectory(prefix="q2c-bench-startup-") as scratch:
        state = Path(scratch)
        started = time.monotonic()
        process = start_up(state)
        try:
            read_until(process, READY_MARKER, timeout)
            statuses = readiness(state)
            seconds = time.monotonic() - started
        finally:
            code, stderr = stop(process)
        if set(statuses.values()) != {200}:
            raise RuntimeError(f"not ready: {statuses}")
        if code != 0:
            raise RuntimeError(f"q2c up exited {code}: {stderr.strip()[-500:]}")
        return seconds


def run(console: Console, *, quick: bool = False, runs: int | None = None) -> dict[str, Any]:
    count = runs or (2 if quick else 7)
    seconds = [measure_once() for _ in range(count)]
    figures = {
        "runs": count,
        "min_s": round(min(seconds), 3),
        "median_s": round(statistics.median(seconds), 3),
        "max_s": round(max(seconds), 3),
        "goal_s": GOAL_SECONDS,
        "within_goal": sum(s < GOAL_SECONDS for s in seconds),
    }
    table = Table(title="q2c up: command to all three components ready", title_justify="left")
    for column in ("runs", "min", "median", "max", f"runs under {GOAL_SECONDS:g} s"):
        table.add_column(column, justify="right")
    table.add_row(
        str(count),
        f"{figures['min_s']:.2f} s",
        f"{figures['median_s']:.2f} s",
        f"{figures['max_s']:.2f} s",
        f"{figures['within_goal']}/{count}",
    )
    console.print(table)
    return figures
