"""Outbound fault rules on the outbox (issue 10 item 12): drop, duplicate, reorder, delay and
corrupt_signature, seeded, by event type and endpoint, set through the control plane."""

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpClient, AiohttpServer
from standardwebhooks import Webhook, WebhookVerificationError

from simulators.kit import KIT
from simulators.kit.clock import Clock
from simulators.kit.outbox import Outbox
from simulators.kit.webhook_faults import (
    CorruptSignatureEffect,
    DelayEffect,
    DropEffect,
    DuplicateEffect,
    ReorderEffect,
    WebhookFaultSpec,
)
from tests.support.tiny_sim import build

START = datetime(2026, 2, 1, tzinfo=UTC)
SECRET = "whsec_" + base64.b64encode(bytes(range(1, 33))).decode()


@dataclass
class Receiver:
    """Verifies each delivery's signature (401 when wrong, as a consumer must), records it."""

    ids: list[str] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    refused: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            Webhook(SECRET).verify(body, dict(request.headers))
        except WebhookVerificationError:
            self.refused += 1
            return web.Response(status=401)
        self.ids.append(request.headers["webhook-id"])
        self.bodies.append(body)
        return web.Response(status=204)


@pytest.fixture
async def clock() -> Clock:
    return Clock(start=START, frozen=True)


@pytest.fixture
async def outbox(clock: Clock) -> AsyncIterator[Outbox]:
    box = Outbox(clock, seed=3, jitter=0.0, workers=2)
    await box.start()
    yield box
    await box.stop()


async def subscribe(aiohttp_server: AiohttpServer, outbox: Outbox, receiver: Receiver) -> str:
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    server = await aiohttp_server(app)
    return outbox.add_endpoint(str(server.make_url("/hook")), secret=SECRET).id


async def test_drop_records_the_attempt_never_sends_and_never_retries(
    aiohttp_server: AiohttpServer, clock: Clock, outbox: Outbox
) -> None:
    receiver = Receiver()
    await subscribe(aiohttp_server, outbox, receiver)
    rule = outbox.faults.add(WebhookFaultSpec(event_type="invoice.*", effect=DropEffect(), times=1))
    (dropped,) = outbox.publish("evt_1", "invoice.posted", {"n": 1})
    await outbox.wait_settled()
    assert dropped.state == "dropped"
    assert [(a.status, a.fault) for a in dropped.attempts] == [(None, "drop")]
    assert dropped.attempts[0].error == f"dropped by webhook fault rule {rule.id}"
    assert dropped.next_attempt_at is None
    await clock.advance(timedelta(days=2))  # nothing is retried
    (other,) = outbox.publish("evt_2", "payment.succeeded", {"n": 2})
    (second,) = outbox.publish("evt_3", "invoice.paid", {"n": 3})  # times=1: spent
    await outbox.wait_settled()
    assert (other.state, second.state) == ("succeeded", "succeeded")
    assert receiver.ids == ["evt_2", "evt_3"]
    assert rule.fired == 1


async def test_duplicate_sends_the_same_webhook_id_copies_plus_one_times(
    aiohttp_server: AiohttpServer, outbox: Outbox
) -> None:
    receiver = Receiver()
    await subscribe(aiohttp_server, outbox, receiver)
    outbox.faults.add(WebhookFaultSpec(effect=DuplicateEffect(copies=2)))
    (delivery,) = outbox.publish("evt_1", "invoice.posted", {"n": 1})
    await outbox.wait_settled()
    assert receiver.ids == ["evt_1"] * 3
    assert delivery.state == "succeeded"
    assert [(a.status, a.fault) for a in delivery.attempts] == [(204, "duplicate")] * 3


async def test_reorder_holds_a_window_and_releases_it_shuffled_by_the_seed(
    aiohttp_server: AiohttpServer, outbox: Outbox
) -> None:
    receiver = Receiver()
    await subscribe(aiohttp_server, outbox, receiver)
    outbox.faults.add(WebhookFaultSpec(effect=ReorderEffect(window=4)))
    for n in range(1, 4):
        outbox.publish(f"evt_{n}", "invoice.posted", {"n": n})
    await outbox.wait_settled()
    assert receiver.ids == []  # three held, the window is four
    outbox.publish("evt_4", "invoice.posted", {"n": 4})
    await outbox.wait_for(lambda _: len(receiver.ids) == 4)
    assert sorted(receiver.ids) == ["evt_1", "evt_2", "evt_3", "evt_4"]
    assert receiver.ids != ["evt_1", "evt_2", "evt_3", "evt_4"]
    assert receiver.ids == ["evt_4", "evt_1", "evt_3", "evt_2"]  # seed 3: the same every run


