"""The billing adapter contract: consistent on its own, in lock-step with the simulator, and the
simulator passes schemathesis (all phases, all checks) with 0 failures."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml

from contracts import load_spec, spec_path
from contracts.gate import run_gate, schemathesis_command
from simulators.billing.api.contract import contract
from simulators.billing.api.routes import HANDLERS
from simulators.billing.api.state import DEFAULT_API_KEY
from simulators.billing.app import BillingSettings, create_app
from simulators.billing.models import errors
from simulators.billing.models.events import EVENT_TYPES
from simulators.billing.models.orders import SUPPORTED_ACTIONS
from tests.support.servers import running_app

REPO = Path(__file__).resolve().parents[3]
DOC = load_spec("billing-adapter")
METHODS = ("get", "post", "put", "patch", "delete")


def _validator(schema: dict[str, Any]) -> jsonschema_rs.Validator:
    root = dict(schema)
    root["components"] = DOC["components"]
    return jsonschema_rs.validator_for(root, validate_formats=True)


def _resolve(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = DOC
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in DOC["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def test_the_contract_is_openapi_3_1_with_a_title_schemathesis_config_matches() -> None:
    assert DOC["openapi"] == "3.1.0"
    config = (REPO / "schemathesis.toml").read_text(encoding="utf-8")
    assert f'title = "{DOC["info"]["title"]}"' in config


def test_routes_and_contract_name_the_same_operations() -> None:
    assert set(HANDLERS) == set(contract().operations)
    assert len(HANDLERS) == 51


@pytest.mark.parametrize(
    ("path", "method", "op"), _operations(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_operation_has_examples_that_match_its_schemas(
    path: str, method: str, op: dict[str, Any]
) -> None:
    if "requestBody" in op:
        media = _resolve(op["requestBody"])["content"]["application/json"]
        assert "example" in media, f"{op['operationId']}: request example"
        assert _validator(media["schema"]).is_valid(media["example"]), op["operationId"]
    successes = {code: r for code, r in op["responses"].items() if code.startswith("2")}
    assert successes, op["operationId"]
    for code, response in successes.items():
        response = _resolve(response)
        for media in response.get("content", {}).values():
            assert "example" in media, f"{op['operationId']} {code}: response example"
            errors_ = list(_validator(media["schema"]).iter_errors(media["example"]))
            assert not errors_, (op["operationId"], code, [str(e) for e in errors_][:3])
    for code, response in op["responses"].items():
        for media in _resolve(response).get("content", {}).values():
            if "example" in media and not code.startswith("2"):
                assert _validator(media["schema"]).is_valid(media["example"]), (op["operationId"], code)


def test_every_mutating_operation_takes_an_idempotency_key_and_documents_its_refusals() -> None:
    for _, method, op in _operations():
        if method == "get":
            continue
        names = {_resolve(p)["name"] for p in op.get("parameters", [])}
        assert "Idempotency-Key" in names, op["operationId"]
        assert {"400", "401", "409", "422", "429"} <= set(op["responses"]), op["operationId"]


def test_every_operation_documents_auth_and_rate_limit_refusals() -> None:
    for _, _, op in _operations():
        assert {"400", "401", "429"} <= set(op["responses"]), op["operationId"]


def test_links_target_real_operations_and_parameters() -> None:
    operations = contract().operations
    for _, _, op in _operations():
        for response in op["responses"].values():
            for name, link in _resolve(response).get("links", {}).items():
                target = operations[link["operationId"]]
                for parameter in link.get("parameters", {}):
                    known = {**target.query, **target.path_params}
                    assert parameter in known, (op["operationId"], name, parameter)
                if "requestBody" in link:
                    assert target.body is not None, (op["operationId"], name)


def test_create_read_update_delete_chains_are_linked() -> None:
    def links(operation_id: str) -> set[str]:
        op = next(op for _, _, op in _operations() if op["operationId"] == operation_id)
        return {
            link["operationId"]
            for response in op["responses"].values()
            for link in _resolve(response).get("links", {}).values()
        }

    assert {"getAccount", "updateAccount", "getAccountSummary", "createOrder"} <= links("createAccount")
    assert {"getOrder", "confirmOrder", "voidOrder", "approveOrder"} <= links("createOrder")
    assert {"getPayment", "reversePayment"} <= links("createPayment")
    assert {"getBillRun", "approveBillRun"} <= links("createBillRun")
    assert {
        "getWebhookEndpoint",
        "updateWebhookEndpoint",
        "deleteWebhookEndpoint",
        "rotateWebhookEndpointSecret",
        "listWebhookAttempts",
        "replayWebhookEvents",
    } <= links("createWebhookEndpoint")


def test_webhooks_cover_every_event_type_of_the_billing_system() -> None:
    assert set(DOC["webhooks"]) == set(EVENT_TYPES)
    assert DOC["components"]["schemas"]["EventType"]["enum"] == list(EVENT_TYPES)
    for event_type, item in DOC["webhooks"].items():
        schema = item["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert schema["properties"]["type"] == {"const": event_type}
    example = DOC["webhooks"]["invoice.posted"]["post"]["requestBody"]["content"]["application/json"]
    assert _validator(example["schema"]).is_valid(example["example"])


def test_order_actions_are_the_billing_systems() -> None:
    assert DOC["components"]["schemas"]["OrderAction"]["enum"] == list(SUPPORTED_ACTIONS)


def test_every_code_the_billing_system_raises_is_documented() -> None:
    text = spec_path("billing-adapter").read_text(encoding="utf-8")
    undocumented = sorted(code for code in errors.CODES if f"`{code}`" not in text)
    assert undocumented == []


def test_problem_statuses_of_the_billing_system_are_documented() -> None:
    documented = {code for _, _, op in _operations() for code in op["responses"]}
    assert {str(status) for status in errors.CODES.values()} <= documented


def test_yaml_reads_the_same_with_any_loader() -> None:
    # YAML 1.1 reads 30_360 as the integer 30360: every such value must be quoted.
    text = spec_path("billing-adapter").read_text(encoding="utf-8")
    assert not re.search(r"[\[ ,]30_360[,\]]", text)
    assert yaml.safe_load(text) == DOC


@pytest.mark.slow
@pytest.mark.contract
def test_schemathesis_all_phases_and_checks_find_nothing(tmp_path: Path) -> None:
    """The contract gate: examples, coverage, fuzzing and stateful phases, every check, seeded."""
    # Fuzzing sends far more than the default 25 requests/s; the rate limit has its own tests.
    settings = BillingSettings(rate_limit=None, counts={"accounts": 6, "services_per_account": 2})
    with running_app(lambda: create_app(settings), name="billing") as billing:
        command = schemathesis_command(
            f"{billing.url}/openapi.yaml",
            billing.url,
            max_examples=10,
            headers=[f"Authorization: Bearer {DEFAULT_API_KEY}"],
            junit_path=tmp_path / "junit.xml",
        )
        run = run_gate(command, cwd=REPO, timeout=300)
    assert run.passed, run.failure_report()
    assert re.search(r"Tested: 51", run.output), run.output[-2000:]
