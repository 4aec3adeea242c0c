"""Subscribe: Change Data Capture for DML made through REST, flow control, keepalives, replay
presets, and resuming from a stored replay id, all through the generated stub."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import grpc
import pytest

from contracts.salesforce_pubsub import pubsub_api_pb2 as pb
from simulators.salesforce.pubsub.errors import REPLAY_CORRUPTED, REPLAY_VALIDATION, TOPIC_NOT_FOUND
from tests.support.pubsub import PubSubClient, decode_bitmap, replay_bytes, replay_int, trailers

ACCOUNTS = "/data/AccountChangeEvent"


async def create_account(ps: PubSubClient, name: str, **fields: Any) -> str:
    body = await ps.sf.json(
        "POST",
        "/sobjects/Account",
        201,
        json={"Name": name, **fields},
        headers={"Sforce-Call-Options": "client=pubsub-test"},
    )
    record_id: str = body["id"]
    return record_id


async def settle(ps: PubSubClient, delivered: int) -> None:
    """Until the server's streams together delivered ``delivered`` events (no sleeps)."""
    service = ps.server.service
    while sum(s.delivered for s in service.streams) < delivered:
        await service.stream_changed.wait()


async def subscribed(ps: PubSubClient, channel: str = ACCOUNTS) -> None:
    """Until the server holds a subscription on ``channel`` (a FetchRequest is asynchronous)."""
    service = ps.server.service
    while not any(s.channel == channel for s in service.streams):
        await service.stream_changed.wait()


async def test_update_through_rest_arrives_as_a_decoded_change_event(ps: PubSubClient) -> None:
    record_id = await create_account(ps, "Acme Pub", BillingCity="Lyon", Phone="555-0100")
    requests, call = ps.subscribe(
        pb.FetchRequest(topic_name=ACCOUNTS, replay_preset=pb.LATEST, num_requested=5)
    )
    await subscribed(ps)
    await ps.sf.json(
        "PATCH",
        f"/sobjects/Account/{record_id}",
        204,
        json={"Name": "Acme Pub 2", "BillingCity": "Paris", "Phone": None},
        headers={"Sforce-Call-Options": "client=pubsub-test"},
    )
    [event] = await ps.events(call, 1)
    payload = await ps.decode(event)
    header = payload["ChangeEventHeader"]
    assert header["entityName"] == "Account"
    assert header["recordIds"] == [record_id]
    assert header["changeType"] == "UPDATE"
    assert header["changeOrigin"] == "com/salesforce/api/rest/59.0;client=pubsub-test"
    assert header["commitUser"].startswith("005")
    info = await ps.stub.GetSchema(pb.SchemaRequest(schema_id=event.event.schema_id), metadata=ps.metadata)
    schema = json.loads(info.schema_json)
    assert all(
        b.startswith(("0x", f"{b.split('-')[0]}-0x")) and b == b.upper().replace("0X", "0x")
        for b in header["changedFields"]
    )
    assert sorted(decode_bitmap(schema, header["changedFields"])) == [
        "BillingAddress.City",
        "LastModifiedDate",
        "Name",
        "Phone",
    ]
    assert decode_bitmap(schema, header["nulledFields"]) == ["Phone"]
    assert header["diffFields"] == []
    # Pub/Sub sends every field: the changed ones with values, the unchanged ones null.
    assert payload["Name"] == "Acme Pub 2"
    assert payload["BillingAddress"]["City"] == "Paris"
    assert payload["Phone"] is None
    assert payload["Type"] is None
    assert isinstance(payload["LastModifiedDate"], int)  # epoch ms, not an ISO string
    assert replay_int(event.replay_id) == ps.bus.latest_replay_id(ACCOUNTS)
    requests.close()
    call.cancel()


async def test_create_carries_every_non_empty_field(ps: PubSubClient) -> None:
    _requests, call = ps.subscribe(pb.FetchRequest(topic_name=ACCOUNTS, num_requested=1))
    await subscribed(ps)
    record_id = await create_account(
        ps, "Fresh", Total_Amount_Billed__c=1250.5, Billing_Link_Requested__c=True
    )
    [event] = await ps.events(call, 1)
    payload = await ps.decode(event)
    assert payload["ChangeEventHeader"]["changeType"] == "CREATE"
    assert payload["ChangeEventHeader"]["recordIds"] == [record_id]
    assert payload["ChangeEventHeader"]["changedFields"] == []
    assert (payload["Name"], payload["Total_Amount_Billed__c"], payload["Billing_Link_Requested__c"]) == (
        "Fresh",
        1250.5,
        True,
    )
    assert isinstance(payload["CreatedDate"], int)
    call.cancel()


