"""`q2c up` as users run it: a subprocess, ready within 2 s, clean on Ctrl-C."""

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

COMPONENTS = {"salesforce": "/__sim/ready", "billing": "/__sim/ready", "core": "/health"}


def q2c(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("q2c")), *args]


def get(url: str) -> tuple[int, dict[str, object]]:
    with urllib.request.urlopen(url, timeout=2) as response:
        return response.status, json.loads(response.read())


def read_until(process: "subprocess.Popen[str]", marker: str, timeout: float) -> list[str]:
    """Lines of stdout up to the one containing ``marker``, read by a thread (event-driven,
    bounded by ``timeout``)."""
    assert process.stdout is not None
    stdout = process.stdout
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in iter(stdout.readline, "")], daemon=True
    ).start()
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


@pytest.mark.slow
def test_up_is_ready_within_two_seconds_and_stops_cleanly(tmp_path: Path) -> None:
    ports = tmp_path / "ports"
    # "default" shows ResourceWarnings (unclosed sessions, sockets), which are hidden otherwise.
    env = {**os.environ, "PYTHONWARNINGS": "default", "COLUMNS": "200"}
    started = time.monotonic()
    process = subprocess.Popen(
        q2c(
            "up",
            "--salesforce-port",
            "0",
            "--billing-port",
            "0",
            "--core-port",
            "0",
            "--port-dir",
            str(ports),
            "--state-dir",
            str(tmp_path / "state"),
            "--seed",
            "7",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        banner = "".join(read_until(process, "Press Ctrl-C to stop.", timeout=10))
        statuses = {
            name: get(f"http://127.0.0.1:{(ports / f'{name}.port').read_text().strip()}{path}")
            for name, path in COMPONENTS.items()
        }
        ready_after = time.monotonic() - started
        assert {name: status for name, (status, _) in statuses.items()} == dict.fromkeys(COMPONENTS, 200)
        assert ready_after < 2.0, f"ready after {ready_after:.2f} s"
        assert statuses["billing"][1]["seed"] == 7
        assert "q2c-sandbox is up (seed 7)" in banner
        assert "admin@q2c.local" in banner
    finally:
        process.send_signal(signal.SIGINT)
        stderr = process.stderr.read() if process.stderr else ""
        process.wait(timeout=15)
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
    assert process.returncode == 0, stderr
    assert "Task was destroyed" not in stderr
    assert "Unclosed" not in stderr
    assert stderr.strip() == "", stderr
