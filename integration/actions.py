"""The actions API: the counterpart of the CRM's quick actions (link, sync, query an account),
plus operational views (status, dead letters), one-shot polls and reconcile. Bearer-token auth;
errors are problem+json. Also what ``q2c link``, ``q2c sync``, ``q2c query`` and
``q2c reconcile`` call."""

from __future__ import annotations

import hmac
import time
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import Field

from contracts.models import StrictModel
from contracts.problem import Problem
from contracts.problem_http import read_model

# The id format is Salesforce's (15 characters, or 18 with a case checksum); the simulator's
# implementation of it is the reference, and a pure function.
from contracts.salesforce_ids import normalize as normalize_id
from integration.core import CORE, Core
from integration.engine import CATALOG, LINK, ORDER, SYNC, WHOLE_CATALOG
from integration.flows.link import select_accounts
from integration.reconcile import ReconcileProgress, reconcile

SalesforceId = Annotated[str, Field(pattern=r"^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$")]


class LinkRequest(StrictModel):
    account_ids: list[SalesforceId] | None = Field(default=None, min_length=1, max_length=50_000)
    wait: bool = False
    timeout_seconds: float = Field(default=60.0, gt=0, le=3600)


class SyncRequest(StrictModel):
    account_ids: list[SalesforceId] | None = Field(default=None, min_length=1, max_length=50_000)
    wait: bool = False
    timeout_seconds: float = Field(default=60.0, gt=0, le=3600)


class CatalogSyncRequest(StrictModel):
    product_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        default=None, min_length=1, max_length=50_000
    )
    wait: bool = False
    timeout_seconds: float = Field(default=60.0, gt=0, le=3600)


class OrdersRequest(StrictModel):
    order_ids: list[SalesforceId] = Field(min_length=1, max_length=50_000)
    wait: bool = False
    timeout_seconds: float = Field(default=60.0, gt=0, le=3600)


class PollRequest(StrictModel):
    source: Literal["billing", "salesforce"]


def core_of(request: web.Request) -> Core:
    core = request.app[CORE]
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.encode(), core.settings.api_token.encode()
    ):
        raise Problem(
            401,
            "unauthorized",
            "send Authorization: Bearer <core API token>",
            headers={"WWW-Authenticate": 'Bearer realm="q2c-core"'},
        )
    return core


def split_ids(values: list[str] | None) -> tuple[list[str] | None, list[str]]:
    """(well-formed ids as 18 characters, ids that cannot exist). A malformed id is simply not
    found: Salesforce would refuse the whole query over it."""
    if values is None:
        return None, []
    good: list[str] = []
    bad: list[str] = []
    for value in values:
        normal = normalize_id(value)
        (good if normal else bad).append(normal or value)
    return good, bad


async def link(request: web.Request) -> web.Response:
    core = core_of(request)
    body = await read_model(request, LinkRequest, optional=True)
    account_ids, malformed = split_ids(body.account_ids)
    accounts = await select_accounts(core.ctx, account_ids=account_ids) if account_ids != [] else []
    missing = sorted(malformed + sorted(set(account_ids or []) - {str(a["Id"]) for a in accounts}))
    enqueued = await core.engine.request_link(accounts)
    result: dict[str, Any] = {"selected": len(accounts), "enqueued": enqueued, "not_found": missing}
    if body.wait:
        keys = [str(a["Id"]) for a in accounts]
        result["done"] = await core.engine.wait_for(LINK, keys, body.timeout_seconds)
        outcomes = await core.store.link_results.get_many(keys)
        result["outcomes"] = _count(outcome.status for outcome in outcomes.values())
        result["created"] = sum(1 for outcome in outcomes.values() if outcome.created)
        result["refused"] = {k: o.message for k, o in outcomes.items() if o.status == "refused"}
    return web.json_response(result, status=200 if body.wait else 202)


async def sync(request: web.Request) -> web.Response:
    core = core_of(request)
    body = await read_model(request, SyncRequest, optional=True)
    account_ids, _ = split_ids(body.account_ids)
    if account_ids is None:
        links = await core.store.xref.all_links()
    else:
        found = await core.store.xref.get_many(account_ids)
        links = list(found.values())
    billing_ids = [link.billing_id for link in links]
    enqueued = await core.engine.request_sync(billing_ids)
    result: dict[str, Any] = {
        "enqueued": enqueued,
        "not_linked": sorted(set(body.account_ids or []) - {lk.sf_account_id for lk in links}),
    }
    if body.wait:
        result["done"] = await core.engine.wait_for(SYNC, billing_ids, body.timeout_seconds)
    return web.json_response(result, status=200 if body.wait else 202)


async def account(request: web.Request) -> web.Response:
    core = core_of(request)
    given = request.match_info["account_id"]
    sf_id = normalize_id(given) or given
    links = await core.store.xref.get_many([sf_id])
    results = await core.store.link_results.get_many([sf_id])
    link_row, outcome = links.get(sf_id), results.get(sf_id)
    if link_row is None and outcome is None:
        raise Problem(404, "not_found", f"the core knows nothing of account {sf_id!r}", param="account_id")
    return web.json_response(
        {
            "account_id": sf_id,
            "link": None if link_row is None else {"billing_id": link_row.billing_id, "ban": link_row.ban},
            "last_link": None
            if outcome is None
            else {
                "status": outcome.status,
                "message": outcome.message,
                "created": outcome.created,
                "at": outcome.at,
            },
            "financials": None if link_row is None else link_row.financials,
            "open_jobs": await core.store.jobs.open_keys(LINK, [sf_id])
            + (await core.store.jobs.open_keys(SYNC, [link_row.billing_id]) if link_row else 0),
        }
    )


