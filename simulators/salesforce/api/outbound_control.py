"""``/__sim/outbound``: the Outbound Messages control plane (declarations, the queue with every
attempt, retry now). problem+json errors like the rest of ``/__sim``; ``org_id`` picks an org
(default: the first). Handlers only parse and serialise; rules live in ``outbound.queue``."""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import Field

from contracts.models import StrictModel
from contracts.problem import Problem
from contracts.problem_http import query_model, read_model
from simulators.salesforce.api.routes import STATE, base_url
from simulators.salesforce.models.orgs import Org
from simulators.salesforce.outbound.declarations import DeclarationError, DeclarationsBody
from simulators.salesforce.outbound.delivery import OutboundSender
from simulators.salesforce.outbound.queue import Outbound

OUTBOUND = web.AppKey("q2c_salesforce_outbound", OutboundSender)
_STATES = "^(pending|delivered|expired|cancelled)$"


class OrgQuery(StrictModel):
    org_id: str | None = Field(default=None, min_length=15, max_length=18)


class QueueQuery(OrgQuery):
    state: str | None = Field(default=None, pattern=_STATES)
    action: str | None = Field(default=None, max_length=80)
    limit: int = Field(default=100, ge=1, le=1000)


class RetryRequest(StrictModel):
    ids: list[Annotated[str, Field(min_length=18, max_length=18)]] | None = Field(
        default=None, min_length=1, max_length=1000
    )


def _outbound(request: web.Request, org_id: str | None) -> Outbound:
    state = request.app[STATE]
    org: Org | None = state.orgs.default() if org_id is None else state.orgs.get(org_id)
    if org is None:
        raise Problem(404, "not_found", f"no org {org_id!r} in this simulator", param="org_id")
    sender = request.app[OUTBOUND]
    sender.base_url = base_url(request)  # the address clients reach this simulator at
    return sender.adopt(org)


async def get_declarations(request: web.Request) -> web.Response:
    query = query_model(request, OrgQuery)
    outbound = _outbound(request, query.org_id)
    return web.json_response({"data": [action.to_json() for action in outbound.declarations()]})


async def put_declarations(request: web.Request) -> web.Response:
    query = query_model(request, OrgQuery)
    body = await read_model(request, DeclarationsBody)
    outbound = _outbound(request, query.org_id)
    try:
        actions = outbound.declare(body.declarations, allowed_hosts=request.app[OUTBOUND].allowed_hosts)
    except DeclarationError as exc:
        raise Problem(400, "invalid_declaration", str(exc), param=f"declarations.{exc.param}") from None
    return web.json_response({"data": [action.to_json() for action in actions]})


async def get_queue(request: web.Request) -> web.Response:
    query = query_model(request, QueueQuery)
    found = _outbound(request, query.org_id).queue(query.state, query.action)
    return web.json_response(
        {"data": [note.to_json() for note in found[-query.limit :]], "total": len(found)}
    )


async def retry_now(request: web.Request) -> web.Response:
    query = query_model(request, OrgQuery)
    body = await read_model(request, RetryRequest, optional=True)
    outbound = _outbound(request, query.org_id)
    if body.ids is not None:
        known = {note.id for note in outbound.queue()}
        missing = [note_id for note_id in body.ids if note_id not in known]
        if missing:
            raise Problem(404, "not_found", f"no outbound notification {missing[0]!r}", param="ids")
    chosen = outbound.retry_now(request.app[STATE].clock.now(), body.ids)
    return web.json_response({"retried": len(chosen), "ids": [note.id for note in chosen]}, status=202)


def add_outbound_control_routes(app: web.Application) -> None:
    p = "/__sim/outbound"
    app.router.add_get(f"{p}/declarations", get_declarations, name="sim_outbound_get_declarations")
    app.router.add_put(f"{p}/declarations", put_declarations, name="sim_outbound_put_declarations")
    app.router.add_get(f"{p}/queue", get_queue, name="sim_outbound_queue")
    app.router.add_post(f"{p}/queue/retry", retry_now, name="sim_outbound_retry")
