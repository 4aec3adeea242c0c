"""The process supervisor: each component in its own process, started with the ordinary
single-component commands (``q2c salesforce``, ``q2c billing``, ``q2c core``).

A component is ready once its banner's last line is out (the port file is written before it) and
its readiness URL answers; its output goes to ``<name>.log`` (appended across restarts). The core
is SIGKILLed (no shutdown handler runs: a crash) and restarted on the same port and store.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import requests

READY_MARKER = "Press Ctrl-C to stop."
#: The ``q2c`` console entry point, run by the interpreter running the gate.
Q2C = (sys.executable, "-c", "from q2c.cli import main; main()")


class ComponentError(RuntimeError):
    """A component did not start (or died); the message names its log."""


@dataclass
class Component:
    name: str  # salesforce | billing | core (also the port file's name)
    arguments: Sequence[str]
    work_dir: Path
    ready_path: str = "/__sim/ready"
    startup_timeout: float = 60.0
    env: dict[str, str] = field(default_factory=dict)
    host: str = "127.0.0.1"
    port: int = 0
    starts: int = 0
    kills: int = 0
    process: subprocess.Popen[str] | None = field(default=None, repr=False)
    _pump: threading.Thread | None = field(default=None, repr=False)
    _ready: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def port_dir(self) -> Path:
        return self.work_dir / "ports"

    @property
    def log_path(self) -> Path:
        return self.work_dir / f"{self.name}.log"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, port: int = 0) -> str:
        """Start it (``port`` 0: a free one) and wait until it is ready; its base URL."""
        self.launch(port)
        return self.wait_ready()

    def launch(self, port: int = 0) -> None:
        """Start the process (``wait_ready`` then waits for it: components start side by side)."""
        port_file = self._port_file
        with contextlib.suppress(FileNotFoundError):
            port_file.unlink()
        self.port_dir.mkdir(parents=True, exist_ok=True)
        command = [
            *Q2C,
            self.name,
            "--host",
            self.host,
            "--port",
            str(port),
            "--port-dir",
            str(self.port_dir),
        ]
        command += list(self.arguments)
        log = self.log_path.open("a", encoding="utf-8")
        log.write(f"\n=== start {self.starts + 1}: {' '.join(command[3:])}\n")
        log.flush()
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            encoding="utf-8",
            errors="replace",
            env={
                **os.environ,
                "COLUMNS": "200",
                "PYTHONIOENCODING": "utf-8",
                "PYTHONUNBUFFERED": "1",
                **self.env,
            },
        )
        self.starts += 1
        self._ready = threading.Event()
        self._pump = threading.Thread(
            target=_pump,
            args=(self.process.stdout, log, self._ready),
            name=f"chaos-{self.name}-log",
            daemon=True,
        )
        self._pump.start()

    @property
    def _port_file(self) -> Path:
        return self.port_dir / f"{self.name}.port"

    def wait_ready(self) -> str:
        """Until the banner is out and the readiness URL answers 200; the base URL."""
        assert self.process is not None, "launch() first"
        if not self._ready.wait(self.startup_timeout) or self.process.poll() is not None:
            self.stop()
            raise ComponentError(
                f"{self.name} did not start within {self.startup_timeout:g} s; see {self.log_path}"
            )
        self.port = int(self._port_file.read_text().strip())
        self._check_ready()
        return self.url

    def _check_ready(self) -> None:
        try:
            response = requests.get(self.url + self.ready_path, timeout=30)
        except requests.RequestException as exc:
            raise ComponentError(f"{self.name} is not ready at {self.url}{self.ready_path}: {exc}") from None
        if response.status_code != 200:
            raise ComponentError(
                f"{self.name} is not ready: {self.ready_path} answered {response.status_code}; see {self.log_path}"
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> float:
        """SIGKILL (a crash: no cleanup runs); the seconds it took to be gone."""
        started = time.perf_counter()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(30)
        self.kills += 1
        self._join_pump()
        return time.perf_counter() - started

    def restart(self) -> str:
        """Start again on the same port (URLs given to others stay true) with the same options."""
        return self.start(self.port)

    def stop(self, grace: float = 20.0) -> None:
        """SIGINT (a clean stop), then SIGKILL after ``grace`` seconds."""
        process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        self._join_pump()

    def _join_pump(self) -> None:
        if self._pump is not None:
            self._pump.join(10)
            self._pump = None


def _pump(stream: IO[str] | None, sink: IO[str], ready: threading.Event) -> None:
    """Copy the child's output to its log (so it never blocks on a full pipe); ``ready`` once the
    banner ends, or once the output ends (the caller then sees the process gone)."""
    try:
        if stream is not None:
            for line in stream:
                sink.write(line)
                sink.flush()
                if READY_MARKER in line:
                    ready.set()
    finally:
        ready.set()
        sink.close()


class Supervisor:
    """The three components of one run; stops whatever is running at the end."""

    def __init__(self, components: Sequence[Component]) -> None:
        self.components = {c.name: c for c in components}

    def __getitem__(self, name: str) -> Component:
        return self.components[name]

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()

    def stop_all(self) -> None:
        for component in reversed(list(self.components.values())):
            component.stop()
