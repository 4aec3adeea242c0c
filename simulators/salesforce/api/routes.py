"""The URL table of the REST API under ``/services/data/vXX.X``, and the one handler that runs it.

Each ``Route`` names a resource, its path template and an operation per method. aiohttp gets one
route per resource (any method, so wrong methods become 405 with ``Allow`` here, after auth);
``/composite`` and ``/composite/batch`` resolve their subrequests against the same table.
Every path accepts a trailing slash. For each request the handler checks the version and the
session, meters the call, guards the long-running limit, runs the operation and adds
``Sforce-Limit-Info``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from aiohttp import web

from contracts import jsonwire
from simulators.kit.pipeline import CONTEXT
from simulators.salesforce import catalogue
from simulators.salesforce.api import (
    bulk2,
    collections,
    composite,
    limits,
    query,
    recent,
    search,
    sobjects,
    tooling,
)
from simulators.salesforce.api.core import ApiContext, Call, Result, resolve_version
from simulators.salesforce.errors import SalesforceError
from simulators.salesforce.events.changes import Origin, parse_call_options
from simulators.salesforce.events.changes import origin as change_origin
from simulators.salesforce.models.orgs import API_FAMILY, Org, Session, invalid_session
from simulators.salesforce.models.state import SalesforceState
from simulators.salesforce.models.values import format_datetime

Op = Callable[[Call], Result]
STATE = web.AppKey("q2c_salesforce_state", SalesforceState)
DATA_PREFIX = "/services/data/"
_PREFIX = re.compile(r"^/services/data/([^/]+)(/.*)?$")


@dataclass(frozen=True)
class Route:
    name: str
    template: str
    methods: Mapping[str, Op]
    metered: bool = True
    regex: re.Pattern[str] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        pattern = re.sub(r"\{(\w+)\}", lambda m: f"(?P<{m.group(1)}>[^/]+)", self.template)
        object.__setattr__(self, "regex", re.compile("^" + pattern + "/?$"))

    def allowed(self) -> str:
        methods = set(self.methods) | ({"HEAD"} if "GET" in self.methods else set())
        return ",".join(sorted(methods))

    def op(self, method: str) -> Op | None:
        return self.methods.get("GET" if method == "HEAD" else method)


ROUTES: tuple[Route, ...] = (
    Route("sf_resources", "", {"GET": limits.resources}),
    Route("sf_sobjects", "/sobjects", {"GET": sobjects.describe_global}),
    Route("sf_sobject_describe", "/sobjects/{sobject}/describe", {"GET": sobjects.describe_object}),
    Route("sf_updated", "/sobjects/{sobject}/updated", {"GET": sobjects.updated}),
    Route("sf_deleted", "/sobjects/{sobject}/deleted", {"GET": sobjects.deleted}),
    Route("sf_sobject", "/sobjects/{sobject}", {"GET": sobjects.object_info, "POST": sobjects.create}),
    Route(
        "sf_record",
        "/sobjects/{sobject}/{record_id}",
        {
            "GET": sobjects.get_record,
            "PATCH": sobjects.update_record,
            "DELETE": sobjects.delete_record,
            "POST": sobjects.create_with_id,
        },
    ),
    Route(
        "sf_record_by_external_id",
        "/sobjects/{sobject}/{field}/{raw_value}",
        {
            "GET": sobjects.get_by_external_id,
            "PATCH": sobjects.upsert,
            "DELETE": sobjects.delete_by_external_id,
        },
    ),
    Route("sf_query", "/query", {"GET": query.query}),
    Route("sf_query_more", "/query/{locator}", {"GET": query.query_more}),
    Route("sf_query_all", "/queryAll", {"GET": query.query_all}),
    Route("sf_query_all_more", "/queryAll/{locator}", {"GET": query.query_all_more}),
    Route("sf_recent", "/recent", {"GET": recent.recent}),
    Route("sf_search", "/search", {"GET": search.search}),
    Route(
        "sf_parameterized_search",
        "/parameterizedSearch",
        {"GET": search.parameterized, "POST": search.parameterized},
    ),
    Route("sf_tooling_query", "/tooling/query", {"GET": tooling.query}),
    Route("sf_tooling_sobjects", "/tooling/sobjects", {"GET": tooling.sobjects}),
    Route("sf_limits", "/limits", {"GET": limits.limits}),
    Route("sf_record_count", "/limits/recordCount", {"GET": limits.record_count}),
    Route("sf_composite", "/composite", {"POST": composite.composite}),
    Route("sf_composite_batch", "/composite/batch", {"POST": composite.batch}, metered=False),
    Route("sf_composite_tree", "/composite/tree/{sobject}", {"POST": composite.tree}),
    Route(
        "sf_collections",
        "/composite/sobjects",
        {"POST": collections.create, "PATCH": collections.update, "DELETE": collections.delete},
    ),
    Route(
        "sf_collections_object",
        "/composite/sobjects/{sobject}",
        {"GET": collections.retrieve, "POST": collections.retrieve_post},
    ),
    Route("sf_collections_upsert", "/composite/sobjects/{sobject}/{field}", {"PATCH": collections.upsert}),
    Route("sf_ingest_jobs", "/jobs/ingest", {"POST": bulk2.create_ingest, "GET": bulk2.list_ingest}),
    Route(
        "sf_ingest_job",
        "/jobs/ingest/{job_id}",
        {"GET": bulk2.get_ingest, "PATCH": bulk2.ingest_state, "DELETE": bulk2.delete_ingest},
    ),
    Route("sf_ingest_batches", "/jobs/ingest/{job_id}/batches", {"PUT": bulk2.upload}),
    Route("sf_ingest_results", "/jobs/ingest/{job_id}/{result}", {"GET": bulk2.ingest_results}),
    Route("sf_query_jobs", "/jobs/query", {"POST": bulk2.create_query, "GET": bulk2.list_query}),
    Route(
        "sf_query_job",
        "/jobs/query/{job_id}",
        {"GET": bulk2.get_query, "PATCH": bulk2.query_state, "DELETE": bulk2.delete_query},
    ),
    Route("sf_query_results", "/jobs/query/{job_id}/results", {"GET": bulk2.query_results}),
)
BY_NAME = {route.name: route for route in ROUTES}
BATCH_ROUTES = composite.COMPOSITE_ROUTES | {"sf_limits", "sf_record_count", "sf_sobjects", "sf_resources"}


def resolve(rest: str) -> tuple[Route, dict[str, str]] | None:
    """The route for a raw path below the version, with its parameters decoded (``raw_*`` kept raw)."""
    for route in ROUTES:
        match = route.regex.match(rest)
        if match is not None:
            params = {k: v if k.startswith("raw_") else unquote(v) for k, v in match.groupdict().items()}
            return route, params
    return None


def _resolve_named(route: Route, rest: str) -> tuple[Route, dict[str, str]] | None:
    """aiohttp already picked the route: match its own pattern first (the full table if not)."""
    match = route.regex.match(rest)
    if match is None:
        return resolve(rest)
    params = {k: v if k.startswith("raw_") else unquote(v) for k, v in match.groupdict().items()}
    return route, params


def route_of(method: str, path: str) -> Route | None:
    match = _PREFIX.match(path)
    if match is None:
        return None
    found = resolve(match.group(2) or "")
    return found[0] if found else None


def not_found() -> SalesforceError:
    return catalogue.NOT_FOUND.error()


def method_not_allowed(route: Route, method: str) -> SalesforceError:
    allowed = route.allowed()
    return catalogue.METHOD_NOT_ALLOWED.error(headers={"Allow": allowed}, method=method, allowed=allowed)


def dispatch(
    ctx: ApiContext,
    method: str,
    url: str,
    body: Any,
    headers: Mapping[str, str],
    *,
    allowed: Collection[str] | None,
) -> Result:
    """A subrequest of /composite or /composite/batch, run synchronously through the table."""
    split = urlsplit(url)
    match = _PREFIX.match(split.path)
    try:
        version = resolve_version(match.group(1)) if match else None
        found = resolve(match.group(2) or "") if match and version else None
        if version is None or found is None:
            raise not_found()
        route, params = found
        names = allowed if allowed is not None else BATCH_ROUTES
        if route.name not in names:
            raise catalogue.NOT_IN_COMPOSITE.error(path=split.path)
        op = route.op(method)
        if op is None:
            raise method_not_allowed(route, method)
        call = Call(
            ctx,
            method,
            version,
            params,
            parse_qs(split.query, keep_blank_values=True),
            headers,
            nested=True,
        )
        if body is not None:
            call.parsed = body
        return op(call)
    except SalesforceError as error:
        return Result.error(error)


class TableRouter:
    """``core.Router`` over ``ROUTES`` (composite gets it on ``ApiContext``: no import cycle)."""

    def dispatch(
        self,
        ctx: ApiContext,
        method: str,
        url: str,
        body: Any,
        headers: Mapping[str, str],
        *,
        allowed: Collection[str] | None,
    ) -> Result:
        return dispatch(ctx, method, url, body, headers, allowed=allowed)

    def route_name(self, method: str, path: str) -> str | None:
        found = route_of(method, path)
        return None if found is None else found.name


ROUTER = TableRouter()


# -- HTTP -----------------------------------------------------------------------------------------


def session_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() in ("bearer", "oauth") and token.strip():
            return token.strip()
        return None
    return request.headers.get("X-SFDC-Session") or None


def authenticate(request: web.Request, state: SalesforceState) -> Session:
    token = session_token(request)
    if token is None:
        raise invalid_session()
    return state.orgs.authenticate(token)


def base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def render(result: Result, extra: Mapping[str, str]) -> web.Response:
    headers = {**result.headers, **extra}
    if result.status == 204 or (result.body is None and result.text is None):
        return web.Response(status=result.status, headers=headers)
    if result.text is not None:
        headers["Content-Type"] = (
            result.content_type if ";" in result.content_type else f"{result.content_type};charset=UTF-8"
        )
        return web.Response(status=result.status, body=result.text.encode(), headers=headers)
    headers["Content-Type"] = result.content_type
    body = jsonwire.dumps(result.body, default=_default)
    return web.Response(status=result.status, body=body, headers=headers)


class Meterer:
    """DailyApiRequests for one org: refused (403) past the org's allocation, never counted then."""

    def __init__(self, state: SalesforceState, org: Org, caller: str) -> None:
        self.state = state
        self.org = org
        self.caller = caller
        self.used: int | None = None

    def charge(self, count: int) -> None:
        meter = self.state.meter
        used = meter.reading(API_FAMILY, self.org.id).used
        if meter.enforce and used + count > self.org.spec.api_limit:
            self.used = used
            raise catalogue.REQUEST_LIMIT_EXCEEDED.error()
        self.used = meter.record(API_FAMILY, scope=self.org.id, caller=self.caller, count=count).used

    def header(self) -> str:
        used = self.used if self.used is not None else self.state.meter.reading(API_FAMILY, self.org.id).used
        return f"api-usage={used}/{self.org.spec.api_limit}"