async def status(request: web.Request) -> web.Response:
    core = core_of(request)
    return web.json_response(
        {
            "jobs": await core.store.jobs.counts(),
            "inbox": await core.store.inbox.counts(),
            "links": await core.store.link_results.counts(),
            "linked_accounts": await core.store.xref.count(),
            "synced_invoices": await core.store.xref.invoice_count(),
            "dead_letters": await core.store.inbox.dead_letters(20),
            "dead_jobs": await core.store.jobs.dead_jobs(20),
            "salesforce": {
                "calls": core.salesforce.calls,
                "api_usage": core.salesforce.usage.used,
                "api_limit": core.salesforce.usage.maximum,
            },
            "billing": {
                "calls": core.billing.calls,
                "throttled": core.pacer.throttled if core.pacer else 0,
            },
            "reconcile": None if core.reconcile_progress is None else core.reconcile_progress.to_json(),
            "webhook_endpoint_id": core.webhook_endpoint_id,
            "events": await _events_status(core),
        }
    )


async def _events_status(core: Core) -> dict[str, Any]:
    """The Salesforce event subscriptions: mode, state, and per channel the stored replay id
    and how many stored events are new / processed / dead."""
    consumer = core.events
    counts = await core.store.channels.counts()
    return {
        "mode": core.settings.events.mode,
        "connected": bool(consumer and consumer.connected),
        "polling_fallback": bool(consumer and consumer.polling),
        "channels": {
            p.channel: {"replay_id": p.replay_id, "events": counts.get(p.channel, {})}
            for p in await core.store.channels.positions()
        },
    }


async def catalog_sync(request: web.Request) -> web.Response:
    """Pull billing's catalog (all of it, or the products named) into the CRM."""
    core = core_of(request)
    body = await read_model(request, CatalogSyncRequest, optional=True)
    keys = body.product_ids or [WHOLE_CATALOG]
    enqueued = await core.engine.request(CATALOG, keys)
    result: dict[str, Any] = {"enqueued": enqueued}
    if body.wait:
        result["done"] = await core.engine.wait_for(CATALOG, keys, body.timeout_seconds)
    return web.json_response(result, status=200 if body.wait else 202)


async def process(request: web.Request) -> web.Response:
    """Process activated orders now (what an Order change event or the poll would queue)."""
    core = core_of(request)
    body = await read_model(request, OrdersRequest)
    order_ids, malformed = split_ids(body.order_ids)
    keys = [i for i in order_ids or [] if i.startswith("801")]
    not_orders = sorted(malformed + [i for i in order_ids or [] if not i.startswith("801")])
    enqueued = await core.engine.request_orders(keys) if keys else 0
    result: dict[str, Any] = {"enqueued": enqueued, "not_orders": not_orders}
    if body.wait:
        result["done"] = await core.engine.wait_for(ORDER, keys, body.timeout_seconds)
    return web.json_response(result, status=200 if body.wait else 202)


async def poll(request: web.Request) -> web.Response:
    core = core_of(request)
    body = await read_model(request, PollRequest)
    if body.source == "billing":
        found = await core.engine.poll_billing_events()
    else:
        found = await core.engine.poll_salesforce()
    return web.json_response({"source": body.source, "found": found})


async def run_reconcile(request: web.Request) -> web.Response:
    core = core_of(request)
    await read_model(request, StrictModel, optional=True)
    core.reconcile_progress = progress = ReconcileProgress()
    report = await reconcile(core.ctx, progress)
    return web.json_response(report.to_json())


async def wait_idle(request: web.Request) -> web.Response:
    core = core_of(request)
    body = await read_model(request, WaitRequest, optional=True)
    deadline = time.monotonic() + body.timeout_seconds
    if body.events and core.events is not None:
        caught_up = await core.events.wait_caught_up(body.events, body.timeout_seconds)
        if not caught_up:
            raise Problem(
                408,
                "wait_timeout",
                f"events not all taken in after {body.timeout_seconds:g} s",
                param="events",
            )
    idle = await core.engine.wait_idle(max(deadline - time.monotonic(), 0.001))
    if not idle:
        raise Problem(
            408, "wait_timeout", f"still busy after {body.timeout_seconds:g} s", param="timeout_seconds"
        )
    return web.json_response({"idle": True})


class WaitRequest(StrictModel):
    timeout_seconds: float = Field(default=60.0, gt=0, le=3600)
    # Salesforce channel -> replay id: first wait until the core has stored and dispatched the
    # events up to there (the bus's latest ids, read from the org), then for idle.
    events: dict[Annotated[str, Field(min_length=2, max_length=255)], Annotated[int, Field(ge=0)]] | None = (
        Field(default=None, max_length=50)
    )


def _count(values: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def add_action_routes(app: web.Application) -> None:
    app.router.add_post("/actions/link", link, name="action_link")
    app.router.add_post("/actions/sync", sync, name="action_sync")
    app.router.add_get("/actions/accounts/{account_id}", account, name="action_account")
    app.router.add_get("/actions/status", status, name="action_status")
    app.router.add_post("/actions/catalog-sync", catalog_sync, name="action_catalog_sync")
    app.router.add_post("/actions/orders", process, name="action_orders")
    app.router.add_post("/actions/poll", poll, name="action_poll")
    app.router.add_post("/actions/reconcile", run_reconcile, name="action_reconcile")
    app.router.add_post("/actions/wait-idle", wait_idle, name="action_wait_idle")
