"""The web component without a browser: form rules, drift, sessions and CSRF, error pages, and a
system whose components are all down (the console still renders, saying so)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from multidict import MultiDict, MultiDictProxy

from contracts import defaults
from web.app import create_app
from web.console import financial_rows
from web.console_billing import fault_rule
from web.portal import payment_amount
from web.settings import PortalCustomer, WebSettings, parse_customer

DOWN = WebSettings(
    salesforce_url="http://127.0.0.1:9",
    billing_url="http://127.0.0.1:9",
    core_url="http://127.0.0.1:9",
    timeout=2,
)


def test_a_customer_option_is_email_equals_ban() -> None:
    assert parse_customer("Ada@Example.com=BAN7") == PortalCustomer(
        "ada@example.com", defaults.PORTAL_PASSWORD, "BAN7"
    )
    assert parse_customer("b@x.io:s3cret=BAN8") == PortalCustomer("b@x.io", "s3cret", "BAN8")
    for bad in ("nobody", "no-at-sign=BAN1", "a@b.c="):
        with pytest.raises(ValueError, match="expected email=BAN"):
            parse_customer(bad)


@pytest.mark.parametrize(
    ("raw", "due", "amount", "error"),
    [
        ("25", Decimal("30.00"), Decimal("25"), None),
        ("1,000.50", Decimal("2000"), Decimal("1000.50"), None),
        ("abc", Decimal("30"), None, "Enter an amount such as 25.00."),
        ("0", Decimal("30"), None, "Enter an amount greater than zero."),
        ("-3", Decimal("30"), None, "Enter an amount greater than zero."),
        ("NaN", Decimal("30"), None, "Enter an amount greater than zero."),
        ("1.005", Decimal("30"), None, "Use at most two decimals."),
        ("31", Decimal("30.00"), None, "You owe 30.00; pay at most that amount."),
    ],
)
def test_the_payment_amount_is_checked_before_billing_is_called(
    raw: str, due: Decimal, amount: Decimal | None, error: str | None
) -> None:
    assert payment_amount(raw, due) == (amount, error)


def _form(**fields: str) -> MultiDictProxy[str]:
    return MultiDictProxy(MultiDict(fields))


def test_a_fault_form_becomes_the_simulators_rule_or_says_what_is_wrong() -> None:
    typed, rule, errors = fault_rule(
        _form(
            simulator="billing",
            method="get",
            operation="getAccount",
            effect="status",
            status="503",
            times="2",
        )
    )
    assert errors == {}
    assert rule == {
        "method": "GET",
        "operation": "getAccount",
        "effect": {"type": "status", "status": 503},
        "times": 2,
    }
    assert typed["operation"] == "getAccount"

    _, _, errors = fault_rule(_form(simulator="nope", effect="latency", latency_ms="0", times="-1"))
    assert errors == {
        "simulator": "Choose Salesforce or billing.",
        "latency_ms": "Give a latency between 1 and 60000 ms.",
        "times": "Give a whole number of times, 1 or more (empty: every time).",
    }
    _, _, errors = fault_rule(_form(simulator="salesforce", effect="status", status="200"))
    assert errors == {"status": "Give an HTTP error status between 400 and 599."}


def test_account_360_marks_each_financial_field_that_drifts() -> None:
    record = {
        "Total_Amount_Billed__c": 100.0,
        "Due_Amount__c": 40.0,
        "Past_Due_Amount__c": None,
        "First_Invoice_Date__c": "2026-01-01",
    }
    summary: dict[str, Any] = {
        "total_billed": {"amount": "100.00", "currency": "USD"},
        "amount_due": {"amount": "0.00", "currency": "USD"},
        "past_due_amount": {"amount": "0.00", "currency": "USD"},
        "first_invoice": {"amount": {"amount": "100.00", "currency": "USD"}, "date": "2026-01-02"},
        "latest_invoice": None,
    }
    drift = {row["field"]: row["drift"] for row in financial_rows(record, summary)}
    assert drift == {
        "Total_Amount_Billed__c": False,
        "First_Invoice_Amount__c": True,  # never synced: null in the CRM, 100.00 in billing
        "First_Invoice_Date__c": True,
        "Latest_Invoice_Amount__c": False,
        "Latest_Invoice_Date__c": False,
        "Due_Amount__c": True,
        "Past_Due_Amount__c": False,  # null and 0.00 are the same amount
    }
    assert not any(row["drift"] for row in financial_rows(record, None))  # nothing to compare with


@pytest.fixture
async def client(aiohttp_client: Any) -> TestClient[Any, Any]:
    app = create_app(DOWN)

    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("a secret detail")

    app.router.add_get("/boom", boom)
    return await aiohttp_client(app)  # type: ignore[no-any-return]


async def test_every_console_page_renders_with_every_component_down(client: TestClient[Any, Any]) -> None:
    for path in (
        "/",
        "/salesforce",
        "/billing",
        "/faults",
        "/core",
        "/accounts",
        "/accounts/0015G0000000001QAA",
    ):
        response = await client.get(path)
        text = await response.text()
        assert response.status == 200, (path, text)
        assert "is down</strong> at <code>http://127.0.0.1:9</code>" in text or ">down<" in text, path
        assert "Traceback" not in text


async def test_an_unexpected_error_is_a_page_without_the_stack_trace(client: TestClient[Any, Any]) -> None:
    response = await client.get("/boom")
    text = await response.text()
    assert response.status == 500
    assert "Something went wrong on this page" in text
    assert "a secret detail" not in text
    assert "Traceback" not in text
    missing = await client.get("/no/such/page")
    assert missing.status == 404
    assert "There is no such page." in await missing.text()


async def test_a_post_without_the_sessions_csrf_token_is_refused(client: TestClient[Any, Any]) -> None:
    for path in ("/faults", "/billing/clock", "/core/reconcile", "/portal/login"):
        response = await client.post(path, data={"simulator": "billing"})
        assert response.status == 403, path
        assert "This form has expired" in await response.text()
    await client.get("/portal/login")  # a session and its token
    response = await client.post("/portal/login", data={"csrf_token": "forged", "email": "a@b.c"})
    assert response.status == 403


async def test_sign_in_checks_the_fields_and_never_says_which_one_was_wrong(
    client: TestClient[Any, Any],
) -> None:
    page = await (await client.get("/portal/login")).text()
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    empty = await client.post("/portal/login", data={"csrf_token": token, "email": "", "password": ""})
    text = await empty.text()
    assert empty.status == 400
    assert "Enter the email address you sign in with." in text
    assert "Enter your password." in text
    for email, password in (("nobody@q2c.local", defaults.PORTAL_PASSWORD), ("ada@q2c.local", "wrong")):
        response = await client.post(
            "/portal/login", data={"csrf_token": token, "email": email, "password": password}
        )
        assert response.status == 400
        assert "That email and password do not match." in await response.text()
    # Signed in, with billing down: a page saying so, not a crash.
    signed_in = await client.post(
        "/portal/login",
        data={"csrf_token": token, "email": "ada@q2c.local", "password": defaults.PORTAL_PASSWORD},
    )
    assert signed_in.status == 503
    assert "billing is down at http://127.0.0.1:9" in await signed_in.text()


async def test_retrying_a_dead_letter_asks_billing_to_resend_that_event(
    aiohttp_client: Any, aiohttp_server: Any
) -> None:
    replays: list[Any] = []

    async def replay(request: web.Request) -> web.Response:
        replays.append(await request.json())
        return web.json_response({"replayed": 1, "deliveries": ["wd_1"]}, status=202)

    fake_billing = web.Application()
    fake_billing.router.add_post("/__sim/webhooks/deliveries/replay", replay)
    billing = await aiohttp_server(fake_billing)
    client = await aiohttp_client(create_app(WebSettings(billing_url=str(billing.make_url("")).rstrip("/"))))
    page = await (await client.get("/portal/login")).text()
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

    response = await client.post(
        "/core/retry", data={"csrf_token": token, "event_id": "evt_0000000009"}, allow_redirects=False
    )
    assert response.status == 303
    assert response.headers["Location"] == "/core?notice=Billing+re-sent+evt_0000000009."
    assert replays == [{"message_ids": ["evt_0000000009"]}]
