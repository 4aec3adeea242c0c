"""The layers of docs/architecture.md are enforced by import-linter in `make lint`: these tests prove
the contracts bite (a forbidden import fails them) on a copy of the tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("contracts", "simulators", "integration", "web", "sandbox", "loadtests", "q2c")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _copy_project(destination: Path) -> None:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, destination / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", destination / "pyproject.toml")


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    destination = tmp_path_factory.mktemp("layers")
    _copy_project(destination)
    return destination


@pytest.mark.parametrize(
    ("module", "forbidden_import", "broken_contract"),
    [
        # The core must never ship with the fakes.
        ("integration/core.py", "import simulators.kit.clock", "integration core runs without the fakes"),
        # A model depending on the CLI (the defect the architecture review found).
        ("simulators/salesforce/models/orgs.py", "import q2c.cli", "Layers"),
        # The shared leaf imports nothing above it.
        ("contracts/problem.py", "import sandbox.system", "Layers"),
        # Inside the billing simulator: models below the engine (the review's models <-> engine cycle).
        (
            "simulators/billing/models/money.py",
            "import simulators.billing.engine.runtime",
            "Billing simulator layers",
        ),
        # Inside the Salesforce simulator: models run without HTTP.
        ("simulators/salesforce/models/store.py", "import aiohttp.web", "Salesforce models and SOQL engine"),
        # The web console talks HTTP to the others: it never imports them.
        ("web/console.py", "import simulators.kit.clock", "web talks HTTP to both"),
        ("web/portal.py", "import integration.core", "web talks HTTP to both"),
    ],
)
def test_a_forbidden_import_fails_lint_imports(
    project_copy: Path, module: str, forbidden_import: str, broken_contract: str
) -> None:
    target = project_copy / module
    original = target.read_text(encoding="utf-8")
    target.write_text(original + f"\n{forbidden_import}  # planted by the test\n", encoding="utf-8")
    try:
        result = _lint_imports(project_copy)
    finally:
        target.write_text(original, encoding="utf-8")
    assert result.returncode == 1, result.stdout + result.stderr
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert broken_contract in broken, result.stdout


def test_the_real_tree_keeps_every_contract(project_copy: Path) -> None:
    result = _lint_imports(project_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
