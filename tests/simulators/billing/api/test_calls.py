"""The billing API's own pipeline: auth, rate limits, metering, validation against the contract."""

from __future__ import annotations

from simulators.billing.api.contract import contract_text
from tests.support.billing_api import AUTH, Client, MakeClient, account_body, call


async def test_the_contract_is_served_without_auth(client: Client) -> None:
    async with client.get("/openapi.yaml") as response:
        assert response.status == 200
        assert response.content_type == "application/yaml"
        assert await response.text() == contract_text()


async def test_missing_api_key_is_401_with_www_authenticate(client: Client) -> None:
    async with client.get("/accounts") as response:
        body = await response.json(content_type=None)
        assert response.status == 401
        assert response.content_type == "application/problem+json"
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="q2c-billing"'
    assert body["code"] == "unauthorized"
    assert body["param"] == "Authorization"
    assert body["detail"] == "send an API key as 'Authorization: Bearer <key>'"


async def test_unknown_api_key_is_401_invalid_token(client: Client) -> None:
    async with client.get("/accounts", headers={"Authorization": "Bearer nope"}) as response:
        body = await response.json(content_type=None)
        assert response.status == 401
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert (body["code"], body["detail"]) == ("unauthorized", "unknown API key")


async def test_other_auth_schemes_are_refused(client: Client) -> None:
    async with client.get("/accounts", headers={"Authorization": "Basic cTJjOnEyYw=="}) as response:
        body = await response.json(content_type=None)
    assert response.status == 401
    assert body["detail"] == "the Authorization header must be 'Bearer <api key>'"


async def test_extra_api_keys_are_accepted_and_metered_apart(make_client: MakeClient) -> None:
    client = await make_client(api_keys=("key-a", "key-b"))
    for key in ("key-a", "key-b", "key-b"):
        async with client.get("/capabilities", headers={"Authorization": f"Bearer {key}"}) as response:
            assert response.status == 200
    async with client.get("/__sim/usage") as response:
        usage = await response.json()
    scopes = usage["families"]["billing_api"]["scopes"]
    assert scopes["key-a"]["used"] == 1
    assert scopes["key-b"]["used"] == 2


async def test_every_contract_call_is_metered_per_key_and_caller(client: Client) -> None:
    await call(client, "GET", "/capabilities")
    await call(client, "GET", "/accounts", X_Q2C_Client="integration-core")
    await call(client, "GET", "/accounts?limit=0")  # refused by validation: still a call
    async with client.get("/accounts") as response:  # no key: not metered
        assert response.status == 401
    async with client.get("/openapi.yaml"):  # not a contract call
        pass
    async with client.get("/__sim/usage?family=billing_api") as response:
        usage = await response.json()
    scope = usage["families"]["billing_api"]["scopes"]["q2c-billing-key"]
    assert scope["used"] == 3
    assert scope["callers"] == {
        "q2c-billing-key": {"used": 2, "all_time": 2},
        "integration-core": {"used": 1, "all_time": 1},
    }
    async with client.get("/__sim/requests?path=/accounts") as response:
        journal = (await response.json())["data"]
    assert [(e["status"], e["metered"], e["family"], e["operation"]) for e in journal] == [
        (200, True, "billing_api", "listAccounts"),
        (400, True, "billing_api", "listAccounts"),
        (401, False, None, "listAccounts"),
    ]


async def test_rate_limit_is_429_with_retry_after_per_key(make_client: MakeClient) -> None:
    client = await make_client(rate_limit=1.0, rate_burst=3, api_keys=("key-a", "key-b"))
    statuses = []
    for _ in range(4):
        async with client.get("/capabilities", headers={"Authorization": "Bearer key-a"}) as response:
            statuses.append(response.status)
            last = await response.json(content_type=None)
            retry_after = response.headers.get("Retry-After")
    assert statuses == [200, 200, 200, 429]
    assert retry_after == "1"
    assert last["code"] == "rate_limited"
    assert last["detail"] == "rate limit of 1 requests per second (burst 3) exceeded for this API key"
    async with client.get("/capabilities", headers={"Authorization": "Bearer key-b"}) as response:
        assert response.status == 200  # another key has its own bucket
    async with client.get("/__sim/usage?family=billing_api") as response:
        usage = await response.json()
    assert usage["families"]["billing_api"]["scopes"]["key-a"]["used"] == 3  # the 429 was not counted


async def test_unknown_query_parameter_is_named(client: Client) -> None:
    status, body = await call(client, "GET", "/accounts?colour=red")
    assert status == 400
    assert (body["code"], body["param"]) == ("unknown_parameter", "colour")
    assert (
        body["detail"]
        == "unknown query parameter 'colour' (known: cursor, external_id, limit, number, status)"
    )


