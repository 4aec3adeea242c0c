"""The shared HTTP limits in the pipeline: JSON depth, per-route body limits (Content-Length and
while streaming), the body read deadline, in each dialect (issue 10 items 5, 6, 10)."""

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pytest_aiohttp import AiohttpClient

from contracts import defaults
from contracts.http_limits import (
    MIB,
    HttpLimitError,
    HttpLimits,
    LimitKind,
    check_json_depth,
    json_depth,
)
from tests.support.tiny_sim import build

LIMITS = HttpLimits(max_body=1024, route_bodies={"upload": 64 * 1024}, max_json_depth=10)


def test_json_depth_ignores_brackets_inside_strings() -> None:
    assert json_depth(b'{"a": [1, {"b": "]]]}}[[[[\\"["}]}') == 3
    assert json_depth(b"[]") == 1
    assert json_depth(b'"just a string"') == 0
    assert json_depth(b"[" * 10_000) == 10_000  # unbalanced still counts
    assert json_depth(b"[" * 500 + b"]" * 500, stop_after=20) == 21


def test_check_json_depth_names_the_limit() -> None:
    check_json_depth(b"[" * 10 + b"]" * 10, 10)
    with pytest.raises(HttpLimitError) as caught:
        check_json_depth(b"[" * 11 + b"]" * 11, 10)
    assert caught.value.kind is LimitKind.JSON_TOO_DEEP
    assert caught.value.status == 400
    assert caught.value.message == "the JSON body nests more than 10 levels deep; at most 10 are allowed"


def test_limits_refuse_ambiguous_line_limits() -> None:
    with pytest.raises(ValueError, match="tell 414 from 431 apart"):
        HttpLimits(max_uri=8190, max_field_size=8190)


