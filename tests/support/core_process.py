"""The integration core as a child process (``q2c core``), for crash tests: start it on a state
directory, SIGKILL it, start it again on the same store."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp

from contracts import defaults

TOKEN = {"Authorization": f"Bearer {defaults.CORE_API_TOKEN}"}


class CoreProcess:
    def __init__(self, state_dir: Path, salesforce_url: str, billing_url: str, *extra: str) -> None:
        self.state_dir, self.salesforce_url, self.billing_url = state_dir, salesforce_url, billing_url
        self.extra = extra
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    async def start(self) -> None:
        ports = self.state_dir / "ports"
        port_file = ports / "core.port"
        port_file.unlink(missing_ok=True)
        command = [
            str(Path(sys.executable).with_name("q2c")),
            "core",
            "--port",
            "0",
            "--port-dir",
            str(ports),
            "--state-dir",
            str(self.state_dir),
            "--salesforce-url",
            self.salesforce_url,
            "--billing-url",
            self.billing_url,
            *self.extra,
        ]
        self.process = _spawn(command)
        assert self.process.stdout is not None
        # The banner is printed once the core is serving: read up to it (no polling).
        line = await asyncio.to_thread(_read_until, self.process.stdout, "Press Ctrl-C to stop.")
        assert line, "the core did not start"
        self.url = f"http://127.0.0.1:{port_file.read_text().strip()}"

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=30)
        self.close()

    def close(self) -> None:
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=330)) as session,
            session.request(method, self.url + path, json=body, headers=TOKEN) as response,
        ):
            return response.status, await response.json(content_type=None)


def _spawn(command: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def _read_until(stream: Any, marker: str) -> str:
    for line in stream:
        if marker in line:
            return str(line)
    return ""
