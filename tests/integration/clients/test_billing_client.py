"""The core's billing client against a scripted server: Idempotency-Key on every mutation (the
same across retries), 429 Retry-After, 5xx backoff, problem+json errors, pagination, and responses
typed by the contract's generated models."""

import copy
from typing import Any

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpServer

from contracts import load_spec
from contracts.generated import billing_models as wire
from integration.clients.billing import BillingApiError, BillingClient, BillingConfig


class Script:
    def __init__(self, answers: list[tuple[int, Any, dict[str, str]]]) -> None:
        self.answers = answers
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self.bodies: list[Any] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append((request.method, request.path_qs, dict(request.headers)))
        if request.can_read_body:
            self.bodies.append(await request.json())
        status, body, headers = self.answers.pop(0)
        kind = "application/problem+json" if status >= 400 else "application/json"
        return web.json_response(body, status=status, headers=headers, content_type=kind)


async def make(
    aiohttp_server: AiohttpServer, answers: list[tuple[int, Any, dict[str, str]]]
) -> tuple[Script, BillingClient, list[float]]:
    script = Script(answers)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", script.handle)
    server = await aiohttp_server(app)
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    client = BillingClient(BillingConfig(str(server.make_url("")).rstrip("/"), "key"), sleep=sleep)
    return script, client, sleeps


EXAMPLES = load_spec("billing-adapter")["x-examples"]
ACCOUNT: dict[str, Any] = copy.deepcopy(EXAMPLES["account"])
DRAFT = wire.AccountCreate.model_validate(
    {
        "external_id": "001",
        "name": "Acme",
        "email": "billing@acme.example",
        "billing_address": {"line1": "1 Main St", "city": "Springfield", "postal_code": "1", "country": "US"},
        "bill_cycle_id": "bc_1",
        "account_category_id": "cat_1",
    }
)


def invoice(invoice_id: str) -> dict[str, Any]:
    return {**copy.deepcopy(EXAMPLES["invoice"]), "id": invoice_id}


async def test_mutations_carry_one_idempotency_key_through_retries(aiohttp_server: AiohttpServer) -> None:
    script, client, sleeps = await make(
        aiohttp_server,
        [
            (503, {"code": "upstream_unavailable"}, {}),
            (429, {"code": "rate_limited"}, {"Retry-After": "2"}),
            (201, ACCOUNT, {}),
        ],
    )
    async with client:
        created = await client.create_account(DRAFT, idempotency_key="q2c-link-001")
    assert created == wire.Account.model_validate(ACCOUNT)
    assert created.model_dump(mode="json") == ACCOUNT
    keys = {headers["Idempotency-Key"] for _, _, headers in script.seen}
    assert keys == {"q2c-link-001"}
    assert all(headers["Authorization"] == "Bearer key" for _, _, headers in script.seen)
    assert len(sleeps) == 2
    assert sleeps[1] == 2.0  # Retry-After honoured


async def test_reads_carry_no_idempotency_key(aiohttp_server: AiohttpServer) -> None:
    script, client, _ = await make(
        aiohttp_server, [(200, {"data": [ACCOUNT], "has_more": False, "next_cursor": None}, {})]
    )
    async with client:
        found = await client.find_account(external_id="001")
    assert found is not None
    assert found.number == ACCOUNT["number"]
    method, path, headers = script.seen[0]
    assert (method, path) == ("GET", "/accounts?external_id=001&limit=1")
    assert "Idempotency-Key" not in headers


async def test_problem_errors_raise_with_code_and_param(aiohttp_server: AiohttpServer) -> None:
    problem = {
        "type": "x",
        "title": "Unprocessable",
        "status": 422,
        "detail": "no such cycle",
        "code": "unknown_bill_cycle",
        "param": "bill_cycle_id",
    }
    _, client, sleeps = await make(aiohttp_server, [(422, problem, {})])
    async with client:
        with pytest.raises(BillingApiError) as error:
            await client.create_account(DRAFT, idempotency_key="k")
    assert (error.value.status, error.value.code, error.value.param, error.value.detail) == (
        422,
        "unknown_bill_cycle",
        "bill_cycle_id",
        "no such cycle",
    )
    assert sleeps == []  # 4xx is not retried


async def test_server_errors_give_up_after_the_retries(aiohttp_server: AiohttpServer) -> None:
    _, client, sleeps = await make(aiohttp_server, [(500, {"code": "internal_error"}, {})] * 6)
    async with client:
        with pytest.raises(BillingApiError) as error:
            await client.account_summary("acct_1")
    assert (error.value.status, error.value.code) == (500, "internal_error")
    assert len(sleeps) == 5
    for attempt, slept in enumerate(sleeps):  # exponential with "equal jitter": half to all of it
        assert 0.05 * 2**attempt <= slept <= 0.1 * 2**attempt


async def test_collect_walks_every_page(aiohttp_server: AiohttpServer) -> None:
    script, client, _ = await make(
        aiohttp_server,
        [
            (200, {"data": [invoice("i1"), invoice("i2")], "has_more": True, "next_cursor": "c2"}, {}),
            (200, {"data": [invoice("i3")], "has_more": False, "next_cursor": None}, {}),
        ],
    )
    async with client:
        assert [i.id for i in await client.invoices("acct_1")] == ["i1", "i2", "i3"]
    assert script.seen[1][1] == "/invoices?account_id=acct_1&limit=100&cursor=c2"


async def test_unreachable_billing_is_an_upstream_error(aiohttp_server: AiohttpServer) -> None:
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async with BillingClient(
        BillingConfig("http://127.0.0.1:9", "key", max_retries=2), sleep=sleep
    ) as client:
        with pytest.raises(BillingApiError) as error:
            await client.bill_cycles()
    assert (error.value.status, error.value.code) == (0, "upstream_unavailable")
    assert len(sleeps) == 2


async def test_only_the_fields_set_are_sent(aiohttp_server: AiohttpServer) -> None:
    script, client, _ = await make(aiohttp_server, [(200, ACCOUNT, {})])
    async with client:
        await client.update_account("acct_1", wire.AccountUpdate(external_id=None), idempotency_key="k")
    assert script.bodies == [{"external_id": None}]


async def test_a_response_off_the_contract_is_an_error_naming_the_field(
    aiohttp_server: AiohttpServer,
) -> None:
    broken = {key: value for key, value in ACCOUNT.items() if key != "number"}
    _, client, sleeps = await make(aiohttp_server, [(200, broken, {})])
    async with client:
        with pytest.raises(BillingApiError) as error:
            await client.get_account("acct_1")
    assert (error.value.status, error.value.code, error.value.param) == (200, "invalid_response", "number")
    assert error.value.detail == "the response is not a contract Account: number: Field required"
    assert sleeps == []
