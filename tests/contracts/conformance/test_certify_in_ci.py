"""docs/partners.md's "certify in CI" script, run exactly as written (extracted from the page)
against the reference simulator: it certifies every level and exits 0."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from simulators.billing.app import create_app
from tests.support.conformance import API_KEY, SIM_SETTINGS
from tests.support.servers import running_app

ROOT = Path(__file__).resolve().parents[3]
BLOCK = re.compile(r"<!-- certify-in-ci -->\s*```bash\n(.*?)```\s*<!-- /certify-in-ci -->", re.S)


def ci_script() -> str:
    found = BLOCK.search((ROOT / "docs" / "partners.md").read_text(encoding="utf-8"))
    assert found is not None, "docs/partners.md has no certify-in-ci block"
    return found.group(1)


def test_the_documented_script_certifies_through_q2c_verify() -> None:
    script = ci_script()
    assert "q2c verify" in script
    assert "--require-level core" in script


@pytest.mark.slow
@pytest.mark.contract
def test_the_certify_in_ci_example_certifies_the_reference_simulator(tmp_path: Path) -> None:
    (tmp_path / "certify.sh").write_text(ci_script(), encoding="utf-8")
    baseline = {"format": "q2c-verify-baseline/1", "contract_version": "1.0.0", "failures": []}
    (tmp_path / "conformance-baseline.json").write_text(json.dumps(baseline), encoding="utf-8")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "Q2C_VERIFY_TOKEN": API_KEY,
        "COLUMNS": "200",
        "NO_COLOR": "1",
    }
    with running_app(lambda: create_app(SIM_SETTINGS), name="billing") as billing:
        done = subprocess.run(
            ["bash", "certify.sh"],
            cwd=tmp_path,
            env={**env, "ADAPTER_URL": billing.url},
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "reports" / "conformance" / "report.json").read_text(encoding="utf-8"))
    assert report["certified_levels"] == ["core", "orders", "billing_operations"]
    assert "level billing_operations: certified" in done.stdout
