"""Random operations (seeded) through the facade: only ``Problem`` is ever raised, and the books
stay consistent (lines sum to totals, paid + due = total, credit never negative, gap-free
sequences)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from contracts.problem import Problem
from simulators.billing.models.orders import EtlOption, OrderItemDraft, PriceOverrides
from simulators.billing.models.payments import PaymentDraft
from simulators.billing.service.system import BillingSystem
from simulators.kit.clock import Clock
from simulators.kit.ids import IdFactory
from tests.simulators.billing.engine.helpers import new_account, order, usd

ACTIONS = (
    "new",
    "add_on",
    "remove_add_on",
    "change_quantity",
    "rerate",
    "reterm",
    "replace",
    "renew",
    "cancel",
)


def random_item(rng: random.Random, billing: BillingSystem, account_id: str) -> OrderItemDraft:
    products = billing.products()
    services = billing.services(account_id=account_id) or billing.services()
    action = rng.choice(ACTIONS)
    today = billing.clock.today()
    return OrderItemDraft(
        action=action,  # type: ignore[arg-type]
        product_id=rng.choice(products).id if rng.random() < 0.9 else "prod_x",
        service_id=rng.choice(services).id if services and action != "new" else None,
        quantity=rng.choice([None, 1, 2, 5]),
        term_months=rng.choice([None, 12, 24, 36, 7]),
        effective_date=rng.choice(
            [None, today - timedelta(days=rng.randint(0, 40)), today + timedelta(days=rng.randint(1, 60))]
        ),
        price_overrides=rng.choice([None, PriceOverrides(recurring=usd(rng.randint(1, 300)))]),
        etl=rng.choice([None, EtlOption(apply=True), EtlOption(apply=False)]),
        proration=rng.choice(["default", "none", "immediate_invoice"]),  # type: ignore[arg-type]
        cancel_reason=rng.choice([None, "customer_request", "non_payment"]),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_operations_keep_the_books_consistent(clock: Clock, seed: int) -> None:
    rng = random.Random(seed)
    billing = BillingSystem(clock, IdFactory(seed))
    billing.load_seed(seed, {"accounts": 15, "services_per_account": 2})
    accounts = billing.find_accounts()
    accounts += [
        new_account(billing, cycle=c) for c in ("anniversary", "quarterly", "yearly", "monthly_1_approval")
    ]
    problems = 0
    for _ in range(400):
        account = rng.choice(accounts)
        roll = rng.random()
        try:
            if roll < 0.45:
                order(billing, account, random_item(rng, billing, account.id))
            elif roll < 0.6:
                amount = usd(rng.choice(["10", "99.99", "500", "2500"]))
                billing.create_payment(PaymentDraft(account_id=account.id, amount=amount))
            elif roll < 0.65 and billing.payments():
                billing.reverse_payment(rng.choice(billing.payments()).id)
            elif roll < 0.7:
                billing.bill_now(account.id)
            elif roll < 0.75:
                waiting = [r for r in billing.bill_runs() if r.status == "awaiting_approval"]
                if waiting:
                    billing.approve_bill_run(waiting[0].id)
            elif roll < 0.8 and billing.services(account_id=account.id):
                service = rng.choice(billing.services(account_id=account.id))
                billing.etl_quote(service.id, billing.clock.today() + timedelta(days=rng.randint(-30, 400)))
            else:
                await clock.advance(by=timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 23)))
        except Problem:
            problems += 1
    assert problems > 0  # the random inputs did hit the validation paths

    for invoice in billing.invoices():
        assert invoice.total.amount == sum((line.amount.amount for line in invoice.lines), Decimal(0))
        if invoice.status in ("posted", "partially_paid", "paid") and invoice.total.amount >= 0:
            assert invoice.amount_paid.amount + invoice.amount_due.amount == invoice.total.amount, invoice.id
            assert invoice.amount_due.amount >= 0
    for payment in billing.payments():
        assert payment.unapplied_amount.amount >= 0
        if payment.status == "succeeded":
            applied = sum((a.amount.amount for a in payment.applied), Decimal(0))
            assert applied + payment.unapplied_amount.amount == payment.amount.amount
    sequences: dict[str | None, list[int]] = {}
    for event in billing.events():
        sequences.setdefault(event.account_id, []).append(event.sequence)
    assert all(seq == list(range(1, len(seq) + 1)) for seq in sequences.values())
    for account in billing.find_accounts():
        summary = billing.account_summary(account.id)
        assert summary.unapplied_credit.amount >= 0
        assert summary.past_due_amount.amount <= summary.amount_due.amount
    assert billing.clock.today() > date(2025, 1, 1)
    billing.close()
