"""What the servers answer before any middleware runs (issue 10 items 9 and 10): over-long URIs
and header floods in each server's own dialect (not aiohttp's text/plain 400), Salesforce's
16,384-byte URIs accepted, and bounded head, body and idle keep-alive times. Each server runs as
``q2c up`` runs it (``simulators.kit.serve.start_app``) and is spoken to over a raw socket."""

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from aiohttp import web

from contracts import defaults
from contracts.http_limits import HttpLimits, HttpTimeouts
from contracts.salesforce_ids import to18
from integration.core import CoreSettings
from integration.service import create_app as create_core_app
from simulators.billing.app import BillingSettings
from simulators.billing.app import create_app as create_billing_app
from simulators.kit.serve import AppSpec, RunningApp, start_app, stop_apps
from simulators.salesforce.app import SalesforceSettings
from simulators.salesforce.app import create_app as create_salesforce_app
from tests.support.tiny_sim import build

QUICK = HttpLimits(header_timeout=0.2, body_timeout=0.2, keepalive_timeout=0.5)


@asynccontextmanager
async def running(app: web.Application, timeouts: HttpTimeouts | None = None) -> AsyncIterator[RunningApp]:
    started = await start_app(AppSpec("under-test", app, timeouts=timeouts))
    try:
        yield started
    finally:
        await stop_apps([started])


