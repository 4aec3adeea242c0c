"""The Salesforce simulator's aiohttp app: the kit (clock, meter, faults, journal, control plane),
the org state under an AppKey, the REST/auth routes, and the Bulk API worker in cleanup_ctx."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from aiohttp import web

from contracts import defaults, spec_text
from simulators.kit import SimKit, create_sim_app
from simulators.kit.app import DEFAULT_MAX_BODY
from simulators.kit.clock import Clock
from simulators.kit.meter import Meter
from simulators.salesforce.api.auth import add_auth_routes
from simulators.salesforce.api.cometd import add_cometd_routes
from simulators.salesforce.api.events_control import add_events_control_routes
from simulators.salesforce.api.identity import add_identity_routes
from simulators.salesforce.api.outbound_control import OUTBOUND, add_outbound_control_routes
from simulators.salesforce.api.paths import merge_slashes
from simulators.salesforce.api.query import bulk_query_rows
from simulators.salesforce.api.routes import STATE, add_data_routes, session_token
from simulators.salesforce.api.soap import add_soap_routes
from simulators.salesforce.cometd.clients import CometdSettings
from simulators.salesforce.errors import SalesforceDialect
from simulators.salesforce.models.bulk import BulkPace, BulkWorker
from simulators.salesforce.models.orgs import ConnectedAppSpec, OrgSpec
from simulators.salesforce.models.schema import load_schema
from simulators.salesforce.models.state import SalesforceState
from simulators.salesforce.outbound.declarations import load_declarations
from simulators.salesforce.outbound.delivery import OutboundSender
from simulators.salesforce.outbound.queue import Schedule
from simulators.salesforce.pubsub.server import PubSubServer, PubSubSettings

COUNTRY_RULE = "Account.Billing_Country_ISO_Code"
#: The Pub/Sub API server, when the settings ask for one (started and stopped in cleanup_ctx).
PUBSUB = web.AppKey("salesforce_pubsub", PubSubServer)


@dataclass(frozen=True)
class SalesforceSettings:
    seed: int = 42
    webhook_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")
    #: The orgs this simulator hosts; the first is the default org ("Q2C Sandbox").
    orgs: tuple[OrgSpec, ...] = (OrgSpec(),)
    #: YAML files extending the default schema (custom fields, objects, validation rules).
    schema_files: tuple[Path, ...] = ()
    #: Validation rules to switch on, as ``Object.Rule``.
    active_rules: tuple[str, ...] = ()
    #: Shortcut for the optional ISO 3166 country-code rule on Account.BillingCountry.
    country_rule: bool = False
    #: Sessions expire after this much inactivity on the virtual clock.
    session_timeout: timedelta = timedelta(hours=2)
    #: A request in flight this long (virtual clock) counts toward ConcurrentPerOrgLongTxn.
    long_running_threshold: timedelta = timedelta(seconds=20)
    #: Bulk API 2.0 processing pace.
    bulk_pace: BulkPace = field(default_factory=BulkPace)
    #: Refuse calls past the org's DailyApiRequests allocation (403 REQUEST_LIMIT_EXCEEDED).
    enforce_limits: bool = True
    clock_start: datetime | None = None
    frozen_clock: bool = False
    #: Largest request body accepted (Bulk API 2.0 uploads go up to 150 MB); more is 413.
    max_body_bytes: int = DEFAULT_MAX_BODY
    #: Streaming API (CometD) timeouts and limits: Salesforce's by default, smaller in tests.
    cometd: CometdSettings = field(default_factory=CometdSettings)
    #: Serve the Pub/Sub API (gRPC) on its own port; None: no Pub/Sub server (unit tests).
    pubsub: PubSubSettings | None = None
    #: YAML files of Outbound Message declarations (docs/salesforce.md "Outbound Messages").
    outbound_files: tuple[Path, ...] = ()
    #: Outbound Message retries (15 s doubling to 2 h apart, for 24 h) and the 60 s timeout.
    outbound_schedule: Schedule = field(default_factory=Schedule)


class SalesforceAppDialect(SalesforceDialect):
    """Injected 401 faults really expire the caller's session ("forced session expiry"), so the
    client must log in again, as after a real expiry."""

    def render_fault(
        self, request: web.Request, status: int, code: str | None, message: str | None, request_id: str
    ) -> web.StreamResponse:
        if status == 401 and (code is None or code == "INVALID_SESSION_ID"):
            token = session_token(request)
            if token is not None:
                request.app[STATE].orgs.expire(token)
        return super().render_fault(request, status, code, message, request_id)


def with_jwt_certificate(settings: SalesforceSettings, certificate_pem: str) -> SalesforceSettings:
    """The default org's first connected app checks JWT assertions against ``certificate_pem``."""
    first, *rest = settings.orgs
    if not first.apps or first.apps[0].certificate_pem:
        return settings
    app: ConnectedAppSpec = dataclasses.replace(first.apps[0], certificate_pem=certificate_pem)
    org = dataclasses.replace(first, apps=(app, *first.apps[1:]))
    return dataclasses.replace(settings, orgs=(org, *rest))


