"""Every contract call goes through ``endpoint``: the billing API's own request pipeline.

Inside the kit's pipeline (request id, faults, error rendering, journal), each contract operation
runs, in order:

1. authentication: ``Authorization: Bearer <api key>`` (401 ``unauthorized``);
2. the rate limit of that API key (429 ``rate_limited`` with ``Retry-After``);
3. metering: one call in family ``billing_api``, scope = the API key, caller = the
   ``X-Q2C-Client`` header or else the API key (``/__sim/usage``);
4. validation against the contract: path, query, headers, body (400/404/415 with ``param``);
5. idempotency for mutating calls that carry ``Idempotency-Key`` (replay, 409, 422);
6. the handler: parse -> call the billing system -> serialise, returning a ``Reply``.

Metering decision: the meter counts requests, so an idempotent replay is one call like any other
(it is a request the client made, and rate limits apply to it); refused requests (401, 429) are
not counted.
"""

from __future__ import annotations

import hmac
import inspect
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from contracts import jsonwire
from contracts.problem import Problem
from contracts.problem_http import problem_response
from simulators.billing.api.contract import (
    OperationSpec,
    check_path,
    contract,
    parse_body,
    parse_headers,
    parse_query,
)
from simulators.billing.api.idempotency import REPLAYED_HEADER, StoredResponse, fingerprint
from simulators.billing.api.state import BILLING_API, BillingApi
from simulators.kit.pipeline import CONTEXT

FAMILY = "billing_api"
CALLER_HEADER = "X-Q2C-Client"
MAX_CALLER = 100
_AUTH_REALM = 'Bearer realm="q2c-billing"'
#: Response headers an idempotent replay repeats.
_KEPT_HEADERS = ("Location", "ETag")


@dataclass
class Call:
    """A validated request: what a handler reads."""

    api: BillingApi
    op: OperationSpec
    path: dict[str, str]
    query: dict[str, Any]
    headers: dict[str, Any]
    body: Any
    api_key: str

    @property
    def id(self) -> str:
        return self.path["id"]

    def arg(self, name: str, default: Any = None) -> Any:
        """A body field (``default`` when absent or when there is no body)."""
        if not isinstance(self.body, dict):
            return default
        return self.body.get(name, default)

    @property
    def expected_version(self) -> int | None:
        """The version named by ``If-Match`` (None when absent or ``*``)."""
        raw = self.headers.get("if-match")
        if raw is None or raw == "*":
            return None
        return int(raw.removeprefix("W/").strip('"'))