async def test_a_partial_reorder_window_is_released_after_60_virtual_seconds(
    aiohttp_server: AiohttpServer, clock: Clock, outbox: Outbox
) -> None:
    receiver = Receiver()
    await subscribe(aiohttp_server, outbox, receiver)
    outbox.faults.add(WebhookFaultSpec(effect=ReorderEffect(window=10)))
    (held,) = outbox.publish("evt_1", "invoice.posted", {})
    await outbox.wait_settled()
    assert (held.state, held.next_attempt_at) == ("pending", START + timedelta(seconds=60))
    await clock.advance(timedelta(seconds=59))
    assert receiver.ids == []
    await clock.advance(timedelta(seconds=1))
    await outbox.wait_for(lambda d: d.state == "succeeded")
    assert receiver.ids == ["evt_1"]


async def test_delay_delivers_after_that_many_virtual_seconds(
    aiohttp_server: AiohttpServer, clock: Clock, outbox: Outbox
) -> None:
    receiver = Receiver()
    endpoint_id = await subscribe(aiohttp_server, outbox, receiver)
    outbox.faults.add(WebhookFaultSpec(endpoint_id=endpoint_id, effect=DelayEffect(seconds=30)))
    (delivery,) = outbox.publish("evt_1", "invoice.posted", {})
    await outbox.wait_settled()
    assert delivery.next_attempt_at == START + timedelta(seconds=30)
    await clock.advance(timedelta(seconds=29))
    assert receiver.ids == []
    assert delivery.attempts == []
    await clock.advance(timedelta(seconds=1))
    await outbox.wait_for(lambda d: d.state == "succeeded")
    assert receiver.ids == ["evt_1"]
    assert [a.fault for a in delivery.attempts] == [None]  # the delayed send itself is clean


async def test_a_corrupt_signature_is_refused_and_the_scheduled_retry_is_signed_right(
    aiohttp_server: AiohttpServer, clock: Clock, outbox: Outbox
) -> None:
    receiver = Receiver()
    await subscribe(aiohttp_server, outbox, receiver)
    outbox.faults.add(WebhookFaultSpec(effect=CorruptSignatureEffect(), times=1))
    (delivery,) = outbox.publish("evt_1", "invoice.posted", {})
    await outbox.wait_for(lambda d: len(d.attempts) == 1)
    assert receiver.refused == 1
    assert [(a.status, a.fault) for a in delivery.attempts] == [(401, "corrupt_signature")]
    assert delivery.next_attempt_at == START + timedelta(seconds=5)
    await clock.advance(timedelta(seconds=5))
    await outbox.wait_for(lambda d: d.state == "succeeded")
    assert receiver.ids == ["evt_1"]
    assert [(a.status, a.fault) for a in delivery.attempts] == [(401, "corrupt_signature"), (204, None)]


async def test_probability_is_seeded(aiohttp_server: AiohttpServer, clock: Clock) -> None:
    async def dropped_ids(seed: int) -> list[str]:
        box = Outbox(clock, seed=seed, jitter=0.0, workers=1)
        await box.start()
        try:
            await subscribe(aiohttp_server, box, Receiver())
            box.faults.add(WebhookFaultSpec(effect=DropEffect(), probability=0.5))
            for n in range(20):
                box.publish(f"evt_{n}", "invoice.posted", {})
            await box.wait_settled()
            return [d.message_id for d in box.deliveries(state="dropped")]
        finally:
            await box.stop()

    first = await dropped_ids(7)
    assert first == await dropped_ids(7)
    assert 3 <= len(first) <= 17
    assert first != await dropped_ids(8)


async def test_control_plane_sets_lists_and_removes_outbound_rules(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(build())
    rule = {"event_type": "invoice.*", "effect": {"type": "duplicate", "copies": 1}, "probability": 0.5}
    created = await client.post("/__sim/webhooks/faults", json=rule)
    assert created.status == 201
    body = await created.json()
    assert body == {**rule, "id": "wflt_000001", "endpoint_id": None, "times": None, "fired": 0}
    listed = await (await client.get("/__sim/webhooks/faults")).json()
    assert listed == {"data": [body]}
    bad = await client.post("/__sim/webhooks/faults", json={"effect": {"type": "explode"}})
    assert bad.status == 400
    assert (await bad.json())["code"] == "validation_failed"
    missing = await client.delete("/__sim/webhooks/faults/wflt_999999")
    assert missing.status == 404
    assert (await missing.json())["detail"] == "no webhook fault rule 'wflt_999999'"
    assert (await client.delete("/__sim/webhooks/faults/wflt_000001")).status == 204
    await client.post("/__sim/webhooks/faults", json=rule)
    assert (await client.post("/__sim/reset")).status == 200
    assert client.server.app[KIT].outbox.faults.rules() == []
    await client.post("/__sim/webhooks/faults", json=rule)
    assert (await client.delete("/__sim/webhooks/faults")).status == 204
    assert (await (await client.get("/__sim/webhooks/faults")).json()) == {"data": []}
