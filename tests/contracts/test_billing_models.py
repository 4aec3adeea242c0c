"""The billing wire format is defined once: the contract is valid OpenAPI 3.1, and the checked-in
models are exactly what the generator makes from it."""

from __future__ import annotations

from pathlib import Path

import yaml
from openapi_spec_validator import validate

from contracts import load_spec, spec_path
from contracts.generate import TARGET, generate
from contracts.generated import billing_models as wire


def test_the_billing_contract_is_valid_openapi_3_1() -> None:
    validate(load_spec("billing-adapter"))


def test_tag_descriptions_with_commas_stay_one_description() -> None:
    # A YAML flow mapping reads "a, b" as two keys: the defect openapi-spec-validator found.
    tags = yaml.safe_load(spec_path("billing-adapter").read_text(encoding="utf-8"))["tags"]
    assert all(set(tag) == {"name", "description"} for tag in tags), tags
    assert tags[0]["description"] == "Bill cycles, account categories, currencies, capabilities"


def test_regenerating_the_models_yields_the_checked_in_file(tmp_path: Path) -> None:
    fresh = tmp_path / "billing_models.py"
    generate(fresh)
    assert fresh.read_bytes() == TARGET.read_bytes(), (
        "contracts/generated/billing_models.py is stale or edited by hand: run `make models`"
    )


def test_every_component_schema_has_a_model() -> None:
    schemas = load_spec("billing-adapter")["components"]["schemas"]
    # Primitives (ids, codes, decimal strings) are inlined as constrained str fields.
    objects = [name for name, schema in schemas.items() if schema.get("type") == "object"]
    missing = [name for name in objects if not hasattr(wire, name)]
    assert not missing