async def test_query_values_are_checked_against_the_contract(client: Client) -> None:
    status, body = await call(client, "GET", "/accounts?limit=101")
    assert status == 400
    assert (body["code"], body["param"], body["detail"]) == (
        "out_of_range",
        "limit",
        "'limit' must be at most 100; got 101",
    )
    status, body = await call(client, "GET", "/accounts?limit=ten")
    assert (status, body["code"], body["param"]) == (400, "invalid_type", "limit")
    assert body["detail"] == "'limit' must be an integer; got 'ten'"
    status, body = await call(client, "GET", "/accounts?status=gone")
    assert (status, body["code"], body["param"]) == (400, "invalid_value", "status")
    status, body = await call(client, "GET", "/accounts?limit=2&limit=3")
    assert (status, body["code"], body["param"]) == (400, "invalid_value", "limit")
    assert body["detail"] == "query parameter 'limit' was given twice"


async def test_an_integral_float_is_an_integer(client: Client) -> None:
    status, body = await call(client, "GET", "/accounts?limit=2.0")
    assert status == 200
    assert len(body["data"]) == 2


async def test_unknown_body_field_is_named_with_its_path(client: Client) -> None:
    body = account_body("001UNKNOWNFIELD000")
    body["billing_address"]["zip"] = "94105"
    status, problem = await call(client, "POST", "/accounts", body)
    assert status == 400
    assert (problem["code"], problem["param"]) == ("unknown_field", "billing_address.zip")
    assert problem["detail"] == "unknown field 'billing_address.zip' in body"
    assert problem["instance"] == "/accounts"
    assert problem["request_id"].startswith("req_bi")


async def test_missing_bill_cycle_is_a_per_field_error(client: Client) -> None:
    body = account_body("001MISSINGCYCLE000")
    del body["bill_cycle_id"]
    status, problem = await call(client, "POST", "/accounts", body)
    assert (status, problem["code"], problem["param"]) == (400, "missing_field", "bill_cycle_id")
    assert problem["detail"] == "'bill_cycle_id' is required in body"


async def test_bodies_must_be_json(client: Client) -> None:
    async with client.post(
        "/accounts", data="name=acme", headers={**AUTH, "Content-Type": "text/plain"}
    ) as r:
        problem = await r.json(content_type=None)
    assert (r.status, problem["code"]) == (415, "unsupported_media_type")
    assert problem["detail"] == "send the body as application/json, not text/plain"
    async with client.post(
        "/accounts", data="{nope", headers={**AUTH, "Content-Type": "application/json"}
    ) as r:
        problem = await r.json(content_type=None)
    assert (r.status, problem["code"], problem["param"]) == (400, "invalid_json", "body")
    async with client.post("/accounts", data="", headers={**AUTH, "Content-Type": "application/json"}) as r:
        problem = await r.json(content_type=None)
    assert (r.status, problem["code"]) == (400, "invalid_json")
    assert problem["detail"] == "the request body is empty; a JSON object is required"
    async with client.post(
        "/accounts", data='{"a": NaN}', headers={**AUTH, "Content-Type": "application/json"}
    ) as r:
        problem = await r.json(content_type=None)
    assert (r.status, problem["code"]) == (400, "invalid_json")


async def test_an_id_that_cannot_exist_is_404(client: Client) -> None:
    status, problem = await call(client, "GET", "/accounts/no%20such")
    assert (status, problem["code"], problem["param"]) == (404, "not_found", "id")


async def test_body_on_an_operation_without_one_is_refused(client: Client) -> None:
    async with client.delete("/webhook-endpoints/we_00000001", json={"x": 1}, headers=AUTH) as response:
        problem = await response.json(content_type=None)
    assert (response.status, problem["code"], problem["param"]) == (400, "unknown_field", "body")


async def test_empty_action_bodies_are_fine(client: Client) -> None:
    status, problem = await call(client, "POST", "/orders/ord_9999999999/void")
    assert (status, problem["code"]) == (404, "not_found")
    status, problem = await call(client, "POST", "/orders/ord_9999999999/void", {})
    assert (status, problem["code"]) == (404, "not_found")
    status, problem = await call(client, "POST", "/orders/ord_9999999999/void", {"reason": "x"})
    assert (status, problem["code"], problem["param"]) == (400, "unknown_field", "reason")


async def test_wrong_method_is_405_with_allow(client: Client) -> None:
    async with client.put("/accounts", headers=AUTH) as response:
        problem = await response.json(content_type=None)
        assert response.status == 405
        assert response.headers["Allow"] == "GET, POST"
    assert problem["code"] == "method_not_allowed"
