"""``POST /cometd/<version>``: the Streaming API (Bayeux long polling) on the Salesforce port.

This handler checks the version and size, parses the body (a JSON array of messages, or the
form-encoded ``message=`` Salesforce also accepts), resolves the caller from
``Authorization: Bearer|OAuth <token>`` and hands the messages to ``cometd.protocol.Exchange``.
Errors are Bayeux replies (``"successful": false, "error": "400::..."``) in a JSON array with
``Content-Type: application/json`` (aiocometd refuses any other type), never Salesforce's REST
error array: CometD clients only read Bayeux.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web

from simulators.kit.pipeline import CONTEXT
from simulators.salesforce.api.routes import STATE, session_token
from simulators.salesforce.catalogue import SalesforceError
from simulators.salesforce.cometd import errors
from simulators.salesforce.cometd.clients import CometdSettings, StreamClients
from simulators.salesforce.cometd.protocol import COOKIE, Caller, Exchange
from simulators.salesforce.models.state import SalesforceState

COMETD = web.AppKey("q2c_salesforce_cometd", StreamClients)
_VERSION = re.compile(r"^(\d{1,3})\.(\d)$")
OLDEST_VERSION = 37


def caller_of(request: web.Request, state: SalesforceState) -> Caller:
    token = session_token(request)
    cookie = request.cookies.get(COOKIE)
    if token is None:
        return Caller(failure=errors.AUTH_REQUIRED, cookie=cookie)
    try:
        session = state.orgs.authenticate(token)
    except SalesforceError:
        return Caller(failure=errors.AUTH_INVALID, cookie=cookie)
    request[CONTEXT].caller = session.caller
    return Caller(session.org, session.user_id, cookie=cookie)


def version_error(version: str | None) -> str | None:
    if not version:
        return errors.VERSION_MANDATORY
    match = _VERSION.match(version)
    if match is None or int(match.group(1)) < OLDEST_VERSION:
        return errors.VERSION_UNSUPPORTED
    return None


def parse(request: web.Request, raw: bytes) -> list[Any] | None:
    """The message array, or None when the body is not one (a bare object included)."""
    try:
        if request.content_type == "application/x-www-form-urlencoded":
            fields = parse_qs(raw.decode("utf-8"), keep_blank_values=True)
            raw = (fields.get("message") or [""])[0].encode()
        messages = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return messages if isinstance(messages, list) and messages else None


def bayeux(replies: list[dict[str, Any]], status: int = 200) -> web.Response:
    return web.json_response(replies, status=status)


def failed(messages: list[Any] | None, error: str) -> list[dict[str, Any]]:
    """The same error for every message (echoing channel and id), or one bare reply."""
    replies = []
    for message in messages or [None]:
        reply: dict[str, Any] = {}
        if isinstance(message, dict):
            reply = {key: message[key] for key in ("channel", "id", "clientId") if key in message}
        replies.append({**reply, "successful": False, "error": error})
    return replies


async def cometd(request: web.Request) -> web.Response:
    state = request.app[STATE]
    clients = request.app[COMETD]
    raw = await request.read()
    if len(raw) > clients.settings.max_request_bytes:
        return bayeux(failed(None, errors.TOO_LARGE), status=413)
    messages = parse(request, raw)
    problem = version_error(request.match_info.get("version"))
    if problem is not None:
        return bayeux(failed(messages, problem), status=400)
    if messages is None:
        bare = _bare_object(raw)
        return bayeux(failed([bare] if bare is not None else None, errors.MALFORMED), status=400)
    exchange = Exchange(
        clients,
        caller_of(request, state),
        current_org=state.orgs.get,
        reauthenticate=lambda: caller_of(request, state),
    )
    try:
        replies = await exchange.run(messages)
    finally:
        # Even when the request is cancelled mid-poll: the reconnect deadline must start, or a
        # vanished client would never expire.
        exchange.finish()
    response = bayeux(replies)
    if exchange.handshaken is not None:
        response.set_cookie(
            COOKIE, exchange.handshaken.browser, path="/cometd", httponly=True, secure=request.secure
        )
    return response


def _bare_object(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def add_cometd_routes(app: web.Application, settings: CometdSettings | None = None, seed: int = 0) -> None:
    clients = StreamClients(settings or CometdSettings(), seed)
    app[COMETD] = clients

    async def close_clients(app: web.Application) -> None:
        # On shutdown, before aiohttp waits for handlers: held connects return at once.
        clients.close_all()

    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        yield
        clients.close_all()  # cancels every expiry timer

    app.on_shutdown.append(close_clients)
    app.cleanup_ctx.append(lifetime)
    app.router.add_post("/cometd", cometd, name="sf_cometd_bare")
    app.router.add_post("/cometd/", cometd, name="sf_cometd_slash")
    app.router.add_post("/cometd/{version}{tail:(/.*)?}", cometd, name="sf_cometd")
