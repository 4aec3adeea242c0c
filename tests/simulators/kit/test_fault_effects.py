"""Fault rules: unknown operations are refused (issue 10 item 7) and the record-level
``record_error`` effect the chaos gate uses."""

from pytest_aiohttp import AiohttpClient

from simulators.kit.faults import FaultRuleSpec, Faults, RecordErrorEffect, RequestFacts
from tests.support.tiny_sim import build


async def test_a_rule_naming_an_unknown_operation_is_a_400_listing_the_valid_ones(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(build())
    response = await client.post(
        "/__sim/faults", json={"operation": "create_widgets", "effect": {"type": "connection_reset"}}
    )
    assert response.status == 400
    problem = await response.json()
    valid = ["broken", "create_widget", "echo", "list_widgets", "upload"]
    assert problem["code"] == "unknown_operation"
    assert problem["param"] == "operation"
    assert problem["detail"] == (
        "no operation 'create_widgets' on this simulator; valid operations: " + ", ".join(valid)
    )
    assert problem["valid_operations"] == valid
    assert (await (await client.get("/__sim/faults")).json())["data"] == []
    ok = await client.post(
        "/__sim/faults", json={"operation": "create_widget", "effect": {"type": "status", "status": 503}}
    )
    assert ok.status == 201
    assert (await client.post("/api/widgets")).status == 503


def test_record_error_decisions_are_seeded_per_request_and_per_record() -> None:
    def decisions(seed: int) -> list[list[int]]:
        faults = Faults(seed)
        faults.add(FaultRuleSpec(effect=RecordErrorEffect(probability=0.3)))
        picked = []
        for _ in range(3):
            effect = faults.decide(RequestFacts("POST", "/x"))
            assert isinstance(effect, RecordErrorEffect)
            fault = faults.record_fault(effect)
            picked.append([i for i in range(200) if fault.fails(i)])
        return picked

    first = decisions(11)
    assert first == decisions(11)  # same seed, same records fail
    assert first != decisions(12)
    assert first[0] != first[1]  # each request draws its own records
    assert all(20 <= len(failing) <= 100 for failing in first)  # about 30% of 200


async def test_record_error_goes_on_the_request_context_and_the_request_still_runs(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(build("salesforce"))
    rule = {
        "operation": "echo",
        "effect": {"type": "record_error", "error_code": "UNABLE_TO_LOCK_ROW", "probability": 1.0},
        "times": 1,
    }
    created = await client.post("/__sim/faults", json=rule)
    assert created.status == 201
    assert (await created.json())["effect"] == {
        "type": "record_error",
        "error_code": "UNABLE_TO_LOCK_ROW",
        "message": None,
        "probability": 1.0,
    }
    faulted = await client.post("/api/echo", json={})
    assert faulted.status == 200
    assert await faulted.json() == {
        "size": 2,
        "record_error": "UNABLE_TO_LOCK_ROW",
        "failing": list(range(10)),
    }
    clean = await client.post("/api/echo", json={})
    assert (await clean.json())["record_error"] is None
    journal = await (await client.get("/__sim/requests", params={"path": "/api/echo"})).json()
    assert [entry["fault"] for entry in journal["data"]] == ["record_error", None]


async def test_the_served_contract_lists_the_operations_rules_accept(aiohttp_client: AiohttpClient) -> None:
    import yaml

    client = await aiohttp_client(build())
    spec = yaml.safe_load(await (await client.get("/__sim/openapi.yaml")).text())
    operation = spec["components"]["schemas"]["FaultRuleSpec"]["properties"]["operation"]
    assert operation["enum"] == ["broken", "create_widget", "echo", "list_widgets", "upload"]


async def test_a_method_that_grows_when_upper_cased_is_a_400_not_a_500(aiohttp_client: AiohttpClient) -> None:
    """Found by the control-plane contract gate: "ß".upper() is "SS", past the 10-character limit."""
    client = await aiohttp_client(build())
    response = await client.post(
        "/__sim/faults", json={"method": "ßßßßßßßß", "effect": {"type": "connection_reset"}}
    )
    assert response.status == 400
    problem = await response.json()
    assert (problem["code"], problem["param"]) == ("validation_failed", "method")
