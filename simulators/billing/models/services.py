"""Services (the subscription inventory), their terms and ETL quotes.

Conventions:
- all date ranges are inclusive: ``current_term.end_date`` and ``end_date`` are the last day in term
  and the last day in service;
- an order item's ``effective_date`` is the first day the change applies; for a cancel it is the
  first day *out* of service, so ``end_date = effective_date - 1 day`` (a cancel on the start
  date leaves zero days in service);
- ``charged_through`` is the last day whose recurring charge has been invoiced or accrued as a
  pending charge (``start_date - 1`` before anything was charged);
- ``renewal_type`` is what happens at term end: ``auto`` (a new term of the same length,
  ``auto_renewed``), ``month_to_month`` (rolls on without commitment and without ETL) or ``none``
  (the service expires: status ``expired``, ``end_date`` = term end).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from simulators.billing.models.catalog import EtlMethod, EtlRule
from simulators.billing.models.money import Money

ServiceStatus = Literal["pending", "active", "suspended", "cancelled", "replaced", "expired"]
TermType = Literal["initial", "auto_renewed", "customer_renewed", "month_to_month"]
RenewalType = Literal["auto", "month_to_month", "none"]
CancelReason = Literal["customer_request", "non_payment", "replaced", "term_ended", "parent_cancelled"]

#: Statuses in which a service still bills and can be changed.
LIVE_STATUSES: frozenset[str] = frozenset({"pending", "active", "suspended"})


@dataclass(frozen=True, slots=True)
class Term:
    """A commitment term; ``end_date`` and ``months`` are None for month-to-month."""

    start_date: date
    end_date: date | None
    months: int | None
    type: TermType


@dataclass
class Service:
    id: str
    number: str
    external_id: str | None
    account_id: str
    order_id: str
    product_id: str
    parent_service_id: str | None
    status: ServiceStatus
    quantity: int
    currency: str
    recurring_price: Money | None
    one_time_price: Money | None
    #: Months per recurrence of ``recurring_price`` (1 month, 3 quarter, 12 year).
    billing_period_months: int
    start_date: date
    current_term: Term | None
    renewal_type: RenewalType
    term_option_id: str | None
    etl_rule: EtlRule | None
    charged_through: date
    created_at: datetime
    updated_at: datetime
    end_date: date | None = None
    cancel_reason: CancelReason | None = None
    etl_amount: Money | None = None
    replaced_by_service_id: str | None = None
    replaces_service_id: str | None = None
    version: int = 1

    @property
    def live(self) -> bool:
        return self.status in LIVE_STATUSES

    def monthly_amount(self) -> Decimal:
        """The unrounded monthly recurring charge (price x quantity per month)."""
        if self.recurring_price is None:
            return Decimal(0)
        return self.recurring_price.amount * self.quantity / self.billing_period_months


@dataclass(frozen=True, slots=True)
class EtlBreakdownLine:
    """One stretch of remaining contract months billed at one percent of the MRC."""

    from_month: int
    to_month: int
    months: Decimal
    percent: Decimal
    amount: Money


@dataclass(frozen=True, slots=True)
class EtlQuote:
    service_id: str
    effective_date: date
    amount: Money
    method: EtlMethod | None
    months_remaining: Decimal
    monthly_recurring_charge: Money
    breakdown: tuple[EtlBreakdownLine, ...]
    cap_applied: bool
    waivable: bool
    #: Why nothing is owed, when nothing is (``no_term``, ``month_to_month``, ``term_ended``,
    #: ``no_etl_rule``); None when a liability was computed.
    reason: str | None = None