async def data_api(request: web.Request) -> web.StreamResponse:
    route_name = request.match_info.route.name
    route = BY_NAME.get(route_name or "")
    state = request.app[STATE]
    match = _PREFIX.match(request.rel_url.raw_path)
    version = resolve_version(match.group(1)) if match else None
    if version is None or match is None:
        raise not_found()
    session = authenticate(request, state)
    ctx = request[CONTEXT]
    ctx.caller = session.caller
    ctx.family = API_FAMILY
    org = session.org
    meterer = Meterer(state, org, session.caller)
    try:
        found = _resolve_named(route, match.group(2) or "") if route is not None else None
        if found is None:
            meterer.charge(1)
            ctx.metered = True
            raise not_found()
        route, params = found
        op = route.op(request.method)
        if op is None:
            raise method_not_allowed(route, request.method)
        if route.metered:
            meterer.charge(1)
            ctx.metered = True
        if state.long_running(org) >= org.spec.long_running_limit:
            raise catalogue.CONCURRENT_LIMIT_EXCEEDED.error()
        ticket = org.enter(state.clock.now())
        try:
            try:
                body = await request.read() if request.body_exists else None
            except web.HTTPRequestEntityTooLarge:
                raise catalogue.REQUEST_ENTITY_TOO_LARGE.error() from None
            call = Call(
                ApiContext(state, session, meterer.charge, base_url(request), ROUTER, ctx.record_error),
                request.method,
                version,
                params,
                _query(request),
                request.headers,  # case-insensitive already
                body,
                content_type=request.headers.get("Content-Type", ""),
            )
            # Every change this request commits names its API, client id and user (CDC changeOrigin).
            client = parse_call_options(request.headers.get("Sforce-Call-Options"))
            with change_origin(Origin("rest", version, client, session.user_id)):
                off_loop = _OFF_LOOP.get(op)
                result = op(call) if off_loop is None else await off_loop(call)
        finally:
            org.leave(ticket)
        if not route.metered:
            ctx.metered = True
    except SalesforceError as error:
        error.headers.setdefault("Sforce-Limit-Info", meterer.header())
        raise
    return render(result, {"Sforce-Limit-Info": meterer.header()})


# Queries that may run off the event loop (large objects); subrequests still call ``op`` inline.
_OFF_LOOP: dict[Any, Callable[[Call], Awaitable[Result]]] = {
    query.query: partial(query.run_off_loop, query_all=False),
    query.query_all: partial(query.run_off_loop, query_all=True),
}


def _query(request: web.Request) -> dict[str, list[str]]:
    query: dict[str, list[str]] = {}
    if not request.query_string:
        return query
    for key, value in request.query.items():
        query.setdefault(key, []).append(value)
    return query


def add_data_routes(app: web.Application) -> None:
    for route in ROUTES:
        path = "/services/data/{version}" + _aiohttp_template(route.template) + "{slash:/?}"
        app.router.add_route("*", path, data_api, name=route.name)
    app.router.add_route("*", "/services/data/{version}/{tail:.*}", data_api, name="sf_unknown")


def _aiohttp_template(template: str) -> str:
    return template
