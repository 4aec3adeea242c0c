"""Payments: validation, application to invoices, unapplied credit and reversal
(conventions on ``models.payments``)."""

from __future__ import annotations

from decimal import Decimal

from simulators.billing.engine import aging
from simulators.billing.engine.ledger import add_credit_source, apply_amount, open_invoices, unapply_amount
from simulators.billing.engine.runtime import Runtime
from simulators.billing.models import errors
from simulators.billing.models.accounts import Account
from simulators.billing.models.invoices import OPEN_STATUSES, Invoice
from simulators.billing.models.money import Money, quantum
from simulators.billing.models.payments import Payment, PaymentApplication, PaymentDraft


def _plan_explicit(
    rt: Runtime, account: Account, draft: PaymentDraft, amount: Money
) -> list[tuple[Invoice, Money]]:
    assert draft.apply_to is not None
    plan: list[tuple[Invoice, Money]] = []
    seen: set[str] = set()
    applied = Decimal(0)
    for i, entry in enumerate(draft.apply_to):
        invoice = rt.store.invoices.get(entry.invoice_id)
        if invoice is None or invoice.account_id != account.id:
            raise errors.fail(
                errors.UNKNOWN_INVOICE,
                f"invoice {entry.invoice_id!r} does not exist on account {account.id!r}",
                param=f"apply_to.{i}.invoice_id",
            )
        if entry.invoice_id in seen:
            raise errors.fail(
                errors.DUPLICATE_ITEM,
                f"invoice {entry.invoice_id!r} is listed twice",
                param=f"apply_to.{i}.invoice_id",
            )
        seen.add(entry.invoice_id)
        if invoice.status not in OPEN_STATUSES or invoice.amount_due.amount <= 0:
            raise errors.fail(
                errors.INVALID_INVOICE_STATE,
                f"invoice {invoice.id!r} is {invoice.status} with nothing due",
                param=f"apply_to.{i}.invoice_id",
            )
        if entry.amount.currency != account.currency:
            raise errors.fail(
                errors.CURRENCY_MISMATCH,
                f"application in {entry.amount.currency}; the account bills in {account.currency}",
                param=f"apply_to.{i}.amount",
            )
        if entry.amount.amount <= 0:
            raise errors.fail(
                errors.INVALID_AMOUNT, "an application must be positive", param=f"apply_to.{i}.amount"
            )
        if entry.amount.amount > invoice.amount_due.amount:
            raise errors.fail(
                errors.OVERPAYMENT,
                f"{entry.amount} is more than the {invoice.amount_due} due on invoice {invoice.number}",
                param=f"apply_to.{i}.amount",
            )
        applied += entry.amount.amount
        plan.append((invoice, Money(entry.amount.amount, account.currency)))
    if applied > amount.amount:
        raise errors.fail(
            errors.APPLICATION_EXCEEDS_PAYMENT,
            f"applications total {applied}, more than the payment of {amount}",
            param="apply_to",
        )
    return plan


def _plan_auto(rt: Runtime, account: Account, amount: Money) -> list[tuple[Invoice, Money]]:
    plan: list[tuple[Invoice, Money]] = []
    left = amount.amount
    for invoice in open_invoices(rt, account.id):
        if left <= 0:
            break
        take = min(left, invoice.amount_due.amount)
        plan.append((invoice, Money(take, account.currency)))
        left -= take
    return plan


def create(rt: Runtime, account: Account, draft: PaymentDraft) -> Payment:
    if draft.amount is None:
        raise errors.missing("amount")
    amount = draft.amount
    if amount.currency != account.currency:
        raise errors.fail(
            errors.CURRENCY_MISMATCH,
            f"payment in {amount.currency}; the account bills in {account.currency}",
            param="amount",
        )
    if amount.amount <= 0:
        raise errors.fail(errors.INVALID_AMOUNT, "a payment must be positive", param="amount")
    if amount.amount != amount.amount.quantize(quantum(amount.currency)):
        raise errors.fail(
            errors.INVALID_AMOUNT,
            f"{amount.amount} has more decimals than {amount.currency} allows",
            param="amount",
        )
    amount = Money(amount.amount.quantize(quantum(amount.currency)), amount.currency)
    declined = draft.failure_reason is not None or (
        draft.method in ("card", "ach") and (draft.reference or "").lower().startswith("decline")
    )
    plan: list[tuple[Invoice, Money]] = []
    if not declined:
        plan = (
            _plan_explicit(rt, account, draft, amount)
            if draft.apply_to is not None
            else _plan_auto(rt, account, amount)
        )
        left = amount.amount - sum((m.amount for _, m in plan), Decimal(0))
        if left > 0 and not rt.settings.allow_overpayment:
            due = sum((inv.amount_due.amount for inv in open_invoices(rt, account.id)), Decimal(0))
            raise errors.fail(
                errors.PAYMENT_EXCEEDS_DUE,
                f"the payment of {amount} is more than can be applied ({amount.amount - left} of {due} due); "
                "overpayments are disabled",
                param="amount",
            )
    now = rt.now()
    payment = Payment(
        id=rt.ids.prefixed("pay"),
        number=f"PAY-{rt.ids.next_number('payment'):06d}",
        account_id=account.id,
        status="failed" if declined else "succeeded",
        amount=amount,
        method=draft.method,
        received_date=draft.received_date or rt.local_today(account),
        applied=tuple(PaymentApplication(inv.id, m, now) for inv, m in plan),
        unapplied_amount=Money.zero(account.currency) if declined else amount,
        created_at=now,
        updated_at=now,
        reference=draft.reference,
        failure_reason=(draft.failure_reason or "card_declined") if declined else None,
    )
    for _, m in plan:
        payment.unapplied_amount = payment.unapplied_amount - m
    rt.store.add_payment(payment)
    rt.mark_dirty(account.id)
    if declined:
        rt.emit("payment.failed", payment, object_type="payment", account_id=account.id)
        return payment
    rt.emit("payment.succeeded", payment, object_type="payment", account_id=account.id)
    for invoice, m in plan:
        apply_amount(rt, invoice, m, payment.received_date)
    if payment.unapplied_amount.amount > 0:
        add_credit_source(rt, account.id, "payment", payment.id)
    return payment


def reverse(rt: Runtime, payment: Payment) -> Payment:
    if payment.status != "succeeded":
        raise errors.fail(
            errors.INVALID_PAYMENT_STATE,
            f"payment {payment.id!r} is {payment.status}; only succeeded payments reverse",
        )
    payment.status = "reversed"
    payment.reversed_at = rt.now()
    payment.unapplied_amount = Money.zero(payment.amount.currency)
    rt.touch(payment)
    rt.mark_dirty(payment.account_id)
    rt.emit("payment.reversed", payment, object_type="payment", account_id=payment.account_id)
    for application in payment.applied:
        invoice = rt.store.invoices[application.invoice_id]
        if invoice.status == "void":
            continue
        unapply_amount(rt, invoice, application.amount)
        aging.recheck(rt, invoice)
    return payment
