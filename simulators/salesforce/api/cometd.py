"""``/cometd/<version>`` until the Streaming API exists: every CometD client fails fast and loudly.

A 404 made jsforce's Faye client retry forever in silence. Here the Bayeux exchange is answered
in its own dialect: the handshake succeeds (so the client proceeds to subscribe), every
``/meta/subscribe`` fails with a Bayeux error the client reports to the subscriber
(``501::...``), and ``/meta/connect`` fails with ``advice.reconnect = none`` so nothing polls.
The events issue replaces this module with real CometD.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from simulators.kit.pipeline import CONTEXT
from simulators.salesforce.api.routes import STATE, authenticate
from simulators.salesforce.catalogue import SalesforceError

UNSUPPORTED = "501::The Streaming API (CometD) is not supported by this simulator yet; see docs/salesforce.md"
CLIENT_ID = "q2c-streaming-unsupported"


def _reply(message: Any) -> dict[str, Any]:
    channel = message.get("channel") if isinstance(message, dict) else None
    reply: dict[str, Any] = {"channel": channel, "successful": False, "error": UNSUPPORTED}
    if isinstance(message, dict) and message.get("id") is not None:
        reply["id"] = message["id"]
    if channel == "/meta/handshake":
        reply.update(
            successful=True,
            version="1.0",
            clientId=CLIENT_ID,
            supportedConnectionTypes=["long-polling"],
            advice={"reconnect": "retry", "interval": 0, "timeout": 110000},
        )
        del reply["error"]
    elif channel == "/meta/subscribe":
        reply.update(clientId=CLIENT_ID, subscription=message.get("subscription"))
    else:
        reply.update(clientId=CLIENT_ID, advice={"reconnect": "none"})
    return reply


async def cometd(request: web.Request) -> web.Response:
    session = authenticate(request, request.app[STATE])
    request[CONTEXT].caller = session.caller
    try:
        messages = json.loads(await request.read() or b"[]")
    except ValueError:
        raise SalesforceError(
            400, "JSON_PARSER_ERROR", "The request body is not a Bayeux message array"
        ) from None
    if isinstance(messages, dict):
        messages = [messages]
    if not isinstance(messages, list):
        raise SalesforceError(400, "JSON_PARSER_ERROR", "The request body is not a Bayeux message array")
    return web.json_response([_reply(message) for message in messages])


def add_cometd_routes(app: web.Application) -> None:
    app.router.add_post("/cometd/{version}{tail:(/.*)?}", cometd, name="sf_cometd_unsupported")