async def test_flow_control_delivers_only_what_was_requested(ps: PubSubClient) -> None:
    requests, call = ps.subscribe(pb.FetchRequest(topic_name=ACCOUNTS, num_requested=2))
    await subscribed(ps)
    for n in range(5):
        await create_account(ps, f"Flow {n}")
    first = await ps.events(call, 2)
    await settle(ps, 2)
    [stream] = ps.server.service.streams
    assert (stream.delivered, stream.pending) == (2, 0)
    requests.send(pb.FetchRequest(num_requested=3))
    rest = await ps.events(call, 3)
    ids = [replay_int(e.replay_id) for e in first + rest]
    assert ids == sorted(ids)
    assert len(set(ids)) == 5
    names = [(await ps.decode(e))["Name"] for e in first + rest]
    assert names == [f"Flow {n}" for n in range(5)]
    call.cancel()


async def test_at_most_one_hundred_requested_events_are_outstanding(ps: PubSubClient) -> None:
    requests, call = ps.subscribe(pb.FetchRequest(topic_name=ACCOUNTS, num_requested=500))
    await subscribed(ps)
    [stream] = ps.server.service.streams
    assert stream.pending == 100
    requests.send(pb.FetchRequest(num_requested=50))
    while True:  # the later request is read asynchronously; it may not raise the cap
        response = await call.read()
        if response.pending_num_requested == 100:
            break
    call.cancel()


async def test_a_stopped_reader_holds_a_position_not_a_queue(ps: PubSubClient) -> None:
    _, call = ps.subscribe(pb.FetchRequest(topic_name=ACCOUNTS, num_requested=1))
    await subscribed(ps)
    before = ps.bus.delivered_today()
    for n in range(30):
        await create_account(ps, f"Burst {n}")
    await ps.events(call, 1)
    await settle(ps, 1)
    [stream] = ps.server.service.streams
    # One event went out; the other 29 stay in the bus's retained log (shared by every reader),
    # nothing is queued for this stream, and its position is the one event it got.
    assert (stream.delivered, stream.pending) == (1, 0)
    assert stream.position == ps.bus.latest_replay_id(ACCOUNTS) - 29
    assert ps.bus.delivered_today() == before + 1  # metered through the bus counters
    call.cancel()


async def test_keepalive_is_an_empty_response_with_the_latest_replay_id(ps: PubSubClient) -> None:
    await create_account(ps, "Before")
    latest = ps.bus.latest_replay_id(ACCOUNTS)
    _, call = ps.subscribe(pb.FetchRequest(topic_name=ACCOUNTS, num_requested=10))
    response = await call.read()  # after the test's keepalive interval (0.2 s), no events
    assert list(response.events) == []
    assert response.latest_replay_id == replay_bytes(latest)
    assert len(response.latest_replay_id) == 8
    assert response.pending_num_requested == 10
    assert response.rpc_id
    call.cancel()


async def test_earliest_replays_everything_retained(ps: PubSubClient) -> None:
    for n in range(3):
        await create_account(ps, f"Old {n}")
    _, call = ps.subscribe(pb.FetchRequest(topic_name=ACCOUNTS, replay_preset=pb.EARLIEST, num_requested=100))
    retained = ps.bus.retained(ACCOUNTS)  # the seeded org's own changes come first
    events = await ps.events(call, len(retained))
    assert [replay_int(e.replay_id) for e in events] == [e.replay_id for e in retained]
    assert [(await ps.decode(e))["Name"] for e in events[-3:]] == ["Old 0", "Old 1", "Old 2"]
    call.cancel()


async def test_disconnect_miss_events_and_resume_with_custom_replay(ps: PubSubClient) -> None:
    _, call = ps.subscribe(pb.FetchRequest(topic_name=ACCOUNTS, num_requested=100))
    await subscribed(ps)
    await create_account(ps, "Seen")
    [seen] = await ps.events(call, 1)
    stored = seen.replay_id
    assert ps.bus.connected_clients == 1  # a subscriber counts toward the org's client limit
    call.cancel()  # the subscriber goes away
    await _no_streams(ps)
    assert ps.bus.connected_clients == 0
    assert ps.bus.subscriber_count(ACCOUNTS) == 0
    missed = [await create_account(ps, f"Missed {n}") for n in range(3)]
    _requests, call = ps.subscribe(
        pb.FetchRequest(topic_name=ACCOUNTS, replay_preset=pb.CUSTOM, replay_id=stored, num_requested=100)
    )
    events = await ps.events(call, 3)
    payloads = [await ps.decode(e) for e in events]
    assert [p["ChangeEventHeader"]["recordIds"] for p in payloads] == [[m] for m in missed]
    assert [p["Name"] for p in payloads] == ["Missed 0", "Missed 1", "Missed 2"]
    # Exactly the missed ones: nothing more comes (the next response is a keepalive).
    response = await call.read()
    assert list(response.events) == []
    assert response.latest_replay_id == events[-1].replay_id
    call.cancel()


