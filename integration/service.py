"""The integration core's aiohttp app: the actions API, the billing webhook receiver, health and
Prometheus metrics. State lives under typed AppKeys; the clients, the store and the engine are
created and closed by ``cleanup_ctx``."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CONTENT_TYPE_LATEST

from contracts import spec_text
from contracts.http_limits import HTTP_LIMITS, LIMIT_RENDERER, HttpLimitError, HttpLimits, limits_middleware
from contracts.problem import Problem
from contracts.problem_http import ProblemDialect, problem_response
from contracts.signing import WebhookVerificationError, verify
from integration.actions import add_action_routes
from integration.clients.billing import BillingApiError, BillingClient, BillingConfig
from integration.clients.pacing import Clock, MonotonicClock, Pacer, pacing_middleware
from integration.clients.salesforce import SalesforceClient, SalesforceConfig
from integration.core import CORE, Core, CoreSettings
from integration.engine import Engine
from integration.errors import UPSTREAM_ERRORS, upstream_problem
from integration.events import event_transport
from integration.events.consumer import EventConsumer
from integration.events.dispatch import CORE_CLIENT_ID
from integration.flows.context import FlowContext
from integration.mapping import load_mapping
from integration.metrics import CoreMetrics
from integration.store import open_store

log = logging.getLogger(__name__)

WEBHOOK_TOLERANCE = 300


SETTINGS = web.AppKey("q2c_core_settings", CoreSettings)
METRICS = web.AppKey("q2c_core_metrics", CoreMetrics)


async def core_lifecycle(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    metrics = app[METRICS]
    store = await open_store(settings.database)
    salesforce = SalesforceClient(
        SalesforceConfig(
            login_url=settings.salesforce_url,
            client_id=settings.salesforce_client_id,
            client_secret=settings.salesforce_client_secret,
            ca_file=settings.salesforce_ca_file,
            call_options_client=CORE_CLIENT_ID,  # its change events are then recognisable echoes
        ),
        on_call=lambda kind: metrics.salesforce_calls.labels(kind).inc(),
    )
    billing, pacer = billing_client(settings, on_call=lambda op: metrics.billing_calls.labels(op).inc())
    ctx = FlowContext(
        salesforce, billing, store, load_mapping(settings.mapping_path), metrics, settings.flows
    )
    engine = Engine(ctx, settings.engine)
    core = Core(
        settings,
        metrics,
        store,
        salesforce,
        billing,
        ctx,
        engine,
        list(settings.webhook_secrets),
        pacer=pacer,
    )
    app[CORE] = core
    await engine.start()
    core.events = EventConsumer(ctx, engine, settings.events, event_transport(settings, salesforce))
    await core.events.start()
    if settings.public_url:
        try:
            await core.register_webhooks(settings.public_url)
        except BillingApiError as exc:  # billing may be down: the core still serves, pollers can cover
            log.warning("could not register the billing webhook endpoint: %s", exc)
    try:
        yield
    finally:
        await core.events.stop()
        await engine.stop()
        await salesforce.close()
        await billing.close()
        await store.close()


def billing_client(
    settings: CoreSettings, *, clock: Clock | None = None, on_call: Callable[[str], None] | None = None
) -> tuple[BillingClient, Pacer]:
    """The core's billing client: every call paced to the adapter's limits (one ``Pacer`` per
    client, so a 429 holds every flow's calls, not just the one refused)."""
    config = BillingConfig(base_url=settings.billing_url, api_key=settings.billing_api_key)
    pacer = Pacer(settings.billing_rate_limit, settings.billing_rate_burst, clock=clock or MonotonicClock())
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=config.concurrency * 2),
        timeout=aiohttp.ClientTimeout(total=config.timeout),
        middlewares=(pacing_middleware(pacer),),
    )
    sleep = clock.sleep if clock is not None else asyncio.sleep
    client = BillingClient(config, session=session, owns_session=True, sleep=sleep, on_call=on_call)
    return client, pacer


DIALECT = ProblemDialect()
INTERNAL_ERROR = Problem(500, "internal_error", "the integration core failed unexpectedly; see its log")


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The core's one error renderer: problem+json for everything. An upstream failure that
    outlived the clients' retries is a typed 502/503 (integration.errors), never a 500."""
    try:
        return await handler(request)
    except Problem as problem:
        return problem_response(problem, instance=request.path)
    except UPSTREAM_ERRORS as exc:
        log.warning("upstream failure on %s %s: %s", request.method, request.path, exc)
        return problem_response(upstream_problem(exc), instance=request.path)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return DIALECT.render_http_error(request, exc, "")
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response(INTERNAL_ERROR, instance=request.path)


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "component": "core"})


async def metrics_endpoint(request: web.Request) -> web.Response:
    return web.Response(body=request.app[METRICS].exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})


async def openapi(request: web.Request) -> web.Response:
    return web.Response(text=spec_text("integration"), content_type="application/yaml")


async def billing_webhook(request: web.Request) -> web.Response:
    """Verify, store, acknowledge: processing happens in the engine, after the 2xx."""
    core = request.app[CORE]
    raw = await request.read()
    try:
        webhook_id = verify(
            core.webhook_secrets, request.headers, raw, now=time.time(), tolerance=WEBHOOK_TOLERANCE
        )
    except WebhookVerificationError as exc:
        raise Problem(401, "invalid_signature", f"webhook rejected: {exc}") from None
    try:
        payload = json.loads(raw)
        if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
            raise ValueError("the event is not an object with a string 'type'")
    except (ValueError, UnicodeDecodeError) as exc:
        await core.store.inbox.add_dead(
            webhook_id, "webhook", raw.decode(errors="replace"), f"malformed event: {exc}"
        )
        core.metrics.events_dead_lettered.labels("webhook").inc()
        return web.Response(status=202)
    if await core.store.inbox.add(webhook_id, "webhook", payload):
        core.metrics.events_received.labels("webhook").inc()
        core.engine.notify("inbox")
    return web.Response(status=204)


def render_limit(request: web.BaseRequest, error: HttpLimitError) -> web.StreamResponse:
    return DIALECT.render_limit(request, error, "")


def create_app(
    settings: CoreSettings | None = None, *, http_limits: HttpLimits | None = None
) -> web.Application:
    limits = http_limits or HttpLimits()
    app = web.Application(
        middlewares=[limits_middleware(render_limit), errors], client_max_size=limits.largest_body
    )
    app[HTTP_LIMITS] = limits  # also read by the server for URI/header limits and timeouts
    app[LIMIT_RENDERER] = render_limit
    app[SETTINGS] = settings or CoreSettings()
    app[METRICS] = CoreMetrics()
    app.cleanup_ctx.append(core_lifecycle)
    app.router.add_get("/health", health, name="health")
    app.router.add_get("/metrics", metrics_endpoint, name="metrics")
    app.router.add_get("/openapi.yaml", openapi, name="openapi")
    app.router.add_post("/webhooks/billing", billing_webhook, name="billing_webhook")
    add_action_routes(app)
    return app


__all__ = ["CORE", "Core", "CoreSettings", "create_app"]