async def exchange(app: RunningApp, data: bytes, *, then: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read until the server closes; the status, headers and body."""
    reader, writer = await asyncio.open_connection(app.host, app.port)
    try:
        writer.write(data)
        await writer.drain()
        async with asyncio.timeout(10):
            raw = await reader.read()
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def request(path: str, *extra: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", *extra, "", ""]
    return "\r\n".join(lines).encode()


def salesforce_app() -> web.Application:
    return create_salesforce_app(SalesforceSettings(seed=7, frozen_clock=True))


async def salesforce_token(app: RunningApp) -> str:
    form = {
        "grant_type": "password",
        "client_id": defaults.SALESFORCE_CLIENT_ID,
        "client_secret": defaults.SALESFORCE_CLIENT_SECRET,
        "username": defaults.SALESFORCE_USERNAME,
        "password": defaults.SALESFORCE_PASSWORD + defaults.SALESFORCE_SECURITY_TOKEN,
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{app.url}/services/oauth2/token", data=form) as response,
    ):
        assert response.status == 200
        token: str = (await response.json())["access_token"]
        return token


async def test_salesforce_accepts_a_soql_query_with_400_ids_in_the_uri() -> None:
    """Over 8,190 bytes (aiohttp's default) and under Salesforce's documented 16,384."""
    async with running(salesforce_app()) as app:
        token = await salesforce_token(app)
        ids = ",".join(f"'{to18(f'001{n:012d}')}'" for n in range(400))
        query = f"SELECT Id FROM Account WHERE Id IN ({ids})"
        async with aiohttp.ClientSession() as session:
            url = f"{app.url}/services/data/v59.0/query"
            async with session.get(
                url, params={"q": query}, headers={"Authorization": f"Bearer {token}"}
            ) as response:
                assert 8_190 < len(str(response.url.raw_path_qs)) < 16_384
                assert response.status == 200, await response.text()
                assert (await response.json())["totalSize"] == 0


async def test_salesforce_answers_over_long_uris_and_headers_in_its_own_dialect() -> None:
    async with running(salesforce_app()) as app:
        status, headers, body = await exchange(app, request("/services/data/v59.0/query?q=" + "x" * 17_000))
        assert status == 414
        assert headers["content-type"].startswith("application/json")
        assert json.loads(body) == [
            {
                "message": "The request URI is too long: the request URI is longer than 16384 bytes",
                "errorCode": "URI_TOO_LONG",
            }
        ]
        status, headers, body = await exchange(
            app, request("/services/data/v59.0/limits", "X-Big: " + "y" * 9_000)
        )
        assert status == 431
        assert json.loads(body) == [
            {
                "message": "Request header fields too large: a request header is longer than 8190 bytes",
                "errorCode": "REQUEST_HEADER_FIELDS_TOO_LARGE",
            }
        ]
        flood = [f"X-Flood-{n}: z" for n in range(150)]
        status, _, body = await exchange(app, request("/services/data/v59.0/limits", *flood))
        assert status == 431
        assert json.loads(body) == [
            {
                "message": "Request header fields too large: the request has more than 100 headers",
                "errorCode": "REQUEST_HEADER_FIELDS_TOO_LARGE",
            }
        ]
        status, _, body = await exchange(app, b"NOT HTTP AT ALL\r\n\r\n")
        assert status == 400
        assert json.loads(body)[0]["errorCode"] == "BAD_REQUEST"


async def test_billing_answers_header_floods_and_long_uris_in_problem_json() -> None:
    app = create_billing_app(BillingSettings(rate_limit=None, clock_frozen=True))
    async with running(app) as started:
        status, headers, body = await exchange(
            started, request("/accounts", *[f"X-{n}: v" for n in range(150)])
        )
        assert status == 431
        assert headers["content-type"].startswith("application/problem+json")
        problem = json.loads(body)
        assert (problem["code"], problem["detail"]) == (
            "headers_too_large",
            "the request has more than 100 headers",
        )
        status, headers, body = await exchange(started, request("/accounts?x=" + "a" * 17_000))
        assert status == 414
        assert json.loads(body)["code"] == "uri_too_long"


async def test_the_core_answers_header_floods_in_problem_json(tmp_path: Path) -> None:
    settings = CoreSettings(
        salesforce_url="http://127.0.0.1:9", billing_url="http://127.0.0.1:9", state_dir=tmp_path
    )
    async with running(create_core_app(settings)) as started:
        status, headers, body = await exchange(started, request("/health", "X-Big: " + "y" * 9_000))
        assert status == 431
        assert headers["content-type"].startswith("application/problem+json")
        assert json.loads(body)["code"] == "headers_too_large"


async def slow_client(app: RunningApp, send: Callable[[asyncio.StreamWriter], None]) -> bytes:
    """Connect, send what ``send`` writes, then nothing more: what the server says, until it closes."""
    reader, writer = await asyncio.open_connection(app.host, app.port)
    try:
        send(writer)
        await writer.drain()
        async with asyncio.timeout(5):  # the server's own timeouts are under a second
            return await reader.read()
    finally:
        writer.close()


async def test_a_slow_request_head_is_cut_off_with_a_408() -> None:
    async with running(build("salesforce", http_limits=QUICK)) as app:
        answer = await slow_client(
            app, lambda w: w.write(b"GET /api/widgets HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        )
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.0 408")  # the head never parsed: aiohttp answers 1.0
        assert json.loads(body) == [
            {
                "message": "The request timed out: the request head did not arrive within 0.2 s",
                "errorCode": "REQUEST_TIMEOUT",
            }
        ]


async def test_a_slow_body_is_cut_off_with_a_408() -> None:
    async with running(build("problem", http_limits=QUICK)) as app:
        head = b"POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        answer = await slow_client(app, lambda w: w.write(head + b'{"a": '))
        status_line, _, rest = answer.partition(b"\r\n")
        assert status_line.startswith(b"HTTP/1.1 408")
        problem = json.loads(rest.partition(b"\r\n\r\n")[2])
        assert problem["code"] == "request_timeout"


async def test_idle_keep_alive_connections_are_closed() -> None:
    async with running(build("problem", http_limits=QUICK)) as app:
        answer = await slow_client(app, lambda w: w.write(request("/api/widgets")))
        # One full answer, then the server closed the idle connection by itself (read() ended).
        assert answer.startswith(b"HTTP/1.1 200")
        assert answer.count(b"HTTP/1.1") == 1


async def test_operator_timeouts_apply_over_each_servers_own_limits() -> None:
    """``q2c`` passes its timeout options as ``AppSpec.timeouts``: the billing simulator keeps
    its body limits and dialect, with the operator's body read deadline."""
    app = create_billing_app(BillingSettings(rate_limit=None, clock_frozen=True))
    async with running(app, HttpTimeouts(header=0.2, body=0.2, keepalive=0.5)) as started:
        head = (
            "POST /accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {defaults.BILLING_API_KEY}\r\nContent-Length: 100\r\n\r\n"
        )
        answer = await slow_client(started, lambda w: w.write(head.encode() + b'{"name": '))
        assert answer.startswith(b"HTTP/1.1 408")
        problem = json.loads(answer.partition(b"\r\n\r\n")[2])
        assert (problem["code"], problem["detail"]) == (
            "request_timeout",
            "the request body did not arrive within 0.2 s",
        )
