"""The contract gates' settings: the seed comes from the commit (printed, overridable), and the
gate configuration accepts every answer the contracts document for a schema-valid request."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from contracts import SPECS, load_spec
from contracts.gate import SEED_VARIABLE, gate_seed, run_gate, schemathesis_command

ROOT = Path(__file__).resolve().parents[2]
METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(autouse=True)
def fresh_seed() -> Iterator[None]:
    gate_seed.cache_clear()
    yield
    gate_seed.cache_clear()


def _head() -> str:
    done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip("not a git checkout")
    return done.stdout.strip()


def test_the_seed_is_derived_from_the_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SEED_VARIABLE, raising=False)
    assert gate_seed() == int(_head()[:8], 16)
    command = schemathesis_command("spec.yaml", "http://127.0.0.1:1")
    assert command[command.index("--seed") + 1] == str(int(_head()[:8], 16))


def test_the_seed_variable_overrides_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SEED_VARIABLE, "424242")
    assert gate_seed() == 424242
    command = schemathesis_command("spec.yaml", "http://127.0.0.1:1")
    assert command[command.index("--seed") + 1] == "424242"
    # An explicit seed (q2c verify --seed, a reproducibility test) still wins.
    command = schemathesis_command("spec.yaml", "http://127.0.0.1:1", seed=7)
    assert command[command.index("--seed") + 1] == "7"


def test_a_bad_seed_variable_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SEED_VARIABLE, "tuesday")
    with pytest.raises(ValueError, match=r"Q2C_FUZZ_SEED='tuesday' is not an integer"):
        gate_seed()


def test_every_gate_run_prints_its_seed_and_reports_it_on_failure(capsys: pytest.CaptureFixture[str]) -> None:
    run = run_gate([sys.executable, "-c", "import sys; print('boom'); sys.exit(1)", "--seed", "31337"])
    assert capsys.readouterr().out == "schemathesis seed 31337 (reproduce with Q2C_FUZZ_SEED=31337)\n"
    assert not run.passed
    assert run.failure_report().splitlines() == [
        "schemathesis seed 31337 (reproduce with Q2C_FUZZ_SEED=31337)",
        "boom",
    ]


def _operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for name in sorted(SPECS):
        for item in load_spec(name)["paths"].values():
            for method, operation in item.items():
                if method in METHODS:
                    yield name, operation["operationId"], operation


def _accepted(config: dict[str, Any], operation_id: str) -> list[str]:
    """The positive_data_acceptance statuses schemathesis.toml gives an operation."""
    for entry in config.get("operations", []):
        wanted = entry.get("include-operation-id")
        regex = entry.get("include-operation-id-regex")
        if wanted == operation_id or (regex and re.search(regex, operation_id)):
            statuses = entry["checks"]["positive_data_acceptance"]["expected-statuses"]
            return [str(s).lower() for s in statuses]
    return ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]  # schemathesis' default


def test_every_documented_408_is_accepted_by_the_gate_config() -> None:
    config = tomllib.loads((ROOT / "schemathesis.toml").read_text(encoding="utf-8"))
    long_polls = [(name, op_id) for name, op_id, op in _operations() if "408" in op["responses"]]
    assert {op_id for _, op_id in long_polls} >= {"waitIdle", "simWaitDelivery"}
    refused = [
        (name, op_id) for name, op_id in long_polls if not {"408", "4xx"} & set(_accepted(config, op_id))
    ]
    assert refused == []


@pytest.mark.parametrize("name", sorted(SPECS))
def test_each_served_document_matches_its_declared_schema(name: str) -> None:
    """``/openapi.yaml`` is YAML: a response checker parses it into an object, so a
    ``{type: string}`` schema fails every response (schemathesis ST108)."""
    declared = [
        media["schema"]
        for _, _, operation in [o for o in _operations() if o[0] == name]
        for response in operation["responses"].values()
        if isinstance(response, dict)
        for media_type, media in response.get("content", {}).items()
        if media_type == "application/yaml"
    ]
    for schema in declared:
        assert jsonschema_rs.validator_for(schema).is_valid(load_spec(name)), schema
