"""The harness's own webhook receiver: an aiohttp app on ``--webhook-host``/``--webhook-port``.

It keeps every delivery as received (raw body, headers, what it answered) and answers 2xx,
except once on purpose: the first delivery matching the *probe* is answered 500, so the adapter
must retry it, and the retry is recognised by the event it carries (type, object, version,
sequence), not by its webhook-id, which is precisely what is under test.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Fingerprint = tuple[Any, ...]


def fingerprint(payload: Any) -> Fingerprint | None:
    """What identifies an event regardless of its id: retries of one event share it."""
    if not isinstance(payload, dict) or not isinstance(payload.get("object"), dict):
        return None
    obj = payload["object"]
    return (
        payload.get("type"),
        payload.get("account_id"),
        payload.get("sequence"),
        obj.get("type"),
        obj.get("id"),
        obj.get("version"),
    )


@dataclass
class Delivery:
    index: int
    received_at: float
    headers: dict[str, str]
    body: bytes
    answered: int
    payload: Any = None
    #: The address the delivery came from (diagnostics: which host reached the listener).
    remote: str | None = None

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)

    @property
    def webhook_id(self) -> str | None:
        return self.header("webhook-id")

    @property
    def fingerprint(self) -> Fingerprint | None:
        return fingerprint(self.payload)


@dataclass
class Probe:
    """Fails the first delivery ``matches`` accepts; remembers it to recognise its retry."""

    matches: Callable[[Any], bool]
    first: Delivery | None = None
    retries: list[Delivery] = field(default_factory=list)


class Listener:
    def __init__(self, host: str, port: int, path: str) -> None:
        self.host = host
        self.port = port
        self.path = path
        self.deliveries: list[Delivery] = []
        self.probe: Probe | None = None
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{self.path}"

    async def start(self) -> None:
        app = web.Application()
        # Any path: with --webhook-url the adapter may reach the listener through another prefix.
        app.router.add_post("/{tail:.*}", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server  # aiohttp exposes the bound socket only here
        assert isinstance(server, asyncio.Server)
        self.port = int(server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        status = 200
        probe = self.probe
        if probe is not None and payload is not None:
            if probe.first is None and probe.matches(payload):
                status = 500
            elif probe.first is not None and fingerprint(payload) == probe.first.fingerprint:
                status = 200
        delivery = Delivery(
            len(self.deliveries), time.time(), dict(request.headers), body, status, payload, request.remote
        )
        if probe is not None and status == 500:
            probe.first = delivery
        elif (
            probe is not None and probe.first is not None and delivery.fingerprint == probe.first.fingerprint
        ):
            probe.retries.append(delivery)
        async with self._changed:
            self.deliveries.append(delivery)
            self._changed.notify_all()
        if status == 500:
            return web.json_response({"error": "q2c verify fails this delivery once on purpose"}, status=500)
        return web.Response(status=status)

    async def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait (real seconds) until ``predicate`` holds after some delivery; False on timeout."""
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(predicate)
        except TimeoutError:
            return False
        return True

    def delivered(self) -> dict[str, list[Delivery]]:
        """Deliveries by webhook-id."""
        by_id: dict[str, list[Delivery]] = {}
        for delivery in self.deliveries:
            by_id.setdefault(delivery.webhook_id or "", []).append(delivery)
        return by_id
