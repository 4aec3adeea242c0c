"""Wire formats: money, decimals, dates and timestamps, and cursor pages."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from pydantic import BaseModel

from contracts.generated import billing_models as wire
from simulators.billing.api import parse, serialize
from simulators.billing.api.pagination import page, window
from simulators.billing.models.money import Money
from simulators.billing.models.payments import PaymentDraft
from simulators.billing.service.system import BillingSystem
from simulators.kit.clock import Clock
from simulators.kit.ids import IdFactory


def test_money_has_the_currency_exponent_rounded_half_up() -> None:
    assert serialize.money(Money(Decimal("99"), "USD")) == {"amount": "99.00", "currency": "USD"}
    assert serialize.money(Money(Decimal("0.125"), "USD")) == {"amount": "0.13", "currency": "USD"}
    assert serialize.money(Money(Decimal("-5.5"), "EUR")) == {"amount": "-5.50", "currency": "EUR"}
    assert serialize.money(Money(Decimal("1500"), "JPY")) == {"amount": "1500", "currency": "JPY"}
    assert serialize.money(Money(Decimal("1E+3"), "USD")) == {"amount": "1000.00", "currency": "USD"}


def test_decimals_never_use_exponents() -> None:
    assert serialize.decimal(Decimal("16")) == "16"
    assert serialize.decimal(Decimal("1.50")) == "1.5"
    assert serialize.decimal(Decimal("1E+2")) == "100"
    assert serialize.decimal(Decimal("0.00")) == "0"
    assert serialize.decimal(Decimal("-0")) == "0"
    assert serialize.decimal(Decimal("12.9032258064516129")) == "12.9032258064516129"


def test_timestamps_are_utc_with_z_and_dates_are_plain() -> None:
    moment = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    assert serialize.timestamp(moment) == "2026-03-01T07:30:00Z"
    assert (
        serialize.timestamp(datetime(2026, 3, 1, 7, 30, 0, 1500, tzinfo=UTC)) == "2026-03-01T07:30:00.001500Z"
    )
    assert serialize.day(date(2026, 2, 28)) == "2026-02-28"


def test_parse_reads_what_serialize_writes() -> None:
    assert parse.money({"amount": "10.50", "currency": "USD"}) == Money(Decimal("10.50"), "USD")
    assert parse.timestamp("2026-03-01T07:30:00Z") == datetime(2026, 3, 1, 7, 30, tzinfo=UTC)
    assert parse.timestamp("2026-03-01T09:30:00+02:00") == datetime(2026, 3, 1, 7, 30, tzinfo=UTC)
    assert parse.day("2026-02-28") == date(2026, 2, 28)


def test_pages_follow_ids_and_a_cursor_never_goes_stale() -> None:
    items = [SimpleNamespace(id=f"x_{n:04d}") for n in (3, 1, 2, 5, 4)]
    first = page(items, lambda i: {"id": i.id}, limit=2, cursor=None)
    assert first == {"data": [{"id": "x_0001"}, {"id": "x_0002"}], "next_cursor": "x_0002", "has_more": True}
    rest, next_cursor = window(items, limit=10, cursor="x_0002")
    assert [i.id for i in rest] == ["x_0003", "x_0004", "x_0005"]
    assert next_cursor is None
    # The item named by the cursor may be gone: the page starts after where it was.
    gone, _ = window([i for i in items if i.id != "x_0002"], limit=1, cursor="x_0002")
    assert [i.id for i in gone] == ["x_0003"]
    exact, more = window(items, limit=5, cursor=None)
    assert len(exact) == 5
    assert more is None


async def test_every_serialised_object_is_its_contract_model_exactly() -> None:
    """The serialisers are driven by the generated models: each output parses as its model, and
    dumping the parsed model gives the same JSON back (no field missing, renamed or extra)."""
    clock = Clock(start=datetime(2025, 1, 1, tzinfo=UTC), frozen=True)
    billing = BillingSystem(clock, IdFactory(7))
    billing.load_seed(7, {"accounts": 12, "services_per_account": 1})
    await clock.advance(to=datetime(2025, 2, 2, tzinfo=UTC))
    accounts = billing.find_accounts()
    account = accounts[0]
    due = billing.account_summary(account.id).amount_due
    billing.create_payment(PaymentDraft(account_id=account.id, amount=due, reference="t"))
    rendered: list[tuple[type[BaseModel], Any]] = [
        *[(wire.Account, serialize.account(a)) for a in accounts],
        *[(wire.AccountSummary, serialize.account_summary(billing.account_summary(a.id))) for a in accounts],
        *[(wire.BillCycle, serialize.bill_cycle(c)) for c in billing.bill_cycles()],
        *[(wire.AccountCategory, serialize.account_category(c)) for c in billing.account_categories()],
        *[(wire.Currency, serialize.currency(c)) for c in billing.currencies()],
        *[(wire.Product, serialize.product(p)) for p in billing.products()],
        *[(wire.Order, serialize.order(o)) for o in billing.orders()],
        *[(wire.Service, serialize.service(s)) for s in billing.services()],
        *[(wire.EtlQuote, serialize.etl_quote(billing.etl_quote(s.id))) for s in billing.services()[:3]],
        *[(wire.BillRun, serialize.bill_run(r)) for r in billing.bill_runs()],
        *[(wire.Invoice, serialize.invoice(i)) for i in billing.invoices()],
        *[(wire.Payment, serialize.payment(p)) for p in billing.payments()],
        *[(wire.Event, serialize.event(e)) for e in billing.events()[:50]],
    ]
    kinds = {model for model, _ in rendered}
    assert {wire.Invoice, wire.Payment, wire.BillRun, wire.EtlQuote, wire.Order} <= kinds
    for model, data in rendered:
        parsed = model.model_validate(data)
        assert json.loads(parsed.model_dump_json()) == data, model.__name__
