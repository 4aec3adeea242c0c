"""Webhook endpoints through the contract, backed by the kit's Outbox: signatures verified with the
``standardwebhooks`` library, retries and replays keep the webhook-id, rotation, disable, attempts."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import jsonschema_rs
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from standardwebhooks import Webhook, WebhookVerificationError

from contracts import load_spec
from tests.support.billing_api import Client, account_body, api_of, call

AiohttpServer = Callable[..., Awaitable[TestServer]]


@dataclass
class Receiver:
    """Answers with the scripted statuses (then 204) and keeps every request."""

    script: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.read()))
        return web.Response(status=self.script.pop(0) if self.script else 204)


@pytest.fixture
async def receiver(aiohttp_server: AiohttpServer) -> tuple[Receiver, str]:
    hooks = Receiver()
    app = web.Application()
    app.router.add_post("/hooks", hooks.handle)
    server = await aiohttp_server(app, host="127.0.0.1")
    return hooks, f"http://127.0.0.1:{server.port}/hooks"


def _webhook_schema(event_type: str) -> jsonschema_rs.Validator:
    doc = load_spec("billing-adapter")
    schema = dict(doc["webhooks"][event_type]["post"]["requestBody"]["content"]["application/json"]["schema"])
    schema["components"] = doc["components"]
    return jsonschema_rs.validator_for(schema, validate_formats=True)


async def _subscribe(client: Client, url: str, **extra: Any) -> dict[str, Any]:
    status, endpoint = await call(client, "POST", "/webhook-endpoints", {"url": url, **extra})
    assert status == 201, endpoint
    return endpoint


async def _wait(client: Client, endpoint_id: str, *, attempts: int = 1, event_type: str | None = None) -> Any:
    return await api_of(client).kit.outbox.wait_for(
        lambda d: (
            d.endpoint_id == endpoint_id
            and len(d.attempts) >= attempts
            and (event_type is None or d.event_type == event_type)
        ),
        timeout=5,
    )


async def test_deliveries_are_signed_and_verify_with_standardwebhooks(
    client: Client, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    endpoint = await _subscribe(client, url, event_types=["account.created"], description="core inbox")
    assert endpoint["secret"].startswith("whsec_")
    status, public = await call(client, "GET", f"/webhook-endpoints/{endpoint['id']}")
    assert status == 200
    assert "secret" not in public
    assert public["event_types"] == ["account.created"]

    status, account = await call(client, "POST", "/accounts", account_body("001WEBHOOK00000001"))
    assert status == 201
    await _wait(client, endpoint["id"])
    headers, body = hooks.received[-1]
    payload = Webhook(endpoint["secret"]).verify(body, headers)
    assert payload["type"] == "account.created"
    assert payload["data"] == account
    assert payload["object"] == {"type": "account", "id": account["id"], "version": 1}
    assert payload["account_external_id"] == "001WEBHOOK00000001"
    assert headers["webhook-id"] == payload["id"]
    assert _webhook_schema("account.created").is_valid(payload)
    # The log carries the very same envelope.
    status, logged = await call(client, "GET", f"/events/{payload['id']}")
    assert logged == payload
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 44).verify(body, headers)


async def test_retries_keep_the_webhook_id_and_move_on_the_virtual_clock(
    client: Client, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    hooks.script = [500, 503]
    endpoint = await _subscribe(client, url, event_types=["account.*"])
    await call(client, "POST", "/accounts", account_body("001WEBHOOK00000002"))
    await _wait(client, endpoint["id"])
    clock = api_of(client).kit.clock
    await clock.advance(timedelta(seconds=7))  # first retry: 5 s +- 20%
    await _wait(client, endpoint["id"], attempts=2)
    await clock.advance(timedelta(minutes=7))  # second retry: 5 min +- 20%
    delivery = await _wait(client, endpoint["id"], attempts=3)
    assert [a.status for a in delivery.attempts] == [500, 503, 204]
    ids = {h["webhook-id"] for h, _ in hooks.received}
    assert ids == {delivery.message_id}
    for headers, body in hooks.received:
        Webhook(endpoint["secret"]).verify(body, headers)

    status, attempts = await call(client, "GET", f"/webhook-endpoints/{endpoint['id']}/attempts")
    assert status == 200
    (listed,) = attempts["data"]
    assert listed["event_id"] == delivery.message_id
    assert listed["state"] == "succeeded"
    assert [a["status_code"] for a in listed["attempts"]] == [500, 503, 204]


async def test_replay_sends_the_same_webhook_id_again(client: Client, receiver: tuple[Receiver, str]) -> None:
    hooks, url = receiver
    endpoint = await _subscribe(client, url)
    await call(client, "POST", "/accounts", account_body("001WEBHOOK00000003"))
    first = await _wait(client, endpoint["id"], event_type="account.created")
    count = len(hooks.received)
    status, result = await call(
        client, "POST", f"/webhook-endpoints/{endpoint['id']}/replay", {"event_ids": [first.message_id]}
    )
    assert status == 202
    assert result["replayed"] == 1
    replayed = await api_of(client).kit.outbox.wait_for(
        lambda d: d.id == result["deliveries"][0] and d.state == "succeeded", timeout=5
    )
    assert replayed.trigger == "replay"
    headers, body = hooks.received[count]
    assert headers["webhook-id"] == first.message_id
    assert Webhook(endpoint["secret"]).verify(body, headers)["id"] == first.message_id


async def test_replay_refuses_unknown_events_and_disabled_endpoints(
    client: Client, receiver: tuple[Receiver, str]
) -> None:
    _, url = receiver
    endpoint = await _subscribe(client, url)
    path = f"/webhook-endpoints/{endpoint['id']}/replay"
    status, problem = await call(client, "POST", path, {"event_ids": ["evt_0000000001", "evt_9999999999"]})
    assert (status, problem["code"], problem["param"]) == (422, "unknown_reference", "event_ids.1")
    assert problem["detail"] == "event 'evt_9999999999' does not exist"
    status, problem = await call(
        client, "POST", path, {"event_ids": ["evt_0000000001"], "since": "2026-01-01T00:00:00Z"}
    )
    assert (status, problem["code"]) == (400, "invalid_value")
    await call(client, "PATCH", f"/webhook-endpoints/{endpoint['id']}", {"enabled": False})
    status, problem = await call(client, "POST", path, {"since": "2026-01-01T00:00:00Z"})
    assert (status, problem["code"], problem["param"]) == (422, "endpoint_disabled", "id")


async def test_rotation_signs_with_both_secrets_during_the_overlap(
    client: Client, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    endpoint = await _subscribe(client, url, event_types=["account.created"])
    status, rotated = await call(
        client, "POST", f"/webhook-endpoints/{endpoint['id']}/rotate-secret", {"overlap_seconds": 3600}
    )
    assert status == 200
    assert rotated["secret"] != endpoint["secret"]
    assert rotated["secret"].startswith("whsec_")
    assert rotated["previous_secret_expires_at"] == "2026-03-10T10:00:00Z"
    await call(client, "POST", "/accounts", account_body("001WEBHOOK00000004"))
    await _wait(client, endpoint["id"])
    headers, body = hooks.received[-1]
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(endpoint["secret"]).verify(body, headers)
    Webhook(rotated["secret"]).verify(body, headers)


async def test_disabled_endpoints_receive_nothing_and_can_come_back(
    client: Client, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    endpoint = await _subscribe(client, url, event_types=["account.created"])
    status, updated = await call(client, "PATCH", f"/webhook-endpoints/{endpoint['id']}", {"enabled": False})
    assert (status, updated["enabled"], updated["disabled_reason"]) == (
        200,
        False,
        "disabled through the API",
    )
    await call(client, "POST", "/accounts", account_body("001WEBHOOK00000005"))
    assert api_of(client).kit.outbox.deliveries(endpoint_id=endpoint["id"]) == []
    status, updated = await call(
        client,
        "PATCH",
        f"/webhook-endpoints/{endpoint['id']}",
        {"enabled": True, "event_types": None, "description": None},
    )
    assert (status, updated["enabled"], updated["event_types"], updated["description"]) == (
        200,
        True,
        None,
        None,
    )
    await call(client, "POST", "/accounts", account_body("001WEBHOOK00000006"))
    await _wait(client, endpoint["id"])
    assert hooks.received


async def test_filters_and_urls_are_checked(client: Client) -> None:
    status, problem = await call(
        client,
        "POST",
        "/webhook-endpoints",
        {"url": "http://127.0.0.1:9/x", "event_types": ["invoice.*", "invoice.sent"]},
    )
    assert (status, problem["code"], problem["param"]) == (422, "unknown_event_type", "event_types.1")
    status, problem = await call(client, "POST", "/webhook-endpoints", {"url": "https://hooks.example.com/x"})
    assert (status, problem["code"], problem["param"]) == (422, "url_not_allowed", "url")
    assert problem["detail"] == (
        "webhook host 'hooks.example.com' is not allowed (allowed: 127.0.0.1, ::1, localhost)"
    )
    status, problem = await call(
        client,
        "POST",
        "/webhook-endpoints",
        {"url": "http://127.0.0.1:9/x", "event_types": ["Invoice.Posted"]},
    )
    assert (status, problem["code"], problem["param"]) == (400, "invalid_format", "event_types.0")


async def test_delete_then_get_is_404(client: Client) -> None:
    endpoint = await _subscribe(client, "http://127.0.0.1:9/x")
    async with client.delete(
        f"/webhook-endpoints/{endpoint['id']}", headers={"Authorization": "Bearer q2c-billing-key"}
    ) as r:
        assert r.status == 204
    status, problem = await call(client, "GET", f"/webhook-endpoints/{endpoint['id']}")
    assert (status, problem["code"]) == (404, "not_found")
    assert problem["detail"] == f"webhook endpoint {endpoint['id']!r} does not exist"


async def test_control_plane_and_contract_share_the_outbox(client: Client) -> None:
    endpoint = await _subscribe(client, "http://127.0.0.1:9/x")
    async with client.get("/__sim/webhooks/endpoints") as response:
        listed = await response.json()
    assert [e["id"] for e in listed["data"]] == [endpoint["id"]]
    _status, page = await call(client, "GET", "/webhook-endpoints")
    assert [e["id"] for e in page["data"]] == [endpoint["id"]]
    assert json.dumps(page)  # JSON all the way


async def test_replay_by_time_range_backfills_events_nobody_was_subscribed_to(
    client: Client, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    status, account = await call(client, "POST", "/accounts", account_body("001WEBHOOK00000007"))
    status, created = await call(client, "GET", f"/events?account_id={account['id']}&types=account.created")
    (event,) = created["data"]
    assert api_of(client).kit.outbox.message(event["id"]) is None  # nobody wanted it: not serialised
    endpoint = await _subscribe(client, url, event_types=["account.created"])
    status, result = await call(
        client,
        "POST",
        f"/webhook-endpoints/{endpoint['id']}/replay",
        {"since": event["timestamp"], "until": "2026-03-10T09:00:01Z"},
    )
    assert status == 202
    _, every = await call(client, "GET", "/events?types=account.created&limit=100")
    assert result["replayed"] == len(every["data"]) == 5  # 4 seeded + this one
    outbox = api_of(client).kit.outbox
    for delivery_id in result["deliveries"]:
        await outbox.wait_for(lambda d, i=delivery_id: d.id == i and d.state == "succeeded")
    by_id = {headers["webhook-id"]: (headers, body) for headers, body in hooks.received}
    assert set(by_id) == {e["id"] for e in every["data"]}
    headers, body = by_id[event["id"]]
    assert Webhook(endpoint["secret"]).verify(body, headers) == event
    status, logged = await call(client, "GET", f"/events/{event['id']}")
    assert logged == event
