"""Billing accounts, their drafts and changes, and the financial summary (billing-conventions 5.4).

Conventions:
- ``external_id`` is the CRM key (the 18-character Salesforce Account Id), unique among accounts;
  ``number`` is the BAN (``BAN`` + 6 digits), assigned by billing;
- creating an account requires ``external_id``, ``email``, ``billing_address``, ``bill_cycle_id``
  and ``account_category_id``; the currency defaults to (and must equal) the bill cycle's;
- status: ``pending`` until the first service or charge activates, then ``active``; an update
  may suspend, resume or close it (close only without live services);
- ``bill_cycle_day`` anchors anniversary cycles: the day of month of the first activation;
- billing dates (effective, due, issue) are calendar dates; "today" for an account is the
  virtual clock's date in the account's ``timezone``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final, Literal

from simulators.billing.models.money import Money

AccountStatus = Literal["pending", "active", "suspended", "closed"]
AccountType = Literal["business", "person"]
BillDelivery = Literal["email", "paper", "both", "none"]


class Unset:
    """Marks a change field that was not given (None means "set to null")."""

    _instance: Unset | None = None

    def __new__(cls) -> Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Final = Unset()


@dataclass(frozen=True, slots=True)
class Address:
    line1: str
    city: str
    postal_code: str
    country: str  # ISO 3166-1 alpha-2
    line2: str | None = None
    region: str | None = None


@dataclass
class Account:
    id: str
    number: str
    external_id: str | None
    name: str
    type: AccountType
    email: str
    billing_address: Address
    currency: str
    bill_cycle_id: str
    account_category_id: str
    bill_delivery: BillDelivery
    timezone: str
    status: AccountStatus
    created_at: datetime
    updated_at: datetime
    metadata: dict[str, str] = field(default_factory=dict)
    bill_cycle_day: int | None = None
    version: int = 1


@dataclass
class AccountDraft:
    """A create request. Fields are optional here so missing ones get a per-field problem."""

    external_id: str | None = None
    name: str | None = None
    email: str | None = None
    billing_address: Address | None = None
    bill_cycle_id: str | None = None
    account_category_id: str | None = None
    type: AccountType = "business"
    currency: str | None = None
    bill_delivery: BillDelivery = "email"
    timezone: str = "UTC"
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass
class AccountChanges:
    """A partial update: ``UNSET`` fields are left alone; ``external_id=None`` unlinks.

    ``bill_cycle_id`` changes are refused (``unsupported_operation``): moving cycles mid-period
    needs a bill run GTV does out of band.
    """

    name: str | Unset = UNSET
    email: str | Unset = UNSET
    billing_address: Address | Unset = UNSET
    bill_delivery: BillDelivery | Unset = UNSET
    external_id: str | Unset | None = UNSET
    timezone: str | Unset = UNSET
    account_category_id: str | Unset = UNSET
    bill_cycle_id: str | Unset = UNSET
    status: AccountStatus | Unset = UNSET
    metadata: dict[str, str] | Unset = UNSET


@dataclass(frozen=True, slots=True)
class InvoiceRef:
    id: str
    number: str
    amount: Money
    date: date


@dataclass(frozen=True, slots=True)
class PaymentRef:
    id: str
    amount: Money
    date: date


@dataclass(frozen=True, slots=True)
class AccountSummary:
    """The account's financial aggregates, all in the account currency.

    - ``total_billed``: sum of ``total`` over posted, partially paid and paid invoices (void and
      draft excluded; tax included; credit invoices, whose totals are negative, subtract);
    - ``first_invoice`` / ``latest_invoice``: by issue date, then invoice number;
    - ``amount_due``: sum of open balances (``amount_due``) on posted invoices; unapplied credit
      is *not* netted (it is reported apart as ``unapplied_credit``);
    - ``past_due_amount``: the part of ``amount_due`` on invoices whose due date is before today
      in the account's time zone;
    - ``unapplied_credit``: unapplied parts of succeeded payments plus unused credit invoices;
    - ``pending_charges``: charges accrued but not yet invoiced (one-time fees, prorations,
      early termination, accrued recurring); recurring charges of future periods are excluded;
    - ``next_invoice_date``: the next bill date of the account's cycle after today, when the
      account has live services or pending charges; None otherwise;
    - ``last_payment``: the latest succeeded payment by received date, then creation order.
    """

    account_id: str
    currency: str
    total_billed: Money
    first_invoice: InvoiceRef | None
    latest_invoice: InvoiceRef | None
    amount_due: Money
    past_due_amount: Money
    unapplied_credit: Money
    pending_charges: Money
    next_invoice_date: date | None
    last_payment: PaymentRef | None
    as_of: datetime

    def same_figures(self, other: AccountSummary | None) -> bool:
        """Equal except for ``as_of`` (decides whether ``account.summary_changed`` fires)."""
        return other is not None and _figures(self) == _figures(other)


def _figures(summary: AccountSummary) -> tuple[object, ...]:
    return (
        summary.total_billed,
        summary.first_invoice,
        summary.latest_invoice,
        summary.amount_due,
        summary.past_due_amount,
        summary.unapplied_credit,
        summary.pending_charges,
        summary.next_invoice_date,
        summary.last_payment,
    )
