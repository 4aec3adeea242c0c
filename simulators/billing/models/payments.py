"""Payments and their application to invoices.

Conventions:
- a payment is in the account currency and positive; it succeeds at once (``payment.succeeded``)
  unless it is declined: a ``card`` or ``ach`` payment whose ``reference`` starts with
  ``decline`` (like Stripe's test tokens), or a draft with ``failure_reason``, is recorded as
  ``failed`` (``payment.failed``) and applies nothing;
- ``apply_to`` None means auto: open invoices oldest first (by due date, then issue date, then
  number); an explicit list must name open invoices of the account, each amount at most the
  invoice's ``amount_due``, the sum at most the payment amount;
- what is left unapplied becomes unapplied credit when ``allow_overpayment`` is on (the default);
  otherwise a payment larger than what it can be applied to is refused with
  ``payment_exceeds_due`` (param ``amount``);
- unapplied credit is applied automatically to invoices posted later (oldest credit first), and
  each such application is added to the payment's ``applied`` list;
- reversing a succeeded payment removes all its applications (invoices re-open) and its credit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from simulators.billing.models.money import Money

PaymentStatus = Literal["pending", "succeeded", "failed", "reversed", "refunded"]
PaymentMethod = Literal["external", "card", "ach", "check"]


@dataclass(frozen=True, slots=True)
class PaymentApplication:
    invoice_id: str
    amount: Money
    applied_at: datetime


@dataclass(frozen=True, slots=True)
class ApplyTo:
    invoice_id: str
    amount: Money


@dataclass
class PaymentDraft:
    account_id: str | None = None
    amount: Money | None = None
    method: PaymentMethod = "external"
    reference: str | None = None
    received_date: date | None = None
    #: None: apply automatically, oldest invoice first.
    apply_to: list[ApplyTo] | None = None
    #: Records the payment as failed with this reason (a test hook for ``payment.failed``).
    failure_reason: str | None = None


@dataclass
class Payment:
    id: str
    number: str
    account_id: str
    status: PaymentStatus
    amount: Money
    method: PaymentMethod
    received_date: date
    applied: tuple[PaymentApplication, ...]
    unapplied_amount: Money
    created_at: datetime
    updated_at: datetime
    reference: str | None = None
    failure_reason: str | None = None
    reversed_at: datetime | None = None
    version: int = 1
