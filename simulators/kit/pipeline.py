"""The single request pipeline every simulator runs (stripe-mock's lesson).

For each request: assign a request id, apply fault rules (vendor routes only), call the handler,
render any error in the right dialect (problem+json on ``/__sim``, the vendor's own elsewhere),
and record the request in the journal. Handlers and models below never build error bodies.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from contracts.http_limits import (
    HTTP_LIMITS,
    HttpLimitError,
    as_limit_error,
    finish_limit_response,
    guarded_body,
)
from contracts.problem import Problem
from contracts.problem_http import ProblemDialect
from simulators.kit.faults import (
    FAULT_HEADER,
    LatencyEffect,
    RecordErrorEffect,
    RecordFault,
    RequestFacts,
    ResetEffect,
    StatusEffect,
)
from simulators.kit.sim import KIT, SimKit

log = logging.getLogger(__name__)

CONTROL_PREFIX = "/__sim/"


@dataclass
class RequestContext:
    """Per-request facts that inner layers fill in (who called, was it metered) for the journal."""

    request_id: str
    started: float
    caller: str = "anonymous"
    family: str | None = None
    metered: bool = False
    fault: str | None = None
    #: Set by a ``record_error`` fault rule: batch DML fails the records it picks.
    record_error: RecordFault | None = None


CONTEXT = web.RequestKey("q2c_request_context", RequestContext)


class Dialect(Protocol):
    vendor_errors: tuple[type[Exception], ...]

    def render_error(self, request: web.Request, error: Exception, request_id: str) -> web.StreamResponse: ...

    def render_http_error(
        self, request: web.Request, error: web.HTTPException, request_id: str
    ) -> web.StreamResponse: ...

    def render_fault(
        self, request: web.Request, status: int, code: str | None, message: str | None, request_id: str
    ) -> web.StreamResponse: ...

    def render_limit(
        self, request: web.BaseRequest, error: HttpLimitError, request_id: str
    ) -> web.StreamResponse: ...

    def render_internal_error(self, request: web.Request, request_id: str) -> web.StreamResponse: ...


class _ConnectionReset(Exception):
    pass


def is_control(request: web.Request) -> bool:
    return request.path.startswith(CONTROL_PREFIX) or request.path == CONTROL_PREFIX.rstrip("/")


def operation_name(request: web.Request) -> str | None:
    route = request.match_info.route
    return route.name if route is not None else None


Identify = Callable[[web.Request], str | None]


def make_pipeline(vendor: Dialect, identify: Identify | None = None) -> Middleware:
    """``identify`` names the caller cheaply (before auth) so fault rules can match on it."""
    control_dialect = ProblemDialect()

    @web.middleware
    async def pipeline(request: web.Request, handler: Handler) -> web.StreamResponse:
        kit: SimKit = request.app[KIT]
        control = is_control(request)
        dialect: Dialect = control_dialect if control else vendor
        ctx = RequestContext(request_id=kit.next_request_id(), started=time.perf_counter())
        if identify is not None and not control:
            ctx.caller = identify(request) or ctx.caller
        request[CONTEXT] = ctx
        try:
            response = await _handle(request, handler, kit, dialect, ctx, control)
        except _ConnectionReset:
            _journal(kit, request, ctx, status=0)
            raise web.HTTPInternalServerError() from None  # never sent: the transport is gone
        response.headers["X-Request-Id"] = ctx.request_id
        if not control:
            _journal(kit, request, ctx, status=response.status)
        return response

    return pipeline


async def _handle(
    request: web.Request,
    handler: Handler,
    kit: SimKit,
    dialect: Dialect,
    ctx: RequestContext,
    control: bool,
) -> web.StreamResponse:
    try:
        # The body within the route's limits (size, read time, JSON depth), the control plane
        # included: nothing below sees an oversized, endless or too deeply nested body.
        async with guarded_body(request, request.app[HTTP_LIMITS]) as guarded:
            if not control:
                fault = await _apply_fault(guarded, kit, dialect, ctx)
                if fault is not None:
                    return fault
            return await handler(guarded)
    except asyncio.CancelledError:
        raise
    except _ConnectionReset:
        raise
    except HttpLimitError as error:
        return finish_limit_response(dialect.render_limit(request, error, ctx.request_id), error)
    except Problem as error:
        # The control plane (and problem+json vendors) raise Problem.
        return control_problem(request, error, ctx, dialect)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        limit_error = as_limit_error(error, request)
        if limit_error is not None:
            return finish_limit_response(
                dialect.render_limit(request, limit_error, ctx.request_id), limit_error
            )
        return dialect.render_http_error(request, error, ctx.request_id)
    except Exception as error:
        if isinstance(error, dialect.vendor_errors):
            return dialect.render_error(request, error, ctx.request_id)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return dialect.render_internal_error(request, ctx.request_id)


def control_problem(
    request: web.Request, error: Problem, ctx: RequestContext, dialect: Dialect
) -> web.StreamResponse:
    if isinstance(error, dialect.vendor_errors):
        return dialect.render_error(request, error, ctx.request_id)
    return ProblemDialect().render_error(request, error, ctx.request_id)


async def _apply_fault(
    request: web.Request, kit: SimKit, dialect: Dialect, ctx: RequestContext
) -> web.StreamResponse | None:
    header = request.headers.get(FAULT_HEADER)
    facts = RequestFacts(request.method, request.path, operation_name(request), ctx.caller)
    try:
        effect = kit.faults.decide(facts, header)
    except ValueError as exc:
        return dialect.render_fault(
            request, 400, "INVALID_SIM_FAULT", f"{FAULT_HEADER}: {exc}", ctx.request_id
        )
    if effect is None:
        return None
    if isinstance(effect, LatencyEffect):
        ctx.fault = "latency"
        await asyncio.sleep(kit.faults.latency_seconds(effect))
        return None
    if isinstance(effect, RecordErrorEffect):
        ctx.fault = "record_error"
        ctx.record_error = kit.faults.record_fault(effect)
        return None
    if isinstance(effect, ResetEffect):
        ctx.fault = "connection_reset"
        if request.transport is not None:
            request.transport.abort()
        raise _ConnectionReset()
    assert isinstance(effect, StatusEffect)
    ctx.fault = f"status:{effect.status}"
    response = dialect.render_fault(request, effect.status, effect.error_code, effect.message, ctx.request_id)
    if effect.retry_after is not None:
        response.headers["Retry-After"] = str(effect.retry_after)
    elif effect.status in (429, 503):
        response.headers.setdefault("Retry-After", "1")
    return response


def _journal(kit: SimKit, request: web.Request, ctx: RequestContext, *, status: int) -> None:
    kit.journal.record(
        time=kit.clock.now(),
        request_id=ctx.request_id,
        caller=ctx.caller,
        method=request.method,
        path=request.path,
        operation=operation_name(request),
        status=status,
        latency_ms=round((time.perf_counter() - ctx.started) * 1000, 3),
        metered=ctx.metered,
        family=ctx.family,
        fault=ctx.fault,
    )
