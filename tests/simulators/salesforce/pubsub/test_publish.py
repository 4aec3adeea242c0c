"""Publish and PublishStream: platform events encoded with the schema from GetSchema, results
with replay ids, and Salesforce's errors for undefined events and bad events."""

from __future__ import annotations

from typing import Any, cast

import grpc
import pytest

from contracts.salesforce_pubsub import pubsub_api_pb2 as pb
from simulators.salesforce.pubsub.errors import PUBLISH_DENIED, TOPIC_NOT_FOUND
from tests.support.pubsub import PubSubClient, Requests, replay_int, trailers

TOPIC = "/event/Billing_Action__e"


async def producer_event(ps: PubSubClient, event_id: str, **fields: Any) -> pb.ProducerEvent:
    topic = await ps.stub.GetTopic(pb.TopicRequest(topic_name=TOPIC), metadata=ps.metadata)
    record = {
        "CreatedDate": 0,  # the platform sets both; a publisher fills them as the official sample does
        "CreatedById": "005000000000000AAA",
        "EventUuid": None,
        "Action__c": None,
        "Record_Id__c": None,
        "Object__c": None,
        "Payload__c": None,
        **fields,
    }
    payload = await ps.encode(topic.schema_id, record)
    return pb.ProducerEvent(id=event_id, schema_id=topic.schema_id, payload=payload)


async def test_publish_returns_replay_ids_and_subscribers_receive_the_event(ps: PubSubClient) -> None:
    _, call = ps.subscribe(pb.FetchRequest(topic_name=TOPIC, num_requested=10))
    event = await producer_event(ps, "corr-1", Action__c="sync", Record_Id__c="001000000000001AAA")
    response = await ps.stub.Publish(
        pb.PublishRequest(topic_name=TOPIC, events=[event]), metadata=ps.metadata
    )
    [result] = response.results
    assert result.correlation_key == "corr-1"
    assert not result.HasField("error")
    assert len(result.replay_id) == 8
    assert replay_int(result.replay_id) == ps.bus.latest_replay_id(TOPIC)
    assert response.schema_id == event.schema_id
    assert response.rpc_id
    [received] = await ps.events(call, 1)
    assert received.replay_id == result.replay_id
    payload = await ps.decode(received)
    assert (payload["Action__c"], payload["Record_Id__c"]) == ("sync", "001000000000001AAA")
    session = ps.sf.state.orgs.peek(ps.sf.token)
    assert session is not None
    assert payload["CreatedById"] == session.user_id  # set by the platform, not the publisher
    assert payload["CreatedDate"] == int(ps.sf.state.clock.now().timestamp() * 1000)
    assert payload["EventUuid"] == received.event.id
    call.cancel()


async def test_publish_stream_answers_each_request_in_order(ps: PubSubClient) -> None:
    requests = Requests()
    call = ps.stub.PublishStream(requests, metadata=ps.metadata)  # type: ignore[arg-type]
    first = await producer_event(ps, "a", Action__c="open")
    second = await producer_event(ps, "b", Action__c="query")
    requests.send(pb.PublishRequest(topic_name=TOPIC, events=[first]))
    requests.send(pb.PublishRequest(events=[second]))  # later requests may omit the topic
    one = cast(pb.PublishResponse, await call.read())
    two = cast(pb.PublishResponse, await call.read())
    assert [r.correlation_key for r in (*one.results, *two.results)] == ["a", "b"]
    assert replay_int(two.results[0].replay_id) == replay_int(one.results[0].replay_id) + 1
    requests.close()
    assert await call.read() is grpc.aio.EOF
    assert [e.fields["Action__c"] for e in ps.bus.retained(TOPIC)][-2:] == ["open", "query"]


async def test_publishing_an_undefined_event_is_salesforces_error(ps: PubSubClient) -> None:
    event = await producer_event(ps, "x", Action__c="sync")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await ps.stub.Publish(
            pb.PublishRequest(topic_name="/event/Nope__e", events=[event]), metadata=ps.metadata
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (raised.value.details() or "").startswith("Topic does not exist: /event/Nope__e rpcId: ")
    assert trailers(raised.value)["error-code"] == TOPIC_NOT_FOUND


async def test_change_event_channels_cannot_be_published_to(ps: PubSubClient) -> None:
    event = await producer_event(ps, "x", Action__c="sync")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await ps.stub.Publish(
            pb.PublishRequest(topic_name="/data/AccountChangeEvent", events=[event]), metadata=ps.metadata
        )
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert trailers(raised.value)["error-code"] == PUBLISH_DENIED


async def test_bad_events_get_a_publish_error_and_the_rest_are_published(ps: PubSubClient) -> None:
    good = await producer_event(ps, "good", Action__c="sync")
    missing = await producer_event(ps, "missing")  # Action__c is required
    garbled = pb.ProducerEvent(id="garbled", schema_id=good.schema_id, payload=b"\xff\xff\xff")
    foreign = pb.ProducerEvent(id="foreign", schema_id="not-this-topics-schema", payload=good.payload)
    before = ps.bus.latest_replay_id(TOPIC)
    response = await ps.stub.Publish(
        pb.PublishRequest(topic_name=TOPIC, events=[missing, good, garbled, foreign]), metadata=ps.metadata
    )
    by_key = {r.correlation_key: r for r in response.results}
    assert replay_int(by_key["good"].replay_id) == before + 1 == ps.bus.latest_replay_id(TOPIC)
    assert by_key["missing"].error.code == pb.PUBLISH
    assert by_key["missing"].error.msg == "Required fields are missing: [Action__c]"
    assert by_key["garbled"].error.code == pb.PUBLISH
    assert by_key["garbled"].error.msg.startswith(
        f"The event payload can't be decoded with schema {good.schema_id}"
    )
    assert by_key["foreign"].error.msg == (
        f"The schema ID not-this-topics-schema doesn't match the topic's schema ID {good.schema_id}."
    )
    assert all(not by_key[k].replay_id for k in ("missing", "garbled", "foreign"))


async def test_publish_without_auth_is_unauthenticated(ps: PubSubClient) -> None:
    event = await producer_event(ps, "x", Action__c="sync")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await ps.stub.Publish(pb.PublishRequest(topic_name=TOPIC, events=[event]), metadata=ps.metadata[:1])
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_an_event_over_one_megabyte_is_refused(ps: PubSubClient) -> None:
    big = await producer_event(ps, "big", Action__c="sync", Payload__c="x" * (1024 * 1024))
    response = await ps.stub.Publish(pb.PublishRequest(topic_name=TOPIC, events=[big]), metadata=ps.metadata)
    [result] = response.results
    assert result.error.code == pb.PUBLISH
    assert result.error.msg == "The event message exceeds the maximum size of 1048576 bytes."
    assert not result.replay_id
