from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer
from standardwebhooks import Webhook

from simulators.kit.clock import Clock
from simulators.kit.outbox import DEFAULT_SCHEDULE, Outbox, OutboxError

START = datetime(2026, 2, 1, tzinfo=UTC)


@dataclass
class Receiver:
    """Answers the scripted statuses in order (then the last one), recording what it got."""

    statuses: list[int]
    seen: list[dict[str, str]] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append(dict(request.headers))
        self.bodies.append(await request.read())
        index = min(len(self.seen) - 1, len(self.statuses) - 1)
        return web.Response(status=self.statuses[index])


@pytest.fixture
async def clock() -> Clock:
    return Clock(start=START, frozen=True)


@pytest.fixture
async def outbox(clock: Clock) -> AsyncIterator[Outbox]:
    box = Outbox(clock, seed=3, jitter=0.0, workers=2)
    await box.start()
    yield box
    await box.stop()


async def serve(aiohttp_server: AiohttpServer, receiver: Receiver) -> TestServer:
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    return await aiohttp_server(app)


async def test_retries_follow_the_schedule_on_the_virtual_clock_until_exhausted(
    aiohttp_server: AiohttpServer, clock: Clock, outbox: Outbox
) -> None:
    receiver = Receiver([500])
    server = await serve(aiohttp_server, receiver)
    outbox.add_endpoint(str(server.make_url("/hook")))
    outbox.publish("evt_1", "invoice.posted", {"n": 1})
    delivery = await outbox.wait_for(lambda d: len(d.attempts) >= 1)
    for n, wait in enumerate(DEFAULT_SCHEDULE, start=2):
        due = clock.now() + wait
        assert delivery.next_attempt_at == due
        await clock.advance(wait - timedelta(seconds=1))
        assert len(delivery.attempts) == n - 1, "a retry fired before its time"
        assert clock.pending_sleepers() == 1
        await clock.advance(timedelta(seconds=1))
        await outbox.wait_for(lambda d, n=n: len(d.attempts) >= n)  # type: ignore[misc]
    assert len(delivery.attempts) == 1 + len(DEFAULT_SCHEDULE) == 10
    assert delivery.state == "failed"
    assert delivery.next_attempt_at is None
    assert clock.pending_sleepers() == 0
    assert {h["webhook-id"] for h in receiver.seen} == {"evt_1"}
    assert [a.status for a in delivery.attempts] == [500] * 10
    assert [a.at - START for a in delivery.attempts][1:3] == [
        timedelta(seconds=5),
        timedelta(minutes=5, seconds=5),
    ]


async def test_retries_stop_on_success(aiohttp_server: AiohttpServer, clock: Clock, outbox: Outbox) -> None:
    receiver = Receiver([503, 500, 204])
    server = await serve(aiohttp_server, receiver)
    outbox.add_endpoint(str(server.make_url("/hook")))
    outbox.publish("evt_2", "invoice.posted", {"n": 2})
    await outbox.wait_for(lambda d: len(d.attempts) >= 1)
    await clock.advance(timedelta(seconds=5))
    await outbox.wait_for(lambda d: len(d.attempts) >= 2)
    await clock.advance(timedelta(minutes=5))
    delivery = await outbox.wait_for(lambda d: d.state == "succeeded")
    assert [a.status for a in delivery.attempts] == [503, 500, 204]
    assert clock.pending_sleepers() == 0
    await clock.advance(timedelta(days=3))
    assert len(receiver.seen) == 3


async def test_every_attempt_is_signed_and_verifies_with_the_standardwebhooks_library(
    aiohttp_server: AiohttpServer, clock: Clock, outbox: Outbox
) -> None:
    receiver = Receiver([500, 200])
    server = await serve(aiohttp_server, receiver)
    endpoint = outbox.add_endpoint(str(server.make_url("/hook")))
    outbox.publish("evt_3", "payment.succeeded", {"amount": "10.00"})
    await outbox.wait_for(lambda d: len(d.attempts) >= 1)
    await clock.advance(timedelta(seconds=5))
    await outbox.wait_for(lambda d: d.state == "succeeded")
    library = Webhook(endpoint.secret)
    for headers, body in zip(receiver.seen, receiver.bodies, strict=True):
        assert library.verify(body, headers) == {"amount": "10.00"}
        assert headers["Content-Type"] == "application/json"
    assert receiver.seen[0]["webhook-id"] == receiver.seen[1]["webhook-id"] == "evt_3"


