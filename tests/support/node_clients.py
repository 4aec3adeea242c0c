"""The real Salesforce clients from npm (the ``sf`` CLI, jsforce, and the CometD JavaScript
client ``cometd`` + ``cometd-nodejs-client`` for the Streaming API; ESM, so scripts load them
with ``await import(...)``), installed once and run isolated against the live HTTPS simulator.

The pins live in ``tests/clients/node/package.json`` + ``package-lock.json`` (see
/work/shared/reference/real-clients.md for why these versions: the newest that run on Node 20).
``npm ci`` installs them into ``.node-clients/<lock digest>/`` (git-ignored) the first time and
never again while the lock file is unchanged, so ``make test`` on a fresh machine installs them
and later runs reuse the install.

Without ``node``/``npm`` the tests fail with a message saying so; set
``Q2C_SKIP_NODE_CLIENTS=1`` to skip them (with that reason shown) on a machine without Node.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PINS = ROOT / "tests" / "clients" / "node"
CACHE = ROOT / ".node-clients"
INSTALL_TIMEOUT = 900
RUN_TIMEOUT = 120
# Keeps the CLI from spawning `sf update`, telemetry and keychain prompts (real-clients.md).
SF_QUIET = {
    "SF_AUTOUPDATE_DISABLE": "true",
    "SF_DISABLE_AUTOUPDATE": "true",
    "SF_SKIP_NEW_VERSION_CHECK": "true",
    "SF_DISABLE_TELEMETRY": "true",
    "SF_USE_GENERIC_UNIX_KEYCHAIN": "true",
    "SF_HIDE_RELEASE_NOTES": "true",
    "SF_IMPROVED_CODE_COVERAGE": "true",
    "FORCE_COLOR": "0",
    "NO_COLOR": "1",
}


def require_node() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node and npm:
        return node, npm
    reason = "node and npm are needed to run the real Salesforce CLI and jsforce tests (Node 20)"
    if os.environ.get("Q2C_SKIP_NODE_CLIENTS") == "1":
        pytest.skip(reason)
    pytest.fail(f"{reason}; install Node 20 or set Q2C_SKIP_NODE_CLIENTS=1 to skip them", pytrace=False)


def install() -> Path:
    """``npm ci`` of the pinned clients into a cache directory keyed by the lock file."""
    _, npm = require_node()
    lock = (PINS / "package-lock.json").read_bytes()
    target = CACHE / hashlib.sha256(lock + (PINS / "package.json").read_bytes()).hexdigest()[:16]
    marker = target / ".installed"
    if marker.exists():
        return target
    target.mkdir(parents=True, exist_ok=True)
    # Several pytest processes may start at once: one installs, the others wait for it.
    with (CACHE / ".lock").open("w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        if not marker.exists():
            _npm_ci(npm, target)
            marker.write_text("ok\n")
    return target


def _npm_ci(npm: str, target: Path) -> None:
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(PINS / name, target / name)
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
        cwd=target,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"npm ci of the pinned Salesforce clients failed:\n{result.stderr[-4000:]}", pytrace=False
        )


@dataclass
class NodeClients:
    """The installed clients, run with HOME in a temporary directory and the simulator's CA."""

    root: Path
    home: Path
    ca: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            "PATH": f"{self.root / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOME": str(self.home),
            "NODE_EXTRA_CA_CERTS": str(self.ca),  # read at process start only
            "LANG": "C.UTF-8",
            **SF_QUIET,
        }
        env.update(extra)
        return env

    def sf(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
        """Runs ``sf <args>``; ``check`` asserts a zero exit status and shows the output if not."""
        result = subprocess.run(
            [str(self.root / "node_modules" / ".bin" / "sf"), *args],
            cwd=self.home,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
        if check:
            assert result.returncode == 0, f"sf {' '.join(args)}\n{result.stdout}\n{result.stderr}"
        return result

    def sf_json(self, *args: str, **env: str) -> Any:
        """``sf <args> --json``: the parsed ``result`` (asserting status 0)."""
        result = self.sf(*args, "--json", check=False, **env)
        body = json.loads(result.stdout)
        assert body.get("status") == 0, json.dumps(body, indent=2)
        return body["result"]

    def js(self, script: str, **env: str) -> Any:
        """Runs a CommonJS script with jsforce in scope; it prints one JSON document."""
        result = subprocess.run(
            ["node", "-e", script],
            cwd=self.root,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
        assert result.returncode == 0, f"node failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        return json.loads(result.stdout)
