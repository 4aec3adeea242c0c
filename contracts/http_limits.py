"""HTTP hardening every server of the sandbox shares (both simulators and the integration core).

- ``HttpLimits``: body size per route, JSON nesting depth, URI and header sizes, read timeouts
  and the idle keep-alive time, one frozen value per app under ``HTTP_LIMITS``.
- ``HttpLimitError``: the one error those limits raise; each server renders it in its own dialect
  (``LIMIT_RENDERER``), whether it was raised by a handler's body read or by aiohttp's parser
  before any middleware ran (``contracts.http_server``).
- ``guarded_body``: the body within its route's limits: Content-Length is checked first, then
  the size while streaming (nothing over the limit is buffered), under a read deadline; read
  before the handler (``prefetch``), a JSON body is checked for nesting depth, so no parser
  below recurses on hostile input.
- ``limits_middleware``: the same for an app without the simulators' pipeline (the core).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
from array import array
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Final

from aiohttp import web
from aiohttp.streams import StreamReader
from aiohttp.typedefs import Handler, Middleware

KIB: Final = 1024
MIB: Final = 1024 * KIB

#: JSON APIs: every documented request fits (the core's 50,000-id reconcile is about 1 MB).
DEFAULT_MAX_BODY: Final = 4 * MIB
#: Deeper JSON than any contract describes (composite graphs nest about 10 levels).
DEFAULT_MAX_JSON_DEPTH: Final = 100
#: Salesforce documents 16,384 bytes for a REST URI; the core's SOQL IN lists plan for it too.
DEFAULT_MAX_URI: Final = 16_384
#: One header line (name or value); aiohttp's own default. Must differ from the URI limit: the
#: parser reports both as "line too long" and the limit it names tells 414 from 431.
DEFAULT_MAX_FIELD: Final = 8_190
DEFAULT_MAX_HEADERS: Final = 100
#: Seconds to receive a whole request head once its first byte arrived.
DEFAULT_HEADER_TIMEOUT: Final = 30.0
#: Seconds to receive a whole body (150 MB over loopback takes well under a second).
DEFAULT_BODY_TIMEOUT: Final = 60.0
#: Seconds an idle keep-alive connection stays open (nginx's default is 75).
DEFAULT_KEEPALIVE_TIMEOUT: Final = 75.0

_JSON_TYPES = ("application/json",)


class LimitKind(StrEnum):
    BAD_REQUEST = "bad_request"
    JSON_TOO_DEEP = "json_too_deep"
    BODY_TOO_LARGE = "body_too_large"
    URI_TOO_LONG = "uri_too_long"
    HEADERS_TOO_LARGE = "headers_too_large"
    REQUEST_TIMEOUT = "request_timeout"


LIMIT_STATUS: Final[Mapping[LimitKind, int]] = {
    LimitKind.BAD_REQUEST: 400,
    LimitKind.JSON_TOO_DEEP: 400,
    LimitKind.BODY_TOO_LARGE: 413,
    LimitKind.URI_TOO_LONG: 414,
    LimitKind.HEADERS_TOO_LARGE: 431,
    LimitKind.REQUEST_TIMEOUT: 408,
}


class HttpLimitError(Exception):
    """A request over one of the limits; ``status`` is the HTTP status to answer with."""

    def __init__(self, kind: LimitKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = LIMIT_STATUS[kind]


@dataclass(frozen=True)
class HttpLimits:
    """One server's limits. ``route_bodies`` raises (or lowers) the body limit by route name."""

    max_body: int = DEFAULT_MAX_BODY
    route_bodies: Mapping[str, int] = field(default_factory=dict)
    max_json_depth: int = DEFAULT_MAX_JSON_DEPTH
    max_uri: int = DEFAULT_MAX_URI
    max_field_size: int = DEFAULT_MAX_FIELD
    max_headers: int = DEFAULT_MAX_HEADERS
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    keepalive_timeout: float = DEFAULT_KEEPALIVE_TIMEOUT
    #: Read (and check) each body before the handler runs; False leaves the reading to the
    #: handler, under the same size and time guards (its JSON parser must bound nesting).
    prefetch: bool = True

    def __post_init__(self) -> None:
        if self.max_uri == self.max_field_size:
            raise ValueError("max_uri and max_field_size must differ (they tell 414 from 431 apart)")
        for name in ("max_body", "max_json_depth", "max_uri", "max_field_size", "max_headers"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive")
        for name in ("header_timeout", "body_timeout", "keepalive_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")

    def body_limit(self, route_name: str | None) -> int:
        return self.route_bodies.get(route_name, self.max_body) if route_name else self.max_body

    @property
    def largest_body(self) -> int:
        return max([self.max_body, *self.route_bodies.values()])

    def capped(self, ceiling: int) -> HttpLimits:
        """No route accepts more than ``ceiling`` bytes."""
        return replace(
            self,
            max_body=min(self.max_body, ceiling),
            route_bodies={name: min(size, ceiling) for name, size in self.route_bodies.items()},
        )


@dataclass(frozen=True)
class HttpTimeouts:
    """The time limits alone: what an operator tunes per deployment (``q2c`` options), applied
    over each server's own ``HttpLimits`` when it starts (``AppSpec.timeouts``)."""

    header: float = DEFAULT_HEADER_TIMEOUT
    body: float = DEFAULT_BODY_TIMEOUT
    keepalive: float = DEFAULT_KEEPALIVE_TIMEOUT

    def apply(self, limits: HttpLimits) -> HttpLimits:
        return replace(
            limits, header_timeout=self.header, body_timeout=self.body, keepalive_timeout=self.keepalive
        )


#: Renders a limit error in the server's dialect; ``request`` may be a bare ``BaseRequest`` when
#: aiohttp's parser refused the request before routing.
LimitRenderer = Callable[[web.BaseRequest, HttpLimitError], web.StreamResponse]

HTTP_LIMITS = web.AppKey("q2c_http_limits", HttpLimits)
LIMIT_RENDERER: web.AppKey[LimitRenderer] = web.AppKey("q2c_http_limit_renderer")


# -- JSON nesting ------------------------------------------------------------------------------

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_INNERMOST = re.compile(rb"\[\]|\{\}")
_DELETE_ALL_BUT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
# Opening brackets count +1, closing ones -1 (255 as a signed byte).
_BRACKET_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def json_depth(raw: bytes, stop_after: int | None = None) -> int:
    """The deepest nesting of ``[``/``{`` in a JSON text, strings ignored, in C-speed passes:
    strip string literals, keep only brackets, then peel one level of innermost pairs per pass
    (a few passes for real documents). ``stop_after``: give up counting past this depth."""
    brackets = _STRING.sub(b"", raw).translate(None, _DELETE_ALL_BUT_BRACKETS)
    depth = 0
    while brackets and (stop_after is None or depth <= stop_after):
        peeled = _INNERMOST.sub(b"", brackets)
        if len(peeled) == len(brackets):
            # Unbalanced (the JSON parser will say so): count what is left as a running sum.
            steps = array("b", brackets.translate(_BRACKET_STEP))
            return depth + max(0, max(itertools.accumulate(steps)))
        depth += 1
        brackets = peeled
    return depth


def looks_like_json(content_type: str, raw: bytes) -> bool:
    if content_type in _JSON_TYPES or (
        content_type.startswith("application/") and content_type.endswith("+json")
    ):
        return True
    head = raw[:64].lstrip()
    return head[:1] in (b"{", b"[")


def check_json_depth(raw: bytes, max_depth: int) -> None:
    if raw.count(b"[") + raw.count(b"{") <= max_depth:
        return  # cannot nest deeper than it has brackets: most bodies stop here in microseconds
    depth = json_depth(raw, stop_after=max_depth)
    if depth > max_depth:
        raise HttpLimitError(
            LimitKind.JSON_TOO_DEEP,
            f"the JSON body nests more than {max_depth} levels deep; at most {max_depth} are allowed",
        )


# -- bodies ------------------------------------------------------------------------------------


class BodyTimeout(HttpLimitError, TimeoutError):
    """The body did not arrive in time. A ``TimeoutError`` too, so aiohttp's lingering read of
    the unread rest ends quietly instead of logging an unhandled exception."""

    def __init__(self, seconds: float) -> None:
        super().__init__(LimitKind.REQUEST_TIMEOUT, f"the request body did not arrive within {seconds:g} s")


def too_large(limit: int) -> HttpLimitError:
    return HttpLimitError(LimitKind.BODY_TOO_LARGE, f"the request body is larger than {limit} bytes")


@contextlib.asynccontextmanager
async def guarded_body(request: web.Request, limits: HttpLimits) -> AsyncIterator[web.Request]:
    """The request to hand on (``async with``), its body bounded by the route's limits.

    - Content-Length over the limit: refused before a byte of the body is read.
    - The size is checked while streaming (``client_max_size`` of the request handed on), so
      nothing much over the limit is ever buffered.
    - The whole body must arrive within ``body_timeout``: a watchdog fails the body stream, so
      whoever is reading it gets a ``BodyTimeout``.
    - With ``limits.prefetch`` the body is read here, before the handler, and a JSON body is
      checked for nesting depth; otherwise the handler reads it under the same guards (a server
      that counts a request in flight while its body arrives, as Salesforce does).

    Raises ``HttpLimitError``; the handler's own reads raise it too (or aiohttp's 413)."""
    if not request.body_exists:
        yield request
        return
    route = request.match_info.route if request.match_info is not None else None
    limit = limits.body_limit(route.name if route is not None else None)
    length = request.content_length
    if length is not None and length > limit:
        raise too_large(limit)
    limited = request.clone(client_max_size=limit)
    stream = request.content
    watchdog = asyncio.get_running_loop().call_later(
        limits.body_timeout, _expire, stream, BodyTimeout(limits.body_timeout)
    )
    try:
        if limits.prefetch and not request.content_type.startswith("multipart/"):
            # Multipart bodies stream into their reader (which enforces the same size limit).
            try:
                raw = await limited.read()
            except web.HTTPRequestEntityTooLarge:
                raise too_large(limit) from None
            if raw and looks_like_json(request.content_type, raw):
                check_json_depth(raw, limits.max_json_depth)
        yield limited
    finally:
        watchdog.cancel()


def _expire(stream: StreamReader, error: BodyTimeout) -> None:
    if not stream.is_eof():
        stream.set_exception(error)


def finish_limit_response(response: web.StreamResponse, error: HttpLimitError) -> web.StreamResponse:
    """The connection closes after a limit error: its unread body or half-sent head is junk."""
    if error.kind is not LimitKind.JSON_TOO_DEEP:
        response.force_close()
    return response


def as_limit_error(error: web.HTTPException, request: web.Request) -> HttpLimitError | None:
    """aiohttp's own 413 (a handler read past its route's limit) as a limit error."""
    if not isinstance(error, web.HTTPRequestEntityTooLarge):
        return None
    route = request.match_info.route if request.match_info is not None else None
    return too_large(request.app[HTTP_LIMITS].body_limit(route.name if route is not None else None))


def limits_middleware(render: LimitRenderer) -> Middleware:
    """For apps without the simulators' pipeline (the integration core): the app's
    ``HTTP_LIMITS``, read per request (the server may have applied operator timeouts)."""

    @web.middleware
    async def enforce_limits(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            async with guarded_body(request, request.app[HTTP_LIMITS]) as guarded:
                return await handler(guarded)
        except HttpLimitError as error:
            return finish_limit_response(render(request, error), error)

    return enforce_limits
