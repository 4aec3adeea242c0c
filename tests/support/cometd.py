"""A raw Bayeux client for the Streaming API tests: each call is one POST of a message array.

It speaks exactly what the real clients send (salesforce-events.md §1.2), so the protocol tests
can assert every reply field; the real clients (aiosfstream, jsforce, the CometD JS client) are
exercised in their own tests.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from simulators.salesforce.api.cometd import COMETD
from simulators.salesforce.cometd.clients import CometdSettings, StreamClient, StreamClients

PATH = "/cometd/66.0"
#: Tests' timeouts (real time): a held connect gives up after 0.5 s; 5 s to reconnect.
FAST = CometdSettings(connect_timeout=0.5, reconnect_timeout=5.0)


@dataclass
class Bayeux:
    client: TestClient[web.Request, web.Application]
    token: str | None
    scheme: str = "Bearer"
    path: str = PATH
    client_id: str | None = None
    ids: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def clients(self) -> StreamClients:
        return self.client.server.app[COMETD]  # type: ignore[index]

    def session(self) -> StreamClient:
        """The server's side of this client (its awaitables: ``closed``)."""
        assert self.client_id is not None
        found = self.clients.find(self.client_id)
        assert found is not None, "the client is gone"
        return found

    def next_id(self) -> str:
        return str(next(self.ids))

    async def post(self, *messages: dict[str, Any], status: int = 200, **kwargs: Any) -> list[dict[str, Any]]:
        headers = {} if self.token is None else {"Authorization": f"{self.scheme} {self.token}"}
        headers.update(kwargs.pop("headers", {}))
        if "data" not in kwargs:
            kwargs["json"] = list(messages)
        response = await self.client.post(self.path, headers=headers, **kwargs)
        assert response.status == status, await response.text()
        assert response.content_type == "application/json"
        body: list[dict[str, Any]] = await response.json()
        return body

    async def handshake(self, **extra: Any) -> dict[str, Any]:
        self.ids = itertools.count()  # aiocometd restarts its ids at "0" on every handshake
        message = {
            "channel": "/meta/handshake",
            "version": "1.0",
            "minimumVersion": "1.0",
            "supportedConnectionTypes": ["websocket", "long-polling"],
            "id": self.next_id(),
            **extra,
        }
        (reply,) = await self.post(message)
        if reply.get("successful"):
            self.client_id = reply["clientId"]
        return reply

    def connect_message(self) -> dict[str, Any]:
        return {
            "channel": "/meta/connect",
            "clientId": self.client_id,
            "connectionType": "long-polling",
            "id": self.next_id(),
        }

    def subscribe_message(self, channel: str, replay: int | None = None) -> dict[str, Any]:
        message: dict[str, Any] = {
            "channel": "/meta/subscribe",
            "clientId": self.client_id,
            "subscription": channel,
            "id": self.next_id(),
        }
        if replay is not None:
            message["ext"] = {"replay": {channel: replay}}
        return message

    async def connect(self) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The events delivered and the connect reply (always last)."""
        *events, reply = await self.post(self.connect_message())
        assert reply["channel"] == "/meta/connect", reply
        return events, reply

    async def subscribe(self, channel: str, replay: int | None = None) -> dict[str, Any]:
        (reply,) = await self.post(self.subscribe_message(channel, replay))
        return reply

    async def open(self, *channels: str, replay: int | None = None) -> None:
        """Handshake, first connect (answered at once), subscribe to each channel."""
        assert (await self.handshake())["successful"] is True
        _, reply = await self.connect()
        assert reply["successful"] is True, reply
        for channel in channels:
            reply = await self.subscribe(channel, replay)
            assert reply["successful"] is True, reply
