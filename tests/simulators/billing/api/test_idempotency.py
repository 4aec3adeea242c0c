"""Idempotency-Key: replay the first response, 409 while in flight, 422 for another request,
kept 24 hours of virtual time, scoped to the API key."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from simulators.billing.api.calls import Call, Reply
from simulators.billing.app import create_app
from tests.support.billing_api import AUTH, Client, account_body, api_of, call, settings

AiohttpClient = Callable[..., Awaitable[Client]]


async def _post(
    client: Client, path: str, body: Any, key: str, auth: dict[str, str] = AUTH
) -> tuple[int, bytes, Any]:
    async with client.post(path, json=body, headers={**auth, "Idempotency-Key": key}) as response:
        return response.status, await response.read(), response.headers


async def test_same_key_and_body_replays_the_first_response(client: Client) -> None:
    body = account_body("001IDEMPOTENT00001")
    first = await _post(client, "/accounts", body, "key-1")
    second = await _post(client, "/accounts", body, "key-1")
    assert first[0] == second[0] == 201
    assert first[1] == second[1]
    assert second[2]["Idempotent-Replayed"] == "true"
    assert second[2]["Location"] == first[2]["Location"]
    assert second[2]["ETag"] == first[2]["ETag"]
    assert "Idempotent-Replayed" not in first[2]
    _, found = await call(client, "GET", "/accounts?external_id=001IDEMPOTENT00001")
    assert len(found["data"]) == 1  # created once


async def test_same_key_with_a_different_body_is_422(client: Client) -> None:
    await _post(client, "/accounts", account_body("001IDEMPOTENT00002"), "key-2")
    status, raw, _ = await _post(client, "/accounts", account_body("001IDEMPOTENT00003"), "key-2")
    problem = json.loads(raw)
    assert status == 422
    assert (problem["code"], problem["param"]) == ("idempotency_mismatch", "Idempotency-Key")
    assert problem["detail"] == (
        "Idempotency-Key 'key-2' was used for a different request (method, path or body); "
        "use a new key for a new request"
    )


async def test_same_key_on_another_path_is_422(client: Client) -> None:
    await _post(client, "/accounts/acct_0000000001/bill-now", {}, "key-3")
    status, raw, _ = await _post(client, "/accounts/acct_0000000002/bill-now", {}, "key-3")
    assert status == 422
    assert json.loads(raw)["code"] == "idempotency_mismatch"


async def test_body_spelling_does_not_matter_only_content(client: Client) -> None:
    body = account_body("001IDEMPOTENT00004")
    first = await _post(client, "/accounts", body, "key-4")
    reordered = dict(reversed(list(body.items())))
    second = await _post(client, "/accounts", reordered, "key-4")
    assert (second[0], second[1]) == (first[0], first[1])


async def test_business_errors_are_replayed_identically(client: Client) -> None:
    body = account_body("001SEED00000000AAA")  # the seed's first account holds this CRM key
    first = await _post(client, "/accounts", body, "key-5")
    second = await _post(client, "/accounts", body, "key-5")
    assert first[0] == second[0] == 409
    assert first[1] == second[1]  # same request_id inside: it is the original response
    assert second[2]["Idempotent-Replayed"] == "true"


async def test_requests_refused_before_running_are_not_remembered(client: Client) -> None:
    bad = account_body("001IDEMPOTENT00006", email=5)
    status, _, _ = await _post(client, "/accounts", bad, "key-6")
    assert status == 400
    status, _, headers = await _post(client, "/accounts", account_body("001IDEMPOTENT00006"), "key-6")
    assert status == 201
    assert "Idempotent-Replayed" not in headers


async def test_keys_are_scoped_to_the_api_key(make_client: Any) -> None:
    client = await make_client(api_keys=("key-a", "key-b"))
    a = await _post(
        client, "/accounts", account_body("001SCOPEDKEY000001"), "same", {"Authorization": "Bearer key-a"}
    )
    b = await _post(
        client, "/accounts", account_body("001SCOPEDKEY000002"), "same", {"Authorization": "Bearer key-b"}
    )
    assert (a[0], b[0]) == (201, 201)


async def test_keys_expire_after_24_hours_of_virtual_time(client: Client) -> None:
    await _post(client, "/accounts", account_body("001EXPIRINGKEY0001"), "key-7")
    await api_of(client).kit.clock.advance(timedelta(hours=23, minutes=59))
    status, _, _ = await _post(client, "/accounts", account_body("001EXPIRINGKEY0002"), "key-7")
    assert status == 422
    await api_of(client).kit.clock.advance(timedelta(minutes=2))
    status, _, headers = await _post(client, "/accounts", account_body("001EXPIRINGKEY0002"), "key-7")
    assert status == 201
    assert "Idempotent-Replayed" not in headers


async def test_a_concurrent_request_with_the_same_key_is_409(aiohttp_client: AiohttpClient) -> None:
    release = asyncio.Event()
    entered = asyncio.Event()

    async def slow_capabilities(call_: Call) -> Reply:
        entered.set()
        await release.wait()
        return Reply.ok({"replayed": False}, status=201)

    client = await aiohttp_client(
        create_app(settings(), handlers={"createWebhookEndpoint": slow_capabilities})
    )
    body = {"url": "http://127.0.0.1:9/hook"}
    first = asyncio.ensure_future(_post(client, "/webhook-endpoints", body, "key-8"))
    await entered.wait()
    status, raw, _ = await _post(client, "/webhook-endpoints", body, "key-8")
    problem = json.loads(raw)
    assert status == 409
    assert (problem["code"], problem["param"]) == ("idempotency_conflict", "Idempotency-Key")
    assert problem["detail"] == (
        "a request with Idempotency-Key 'key-8' is still being processed; retry when it has finished"
    )
    release.set()
    assert (await first)[0] == 201
    replay = await _post(client, "/webhook-endpoints", body, "key-8")
    assert replay[0] == 201
    assert replay[2]["Idempotent-Replayed"] == "true"


async def test_a_crashed_request_releases_its_key(aiohttp_client: AiohttpClient) -> None:
    calls = []

    def flaky(call_: Call) -> Reply:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a bug")
        return Reply.no_content()

    client = await aiohttp_client(create_app(settings(), handlers={"deleteWebhookEndpoint": flaky}))
    async with client.delete(
        "/webhook-endpoints/we_1", headers={**AUTH, "Idempotency-Key": "key-9"}
    ) as response:
        assert response.status == 500
    async with client.delete(
        "/webhook-endpoints/we_1", headers={**AUTH, "Idempotency-Key": "key-9"}
    ) as response:
        assert response.status == 204
        assert "Idempotent-Replayed" not in response.headers
    assert len(calls) == 2


async def test_idempotency_key_must_be_visible_ascii(client: Client) -> None:
    status, _, _ = await _post(client, "/accounts", account_body("001BADKEY000000001"), "x" * 256)
    assert status == 400


async def test_reset_forgets_keys(client: Client) -> None:
    body = account_body("001RESETKEYS000001")
    await _post(client, "/accounts", body, "key-10")
    async with client.post("/__sim/reset") as response:
        assert response.status == 200
    status, _, headers = await _post(client, "/accounts", body, "key-10")
    assert status == 201
    assert "Idempotent-Replayed" not in headers
