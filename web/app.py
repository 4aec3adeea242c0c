"""The web component's aiohttp app: server-rendered pages (Jinja2), an encrypted session cookie,
CSRF tokens on every POST, and an error page that never shows a stack trace."""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import aiohttp
import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import get_session, session_middleware
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography.fernet import Fernet

from contracts import defaults
from web import console, portal
from web.settings import WebSettings
from web.upstream import SETTINGS, UPSTREAMS, ComponentDown, UpstreamError, Upstreams

HERE = Path(__file__).parent
CSRF_FIELD = "csrf_token"
log = logging.getLogger("q2c.web")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def csrf_token(request: web.Request) -> str:
    session = await get_session(request)
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every POST carries the session's token in a form field (same-site forms only)."""
    if request.method == "POST":
        form = await request.post()
        session = await get_session(request)
        expected = session.get("csrf")
        sent = form.get(CSRF_FIELD)
        if (
            not isinstance(expected, str)
            or not isinstance(sent, str)
            or not hmac.compare_digest(expected, sent)
        ):
            return error_page(
                request,
                403,
                "This form has expired or did not come from this site: reload the page and try again.",
            )
    return await handler(request)


@web.middleware
async def timing_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """``Server-Timing: render;dur=<ms>``: the page's server-side time, upstream calls included
    (what ``python -m loadtests.bench.web`` reports)."""
    started = time.perf_counter()
    response = await handler(request)
    response.headers["Server-Timing"] = f"render;dur={(time.perf_counter() - started) * 1000:.2f}"
    return response


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A readable page for every error; the traceback goes to the log, never to the browser."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error_page(request, exc.status, exc.text or exc.reason)
    except ComponentDown as exc:
        return error_page(request, 503, f"{exc.component} is down at {exc.url}: try again once it is back.")
    except UpstreamError as exc:
        return error_page(request, 502, f"{exc.component} refused the request ({exc.status}): {exc.message}")
    except Exception:
        log.exception("web: %s %s failed", request.method, request.path)
        return error_page(
            request, 500, "Something went wrong on this page; the details are in the server log."
        )


def error_page(request: web.Request, status: int, message: str) -> web.Response:
    if status == 404 and message in ("404: Not Found", "Not Found"):
        message = "There is no such page."
    try:
        return aiohttp_jinja2.render_template(
            "error.html", request, {"status": status, "message": message}, status=status
        )
    except Exception:  # the error page itself must never fail: plain text then
        log.exception("web: the error page failed")
        return web.Response(status=status, text=f"{status}: {message}")


def money(value: Any) -> str:
    """``{"amount": "1.50", "currency": "USD"}`` (or a bare number) as ``1.50 USD``."""
    if value is None:
        return "—"
    if isinstance(value, dict):
        return f"{value.get('amount')} {value.get('currency', '')}".strip()
    try:
        return f"{Decimal(str(value)):.2f}"
    except InvalidOperation:
        return str(value)


async def context(request: web.Request) -> dict[str, Any]:
    return {
        "csrf_token": await csrf_token(request),
        "csrf_field": CSRF_FIELD,
        "request": request,
        "refresh_seconds": request.app[SETTINGS].refresh_seconds,
    }


def session_key(settings: WebSettings) -> str:
    """The configured Fernet key, or a new one per start (sessions then end with the process)."""
    return settings.session_key or Fernet.generate_key().decode()


def create_app(settings: WebSettings | None = None) -> web.Application:
    settings = settings or WebSettings()
    storage = EncryptedCookieStorage(
        session_key(settings), cookie_name="q2c_web", httponly=True, samesite="Lax", max_age=8 * 3600
    )
    app = web.Application(
        middlewares=[timing_middleware, session_middleware(storage), error_middleware, csrf_middleware]
    )
    app[SETTINGS] = settings
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        context_processors=[context],
    )
    env.filters["money"] = money
    env.globals["defaults"] = defaults

    async def clients(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as session:
            app[UPSTREAMS] = Upstreams(settings, session)
            yield

    app.cleanup_ctx.append(clients)
    app.router.add_static("/static", HERE / "static", name="static")
    console.routes(app)
    portal.routes(app)
    return app
