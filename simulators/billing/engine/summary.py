"""The account summary (billing-conventions 5.4; definitions on ``AccountSummary``) and the
``account.summary_changed`` event, fired once per operation when the figures changed."""

from __future__ import annotations

from simulators.billing.engine.charging import account_schedule
from simulators.billing.engine.ledger import unapplied_credit
from simulators.billing.engine.runtime import Runtime
from simulators.billing.models.accounts import Account, AccountSummary, InvoiceRef, PaymentRef
from simulators.billing.models.invoices import ISSUED_STATUSES, OPEN_STATUSES
from simulators.billing.models.money import Money


def compute(rt: Runtime, account: Account) -> AccountSummary:
    currency = account.currency
    zero = Money.zero(currency).amount
    total = due = past_due = zero
    first: InvoiceRef | None = None
    latest: InvoiceRef | None = None
    first_key = latest_key = None
    for invoice in rt.store.account_invoices(account.id):
        if invoice.status not in ISSUED_STATUSES:
            continue
        total += invoice.total.amount
        if invoice.status in OPEN_STATUSES:
            due += invoice.amount_due.amount
            if invoice.past_due:
                past_due += invoice.amount_due.amount
        key = (invoice.issue_date, invoice.number)
        if first_key is None or key < first_key:
            first_key = key
            first = InvoiceRef(invoice.id, invoice.number, invoice.total, invoice.issue_date)
        if latest_key is None or key > latest_key:
            latest_key = key
            latest = InvoiceRef(invoice.id, invoice.number, invoice.total, invoice.issue_date)

    last_payment: PaymentRef | None = None
    for payment in rt.store.account_payments(account.id):
        if payment.status == "succeeded" and (
            last_payment is None or payment.received_date >= last_payment.date
        ):
            last_payment = PaymentRef(payment.id, payment.amount, payment.received_date)

    pending = rt.store.pending_by_account.get(account.id, {})
    pending_total = sum((c.amount.amount for c in pending.values()), zero)
    billable = bool(pending) or any(s.live for s in rt.store.account_services(account.id))
    schedule = account_schedule(rt, account)
    next_date = schedule.next_start_after(rt.today()) if billable and schedule is not None else None
    return AccountSummary(
        account_id=account.id,
        currency=currency,
        total_billed=Money(total, currency),
        first_invoice=first,
        latest_invoice=latest,
        amount_due=Money(due, currency),
        past_due_amount=Money(past_due, currency),
        unapplied_credit=unapplied_credit(rt, account.id, currency),
        pending_charges=Money(pending_total, currency),
        next_invoice_date=next_date,
        last_payment=last_payment,
        as_of=rt.now(),
    )


def remember(rt: Runtime, account: Account) -> None:
    """The baseline of a new account (no event)."""
    rt.store.last_summary[account.id] = compute(rt, account)
    rt.store.summary_version[account.id] = 1


def flush(rt: Runtime) -> None:
    dirty, rt.dirty = rt.dirty, {}
    for account_id in dirty:
        account = rt.store.accounts.get(account_id)
        if account is None:
            continue
        summary = compute(rt, account)
        if summary.same_figures(rt.store.last_summary.get(account_id)):
            continue
        rt.store.last_summary[account_id] = summary
        version = rt.store.summary_version.get(account_id, 0) + 1
        rt.store.summary_version[account_id] = version
        rt.emit(
            "account.summary_changed",
            summary,
            object_type="account",
            account_id=account_id,
            object_id=account_id,
            object_version=version,
        )
