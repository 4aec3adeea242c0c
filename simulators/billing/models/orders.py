"""Orders: a list of items, each an action on the account's service inventory.

Conventions:
- actions: ``new`` (a subscription or one-time product), ``add_on`` (``service_id`` is the parent
  service, or ``parent_external_id`` names a ``new`` item of the same order), ``remove_add_on``
  (``service_id`` is the add-on service), ``change_quantity``, ``rerate``, ``reterm``,
  ``replace``, ``renew``, ``cancel``; ``transfer`` is ``unsupported_operation``;
- the whole order is validated before anything is applied: any invalid item raises a problem
  whose ``param`` is ``items[i].<field>`` and nothing is stored;
- an order with a product that requires approval waits in ``pending_approval``; an order with
  future-dated items is ``processing`` until the last item applies on the virtual clock, then
  ``completed`` (or ``failed`` if an item can no longer apply at its date); a ``draft`` order is
  kept until confirmed or voided;
- ``proration``: ``default`` (credits and charges for a mid-period change go on the next
  invoice), ``none`` (no proration lines) or ``immediate_invoice`` (invoiced at once);
- ``etl``: ``apply`` defaults to true for ``cancel`` and false for ``replace``;
  ``override_amount`` replaces the computed liability.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from simulators.billing.models.money import Money
from simulators.billing.models.services import RenewalType

OrderAction = Literal[
    "new",
    "add_on",
    "remove_add_on",
    "change_quantity",
    "rerate",
    "reterm",
    "replace",
    "renew",
    "cancel",
    "transfer",
]
OrderStatus = Literal["draft", "pending_approval", "processing", "completed", "failed", "voided"]
ItemStatus = Literal["pending", "pending_approval", "scheduled", "completed", "failed", "voided"]
Proration = Literal["default", "none", "immediate_invoice"]
CancelReasonIn = Literal["customer_request", "non_payment"]

SUPPORTED_ACTIONS: tuple[str, ...] = (
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


@dataclass(frozen=True, slots=True)
class PriceOverrides:
    recurring: Money | None = None
    one_time: Money | None = None


@dataclass(frozen=True, slots=True)
class EtlOption:
    apply: bool | None = None
    override_amount: Money | None = None


@dataclass(frozen=True, slots=True)
class OrderItemDraft:
    action: OrderAction
    external_id: str | None = None
    service_id: str | None = None
    product_id: str | None = None
    parent_external_id: str | None = None
    quantity: int | None = None
    price_overrides: PriceOverrides | None = None
    term_option_id: str | None = None
    term_months: int | None = None
    renewal_type: RenewalType | None = None
    effective_date: date | None = None
    cancel_reason: CancelReasonIn | None = None
    etl: EtlOption | None = None
    proration: Proration = "default"


@dataclass
class OrderDraft:
    account_id: str | None = None
    items: list[OrderItemDraft] = field(default_factory=list)
    external_id: str | None = None
    requested_by: str | None = None
    #: True keeps the order as a ``draft`` until ``confirm_order``.
    draft: bool = False


@dataclass(frozen=True, slots=True)
class ItemError:
    code: str
    message: str
    param: str | None = None


@dataclass(frozen=True, slots=True)
class OrderItem:
    #: Position in the order, 0-based.
    sequence: int
    action: OrderAction
    status: ItemStatus
    effective_date: date
    external_id: str | None = None
    service_id: str | None = None
    product_id: str | None = None
    parent_external_id: str | None = None
    quantity: int | None = None
    price_overrides: PriceOverrides | None = None
    term_option_id: str | None = None
    term_months: int | None = None
    renewal_type: RenewalType | None = None
    cancel_reason: CancelReasonIn | None = None
    etl: EtlOption | None = None
    proration: Proration = "default"
    result_service_id: str | None = None
    etl_amount: Money | None = None
    errors: tuple[ItemError, ...] = ()


@dataclass
class Order:
    id: str
    number: str
    account_id: str
    status: OrderStatus
    items: tuple[OrderItem, ...]
    created_at: datetime
    updated_at: datetime
    external_id: str | None = None
    requested_by: str | None = None
    completed_at: datetime | None = None
    version: int = 1
