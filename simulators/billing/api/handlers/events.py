"""The event log and the webhook endpoints that receive it."""

from __future__ import annotations

import json
from datetime import timedelta

from simulators.billing.api import parse, serialize
from simulators.billing.api.calls import Call, Reply
from simulators.billing.api.pagination import page, window
from simulators.billing.api.subscriptions import DEFAULT_OVERLAP, WebhookSubscriptions, envelope_bytes


def _subscriptions(call: Call) -> WebhookSubscriptions:
    return WebhookSubscriptions(call.api.kit.outbox, call.api.kit.clock, call.api.system)


def list_events(call: Call) -> Reply:
    q = call.query
    types = q["types"].split(",") if "types" in q else None
    found = call.api.system.events(types=types, object_id=q.get("object_id"), account_id=q.get("account_id"))
    chunk, next_cursor = window(found, limit=q["limit"], cursor=q.get("cursor"), ordered=True)
    bodies = b",".join(envelope_bytes(call.api.kit.outbox, event) for event in chunk)
    tail = json.dumps(
        {"next_cursor": next_cursor, "has_more": next_cursor is not None}, separators=(",", ":")
    )
    return Reply(200, raw=b'{"data":[' + bodies + b"]," + tail[1:].encode())


def get_event(call: Call) -> Reply:
    return Reply(200, raw=envelope_bytes(call.api.kit.outbox, call.api.system.get_event(call.id)))


def list_webhook_endpoints(call: Call) -> Reply:
    q = call.query
    endpoints = _subscriptions(call).all()
    return Reply.ok(page(endpoints, serialize.webhook_endpoint, limit=q["limit"], cursor=q.get("cursor")))


def create_webhook_endpoint(call: Call) -> Reply:
    body = call.body
    endpoint = _subscriptions(call).create(body["url"], body.get("event_types"), body.get("description"))
    return Reply.created(
        serialize.webhook_endpoint(endpoint, secret=True), f"/webhook-endpoints/{endpoint.id}"
    )


def get_webhook_endpoint(call: Call) -> Reply:
    return Reply.ok(serialize.webhook_endpoint(_subscriptions(call).get(call.id)))


def update_webhook_endpoint(call: Call) -> Reply:
    body = call.body
    endpoint = _subscriptions(call).update(
        call.id,
        url=body.get("url"),
        event_types=body.get("event_types"),
        set_event_types="event_types" in body,
        description=body.get("description"),
        set_description="description" in body,
        enabled=body.get("enabled"),
    )
    return Reply.ok(serialize.webhook_endpoint(endpoint))


def delete_webhook_endpoint(call: Call) -> Reply:
    _subscriptions(call).delete(call.id)
    return Reply.no_content()


def rotate_webhook_endpoint_secret(call: Call) -> Reply:
    seconds = call.arg("overlap_seconds")
    overlap = DEFAULT_OVERLAP if seconds is None else timedelta(seconds=seconds)
    rotation = _subscriptions(call).rotate(call.id, overlap)
    return Reply.ok(
        {
            "id": rotation.endpoint_id,
            "secret": rotation.secret,
            "previous_secret_expires_at": serialize.opt_timestamp(rotation.previous_secret_expires_at),
        }
    )


def list_webhook_attempts(call: Call) -> Reply:
    q = call.query
    found = _subscriptions(call).deliveries(call.id, state=q.get("state"), event_id=q.get("event_id"))
    return Reply.ok(page(found, serialize.delivery, limit=q["limit"], cursor=q.get("cursor"), ordered=True))


def replay_webhook_events(call: Call) -> Reply:
    deliveries = _subscriptions(call).replay(
        call.id,
        event_ids=call.arg("event_ids"),
        since=parse.opt_timestamp(call.arg("since")),
        until=parse.opt_timestamp(call.arg("until")),
    )
    return Reply.ok({"replayed": len(deliveries), "deliveries": [d.id for d in deliveries]}, status=202)
