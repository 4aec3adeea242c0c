"""The aiohttp server side of ``contracts.http_limits``: what happens before any middleware runs.

aiohttp parses the request line and headers in its protocol handler; a request over its limits
never reaches the app, and aiohttp answers it itself in ``text/plain``. ``LimitedAppRunner`` runs
an app with a protocol handler that

- parses with the app's ``HttpLimits`` (URI, header line and header count limits);
- answers parse errors in the app's own dialect (its ``LIMIT_RENDERER``): an over-long request
  line is 414, an over-long header line or too many headers 431, any other malformed head 400;
- bounds the time a request head may take once its first byte arrived (408, then close), and
  closes idle keep-alive connections after ``keepalive_timeout``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage, HttpProcessingError, LineTooLong
from aiohttp.streams import EMPTY_PAYLOAD
from aiohttp.web_protocol import RequestHandler, _ErrInfo

from contracts.http_limits import (
    HTTP_LIMITS,
    LIMIT_RENDERER,
    HttpLimitError,
    HttpLimits,
    LimitKind,
    LimitRenderer,
)

log = logging.getLogger(__name__)


def classify(error: BaseException | None, limits: HttpLimits) -> HttpLimitError | None:
    """The limit a parse error stands for; None for errors that are not about the request."""
    if isinstance(error, HttpLimitError):
        return error
    if isinstance(error, LineTooLong):
        # The parser names the limit it hit: the request line's (URI) or a header line's.
        limit = error.args[1] if len(error.args) > 1 else None
        if limit == limits.max_uri:
            return HttpLimitError(
                LimitKind.URI_TOO_LONG, f"the request URI is longer than {limits.max_uri} bytes"
            )
        return HttpLimitError(
            LimitKind.HEADERS_TOO_LARGE, f"a request header is longer than {limits.max_field_size} bytes"
        )
    if isinstance(error, BadHttpMessage) and "too many headers" in str(error).lower():
        return HttpLimitError(
            LimitKind.HEADERS_TOO_LARGE, f"the request has more than {limits.max_headers} headers"
        )
    if isinstance(error, HttpProcessingError):
        return HttpLimitError(LimitKind.BAD_REQUEST, f"malformed HTTP request: {error.message}")
    return None


def problem_renderer(request: web.BaseRequest, error: HttpLimitError) -> web.StreamResponse:
    from contracts.problem_http import ProblemDialect

    return ProblemDialect().render_limit(request, error, "")


class LimitedRequestHandler(RequestHandler):
    """aiohttp's protocol handler with the app's limits, dialect and head timeout."""

    def __init__(
        self,
        manager: web.Server,
        *,
        loop: asyncio.AbstractEventLoop,
        limits: HttpLimits,
        renderer: LimitRenderer,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            manager,
            loop=loop,
            max_line_size=limits.max_uri,
            max_field_size=limits.max_field_size,
            max_headers=limits.max_headers,
            keepalive_timeout=limits.keepalive_timeout,
            **kwargs,
        )
        self.limits = limits
        self.renderer = renderer
        self.head_timer: asyncio.TimerHandle | None = None

    def data_received(self, data: bytes) -> None:
        # Bytes arriving while no request is queued or being handled are (part of) a request
        # head: from the first of them, the whole head must arrive within header_timeout.
        idle = self._current_request is None and not self._messages
        if idle and data and self.head_timer is None:
            self.head_timer = self._loop.call_later(self.limits.header_timeout, self._head_timed_out)
        super().data_received(data)
        if self.head_timer is not None and (self._messages or self._current_request is not None):
            self.head_timer.cancel()
            self.head_timer = None

    def _head_timed_out(self) -> None:
        self.head_timer = None
        waiter = self._waiter
        if waiter is None or waiter.done() or self._messages:
            return
        error = HttpLimitError(
            LimitKind.REQUEST_TIMEOUT,
            f"the request head did not arrive within {self.limits.header_timeout:g} s",
        )
        # Answered through aiohttp's own error path (as a parse error is), which closes after.
        self._messages.append((_ErrInfo(status=408, exc=error, message=error.message), EMPTY_PAYLOAD))
        self._close = True  # ignore whatever else the client dribbles in
        waiter.set_result(None)

    def connection_lost(self, exc: BaseException | None) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None
        super().connection_lost(exc)

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        error = classify(exc, self.limits)
        if error is None or request.writer.output_size > 0:
            return super().handle_error(request, status, exc, message)
        log.debug("refused a request from %s: %s", request.remote, error.message)
        try:
            response = self.renderer(request, error)
        except Exception:  # a renderer bug must not lose the answer
            log.exception("rendering %s failed", error.kind)
            return super().handle_error(request, error.status, exc, error.message)
        response.force_close()
        return response


class LimitedServer(web.Server):
    def __init__(self, *args: Any, limits: HttpLimits, renderer: LimitRenderer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self.renderer = renderer

    def __call__(self) -> RequestHandler:
        return LimitedRequestHandler(
            self, loop=self._loop, limits=self.limits, renderer=self.renderer, **self._kwargs
        )


class LimitedAppRunner(web.AppRunner):
    """``web.AppRunner`` whose connections use the app's ``HTTP_LIMITS`` and ``LIMIT_RENDERER``
    (defaults: ``HttpLimits()`` and problem+json)."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()  # runs the app's startup and freezes it
        app = self.app
        return LimitedServer(
            server.request_handler,
            request_factory=server.request_factory,
            handler_cancellation=server.handler_cancellation,
            loop=asyncio.get_running_loop(),
            limits=app.get(HTTP_LIMITS) or HttpLimits(),
            renderer=app.get(LIMIT_RENDERER) or problem_renderer,
            **server._kwargs,  # debug, access log and the app's handler_args, as aiohttp set them
        )
