"""Bill runs: invoices for a set of accounts through a date, posted at once or after approval.

Conventions:
- billing through date D: every pending charge dated on or before D, plus each live service's
  recurring charge for every period (or part) from its ``charged_through + 1`` up to the end of
  the cycle period holding D (recurring in advance), stopping at its last billable day;
- lines: recurring lines in service order, then pending charges in accrual order;
- an account with nothing to bill gets no invoice; an account holding a draft invoice (run
  awaiting approval) is skipped by later runs until that run is approved;
- a cycle run whose previous run awaits approval is skipped (GTV: the next run waits for the
  approval); the charges are picked up by the next run, since billing always catches up;
- posting: ``issue_date`` is the UTC date of posting, ``due_date = issue_date +
  payment_term_days``; then unapplied credit is applied; a negative total becomes a credit
  invoice (status ``paid``, ``credit_remaining``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from simulators.billing.engine import aging
from simulators.billing.engine.charging import account_schedule, describe, last_billable_day, segments
from simulators.billing.engine.ledger import add_credit_source, apply_credit
from simulators.billing.engine.runtime import Runtime, paused_gc
from simulators.billing.models.accounts import Account
from simulators.billing.models.cycles import ONE_DAY, Period
from simulators.billing.models.invoices import (
    OPEN_STATUSES,
    BillRun,
    BillRunTrigger,
    Invoice,
    InvoiceLine,
    PendingCharge,
)
from simulators.billing.models.money import Money


def build_invoice(rt: Runtime, account: Account, through: date, bill_run_id: str | None) -> Invoice | None:
    """A draft invoice with everything billable through ``through`` (charges are consumed)."""
    currency = account.currency
    store = rt.store
    lines = _recurring_lines(rt, account, through)
    taken = _take_pending(rt, account, through)
    lines.extend(_pending_line(rt, charge) for charge in taken)
    if not lines:
        return None
    invoice_id = rt.ids.prefixed("inv")
    for charge in taken:
        charge.invoice_id = invoice_id

    subtotal = Money(sum((line.amount.amount for line in lines), Money.zero(currency).amount), currency)
    periods = [line.period for line in lines if line.period is not None]
    now = rt.now()
    invoice = Invoice(
        id=invoice_id,
        number=f"INV-{rt.ids.next_number('invoice'):06d}",
        account_id=account.id,
        status="draft",
        currency=currency,
        lines=tuple(lines),
        subtotal=subtotal,
        tax=Money.zero(currency),
        total=subtotal,
        amount_paid=Money.zero(currency),
        amount_due=subtotal,
        issue_date=through,
        due_date=through,
        period=Period(min(p.start_date for p in periods), max(p.end_date for p in periods))
        if periods
        else None,
        created_at=now,
        updated_at=now,
        bill_run_id=bill_run_id,
    )
    store.add_invoice(invoice)
    rt.mark_dirty(account.id)
    return invoice


def _recurring_lines(rt: Runtime, account: Account, through: date) -> list[InvoiceLine]:
    """Each live service's recurring charge for every period (or part) from its
    ``charged_through + 1`` to the end of the cycle period holding ``through``, stopping at its
    last billable day; the services are marked charged through what was billed."""
    store = rt.store
    lines: list[InvoiceLine] = []
    schedule = account_schedule(rt, account)
    if schedule is None:
        return lines
    horizon = schedule.period_containing(through).end_date
    for service_id in store.services_by_account.get(account.id, ()):
        service = store.services[service_id]
        if service.status not in ("active", "suspended") or service.recurring_price is None:
            continue
        first = max(service.charged_through + ONE_DAY, service.start_date)
        if first > through:
            continue
        last = horizon
        stop = last_billable_day(service)
        if stop is not None and stop < last:
            last = stop
        if last < first:
            continue
        name = store.products[service.product_id].name
        for seg in segments(rt, schedule, service, first, last):
            lines.append(
                InvoiceLine(
                    id=rt.ids.prefixed("il"),
                    charge_type="recurring",
                    description=describe(name, seg.part),
                    quantity=service.quantity,
                    unit_amount=Money.of(seg.unit, account.currency),
                    amount=Money.of(seg.amount, account.currency),
                    service_id=service.id,
                    product_id=service.product_id,
                    period=seg.part,
                )
            )
        service.charged_through = last
    return lines


def _take_pending(rt: Runtime, account: Account, through: date) -> list[PendingCharge]:
    """The account's pending charges dated on or before ``through``, in accrual order, removed
    from the pending set."""
    pending = rt.store.pending_by_account.get(account.id)
    taken: list[PendingCharge] = []
    if pending:
        for charge in list(pending.values()):
            if charge.charge_date > through:
                continue
            taken.append(charge)
            del pending[charge.id]
    return taken


def _pending_line(rt: Runtime, charge: PendingCharge) -> InvoiceLine:
    return InvoiceLine(
        id=rt.ids.prefixed("il"),
        charge_type=charge.charge_type,
        description=charge.description,
        quantity=charge.quantity,
        unit_amount=charge.unit_amount,
        amount=charge.amount,
        service_id=charge.service_id,
        product_id=charge.product_id,
        period=charge.period,
    )


def post_invoice(rt: Runtime, invoice: Invoice) -> None:
    account = rt.store.accounts[invoice.account_id]
    category = rt.store.categories[account.account_category_id]
    issue = rt.today()
    invoice.issue_date = issue
    invoice.due_date = issue + timedelta(days=category.payment_term_days)
    invoice.posted_at = rt.now()
    if invoice.total.amount <= 0:
        invoice.status = "paid"
        invoice.amount_due = Money.zero(invoice.currency)
        invoice.paid_date = issue
        if invoice.total.amount < 0:
            invoice.credit_remaining = -invoice.total
            add_credit_source(rt, account.id, "invoice", invoice.id)
    else:
        invoice.status = "posted"
    rt.store.draft_invoice_by_account.pop(account.id, None)
    rt.touch(invoice)
    rt.mark_dirty(account.id)
    rt.emit("invoice.posted", invoice, object_type="invoice", account_id=account.id)
    if invoice.status == "posted":
        if rt.settings.auto_apply_credit:
            apply_credit(rt, invoice)
        if invoice.status in OPEN_STATUSES:
            aging.schedule_aging(rt, invoice)


def run(
    rt: Runtime,
    accounts: Iterable[Account],
    *,
    through: date,
    auto_approve: bool,
    trigger: BillRunTrigger,
    bill_cycle_id: str | None = None,
    account_ids: tuple[str, ...] | None = None,
) -> BillRun:
    now = rt.now()
    bill_run = BillRun(
        id=rt.ids.prefixed("br"),
        number=f"BR-{rt.ids.next_number('bill_run'):06d}",
        status="running",
        trigger=trigger,
        through_date=through,
        auto_approve=auto_approve,
        created_at=now,
        updated_at=now,
        bill_cycle_id=bill_cycle_id,
        account_ids=account_ids,
    )
    rt.store.bill_runs[bill_run.id] = bill_run
    invoices: list[Invoice] = []
    count = 0
    with paused_gc():
        for account in accounts:
            if account.status == "closed" or account.id in rt.store.draft_invoice_by_account:
                continue
            count += 1
            invoice = build_invoice(rt, account, through, bill_run.id)
            if invoice is None:
                continue
            invoices.append(invoice)
            if auto_approve:
                post_invoice(rt, invoice)
            else:
                rt.store.draft_invoice_by_account[account.id] = invoice.id
    bill_run.invoice_ids = tuple(inv.id for inv in invoices)
    bill_run.invoice_count = len(invoices)
    bill_run.account_count = count
    bill_run.totals = _totals(invoices)
    if auto_approve:
        _complete(rt, bill_run)
    else:
        bill_run.status = "awaiting_approval"
        if bill_cycle_id is not None:
            rt.store.open_run_by_cycle[bill_cycle_id] = bill_run.id
    return bill_run


def approve(rt: Runtime, bill_run: BillRun) -> None:
    with paused_gc():
        for invoice_id in bill_run.invoice_ids:
            invoice = rt.store.invoices[invoice_id]
            if invoice.status == "draft":
                post_invoice(rt, invoice)
    bill_run.approved_at = rt.now()
    if (
        bill_run.bill_cycle_id is not None
        and rt.store.open_run_by_cycle.get(bill_run.bill_cycle_id) == bill_run.id
    ):
        del rt.store.open_run_by_cycle[bill_run.bill_cycle_id]
    _complete(rt, bill_run)


def _complete(rt: Runtime, bill_run: BillRun) -> None:
    bill_run.status = "completed"
    bill_run.completed_at = rt.now()
    rt.touch(bill_run)
    rt.emit("bill_run.completed", bill_run, object_type="bill_run", account_id=None)


def _totals(invoices: list[Invoice]) -> tuple[Money, ...]:
    sums: dict[str, Money] = {}
    for invoice in invoices:
        current = sums.get(invoice.currency)
        sums[invoice.currency] = invoice.total if current is None else current + invoice.total
    return tuple(sums[c] for c in sorted(sums))


def bill_account(rt: Runtime, account: Account, through: date | None = None) -> Invoice | None:
    """Bill one account now (bill-now, ``immediate_invoice`` order items), posted at once,
    through ``through`` (default: the account-local today)."""
    result = run(
        rt,
        [account],
        through=through or rt.local_today(account),
        auto_approve=True,
        trigger="bill_now",
        account_ids=(account.id,),
    )
    return rt.store.invoices[result.invoice_ids[0]] if result.invoice_ids else None
