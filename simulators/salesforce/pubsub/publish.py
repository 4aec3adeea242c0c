"""Publish and PublishStream: Avro-encoded platform events onto the org's bus (§2.4).

A topic the org does not define ends the RPC (INVALID_ARGUMENT, ``topic.notfound``); a change
event channel cannot be published to (PERMISSION_DENIED). Inside a valid batch each event gets
its own ``PublishResult``: a replay id, or ``error{code: PUBLISH, msg}`` for a bad schema id,
an undecodable payload, a missing required field, an oversized event or the hourly allocation.
"""

from __future__ import annotations

import struct

import grpc

from contracts.salesforce_pubsub import pubsub_api_pb2 as pb
from simulators.salesforce.events.bus import EventBus, PublishLimitExceeded
from simulators.salesforce.events.changes import PendingEvent
from simulators.salesforce.models.orgs import Session
from simulators.salesforce.pubsub import errors
from simulators.salesforce.pubsub.avro import PE_SYSTEM, EventSchema, decode, from_avro
from simulators.salesforce.pubsub.errors import PubSubError
from simulators.salesforce.pubsub.schemas import SchemaRegistry

#: Salesforce's maximum event message size.
MAX_EVENT_BYTES = 1_048_576


class _Rejected(Exception):
    """One event of a batch fails; the others are still published."""


def publish_batch(
    session: Session, schemas: SchemaRegistry, request: pb.PublishRequest, topic: str, rpc_id: str
) -> pb.PublishResponse:
    bus: EventBus = session.org.events
    if not bus.channel_exists(topic):
        raise errors.topic_not_found(topic)
    if not topic.startswith("/event/"):
        raise PubSubError(
            grpc.StatusCode.PERMISSION_DENIED, errors.PUBLISH_DENIED, f"Publishing to {topic} is not allowed."
        )
    schema = schemas.for_event(bus.event_name(topic))
    if schema is None:
        raise errors.topic_not_found(topic)
    results = []
    for event in request.events:
        try:
            replay_id = _publish_one(session, bus, schema, event)
            results.append(pb.PublishResult(replay_id=replay_id.to_bytes(8, "big"), correlation_key=event.id))
        except _Rejected as rejected:
            results.append(
                pb.PublishResult(error=pb.Error(code=pb.PUBLISH, msg=str(rejected)), correlation_key=event.id)
            )
    return pb.PublishResponse(results=results, schema_id=schema.schema_id, rpc_id=rpc_id)


def _publish_one(session: Session, bus: EventBus, schema: EventSchema, event: pb.ProducerEvent) -> int:
    if event.schema_id != schema.schema_id:
        raise _Rejected(
            f"The schema ID {event.schema_id} doesn't match the topic's schema ID {schema.schema_id}."
        )
    if len(event.payload) > MAX_EVENT_BYTES:
        raise _Rejected(f"The event message exceeds the maximum size of {MAX_EVENT_BYTES} bytes.")
    try:
        record = decode(event.payload, schema.parsed)
    except (ValueError, EOFError, IndexError, struct.error, UnicodeDecodeError) as exc:
        raise _Rejected(f"The event payload can't be decoded with schema {schema.schema_id}: {exc}") from None
    fields = {
        slot.name: from_avro(record.get(slot.name), slot.sf_type)
        for slot in schema.slots
        if slot.name not in PE_SYSTEM
    }
    obj = session.org.schema.get(schema.event_name)
    missing = [fd.name for fd in obj.fields() if fd.required and fields.get(fd.name) is None] if obj else []
    if missing:
        raise _Rejected(f"Required fields are missing: [{', '.join(missing)}]")
    try:
        bus.check_publish()
    except PublishLimitExceeded as exc:
        raise _Rejected(str(exc)) from None
    pending = PendingEvent(schema.event_name, fields, bus.new_event_uuid(), session.user_id)
    return bus.publish_platform_event(pending).replay_id