async def test_deep_json_is_a_400_problem_not_a_500(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(build("problem"))
    deep = b"[" * 10_000 + b"]" * 10_000
    response = await client.post("/api/echo", data=deep, headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert response.content_type == "application/problem+json"
    body = await response.json()
    assert body["code"] == "invalid_json"
    assert body["detail"] == "the JSON body nests more than 100 levels deep; at most 100 are allowed"
    # The control plane is guarded the same way.
    control = await client.post("/__sim/faults", data=deep, headers={"Content-Type": "application/json"})
    assert control.status == 400
    assert (await control.json())["code"] == "invalid_json"


async def test_deep_json_in_the_salesforce_dialect(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(build("salesforce", http_limits=LIMITS))
    response = await client.post(
        "/api/echo", data=b"[" * 11 + b"]" * 11, headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert await response.json() == [
        {
            "message": "Malformed JSON: the JSON body nests more than 10 levels deep; at most 10 are allowed",
            "errorCode": "JSON_PARSER_ERROR",
        }
    ]


async def test_body_limit_is_per_route_and_checked_against_content_length(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(build("problem", http_limits=LIMITS))
    ok = await client.post("/api/echo", data=b"x" * 1024)
    assert (ok.status, (await ok.json())["size"]) == (200, 1024)
    refused = await client.post("/api/echo", data=b"x" * 1025)
    assert refused.status == 413
    assert refused.content_type == "application/problem+json"
    body = await refused.json()
    assert (body["code"], body["detail"]) == (
        "payload_too_large",
        "the request body is larger than 1024 bytes",
    )
    assert refused.headers["Connection"] == "close"
    # The upload route takes more, up to its own limit.
    upload = await client.put("/api/uploads", data=b"x" * 60_000)
    assert (upload.status, (await upload.json())["size"]) == (200, 60_000)
    too_big = await client.put("/api/uploads", data=b"x" * (64 * 1024 + 1))
    assert too_big.status == 413


async def test_body_limit_is_enforced_while_streaming(aiohttp_client: AiohttpClient) -> None:
    """No Content-Length (chunked): refused once the limit is passed, not after buffering it all."""
    client = await aiohttp_client(build("salesforce", http_limits=LIMITS))

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(64):
            yield b"x" * 512

    response = await client.post("/api/echo", data=chunks())
    assert response.status == 413
    assert await response.json() == [
        {"message": "The request body is too large.", "errorCode": "REQUEST_ENTITY_TOO_LARGE"}
    ]


async def test_a_body_that_never_finishes_is_a_408(aiohttp_client: AiohttpClient) -> None:
    limits = HttpLimits(body_timeout=0.2)
    client = await aiohttp_client(build("problem", http_limits=limits))
    never = asyncio.Event()

    async def stalls() -> AsyncIterator[bytes]:
        yield b'{"a": '
        await never.wait()

    response = await client.post("/api/echo", data=stalls(), headers={"Content-Type": "application/json"})
    assert response.status == 408
    body = await response.json()
    assert (body["code"], body["detail"]) == (
        "request_timeout",
        "the request body did not arrive within 0.2 s",
    )
    never.set()


async def test_streamed_bodies_stay_with_the_handler_under_the_same_guards(
    aiohttp_client: AiohttpClient,
) -> None:
    """prefetch=False (Salesforce: a request is in flight while its body arrives): the handler
    reads, and the read deadline still holds."""
    limits = HttpLimits(body_timeout=0.2, prefetch=False)
    client = await aiohttp_client(build("salesforce", http_limits=limits))
    never = asyncio.Event()

    async def stalls() -> AsyncIterator[bytes]:
        yield b"x"
        await never.wait()

    response = await client.post("/api/echo", data=stalls())
    assert response.status == 408
    assert await response.json() == [
        {
            "message": "The request timed out: the request body did not arrive within 0.2 s",
            "errorCode": "REQUEST_TIMEOUT",
        }
    ]
    never.set()
    assert (await client.post("/api/echo", data=b"y" * 100)).status == 200


def test_salesforce_limits_follow_its_documentation() -> None:
    from simulators.salesforce.errors import SALESFORCE_HTTP_LIMITS

    assert SALESFORCE_HTTP_LIMITS.max_uri == 16_384
    assert SALESFORCE_HTTP_LIMITS.body_limit("sf_ingest_batches") == 150 * MIB
    assert SALESFORCE_HTTP_LIMITS.body_limit("sf_sobject") == 4 * MIB


# -- the real servers ---------------------------------------------------------------------------

DEEP = b"[" * 10_000 + b"]" * 10_000


async def test_billing_answers_10000_deep_json_with_a_400_not_a_500(aiohttp_client: AiohttpClient) -> None:
    from simulators.billing.app import BillingSettings
    from simulators.billing.app import create_app as create_billing_app

    client = await aiohttp_client(create_billing_app(BillingSettings(rate_limit=None, clock_frozen=True)))
    response = await client.post(
        "/accounts",
        data=DEEP,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {defaults.BILLING_API_KEY}"},
    )
    assert response.status == 400
    problem = await response.json()
    assert (problem["code"], problem["detail"]) == (
        "invalid_json",
        "the JSON body nests more than 100 levels deep; at most 100 are allowed",
    )


async def test_billing_refuses_a_150_mb_account_before_reading_it(aiohttp_client: AiohttpClient) -> None:
    """The kit's 160 MB ceiling was every route's limit: JSON routes now take 4 MiB, and a
    Content-Length over that is refused at once (nothing of the body is read)."""
    from simulators.billing.app import BillingSettings
    from simulators.billing.app import create_app as create_billing_app

    client = await aiohttp_client(create_billing_app(BillingSettings(rate_limit=None, clock_frozen=True)))
    reader, writer = await asyncio.open_connection(client.host, client.port)
    head = (
        "POST /accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {defaults.BILLING_API_KEY}\r\nContent-Length: {150 * MIB}\r\n\r\n"
    )
    writer.write(head.encode())
    await writer.drain()
    async with asyncio.timeout(5):  # no body was sent: an answer proves none was awaited
        status_line = await reader.readline()
    writer.close()
    assert status_line.startswith(b"HTTP/1.1 413")


async def test_the_core_answers_deep_json_with_a_400(aiohttp_client: AiohttpClient, tmp_path: Path) -> None:
    from integration.core import CoreSettings
    from integration.service import create_app as create_core_app

    settings = CoreSettings(
        salesforce_url="http://127.0.0.1:9", billing_url="http://127.0.0.1:9", state_dir=tmp_path
    )
    client = await aiohttp_client(create_core_app(settings))
    response = await client.post(
        "/actions/link",
        data=DEEP,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {defaults.CORE_API_TOKEN}"},
    )
    assert response.status == 400
    assert response.content_type == "application/problem+json"
    assert (await response.json())["code"] == "invalid_json"
    too_big = await client.post("/actions/link", data=io.BytesIO(b"x" * (4 * MIB + 1)))
    assert too_big.status == 413
    assert (await too_big.json())["code"] == "payload_too_large"


async def test_a_handler_reading_past_its_routes_limit_gets_the_same_413(
    aiohttp_client: AiohttpClient,
) -> None:
    limits = HttpLimits(max_body=1024, route_bodies={"upload": 4096}, prefetch=False)
    client = await aiohttp_client(build("problem", http_limits=limits))

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(16):
            yield b"x" * 512

    response = await client.put("/api/uploads", data=chunks())
    assert response.status == 413
    assert (await response.json())["detail"] == "the request body is larger than 4096 bytes"
