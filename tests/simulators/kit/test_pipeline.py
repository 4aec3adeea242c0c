"""The single request pipeline: faults, error rendering per dialect, request ids, journal."""

import aiohttp
import pytest
from pytest_aiohttp import AiohttpClient

from tests.support.tiny_sim import build


async def test_injected_fault_is_rendered_in_the_vendor_dialect(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(build("salesforce"))
    response = await client.get("/api/widgets", headers={"X-Sim-Fault": "503,ok"})
    assert response.status == 503
    assert response.content_type == "application/json"
    assert await response.json() == [
        {
            "message": "Server is temporarily unavailable. Please try again later.",
            "errorCode": "SERVER_UNAVAILABLE",
        }
    ]
    assert response.headers["Retry-After"] == "1"
    assert (await client.get("/api/widgets", headers={"X-Sim-Fault": "503,ok"})).status == 200


async def test_fault_rule_with_vendor_error_code(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(build("salesforce"))
    rule = {"method": "GET", "path": "/api/*", "effect": {"type": "status", "status": 400, "times": 1}}
    bad = await client.post("/__sim/faults", json=rule)
    assert bad.status == 400  # 'times' belongs to the rule, not the effect
    rule = {"path": "/api/*", "times": 1, "effect": {"type": "status", "status": 400}}
    assert (await client.post("/__sim/faults", json=rule)).status == 201
    response = await client.get("/api/widgets")
    body = await response.json()
    assert response.status == 400
    assert body[0]["errorCode"] == "UNABLE_TO_LOCK_ROW"
    assert body[0]["message"].startswith("unable to obtain exclusive access")
    assert (await client.get("/api/widgets")).status == 200


async def test_fault_in_problem_dialect_with_retry_after(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(build("problem"))
    rule = {"effect": {"type": "status", "status": 429, "error_code": "rate_limited", "retry_after": 7}}
    await client.post("/__sim/faults", json=rule)
    response = await client.get("/api/widgets")
    assert response.status == 429
    assert response.content_type == "application/problem+json"
    assert response.headers["Retry-After"] == "7"
    assert (await response.json())["code"] == "rate_limited"


async def test_faults_never_touch_the_control_plane(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(build())
    await client.post("/__sim/faults", json={"effect": {"type": "status", "status": 500}})
    assert (await client.get("/__sim/ready", headers={"X-Sim-Fault": "500"})).status == 200
    assert (await client.get("/api/widgets")).status == 500


async def test_bad_fault_header_is_a_400_in_the_vendor_dialect(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(build("salesforce"))
    response = await client.get("/api/widgets", headers={"X-Sim-Fault": "500,kaboom"})
    assert response.status == 400
    body = await response.json()
    assert body[0]["errorCode"] == "INVALID_SIM_FAULT"
    assert "unknown fault step 'kaboom'" in body[0]["message"]


async def test_connection_reset_drops_the_connection_and_is_journaled(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(build())
    with pytest.raises(aiohttp.ClientError):
        await client.get("/api/widgets", headers={"X-Sim-Fault": "reset"})
    journal = await (await client.get("/__sim/requests")).json()
    assert journal["data"][-1]["status"] == 0
    assert journal["data"][-1]["fault"] == "connection_reset"


async def test_latency_fault_is_journaled(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(build())
    response = await client.get("/api/widgets", headers={"X-Sim-Fault": "latency:30"})
    assert response.status == 200
    entry = (await (await client.get("/__sim/requests")).json())["data"][-1]
    assert entry["fault"] == "latency"
    assert entry["latency_ms"] >= 30


async def test_vendor_errors_render_in_their_own_dialect(aiohttp_client: AiohttpClient) -> None:
    sf = await aiohttp_client(build("salesforce"))
    response = await sf.post("/api/widgets", json={})
    assert response.status == 400
    assert await response.json() == [
        {
            "message": "No such column 'Foo__c' on sobject of type Account",
            "errorCode": "INVALID_FIELD",
            "fields": ["Foo__c"],
        }
    ]
    not_found = await sf.get("/api/nothing")
    assert not_found.status == 404
    assert (await not_found.json())[0]["errorCode"] == "NOT_FOUND"
    wrong_method = await sf.delete("/api/widgets")
    assert wrong_method.status == 405
    assert (await wrong_method.json())[0][
        "message"
    ] == "HTTP Method 'DELETE' not allowed. Allowed are GET,HEAD,POST"

    billing = await aiohttp_client(build("problem"))
    response = await billing.post("/api/widgets", json={})
    body = await response.json()
    assert (response.status, body["code"], body["param"]) == (400, "validation_failed", "name")


async def test_an_unexpected_exception_is_a_logged_500_in_dialect(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(build("salesforce"))
    response = await client.get("/api/broken")
    assert response.status == 500
    body = await response.json()
    assert body[0]["errorCode"] == "UNKNOWN_EXCEPTION"
    assert response.headers["X-Request-Id"] in body[0]["message"]
