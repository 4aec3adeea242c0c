"""The /__sim control plane over HTTP: happy paths and every bad input as problem+json."""

from typing import Any

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpClient

from tests.support.tiny_sim import build

PROBLEM = "application/problem+json"


async def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status == status, await response.text()
    assert response.content_type == PROBLEM
    body: dict[str, Any] = await response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["type"].endswith(code)
    return body


async def test_ready_reports_component_and_seed(
    aiohttp_client: AiohttpClient, tiny_app: web.Application
) -> None:
    client = await aiohttp_client(tiny_app)
    response = await client.get("/__sim/ready")
    assert response.status == 200
    body = await response.json()
    assert (body["status"], body["component"], body["seed"]) == ("ready", "tiny", 5)
    assert response.headers["X-Request-Id"].startswith("req_ti")


async def test_seed_is_deterministic_and_reset_returns_to_it(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(build())
    first = await (await client.get("/api/widgets")).json()
    seeded = await client.post("/__sim/seed", json={"seed": 9, "counts": {"widgets": 4}})
    assert (await seeded.json()) == {"component": "tiny", "seed": 9, "created": {"widgets": 4}}
    nine = await (await client.get("/api/widgets")).json()
    assert len(nine["data"]) == 4
    assert nine != first
    await client.post("/__sim/seed", json={"seed": 9, "counts": {"widgets": 4}})
    assert await (await client.get("/api/widgets")).json() == nine
    reset = await client.post("/__sim/reset")
    assert (await reset.json())["seed"] == 9
    assert await (await client.get("/api/widgets")).json() == nine


@pytest.mark.parametrize("body", [b"\n", b"  ", b"\t\r\n"])
async def test_an_optional_body_of_whitespace_alone_is_not_json(
    aiohttp_client: AiohttpClient, body: bytes
) -> None:
    # Found by the control-plane fuzz gate (ST201): whitespace was taken for an absent body.
    client = await aiohttp_client(build())
    response = await client.post("/__sim/reset", data=body, headers={"Content-Type": "application/json"})
    detail = (await problem(response, 400, "invalid_json"))["detail"]
    assert detail == "the request body is empty; a JSON object is required"
    assert (await client.post("/__sim/reset")).status == 200  # no body at all: still fine


async def test_seed_rejects_unknown_and_oversized_counts(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(build())
    body = await problem(
        await client.post("/__sim/seed", json={"counts": {"gadgets": 1}}), 400, "unknown_field"
    )
    assert body["param"] == "counts"
    assert "unknown seed count 'gadgets'" in body["detail"]
    body = await problem(
        await client.post("/__sim/seed", json={"counts": {"widgets": 51}}), 400, "validation_failed"
    )
    assert body["param"] == "counts.widgets"
    body = await problem(await client.post("/__sim/seed", json={"seed": -1}), 400, "validation_failed")
    assert body["param"] == "seed"


@pytest.mark.parametrize(
    ("path", "body", "code", "param", "detail"),
    [
        (
            "/__sim/faults",
            {"effect": {"type": "explode", "status": 500}},
            "validation_failed",
            "effect",
            "type",
        ),
        (
            "/__sim/faults",
            {"sequence": ["500", "boom"]},
            "validation_failed",
            "sequence",
            "unknown fault step",
        ),
        (
            "/__sim/faults",
            {"sequence": ["ok"], "colour": "red"},
            "unknown_field",
            "colour",
            "unknown field 'colour'",
        ),
        ("/__sim/clock", {"advance_by": "-PT5M"}, "validation_failed", "advance_by", "ISO 8601 duration"),
        (
            "/__sim/clock",
            {"advance_to": "2000-01-01T00:00:00Z"},
            "clock_error",
            "advance_to",
            "only moves forward",
        ),
        (
            "/__sim/clock",
            {"advance_by": "P9999999D"},
            "clock_error",
            "advance_by",
            "at most 400 days per call",
        ),
        ("/__sim/clock", {"advance_by": "P401D"}, "clock_error", "advance_by", "at most 400 days per call"),
        (
            "/__sim/clock",
            {"advance_to": "2999-01-01T00:00:00Z"},
            "clock_error",
            "advance_to",
            "at most 400 days ahead",
        ),
        ("/__sim/clock", {"tick": True}, "unknown_field", "tick", "unknown field 'tick'"),
        ("/__sim/clock", {}, "validation_failed", "advance_by", "give advance_by, advance_to or freeze"),
        (
            "/__sim/webhooks/endpoints",
            {"url": "https://evil.example/x"},
            "invalid_webhook_endpoint",
            "url",
            "allowed hosts: 127.0.0.1, ::1, localhost",
        ),
        (
            "/__sim/webhooks/endpoints",
            {"url": "http://127.0.0.1:1/x", "secret": None},
            "validation_failed",
            "secret",
            "cannot be null",
        ),
        ("/__sim/webhooks/events", {"type": "bad type!"}, "validation_failed", "type", "pattern"),
        (
            "/__sim/webhooks/deliveries/replay",
            {},
            "validation_failed",
            "message_ids",
            "message_ids, or a since/until range",
        ),
    ],
)
async def test_bad_control_input_is_a_400_problem(
    aiohttp_client: AiohttpClient, path: str, body: dict[str, Any], code: str, param: str, detail: str
) -> None:
    client = await aiohttp_client(build())
    got = await problem(await client.post(path, json=body), 400, code)
    assert got["param"] == param
    assert detail in got["detail"]


async def test_bad_json_and_wrong_content_type(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(build())
    got = await problem(
        await client.post("/__sim/faults", data=b"{not json", headers={"Content-Type": "application/json"}),
        400,
        "invalid_json",
    )
    assert "not valid JSON" in got["detail"]
    await problem(
        await client.post("/__sim/faults", data=b"x=1", headers={"Content-Type": "text/plain"}),
        415,
        "unsupported_media_type",
    )
    got = await problem(await client.post("/__sim/faults", json=[1, 2]), 400, "validation_failed")
    assert got["detail"] == "the request body must be a JSON object"


async def test_unknown_query_parameters_and_bad_values_are_refused(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(build())
    got = await problem(await client.get("/__sim/requests?colour=red"), 400, "unknown_field")
    assert got["param"] == "colour"
    got = await problem(await client.get("/__sim/requests?limit=abc"), 400, "validation_failed")
    assert got["param"] == "limit"


async def test_unknown_route_and_method_are_problems(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(build())
    await problem(await client.get("/__sim/nope"), 404, "not_found")
    response = await client.put("/__sim/clock", json={})
    got = await problem(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET, HEAD, POST"
    assert "PUT is not allowed" in got["detail"]


async def test_clock_moves_forward_and_freezes(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(build())
    before = await (await client.get("/__sim/clock")).json()
    assert before["frozen"] is True
    after = await (await client.post("/__sim/clock", json={"advance_by": "P1DT2H"})).json()
    from datetime import datetime, timedelta

    delta = datetime.fromisoformat(after["now"]) - datetime.fromisoformat(before["now"])
    assert delta == timedelta(days=1, hours=2)
    unfrozen = await (await client.post("/__sim/clock", json={"freeze": False})).json()
    assert unfrozen["frozen"] is False


async def test_fault_rules_crud(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(build())
    created = await client.post("/__sim/faults", json={"path": "/api/*", "sequence": ["503", "ok"]})
    assert created.status == 201
    rule = await created.json()
    assert rule["id"] == "flt_000001"
    assert rule["sequence"] == ["503", "ok"]
    listed = await (await client.get("/__sim/faults")).json()
    assert [r["id"] for r in listed["data"]] == ["flt_000001"]
    assert (await client.get("/api/widgets")).status == 503
    assert (await client.get("/api/widgets")).status == 200
    assert (await client.delete("/__sim/faults/flt_000001")).status == 204
    await problem(await client.delete("/__sim/faults/flt_000001"), 404, "not_found")
    await client.post("/__sim/faults", json={"effect": {"type": "status", "status": 500}})
    assert (await client.delete("/__sim/faults")).status == 204
    assert (await client.get("/api/widgets")).status == 200


async def test_usage_and_journal_reflect_vendor_calls_only(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(build())
    for _ in range(3):
        await client.get("/api/widgets", headers={"X-Caller": "alice"})
    await client.get("/api/widgets", headers={"X-Caller": "bob"})
    usage = await (await client.get("/__sim/usage")).json()
    assert usage["total"] == 4
    callers = usage["families"]["widgets_api"]["scopes"]["tenant"]["callers"]
    assert callers == {"alice": {"used": 3, "all_time": 3}, "bob": {"used": 1, "all_time": 1}}
    assert (await (await client.get("/__sim/usage?family=other")).json())["total"] == 0
    journal = await (await client.get("/__sim/requests?caller=alice")).json()
    assert [e["path"] for e in journal["data"]] == ["/api/widgets"] * 3
    assert all(e["metered"] and e["family"] == "widgets_api" and e["status"] == 200 for e in journal["data"])
    everything = await (await client.get("/__sim/requests")).json()
    assert not any(e["path"].startswith("/__sim") for e in everything["data"])
    assert (await client.delete("/__sim/requests")).status == 204
    assert (await (await client.get("/__sim/requests")).json())["size"] == 0


async def test_served_spec_lists_this_simulators_seed_counts(aiohttp_client: AiohttpClient) -> None:
    import yaml

    client = await aiohttp_client(build())
    spec = yaml.safe_load(await (await client.get("/__sim/openapi.yaml")).text())
    counts = spec["components"]["schemas"]["SeedCounts"]
    assert counts["properties"] == {"widgets": {"type": "integer", "minimum": 0, "maximum": 50}}
    assert counts["additionalProperties"] is False


async def test_served_spec_lists_only_the_routes_this_simulator_has(aiohttp_client: AiohttpClient) -> None:
    """One document describes both simulators; each serves only its own routes, so a client (or
    schemathesis) never calls a Salesforce-only route on billing and expects more than a 404."""
    import yaml

    from simulators.billing.app import create_app as billing_app
    from simulators.salesforce.app import create_app as salesforce_app

    served = {}
    for name, factory in (("billing", billing_app), ("salesforce", salesforce_app)):
        client = await aiohttp_client(factory())
        served[name] = set(yaml.safe_load(await (await client.get("/__sim/openapi.yaml")).text())["paths"])
    salesforce_only = {"/__sim/events/cdc", "/__sim/events/channels", "/__sim/outbound/declarations"}
    assert salesforce_only <= served["salesforce"]
    assert not salesforce_only & served["billing"]
    assert {"/__sim/faults", "/__sim/clock", "/__sim/webhooks/deliveries"} <= served["billing"] & served[
        "salesforce"
    ]
