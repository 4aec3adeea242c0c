"""Invoices, their lines, pending (unbilled) charges and bill runs.

Conventions:
- recurring charges are billed in advance: a bill run through date D invoices every recurring
  period (or part of one) that starts on or before D and has not been charged yet; one-time
  fees, proration lines and ETL accrue as pending charges and go on the next invoice;
- every line is rounded half-up on its own; ``subtotal`` is the sum of lines, ``tax`` is 0 (no
  tax engine), ``total = subtotal + tax``;
- an invoice is issued only when it has lines; its ``period`` spans its lines' periods;
- posting sets ``issue_date`` (the run's through date), ``due_date = issue_date +
  payment_term_days`` of the account's category, and applies any unapplied credit, oldest first;
- an invoice whose total is negative is a credit invoice: status ``paid``, nothing due, and
  ``credit_remaining`` (its absolute total) is applied to later invoices like unapplied cash;
- ``past_due`` is set by aging when the account-local date passes ``due_date`` with a balance
  open (``invoice.past_due`` fires once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from simulators.billing.models.cycles import Period
from simulators.billing.models.money import Money

ChargeType = Literal[
    "recurring",
    "one_time",
    "usage",
    "proration_credit",
    "proration_charge",
    "early_termination",
    "tax",
    "adjustment",
]
InvoiceStatus = Literal["draft", "posted", "paid", "partially_paid", "void"]
BillRunStatus = Literal["pending", "running", "awaiting_approval", "completed", "failed"]
BillRunTrigger = Literal["api", "schedule", "bill_now"]

#: Statuses counted as issued (in totals and balances).
ISSUED_STATUSES: frozenset[str] = frozenset({"posted", "paid", "partially_paid"})
#: Statuses with a balance that may still be open.
OPEN_STATUSES: frozenset[str] = frozenset({"posted", "partially_paid"})


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    id: str
    charge_type: ChargeType
    description: str
    quantity: int
    unit_amount: Money
    amount: Money
    service_id: str | None = None
    product_id: str | None = None
    period: Period | None = None


@dataclass
class PendingCharge:
    """A charge accrued but not yet on an issued invoice."""

    id: str
    account_id: str
    charge_type: ChargeType
    description: str
    quantity: int
    unit_amount: Money
    amount: Money
    #: The first day the charge may be invoiced (bill runs through an earlier date skip it).
    charge_date: date
    created_at: datetime
    service_id: str | None = None
    product_id: str | None = None
    period: Period | None = None
    invoice_id: str | None = None


@dataclass
class Invoice:
    id: str
    number: str
    account_id: str
    status: InvoiceStatus
    currency: str
    lines: tuple[InvoiceLine, ...]
    subtotal: Money
    tax: Money
    total: Money
    amount_paid: Money
    amount_due: Money
    issue_date: date
    due_date: date
    period: Period | None
    created_at: datetime
    updated_at: datetime
    bill_run_id: str | None = None
    paid_date: date | None = None
    posted_at: datetime | None = None
    past_due: bool = False
    credit_remaining: Money | None = None
    version: int = 1

    @property
    def is_overdue(self) -> bool:
        return self.past_due and self.amount_due.amount > 0


@dataclass
class BillRun:
    id: str
    number: str
    status: BillRunStatus
    trigger: BillRunTrigger
    through_date: date
    auto_approve: bool
    created_at: datetime
    updated_at: datetime
    bill_cycle_id: str | None = None
    account_ids: tuple[str, ...] | None = None
    invoice_ids: tuple[str, ...] = ()
    invoice_count: int = 0
    account_count: int = 0
    #: One total per currency of the invoices produced.
    totals: tuple[Money, ...] = ()
    completed_at: datetime | None = None
    approved_at: datetime | None = None
    version: int = 1
