"""Debian's Chromium driven by Playwright (no browser download), and where screenshots go.

A machine without /usr/bin/chromium FAILS these tests with a message saying how to install it,
unless Q2C_SKIP_BROWSER_TESTS=1 opts out explicitly (then they are skipped, visibly)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("Q2C_CHROMIUM", "/usr/bin/chromium"))
OPT_OUT = "Q2C_SKIP_BROWSER_TESTS"
# Screenshots go to a scratch folder unless Q2C_SCREENSHOTS names one: `Q2C_SCREENSHOTS=docs/img
# pytest tests/web` refreshes the ones in docs/ (a normal run must not rewrite tracked files).
SCREENSHOTS = Path(
    os.environ.get("Q2C_SCREENSHOTS") or Path(tempfile.gettempdir()) / "q2c-screenshots"
).resolve()
SCREENSHOTS.mkdir(parents=True, exist_ok=True)
# The flags this machine needs (no GPU, no sandbox as root, no calls to Google's services).
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    message = (
        f"No browser: {CHROMIUM} is missing, so the web console's browser tests cannot run. "
        "Install it with `apt-get install -y chromium` (.ci/run does this in CI), point "
        f"Q2C_CHROMIUM at a Chromium binary, or set {OPT_OUT}=1 to skip these tests on purpose."
    )
    if os.environ.get(OPT_OUT) == "1":
        pytest.skip(message)
    pytest.fail(message, pytrace=False)