async def test_the_all_changes_channel_mixes_entities_with_their_own_schemas(ps: PubSubClient) -> None:
    _, call = ps.subscribe(pb.FetchRequest(topic_name="/data/ChangeEvents", num_requested=10))
    await subscribed(ps, "/data/ChangeEvents")
    await create_account(ps, "Mixed")
    await ps.sf.json("POST", "/sobjects/Contact", 201, json={"LastName": "Mixed"})
    events = await ps.events(call, 2)
    entities = [(await ps.decode(e))["ChangeEventHeader"]["entityName"] for e in events]
    assert entities == ["Account", "Contact"]
    assert events[0].event.schema_id != events[1].event.schema_id
    call.cancel()


async def expect_error(call: Any) -> grpc.aio.AioRpcError:
    """The error that ends the stream (responses before it are skipped)."""
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await _drain(call)
    return raised.value


async def _drain(call: Any) -> None:
    while await call.read() is not grpc.aio.EOF:
        pass


async def test_custom_without_a_replay_id_fails_validation(ps: PubSubClient) -> None:
    _, call = ps.subscribe(pb.FetchRequest(topic_name=ACCOUNTS, replay_preset=pb.CUSTOM, num_requested=1))
    error = await expect_error(call)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (error.details() or "").startswith(
        "The replay_preset field in FetchRequest is set to ReplayPreset.CUSTOM, but no Replay ID value is set."
    )
    assert trailers(error)["error-code"] == REPLAY_VALIDATION


@pytest.mark.parametrize("replay_id", [replay_bytes(987_654), b"\x00\x01"])
async def test_a_replay_id_outside_retention_or_malformed_is_corrupted(
    ps: PubSubClient, replay_id: bytes
) -> None:
    await create_account(ps, "Retained")
    _, call = ps.subscribe(
        pb.FetchRequest(topic_name=ACCOUNTS, replay_preset=pb.CUSTOM, replay_id=replay_id, num_requested=1)
    )
    error = await expect_error(call)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (error.details() or "").startswith("The Replay ID validation failed. rpcId: ")
    assert trailers(error)["error-code"] == REPLAY_CORRUPTED


async def test_an_expired_replay_id_is_corrupted(ps: PubSubClient) -> None:
    await create_account(ps, "Expires")
    stored = ps.bus.latest_replay_id(ACCOUNTS)
    await ps.sf.state.clock.advance(timedelta(hours=73))  # past the 72 h retention
    ps = await ps.login()  # the session expired too
    _, call = ps.subscribe(
        pb.FetchRequest(
            topic_name=ACCOUNTS, replay_preset=pb.CUSTOM, replay_id=replay_bytes(stored), num_requested=1
        )
    )
    error = await expect_error(call)
    assert trailers(error)["error-code"] == REPLAY_CORRUPTED


async def test_subscribing_to_an_unknown_topic_fails(ps: PubSubClient) -> None:
    _, call = ps.subscribe(pb.FetchRequest(topic_name="/data/NopeChangeEvent", num_requested=1))
    error = await expect_error(call)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert trailers(error)["error-code"] == TOPIC_NOT_FOUND


async def test_a_later_request_naming_another_topic_ends_the_stream(ps: PubSubClient) -> None:
    requests, call = ps.subscribe(pb.FetchRequest(topic_name=ACCOUNTS, num_requested=1))
    await subscribed(ps)
    requests.send(pb.FetchRequest(topic_name="/data/ContactChangeEvent", num_requested=1))
    error = await expect_error(call)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "doesn't match the stream's topic /data/AccountChangeEvent" in (error.details() or "")
    assert not ps.server.service.streams or await asyncio.wait_for(_no_streams(ps), 5)


async def _no_streams(ps: PubSubClient) -> bool:
    while ps.server.service.streams:
        await ps.server.service.stream_changed.wait()
    return True
