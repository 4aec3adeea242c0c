"""The Salesforce contract gate: schemathesis (every phase, every check, seeded) against
``contracts/salesforce.openapi.yaml`` on the running simulator (HTTPS, local CA). 0 failures.

It runs the ``st`` CLI in a subprocess (the CLI is what CI and partners run, and it keeps
schemathesis' own state out of this process).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from contracts import spec_path
from contracts.gate import gate_seed, seed_note
from tests.support.salesforce import ROOT, LiveSalesforce

pytestmark = pytest.mark.slow

CONFIG = Path(__file__).with_name("salesforce.schemathesis.toml")
PHASES = "examples,coverage,fuzzing,stateful"


def st_command() -> list[str]:
    st = Path(sys.executable).with_name("st")
    return [str(st)] if st.exists() else [sys.executable, "-m", "schemathesis.cli"]


def test_the_contract_is_the_implemented_subset() -> None:
    """Every operation in the spec has an id, and the spec is what the simulator serves."""
    spec = yaml.safe_load(spec_path("salesforce").read_text(encoding="utf-8"))
    operations = [
        op
        for item in spec["paths"].values()
        for method, op in item.items()
        if method in ("get", "post", "patch", "put", "delete")
    ]
    assert len(operations) == 57
    assert all(op["operationId"].startswith("sf") for op in operations)


@pytest.mark.contract
def test_schemathesis_finds_no_failures(live_sf: LiveSalesforce) -> None:
    live_sf.reset()
    token = live_sf.token()
    seed = gate_seed()  # from the commit: each commit explores new cases
    print(seed_note(seed))
    command = [
        *st_command(),
        "--config-file",
        str(CONFIG),
        "run",
        str(spec_path("salesforce")),
        "--url",
        live_sf.url,
        "--tls-verify",
        str(live_sf.ca),
        "-H",
        f"Authorization: Bearer {token}",
        "--phases",
        PHASES,
        "--checks",
        "all",
        "--seed",
        str(seed),
        "--generation-database",
        "none",
        "--max-examples",
        "10",
        "--no-color",
    ]
    env = {**os.environ, "REQUESTS_CA_BUNDLE": str(live_sf.ca), "PYTHONUNBUFFERED": "1"}
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, seed_note(seed) + "\n" + output[-20000:]
    assert " passed" in output
    assert "Tested: 57" in output
