"""``/__sim/events``: the event bus control plane. The channels with their latest replay id,
retained count and subscribers; the Change Data Capture selection (GET, PUT); a channel's
retained events. problem+json errors like the rest of ``/__sim``; ``org_id`` picks an org
(default: the first). Handlers only parse and serialise; rules live in ``events.bus``."""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import Field

from contracts.models import StrictModel
from contracts.problem import Problem
from contracts.problem_http import query_model, read_model
from simulators.salesforce.api.routes import STATE
from simulators.salesforce.events.bus import BusEvent, EventBus, iso_ms
from simulators.salesforce.models.orgs import Org


class OrgQuery(StrictModel):
    org_id: str | None = Field(default=None, min_length=15, max_length=18)


class RetainedQuery(OrgQuery):
    channel: str = Field(min_length=2, max_length=255)
    limit: int = Field(default=100, ge=1, le=1000)


class SelectionBody(StrictModel):
    entities: list[Annotated[str, Field(min_length=1, max_length=80)]] = Field(max_length=500)


def _org(request: web.Request, org_id: str | None) -> Org:
    state = request.app[STATE]
    org: Org | None = state.orgs.default() if org_id is None else state.orgs.get(org_id)
    if org is None:
        raise Problem(404, "not_found", f"no org {org_id!r} in this simulator", param="org_id")
    return org


def event_json(event: BusEvent) -> dict[str, Any]:
    header = event.header
    return {
        "channel": event.channel,
        "replay_id": event.replay_id,
        "event_uuid": event.event_uuid,
        "event_name": event.event_name,
        "created": iso_ms(event.created),
        "created_by_id": event.created_by_id,
        "fields": dict(event.fields),
        "header": None
        if header is None
        else {
            "entityName": header.entity_name,
            "recordIds": list(header.record_ids),
            "changeType": header.change_type,
            "changedFields": list(header.changed_fields),
            "nulledFields": list(header.nulled_fields),
            "diffFields": list(header.diff_fields),
            "commitTimestamp": header.commit_timestamp,
            "commitNumber": header.commit_number,
            "commitUser": header.commit_user,
            "transactionKey": header.transaction_key,
            "sequenceNumber": header.sequence_number,
            "changeOrigin": header.change_origin,
        },
    }


def _selection(bus: EventBus, org: Org) -> dict[str, Any]:
    return {
        "org_id": org.id,
        "entities": sorted(bus.selected_entities()),
        "available": bus.topics_entities(),
    }


async def get_channels(request: web.Request) -> web.Response:
    query = query_model(request, OrgQuery)
    org = _org(request, query.org_id)
    bus = org.events
    channels = [
        {
            "channel": channel,
            "latest_replay_id": bus.latest_replay_id(channel),
            "earliest_replay_id": bus.earliest_replay_id(channel),
            "retained": len(bus.retained(channel)),
            "subscribers": bus.subscriber_count(channel),
        }
        for channel in bus.topics()
    ]
    usage = {
        "connected_clients": bus.connected_clients,
        "delivered_today": bus.delivered_today(),
        "published_this_hour": bus.published_this_hour(),
    }
    return web.json_response({"org_id": org.id, "data": channels, **usage})


async def get_selection(request: web.Request) -> web.Response:
    query = query_model(request, OrgQuery)
    org = _org(request, query.org_id)
    return web.json_response(_selection(org.events, org))


async def put_selection(request: web.Request) -> web.Response:
    query = query_model(request, OrgQuery)
    body = await read_model(request, SelectionBody)
    org = _org(request, query.org_id)
    try:
        org.events.select_entities(body.entities)
    except ValueError as exc:
        # 404: the body is well-formed; it names an entity this org does not have.
        raise Problem(404, "not_found", str(exc), param="entities") from None
    return web.json_response(_selection(org.events, org))


async def get_retained(request: web.Request) -> web.Response:
    query = query_model(request, RetainedQuery)
    org = _org(request, query.org_id)
    if not org.events.channel_exists(query.channel):
        raise Problem(404, "not_found", f"no channel {query.channel!r} in this org", param="channel")
    events = org.events.retained(query.channel)
    return web.json_response(
        {
            "channel": query.channel,
            "latest_replay_id": org.events.latest_replay_id(query.channel),
            "total": len(events),
            "data": [event_json(event) for event in events[-query.limit :]],
        }
    )


def add_events_control_routes(app: web.Application) -> None:
    p = "/__sim/events"
    app.router.add_get(f"{p}/channels", get_channels, name="sim_events_channels")
    app.router.add_get(f"{p}/cdc", get_selection, name="sim_events_get_cdc")
    app.router.add_put(f"{p}/cdc", put_selection, name="sim_events_put_cdc")
    app.router.add_get(f"{p}/retained", get_retained, name="sim_events_retained")
