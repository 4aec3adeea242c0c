"""GetTopic, GetSchema and authentication from the ``accesstoken``/``instanceurl``/``tenantid``
metadata, through the stub generated from Salesforce's proto."""

from __future__ import annotations

import json

import grpc
import pytest

from contracts.salesforce_pubsub import pubsub_api_pb2 as pb
from simulators.salesforce.pubsub.errors import AUTH_ERROR, TOPIC_NOT_FOUND
from tests.support.pubsub import PubSubClient, trailers

AUTH_MESSAGE = "An authentication exception occurred. Provide valid authentication via metadata headers."


async def test_get_topic_of_a_platform_event_and_a_change_event(ps: PubSubClient) -> None:
    org = ps.sf.state.default_org()
    event = await ps.stub.GetTopic(
        pb.TopicRequest(topic_name="/event/Billing_Action__e"), metadata=ps.metadata
    )
    assert (event.topic_name, event.tenant_guid, event.can_publish, event.can_subscribe) == (
        "/event/Billing_Action__e",
        org.id,
        True,
        True,
    )
    assert event.schema_id
    assert event.rpc_id
    change = await ps.stub.GetTopic(
        pb.TopicRequest(topic_name="/data/AccountChangeEvent"), metadata=ps.metadata
    )
    assert (change.can_publish, change.can_subscribe) == (False, True)
    assert change.schema_id not in ("", event.schema_id)


async def test_get_schema_of_a_platform_event(ps: PubSubClient) -> None:
    topic = await ps.stub.GetTopic(
        pb.TopicRequest(topic_name="/event/Billing_Action__e"), metadata=ps.metadata
    )
    info = await ps.stub.GetSchema(pb.SchemaRequest(schema_id=topic.schema_id), metadata=ps.metadata)
    schema = json.loads(info.schema_json)
    assert info.schema_id == topic.schema_id == schema["uuid"]
    assert (schema["type"], schema["name"], schema["namespace"]) == (
        "record",
        "Billing_Action__e",
        "com.sforce.eventbus",
    )
    fields = {f["name"]: f for f in schema["fields"]}
    assert fields["CreatedDate"]["type"] == "long"
    assert fields["CreatedById"]["type"] == "string"
    assert fields["Action__c"]["type"] == ["null", "string"]
    assert fields["Action__c"]["default"] is None
    assert "ReplayId" not in fields


async def test_get_schema_of_a_change_event_has_the_header_and_every_field(ps: PubSubClient) -> None:
    topic = await ps.stub.GetTopic(
        pb.TopicRequest(topic_name="/data/AccountChangeEvent"), metadata=ps.metadata
    )
    info = await ps.stub.GetSchema(pb.SchemaRequest(schema_id=topic.schema_id), metadata=ps.metadata)
    schema = json.loads(info.schema_json)
    assert schema["name"] == "AccountChangeEvent"
    names = [f["name"] for f in schema["fields"]]
    assert names[0] == "ChangeEventHeader"
    header = schema["fields"][0]["type"]
    assert [f["name"] for f in header["fields"]] == [
        "entityName",
        "recordIds",
        "changeType",
        "changeOrigin",
        "transactionKey",
        "sequenceNumber",
        "commitTimestamp",
        "commitNumber",
        "commitUser",
        "nulledFields",
        "diffFields",
        "changedFields",
    ]
    assert {"Name", "BillingAddress", "Billing_Link_Requested__c", "LastModifiedDate"} <= set(names)
    assert not {"Id", "IsDeleted", "SystemModstamp", "BillingCity"} & set(names)
    billing = next(f for f in schema["fields"] if f["name"] == "BillingAddress")
    assert billing["type"][1]["name"] == "Address"
    shipping = next(f for f in schema["fields"] if f["name"] == "ShippingAddress")
    assert shipping["type"][1] == "com.sforce.eventbus.Address"  # a named type is defined once


@pytest.mark.parametrize(
    "drop",
    ["accesstoken", "instanceurl", "tenantid"],
)
async def test_missing_auth_metadata_is_unauthenticated(ps: PubSubClient, drop: str) -> None:
    metadata = tuple((k, v) for k, v in ps.metadata if k != drop)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await ps.stub.GetTopic(pb.TopicRequest(topic_name="/event/Billing_Action__e"), metadata=metadata)
    error = raised.value
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert (error.details() or "").startswith(f"{AUTH_MESSAGE} rpcId: ")
    assert trailers(error)["error-code"] == AUTH_ERROR
    assert (error.details() or "").endswith(trailers(error)["rpc-id"])


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("accesstoken", "00D000000000001!AQnot-a-session"),
        ("tenantid", "00D000000000099"),
        ("instanceurl", "nope"),
    ],
)
async def test_invalid_auth_metadata_is_unauthenticated(ps: PubSubClient, key: str, value: str) -> None:
    metadata = tuple((k, value if k == key else v) for k, v in ps.metadata)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await ps.stub.GetSchema(pb.SchemaRequest(schema_id="x"), metadata=metadata)
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert trailers(raised.value)["error-code"] == AUTH_ERROR


async def test_the_fifteen_character_org_id_is_a_valid_tenant(ps: PubSubClient) -> None:
    metadata = tuple((k, v[:15] if k == "tenantid" else v) for k, v in ps.metadata)
    topic = await ps.stub.GetTopic(pb.TopicRequest(topic_name="/data/ChangeEvents"), metadata=metadata)
    assert topic.can_subscribe
    assert topic.schema_id == ""  # mixed entities: each event names its own schema


async def test_an_unknown_topic_is_salesforces_error(ps: PubSubClient) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await ps.stub.GetTopic(pb.TopicRequest(topic_name="/event/Nope__e"), metadata=ps.metadata)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (raised.value.details() or "").startswith("Topic does not exist: /event/Nope__e rpcId: ")
    assert trailers(raised.value)["error-code"] == TOPIC_NOT_FOUND


async def test_an_unknown_schema_id_is_not_found(ps: PubSubClient) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await ps.stub.GetSchema(pb.SchemaRequest(schema_id="nope"), metadata=ps.metadata)
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    assert (raised.value.details() or "").startswith("Schema not found: nope rpcId: ")
