"""Applying money to invoices: payments, unapplied credit and credit invoices.

Conventions:
- applying X to an invoice raises ``amount_paid`` and lowers ``amount_due`` by X; the invoice
  becomes ``partially_paid``, or ``paid`` (with ``paid_date``, and ``invoice.paid``) at zero due;
- unapplied credit (payments' unapplied parts, credit invoices' ``credit_remaining``) is
  consumed in creation order, each application recorded on the paying payment;
- open invoices are paid oldest first: by due date, then issue date, then number.
"""

from __future__ import annotations

from datetime import date

from simulators.billing.engine.runtime import Runtime
from simulators.billing.models.invoices import OPEN_STATUSES, Invoice
from simulators.billing.models.money import Money
from simulators.billing.models.payments import PaymentApplication


def open_invoices(rt: Runtime, account_id: str) -> list[Invoice]:
    found = [
        inv
        for inv in rt.store.account_invoices(account_id)
        if inv.status in OPEN_STATUSES and inv.amount_due.amount > 0
    ]
    return sorted(found, key=lambda inv: (inv.due_date, inv.issue_date, inv.number))


def apply_amount(rt: Runtime, invoice: Invoice, amount: Money, paid_date: date) -> None:
    invoice.amount_paid = invoice.amount_paid + amount
    invoice.amount_due = invoice.amount_due - amount
    if invoice.amount_due.amount == 0:
        invoice.status = "paid"
        invoice.paid_date = paid_date
    else:
        invoice.status = "partially_paid"
    rt.touch(invoice)
    rt.mark_dirty(invoice.account_id)
    if invoice.status == "paid":
        rt.emit("invoice.paid", invoice, object_type="invoice", account_id=invoice.account_id)


def unapply_amount(rt: Runtime, invoice: Invoice, amount: Money) -> None:
    invoice.amount_paid = invoice.amount_paid - amount
    invoice.amount_due = invoice.amount_due + amount
    invoice.status = "posted" if invoice.amount_paid.amount == 0 else "partially_paid"
    invoice.paid_date = None
    rt.touch(invoice)
    rt.mark_dirty(invoice.account_id)


def unapplied_credit(rt: Runtime, account_id: str, currency: str) -> Money:
    result = Money.zero(currency)
    for kind, source_id in rt.store.credit_sources.get(account_id, []):
        if kind == "payment":
            payment = rt.store.payments[source_id]
            if payment.status == "succeeded":
                result = result + payment.unapplied_amount
        else:
            credit = rt.store.invoices[source_id].credit_remaining
            if credit is not None:
                result = result + credit
    return result


def apply_credit(rt: Runtime, invoice: Invoice) -> None:
    """Pay ``invoice`` from the account's unapplied credit, oldest credit first."""
    sources = rt.store.credit_sources.get(invoice.account_id)
    if not sources or invoice.amount_due.amount <= 0:
        return
    today = rt.today()
    remaining: list[tuple[str, str]] = []
    for kind, source_id in sources:
        if invoice.amount_due.amount <= 0:
            remaining.append((kind, source_id))
            continue
        if kind == "payment":
            payment = rt.store.payments[source_id]
            if payment.status != "succeeded" or payment.unapplied_amount.amount <= 0:
                continue
            take = min(payment.unapplied_amount.amount, invoice.amount_due.amount)
            amount = Money(take, invoice.currency)
            payment.unapplied_amount = payment.unapplied_amount - amount
            payment.applied = (*payment.applied, PaymentApplication(invoice.id, amount, rt.now()))
            rt.touch(payment)
            apply_amount(rt, invoice, amount, today)
            if payment.unapplied_amount.amount > 0:
                remaining.append((kind, source_id))
        else:
            credit_invoice = rt.store.invoices[source_id]
            credit = credit_invoice.credit_remaining
            if credit is None or credit.amount <= 0:
                continue
            take = min(credit.amount, invoice.amount_due.amount)
            amount = Money(take, invoice.currency)
            credit_invoice.credit_remaining = credit - amount
            rt.touch(credit_invoice)
            apply_amount(rt, invoice, amount, today)
            if credit_invoice.credit_remaining.amount > 0:
                remaining.append((kind, source_id))
    rt.store.credit_sources[invoice.account_id] = remaining


def add_credit_source(rt: Runtime, account_id: str, kind: str, source_id: str) -> None:
    rt.store.credit_sources.setdefault(account_id, []).append((kind, source_id))
