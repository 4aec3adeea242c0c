"""Payments, their application, unapplied credit, reversal and the account summary."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from contracts.problem import Problem
from simulators.billing.models.accounts import InvoiceRef, PaymentRef
from simulators.billing.models.orders import OrderItemDraft
from simulators.billing.models.payments import ApplyTo, PaymentDraft
from simulators.billing.service.system import BillingSystem, EngineSettings
from simulators.kit.clock import Clock
from simulators.kit.ids import IdFactory
from tests.simulators.billing.engine.helpers import eur, new_account, order, subscribe, usd


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


async def billed_account(system: BillingSystem, clock: Clock, months: int = 2):  # type: ignore[no-untyped-def]
    """An account with a 80.00/month server, billed Feb 1 (160.00) and then 80.00 a month."""
    account = new_account(system)
    subscribe(system, account, "VS-4")
    for month in range(2, 2 + months):
        await clock.advance(to=at(date(2025, month, 1)))
    return account


async def test_auto_application_pays_oldest_first(system: BillingSystem, clock: Clock) -> None:
    account = await billed_account(system, clock)  # Feb 1: 160.00, Mar 1: 80.00
    feb, mar = system.invoices(account_id=account.id)
    payment = system.create_payment(PaymentDraft(account_id=account.id, amount=usd("200"), reference="chk-1"))
    assert (payment.status, payment.number, payment.received_date) == (
        "succeeded",
        "PAY-000001",
        date(2025, 3, 1),
    )
    assert [(a.invoice_id, a.amount) for a in payment.applied] == [
        (feb.id, usd("160.00")),
        (mar.id, usd("40.00")),
    ]
    assert payment.unapplied_amount == usd("0.00")
    assert (feb.status, feb.paid_date, feb.amount_due) == ("paid", date(2025, 3, 1), usd("0.00"))
    assert (mar.status, mar.amount_paid, mar.amount_due) == ("partially_paid", usd("40.00"), usd("40.00"))
    types = [e.type for e in system.events(account_id=account.id)][-3:]
    assert types == ["payment.succeeded", "invoice.paid", "account.summary_changed"]
    summary = system.account_summary(account.id)
    assert summary.amount_due == usd("40.00")
    assert summary.last_payment == PaymentRef(payment.id, usd("200.00"), date(2025, 3, 1))
    assert summary.total_billed == usd("240.00")
    assert summary.first_invoice == InvoiceRef(feb.id, feb.number, usd("160.00"), date(2025, 2, 1))
    assert summary.latest_invoice == InvoiceRef(mar.id, mar.number, usd("80.00"), date(2025, 3, 1))


async def test_overpayment_becomes_credit_used_by_the_next_invoice(
    system: BillingSystem, clock: Clock
) -> None:
    account = await billed_account(system, clock, months=1)  # 160.00
    payment = system.create_payment(PaymentDraft(account_id=account.id, amount=usd("200")))
    assert payment.unapplied_amount == usd("40.00")
    assert system.account_summary(account.id).unapplied_credit == usd("40.00")
    await clock.advance(to=at(date(2025, 3, 1)))
    mar = system.invoices(account_id=account.id)[-1]
    assert (mar.status, mar.amount_paid, mar.amount_due) == ("partially_paid", usd("40.00"), usd("40.00"))
    assert payment.unapplied_amount == usd("0.00")
    assert payment.applied[-1].invoice_id == mar.id
    assert system.account_summary(account.id).unapplied_credit == usd("0.00")


async def test_overpayment_refused_when_disabled(clock: Clock) -> None:
    billing = BillingSystem(clock, IdFactory(3), EngineSettings(allow_overpayment=False))
    billing.load_seed(3, {})
    account = await billed_account(billing, clock, months=1)
    with pytest.raises(Problem) as caught:
        billing.create_payment(PaymentDraft(account_id=account.id, amount=usd("160.01")))
    problem = caught.value
    assert (problem.status, problem.code, problem.param) == (422, "payment_exceeds_due", "amount")
    assert "more than can be applied (160.00 of 160.00 due)" in problem.detail
    assert billing.payments() == []
    billing.create_payment(PaymentDraft(account_id=account.id, amount=usd("160.00")))
    billing.close()


async def test_explicit_application(system: BillingSystem, clock: Clock) -> None:
    account = await billed_account(system, clock)
    feb, mar = system.invoices(account_id=account.id)
    payment = system.create_payment(
        PaymentDraft(account_id=account.id, amount=usd("100"), apply_to=[ApplyTo(mar.id, usd("80"))])
    )
    assert [(a.invoice_id, a.amount) for a in payment.applied] == [(mar.id, usd("80.00"))]
    assert payment.unapplied_amount == usd("20.00")
    assert feb.status == "posted"


@pytest.mark.parametrize(
    ("draft_of", "code", "param"),
    [
        (lambda acct, inv: PaymentDraft(account_id=acct, amount=eur("10")), "currency_mismatch", "amount"),
        (lambda acct, inv: PaymentDraft(account_id=acct, amount=usd("0")), "invalid_amount", "amount"),
        (
            lambda acct, inv: PaymentDraft(account_id="acct_x", amount=usd("1")),
            "unknown_account",
            "account_id",
        ),
        (lambda acct, inv: PaymentDraft(account_id=acct), "missing_field", "amount"),
        (
            lambda acct, inv: PaymentDraft(
                account_id=acct, amount=usd("500"), apply_to=[ApplyTo(inv, usd("161"))]
            ),
            "overpayment",
            "apply_to.0.amount",
        ),
        (
            lambda acct, inv: PaymentDraft(
                account_id=acct, amount=usd("10"), apply_to=[ApplyTo(inv, usd("20"))]
            ),
            "application_exceeds_payment",
            "apply_to",
        ),
        (
            lambda acct, inv: PaymentDraft(
                account_id=acct, amount=usd("10"), apply_to=[ApplyTo("inv_x", usd("5"))]
            ),
            "unknown_invoice",
            "apply_to.0.invoice_id",
        ),
        (
            lambda acct, inv: PaymentDraft(
                account_id=acct, amount=usd("10"), apply_to=[ApplyTo(inv, usd("5")), ApplyTo(inv, usd("5"))]
            ),
            "duplicate_item",
            "apply_to.1.invoice_id",
        ),
    ],
)
async def test_invalid_payments(system: BillingSystem, clock: Clock, draft_of, code: str, param: str) -> None:  # type: ignore[no-untyped-def]
    account = await billed_account(system, clock, months=1)
    (invoice,) = system.invoices(account_id=account.id)
    with pytest.raises(Problem) as caught:
        system.create_payment(draft_of(account.id, invoice.id))
    assert (caught.value.code, caught.value.param) == (code, param)
    assert system.payments() == []
    assert invoice.amount_due == usd("160.00")


async def test_declined_card_payment_fails_without_applying(system: BillingSystem, clock: Clock) -> None:
    account = await billed_account(system, clock, months=1)
    payment = system.create_payment(
        PaymentDraft(
            account_id=account.id, amount=usd("160"), method="card", reference="decline-insufficient-funds"
        )
    )
    assert (payment.status, payment.failure_reason, payment.applied) == ("failed", "card_declined", ())
    assert system.events(account_id=account.id)[-1].type == "payment.failed"
    assert system.account_summary(account.id).amount_due == usd("160.00")


async def test_reversal_reopens_invoices_and_restores_past_due(system: BillingSystem, clock: Clock) -> None:
    account = await billed_account(system, clock, months=1)  # due Mar 3 (net 30)
    (invoice,) = system.invoices(account_id=account.id)
    payment = system.create_payment(PaymentDraft(account_id=account.id, amount=usd("160")))
    assert invoice.status == "paid"
    await clock.advance(to=at(date(2025, 3, 10)))
    assert not invoice.past_due  # it was paid when its due date went by
    system.reverse_payment(payment.id)
    assert (payment.status, payment.reversed_at) == ("reversed", at(date(2025, 3, 10)))
    assert (invoice.status, invoice.amount_due, invoice.paid_date) == ("posted", usd("160.00"), None)
    assert invoice.past_due
    types = [e.type for e in system.events(account_id=account.id)][-3:]
    assert types == ["payment.reversed", "invoice.past_due", "account.summary_changed"]
    assert system.account_summary(account.id).past_due_amount == usd("160.00")
    assert system.account_summary(account.id).last_payment is None
    with pytest.raises(Problem) as caught:
        system.reverse_payment(payment.id)
    assert (caught.value.status, caught.value.code) == (422, "invalid_payment_state")


async def test_credit_invoice_from_a_cancellation_pays_later_invoices(
    system: BillingSystem, clock: Clock
) -> None:
    account = new_account(system)
    kept = subscribe(system, account, "VS-4")
    dropped = subscribe(system, account, "INET-1000", price_overrides=None)
    await clock.advance(to=at(date(2025, 2, 1)))
    system.create_payment(
        PaymentDraft(account_id=account.id, amount=system.invoices(account_id=account.id)[0].total)
    )
    await clock.advance(to=at(date(2025, 2, 15)))
    # Cancel the 499.00 service mid-month without ETL: 249.50 credit.
    order(
        system,
        account,
        OrderItemDraft(action="cancel", service_id=dropped, etl=None, cancel_reason="non_payment"),
    )
    assert system.get_service(dropped).etl_amount == usd("0.00")  # month-to-month: nothing owed
    invoice = system.bill_now(account.id)
    assert invoice is not None
    assert invoice.total == usd("-249.50")
    assert (invoice.status, invoice.amount_due, invoice.credit_remaining) == (
        "paid",
        usd("0.00"),
        usd("249.50"),
    )
    assert system.account_summary(account.id).unapplied_credit == usd("249.50")
    await clock.advance(to=at(date(2025, 3, 1)))
    march = system.invoices(account_id=account.id)[-1]
    assert (march.total, march.amount_paid, march.status) == (usd("80.00"), usd("80.00"), "paid")
    assert system.account_summary(account.id).unapplied_credit == usd("169.50")
    assert system.get_service(kept).status == "active"


async def test_summary_changed_fires_only_when_figures_change(system: BillingSystem, clock: Clock) -> None:
    account = await billed_account(system, clock, months=1)
    before = len(system.events(types=["account.summary_changed"], account_id=account.id))
    system.account_summary(account.id)  # reading changes nothing
    system.etl_quote(system.services(account_id=account.id)[0].id, date(2025, 2, 10))
    assert len(system.events(types=["account.summary_changed"], account_id=account.id)) == before
    system.create_payment(PaymentDraft(account_id=account.id, amount=usd("10")))
    changed = system.events(types=["account.summary_changed"], account_id=account.id)
    assert len(changed) == before + 1
    assert changed[-1].subject.amount_due == usd("150.00")
    assert (changed[-1].object_type, changed[-1].object_id) == ("account", account.id)