async def test_410_disables_the_endpoint(aiohttp_server: AiohttpServer, clock: Clock, outbox: Outbox) -> None:
    receiver = Receiver([410])
    server = await serve(aiohttp_server, receiver)
    endpoint = outbox.add_endpoint(str(server.make_url("/hook")))
    outbox.publish("evt_4", "invoice.posted", {})
    delivery = await outbox.wait_for(lambda d: d.state == "failed")
    assert endpoint.enabled is False
    assert endpoint.disabled_reason == "endpoint answered 410 Gone"
    assert delivery.next_attempt_at is None
    assert clock.pending_sleepers() == 0
    assert outbox.publish("evt_5", "invoice.posted", {}) == []  # no longer subscribed
    assert len(receiver.seen) == 1


async def test_replay_resends_with_the_same_webhook_id(
    aiohttp_server: AiohttpServer, clock: Clock, outbox: Outbox
) -> None:
    receiver = Receiver([200])
    server = await serve(aiohttp_server, receiver)
    outbox.add_endpoint(str(server.make_url("/hook")))
    outbox.publish("evt_6", "invoice.posted", {"v": 1})
    await clock.advance(timedelta(hours=1))
    outbox.publish("evt_7", "invoice.paid", {"v": 2})
    await outbox.wait_for(lambda d: d.message_id == "evt_7" and d.state == "succeeded")
    by_id = outbox.replay(message_ids=["evt_6"])
    assert [d.trigger for d in by_id] == ["replay"]
    await outbox.wait_for(lambda d: d.id == by_id[0].id and d.state == "succeeded")
    by_range = outbox.replay(since=START + timedelta(minutes=30), until=START + timedelta(hours=2))
    assert [d.message_id for d in by_range] == ["evt_7"]
    await outbox.wait_for(lambda d: d.id == by_range[0].id and d.state == "succeeded")
    assert [h["webhook-id"] for h in receiver.seen] == ["evt_6", "evt_7", "evt_6", "evt_7"]
    assert receiver.bodies[0] == receiver.bodies[2]
    with pytest.raises(OutboxError, match="unknown message ids: evt_nope"):
        outbox.replay(message_ids=["evt_nope"])


async def test_event_type_filters_and_fan_out(aiohttp_server: AiohttpServer, outbox: Outbox) -> None:
    invoices, everything = Receiver([200]), Receiver([200])
    a = await serve(aiohttp_server, invoices)
    b = await serve(aiohttp_server, everything)
    outbox.add_endpoint(str(a.make_url("/hook")), event_types=["invoice.*"])
    outbox.add_endpoint(str(b.make_url("/hook")))
    assert len(outbox.publish("evt_8", "invoice.posted", {})) == 2
    assert len(outbox.publish("evt_9", "payment.failed", {})) == 1
    await outbox.wait_for(lambda d: d.message_id == "evt_9" and d.state == "succeeded")
    await outbox.wait_for(lambda d: d.message_id == "evt_8" and d.state == "succeeded")
    assert [h["webhook-id"] for h in invoices.seen] == ["evt_8"]
    assert sorted(h["webhook-id"] for h in everything.seen) == ["evt_8", "evt_9"]


async def test_connection_errors_are_recorded_and_retried(clock: Clock, outbox: Outbox) -> None:
    outbox.add_endpoint("http://127.0.0.1:9/unreachable")  # discard port: nothing listens
    outbox.publish("evt_10", "invoice.posted", {})
    delivery = await outbox.wait_for(lambda d: len(d.attempts) >= 1)
    assert delivery.attempts[0].status is None
    assert delivery.attempts[0].error is not None
    assert delivery.state == "pending"
    assert delivery.next_attempt_at == clock.now() + timedelta(seconds=5)