async def openapi(request: web.Request) -> web.Response:
    return web.Response(text=spec_text("salesforce"), content_type="application/yaml")


def create_app(settings: SalesforceSettings | None = None) -> web.Application:
    settings = settings or SalesforceSettings()
    clock = Clock(start=settings.clock_start, frozen=settings.frozen_clock)
    meter = Meter(clock, enforce=settings.enforce_limits)
    rules = (*settings.active_rules, *((COUNTRY_RULE,) if settings.country_rule else ()))
    schema = load_schema(settings.schema_files, activate=rules)
    state = SalesforceState(
        schema,
        clock,
        meter,
        settings.orgs,
        session_timeout=settings.session_timeout,
        long_running_threshold=settings.long_running_threshold,
    )
    kit = SimKit.create(
        "salesforce",
        state,
        seed=settings.seed,
        clock=clock,
        meter=meter,
        webhook_hosts=settings.webhook_hosts,
    )

    def identify(request: web.Request) -> str | None:
        token = session_token(request)
        session = state.orgs.peek(token) if token else None
        return session.caller if session is not None else None

    app = create_sim_app(
        kit, SalesforceAppDialect(), identify=identify, client_max_size=settings.max_body_bytes
    )
    app[STATE] = state
    app.middlewares.append(merge_slashes)

    async def bulk_worker(app: web.Application) -> AsyncIterator[None]:
        worker = BulkWorker(clock, settings.bulk_pace, bulk_query_rows)
        state.worker = worker
        task = asyncio.create_task(worker.run(), name="salesforce-bulk-worker")
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            state.worker = None

    app.cleanup_ctx.append(bulk_worker)
    outbound = OutboundSender(
        clock,
        lambda: state.orgs,
        declarations=[d for path in settings.outbound_files for d in load_declarations(path)],
        allowed_hosts=settings.webhook_hosts,
        schedule=settings.outbound_schedule,
        base_url=f"http://127.0.0.1:{defaults.SALESFORCE_PORT}",
    )
    app[OUTBOUND] = outbound

    async def outbound_worker(app: web.Application) -> AsyncIterator[None]:
        for org in state.orgs.orgs:  # bad file declarations fail the start, not the worker
            outbound.adopt(org)
        task = asyncio.create_task(outbound.run(), name="salesforce-outbound-messages")
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    app.cleanup_ctx.append(outbound_worker)
    if settings.pubsub is not None:
        pubsub = app[PUBSUB] = PubSubServer(state, settings.pubsub, seed=settings.seed)

        async def pubsub_server(app: web.Application) -> AsyncIterator[None]:
            await pubsub.start()
            try:
                yield
            finally:
                await pubsub.stop()

        app.cleanup_ctx.append(pubsub_server)
    add_data_routes(app)  # first: the hot path resolves in fewer steps
    add_auth_routes(app)
    add_identity_routes(app)
    add_soap_routes(app)
    add_cometd_routes(app, settings.cometd, settings.seed)
    add_outbound_control_routes(app)
    add_events_control_routes(app)
    app.router.add_get("/openapi.yaml", openapi, name="sf_openapi")
    return app
