"""The billing client's pacer: a rate with a burst served first come first served, a 429 holding
every call for its Retry-After, and the refused call sent again, on a virtual clock."""

import asyncio

import aiohttp
import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpServer

from integration.clients.pacing import Pacer, pacing_middleware, retry_after_seconds
from tests.support.sandbox import JumpClock


async def test_the_rate_allows_the_burst_then_one_call_per_interval() -> None:
    clock = JumpClock()
    pacer = Pacer(rate=10.0, burst=3, clock=clock)
    starts = []
    for _ in range(6):
        await pacer.acquire()
        starts.append(round(clock.now(), 3))
    assert starts == [0.0, 0.0, 0.0, 0.1, 0.2, 0.3]


async def test_a_hold_stops_every_caller_until_it_ends() -> None:
    clock = JumpClock()
    pacer = Pacer(clock=clock)
    pacer.hold(2.0)
    await asyncio.gather(pacer.acquire(), pacer.acquire(), pacer.acquire())
    assert clock.now() == 2.0  # all three waited the same hold, not one after another
    assert (pacer.throttled, pacer.waited) == (1, 2.0)


def test_a_pacer_refuses_nonsense_settings() -> None:
    with pytest.raises(ValueError, match="the rate must be positive"):
        Pacer(rate=0.0)
    with pytest.raises(ValueError, match="the burst must be at least 1"):
        Pacer(rate=1.0, burst=0)


def test_retry_after_is_read_in_seconds_and_capped() -> None:
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds(None) == 1.0
    assert retry_after_seconds("Wed, 21 Oct 2026 07:28:00 GMT") == 1.0
    assert retry_after_seconds("86400") == 60.0


async def limited_server(
    aiohttp_server: AiohttpServer, refusals: int, retry_after: str
) -> tuple[str, list[int]]:
    answered: list[int] = []

    async def handler(request: web.Request) -> web.Response:
        if len(answered) < refusals:
            answered.append(429)
            return web.json_response(
                {"code": "rate_limited"}, status=429, headers={"Retry-After": retry_after}
            )
        answered.append(200)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/thing", handler)
    server = await aiohttp_server(app)
    return str(server.make_url("/thing")), answered


async def test_the_middleware_sends_a_refused_call_again_after_the_hold(
    aiohttp_server: AiohttpServer,
) -> None:
    url, answered = await limited_server(aiohttp_server, refusals=2, retry_after="2")
    clock = JumpClock()
    pacer = Pacer(clock=clock)
    async with (
        aiohttp.ClientSession(middlewares=(pacing_middleware(pacer),)) as session,
        session.get(url) as response,
    ):
        assert response.status == 200
    assert answered == [429, 429, 200]
    assert (pacer.throttled, clock.now()) == (2, 4.0)


async def test_past_max_wait_the_429_reaches_the_client(aiohttp_server: AiohttpServer) -> None:
    url, answered = await limited_server(aiohttp_server, refusals=10, retry_after="5")
    pacer = Pacer(clock=JumpClock(), max_wait=10.0)
    async with (
        aiohttp.ClientSession(middlewares=(pacing_middleware(pacer),)) as session,
        session.get(url) as response,
    ):
        assert response.status == 429
    assert answered == [429, 429, 429]  # two holds of 5 s, then the third refusal is returned