@dataclass
class Reply:
    """What a handler returns: a status, a JSON body (or ready-made JSON bytes) and headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None

    @classmethod
    def ok(cls, body: Any, *, version: int | None = None, status: int = 200) -> Reply:
        headers = {} if version is None else {"ETag": f'"{version}"'}
        return cls(status, body, headers)

    @classmethod
    def created(
        cls, body: dict[str, Any], location: str, *, version: int | None = None, status: int = 201
    ) -> Reply:
        reply = cls.ok(body, version=version, status=status)
        reply.headers["Location"] = location
        return reply

    @classmethod
    def no_content(cls) -> Reply:
        return cls(204)


Handler = Callable[[Call], Reply | Awaitable[Reply]]


def caller_of(request: web.Request) -> str | None:
    """Who is calling, cheaply and before authentication (fault rules may match on it)."""
    named = request.headers.get(CALLER_HEADER, "").strip()
    if named:
        return named[:MAX_CALLER]
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token[:MAX_CALLER] if scheme.lower() == "bearer" and token else None


def authenticate(request: web.Request, api: BillingApi) -> str:
    header = request.headers.get("Authorization")
    if not header:
        raise Problem(
            401,
            "unauthorized",
            "send an API key as 'Authorization: Bearer <key>'",
            param="Authorization",
            headers={"WWW-Authenticate": _AUTH_REALM},
        )
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Problem(
            401,
            "unauthorized",
            "the Authorization header must be 'Bearer <api key>'",
            param="Authorization",
            headers={"WWW-Authenticate": _AUTH_REALM},
        )
    if not any(hmac.compare_digest(token.encode(), key.encode()) for key in api.settings.api_keys):
        raise Problem(
            401,
            "unauthorized",
            "unknown API key",
            param="Authorization",
            headers={"WWW-Authenticate": f'{_AUTH_REALM}, error="invalid_token"'},
        )
    return next(key for key in api.settings.api_keys if hmac.compare_digest(token.encode(), key.encode()))


def _throttle(api: BillingApi, api_key: str) -> None:
    if api.limiter is None:
        return
    wait = api.limiter.acquire(api_key)
    if wait is not None:
        limiter = api.limiter
        raise Problem(
            429,
            "rate_limited",
            f"rate limit of {limiter.rate:g} requests per second (burst {limiter.burst}) exceeded for this API key",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )


def render(reply: Reply) -> web.Response:
    if reply.raw is not None:
        return web.Response(
            status=reply.status, body=reply.raw, content_type="application/json", headers=reply.headers
        )
    if reply.body is None:
        return web.Response(status=reply.status, headers=reply.headers)
    body = jsonwire.dumps(reply.body)
    return web.Response(
        status=reply.status, body=body, content_type="application/json", headers=reply.headers
    )


async def _run(handler: Handler, call: Call) -> web.Response:
    result = handler(call)
    if inspect.isawaitable(result):
        result = await result
    assert isinstance(result, Reply)
    return render(result)


def _stored(response: web.Response) -> StoredResponse:
    body = response.body
    assert body is None or isinstance(body, bytes)
    return StoredResponse(
        status=response.status,
        body=body or b"",
        content_type=response.content_type if body else None,
        headers={name: response.headers[name] for name in _KEPT_HEADERS if name in response.headers},
    )


def _replay(stored: StoredResponse) -> web.Response:
    headers = {**stored.headers, REPLAYED_HEADER: "true"}
    if stored.content_type is None:
        return web.Response(status=stored.status, headers=headers)
    return web.Response(
        status=stored.status, body=stored.body, content_type=stored.content_type, headers=headers
    )


# Capabilities gating a query parameter rather than an operation (`GET /invoices?updated_since`).
_PARAMETER_CAPABILITIES = {("listInvoices", "updated_since"): "invoices_updated_since"}


def _check_capability(api: BillingApi, operation_id: str, request: web.Request) -> None:
    """An operation (or parameter) of a capability the settings withhold: 422, as the contract
    lets an adapter without it answer."""
    withheld = api.settings.withheld_capabilities
    if not withheld:
        return
    gated = contract().capability_operations
    for capability in withheld:
        if operation_id in gated.get(capability, ()):
            raise _unsupported(capability, operation_id)
    for (operation, parameter), capability in _PARAMETER_CAPABILITIES.items():
        if capability in withheld and operation == operation_id and parameter in request.query:
            raise _unsupported(capability, f"{operation_id}?{parameter}")


def _unsupported(capability: str, what: str) -> Problem:
    return Problem(
        422,
        "unsupported_operation",
        f"{what} is not supported by this adapter (capability {capability!r} is declared false)",
    )


def endpoint(operation_id: str, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    op = contract().operations[operation_id]

    async def handle(request: web.Request) -> web.StreamResponse:
        api = request.app[BILLING_API]
        ctx = request[CONTEXT]
        api_key = authenticate(request, api)
        ctx.caller = caller_of(request) or api_key
        _throttle(api, api_key)
        api.kit.meter.record(FAMILY, scope=api_key, caller=ctx.caller)
        ctx.metered = True
        ctx.family = FAMILY

        _check_capability(api, operation_id, request)
        path = check_path(op, request.match_info)
        query = parse_query(op, request.query, list(request.query.items()))
        headers = parse_headers(op, request.headers)
        body = parse_body(op, await request.read(), request.content_type)
        call = Call(api, op, path, query, headers, body, api_key)

        key = headers.get("idempotency-key")
        if key is None:
            return await _run(handler, call)
        store = api.idempotency
        stored = store.begin(api_key, key, fingerprint(op.method, request.path, body), api.kit.clock.now())
        if stored is not None:
            return _replay(stored)
        try:
            response = await _run(handler, call)
        except Problem as problem:
            response = problem_response(problem, instance=request.path, request_id=ctx.request_id)
        except BaseException:
            store.release(api_key, key)
            raise
        store.finish(api_key, key, _stored(response))
        return response

    handle.__name__ = operation_id
    return handle
