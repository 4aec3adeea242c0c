"""Aging: a posted invoice with a balance becomes past due when the account-local date is after
its due date (at local midnight starting ``due_date + 1``); ``invoice.past_due`` fires once.

The instant is computed when the invoice posts and queued on the clock's work queue, so aging costs
nothing per day and no scan over invoices.
"""

from __future__ import annotations

from datetime import timedelta

from simulators.billing.engine.runtime import Runtime, local_midnight
from simulators.billing.models.invoices import OPEN_STATUSES, Invoice


def schedule_aging(rt: Runtime, invoice: Invoice) -> None:
    account = rt.store.accounts[invoice.account_id]
    due = local_midnight(invoice.due_date + timedelta(days=1), account.timezone)
    if due <= rt.now():
        mark_past_due(rt, invoice)
    else:
        rt.schedule(due, "aging", invoice.id)


def mark_past_due(rt: Runtime, invoice: Invoice) -> None:
    if invoice.past_due or invoice.status not in OPEN_STATUSES or invoice.amount_due.amount <= 0:
        return
    invoice.past_due = True
    rt.touch(invoice)
    rt.mark_dirty(invoice.account_id)
    rt.emit("invoice.past_due", invoice, object_type="invoice", account_id=invoice.account_id)


def recheck(rt: Runtime, invoice: Invoice) -> None:
    """After a balance re-opens (payment reversal): past due at once if its date has gone by."""
    account = rt.store.accounts[invoice.account_id]
    if rt.local_today(account) > invoice.due_date:
        mark_past_due(rt, invoice)


def process(rt: Runtime, invoice_id: str) -> None:
    invoice = rt.store.invoices.get(invoice_id)
    if invoice is not None:
        mark_past_due(rt, invoice)