async def test_jitter_stays_within_twenty_percent(clock: Clock) -> None:
    box = Outbox(clock, seed=11, jitter=0.2, workers=1)
    await box.start()
    try:
        box.add_endpoint("http://127.0.0.1:9/unreachable")
        dues = []
        for n in range(20):
            box.publish(f"evt_j{n}", "x", {})
        for n in range(20):
            d = await box.wait_for(lambda d, n=n: d.message_id == f"evt_j{n}" and len(d.attempts) == 1)  # type: ignore[misc]
            assert d.next_attempt_at is not None
            dues.append((d.next_attempt_at - clock.now()).total_seconds())
        assert all(4.0 <= s <= 6.0 for s in dues)
        assert len(set(dues)) > 1
    finally:
        await box.stop()


async def test_only_allowed_hosts_can_be_subscribed(outbox: Outbox) -> None:
    with pytest.raises(OutboxError, match=r"host 'example\.com' is not allowed"):
        outbox.add_endpoint("https://example.com/hook")
    with pytest.raises(OutboxError, match="absolute http"):
        outbox.add_endpoint("ftp://127.0.0.1/hook")
    with pytest.raises(OutboxError, match="invalid port"):
        outbox.add_endpoint("http://127.0.0.1:99999/hook")


async def test_rotation_signs_with_both_secrets_during_the_overlap(
    aiohttp_server: AiohttpServer, clock: Clock, outbox: Outbox
) -> None:
    receiver = Receiver([200])
    server = await serve(aiohttp_server, receiver)
    endpoint = outbox.add_endpoint(str(server.make_url("/hook")))
    old = endpoint.secret
    new = outbox.rotate_secret(endpoint.id, overlap=timedelta(hours=1))
    outbox.publish("evt_r1", "x", {})
    await outbox.wait_for(lambda d: d.message_id == "evt_r1" and d.state == "succeeded")
    await clock.advance(timedelta(hours=2))
    outbox.publish("evt_r2", "x", {})
    await outbox.wait_for(lambda d: d.message_id == "evt_r2" and d.state == "succeeded")
    first, second = receiver.seen
    assert len(first["webhook-signature"].split(" ")) == 2
    assert len(second["webhook-signature"].split(" ")) == 1
    assert Webhook(old).verify(receiver.bodies[0], first) == {}
    assert Webhook(new).verify(receiver.bodies[1], second) == {}


async def test_wait_settled_returns_once_nothing_is_due(
    aiohttp_server: AiohttpServer, clock: Clock, outbox: Outbox
) -> None:
    receiver = Receiver([500, 200])
    server = await serve(aiohttp_server, receiver)
    outbox.add_endpoint(str(server.make_url("/hook")))
    for n in range(5):
        outbox.publish(f"evt_s{n}", "x", {})
    await outbox.wait_settled(timeout=5)
    # The first attempt failed (500) and waits for its retry on the virtual clock; the rest landed.
    states = sorted(d.state for d in outbox.deliveries())
    assert states == ["pending", "succeeded", "succeeded", "succeeded", "succeeded"]
    assert len(receiver.seen) == 5
    await clock.advance(timedelta(seconds=5))
    await outbox.wait_settled(timeout=5)
    assert [d.state for d in outbox.deliveries()] == ["succeeded"] * 5


async def test_a_recorded_message_is_only_delivered_by_replay(
    aiohttp_server: AiohttpServer, clock: Clock, outbox: Outbox
) -> None:
    receiver = Receiver([204])
    server = await serve(aiohttp_server, receiver)
    endpoint = outbox.add_endpoint(str(server.make_url("/hook")))
    earlier = START - timedelta(days=1)
    message = outbox.record("evt_r1", "invoice.posted", b'{"n":1}', created_at=earlier)
    assert (message.created_at, message.body) == (earlier, b'{"n":1}')
    assert outbox.deliveries() == []
    with pytest.raises(OutboxError, match="already published"):
        outbox.publish("evt_r1", "invoice.posted", {"n": 2})
    (delivery,) = outbox.replay(since=earlier, until=START, endpoint_id=endpoint.id)
    done = await outbox.wait_for(lambda d: d.id == delivery.id and d.state == "succeeded")
    assert done.trigger == "replay"
    assert receiver.seen[0]["webhook-id"] == "evt_r1"
    assert receiver.bodies == [b'{"n":1}']
