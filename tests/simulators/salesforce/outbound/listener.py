"""A real Outbound Message listener on 127.0.0.1:0: it answers each POST from a script
(``"500"``, ``"nack"``: 200 without an Ack, ``"hang"``: never answers, ``"ack"``), then Acks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.test_utils import TestServer

from simulators.salesforce.outbound.envelope import ACK

NACK = (
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
    '<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>false</Ack>'
    "</notificationsResponse></soapenv:Body></soapenv:Envelope>"
)


@dataclass
class Received:
    body: str
    headers: dict[str, str]


@dataclass
class Listener:
    url: str
    script: list[str]
    received: list[Received] = field(default_factory=list)
    arrivals: asyncio.Queue[Received] = field(default_factory=asyncio.Queue)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def next(self, timeout: float = 5.0) -> Received:
        async with asyncio.timeout(timeout):
            return await self.arrivals.get()

    async def handle(self, request: web.Request) -> web.Response:
        item = Received(await request.text(), dict(request.headers))
        self.received.append(item)
        self.arrivals.put_nowait(item)
        step = self.script.pop(0) if self.script else "ack"
        if step == "hang":
            await self.release.wait()  # until the test ends: the simulator must time out
        if step == "500":
            return web.Response(status=500, text="listener down")
        if step == "nack":
            return web.Response(text=NACK, content_type="text/xml")
        return web.Response(text=ACK, content_type="text/xml")


@asynccontextmanager
async def listener(script: Sequence[str] = ()) -> AsyncIterator[Listener]:
    app = web.Application()
    server = TestServer(app, host="127.0.0.1", port=0)
    state = Listener("", list(script))
    app.router.add_post("/om", state.handle)
    await server.start_server()
    state.url = f"http://127.0.0.1:{server.port}/om"
    try:
        yield state
    finally:
        state.release.set()
        await server.close()
