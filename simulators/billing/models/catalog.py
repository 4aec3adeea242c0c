"""The product catalog: products, prices, term options (agreements) and their ETL rules.

Billing is the master of the catalog. Conventions:
- product ``type``: ``subscription`` (has a recurring price, may have a one-time installation
  price and add-ons), ``add_on`` (child of listed subscription products), ``one_time`` (a fee
  ordered on its own);
- a product has at most one price per (kind, currency): ``recurring`` (with ``interval`` month,
  quarter or year and ``interval_count``) and ``one_time``;
- an add-on must share the parent's currency and recurrence period (interval and count),
  otherwise the order item fails with ``incompatible_add_on``;
- a term option is GTV's agreement: ``term_months``, the ``end_action`` at term end and an
  optional ETL rule; ``term_months`` 1 with ``end_action`` ``month_to_month`` is a no-commitment
  term.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from simulators.billing.models.money import Money

ProductType = Literal["subscription", "add_on", "one_time"]
ProductStatus = Literal["draft", "active", "deactivated"]
PriceKind = Literal["recurring", "one_time", "usage"]
Interval = Literal["month", "quarter", "year"]
EndAction = Literal["renew", "month_to_month", "cancel"]
EtlMethod = Literal["remaining_mrc", "percent_remaining", "flat", "tiered"]
MonthRounding = Literal["floor", "ceil", "exact"]

INTERVAL_MONTHS: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True, slots=True)
class EtlTier:
    """``percent`` of the monthly recurring charge for each remaining contract month numbered
    ``from_month``..``to_month`` (1-based, inclusive) of the term."""

    from_month: int
    to_month: int
    percent: Decimal


@dataclass(frozen=True, slots=True)
class EtlRule:
    """The reference's recommended rule shape (billing-conventions 5.1).

    - ``remaining_mrc``: MRC x months remaining;
    - ``percent_remaining``: ``percent`` % of MRC x months remaining;
    - ``flat``: ``flat_amount`` (in the service currency; ``flat_amounts`` per currency);
    - ``tiered``: per remaining contract month, the percent of the tier holding that month;
    - ``cap`` (any method): the liability is ``min(computed, cap)``;
    - ``prorate_partial_month``: a partly remaining month counts as its day-prorated fraction
      (actual days), otherwise ``month_count_rounding`` decides (ceil: counts as a whole month,
      floor: not at all, exact: same as prorating).
    """

    method: EtlMethod
    percent: Decimal | None = None
    flat_amounts: tuple[Money, ...] = ()
    caps: tuple[Money, ...] = ()
    tiers: tuple[EtlTier, ...] = ()
    prorate_partial_month: bool = False
    month_count_rounding: MonthRounding = "ceil"

    def flat_amount(self, currency: str) -> Money | None:
        return next((m for m in self.flat_amounts if m.currency == currency), None)

    def cap(self, currency: str) -> Money | None:
        return next((m for m in self.caps if m.currency == currency), None)


@dataclass(frozen=True, slots=True)
class TermOption:
    id: str
    name: str
    term_months: int
    end_action: EndAction
    etl_rule: EtlRule | None = None


@dataclass(frozen=True, slots=True)
class Price:
    id: str
    kind: PriceKind
    amount: Money
    interval: Interval | None = None
    interval_count: int = 1

    @property
    def period_months(self) -> int:
        """Months per recurrence (0 for one-time prices)."""
        if self.interval is None:
            return 0
        return INTERVAL_MONTHS[self.interval] * self.interval_count


@dataclass
class Product:
    id: str
    code: str
    name: str
    type: ProductType
    status: ProductStatus
    description: str
    prices: tuple[Price, ...]
    term_options: tuple[TermOption, ...] = ()
    parent_product_ids: tuple[str, ...] = ()
    requires_approval: bool = False
    unit: str = "each"
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 1
    extra: dict[str, str] = field(default_factory=dict)

    def price(self, kind: PriceKind, currency: str) -> Price | None:
        return next((p for p in self.prices if p.kind == kind and p.amount.currency == currency), None)

    def currencies(self) -> set[str]:
        return {p.amount.currency for p in self.prices}

    def term_option(self, term_option_id: str) -> TermOption | None:
        return next((t for t in self.term_options if t.id == term_option_id), None)

    def term_option_for_months(self, months: int) -> TermOption | None:
        return next((t for t in self.term_options if t.term_months == months), None)


@dataclass
class ProductChanges:
    """A catalog edit (billing is the master of the catalog): ``None`` leaves a field alone."""

    name: str | None = None
    description: str | None = None
    status: ProductStatus | None = None
    requires_approval: bool | None = None
    prices: tuple[Price, ...] | None = None
    unit: str | None = None
    parent_product_ids: tuple[str, ...] | None = None
    term_options: tuple[TermOption, ...] | None = None


# -- catalog management (the contract's optional operations): what a client asks for ----------


@dataclass(frozen=True)
class PriceDraft:
    kind: PriceKind
    amount: Money
    interval: Interval | None = None
    interval_count: int = 1


@dataclass(frozen=True)
class TermOptionDraft:
    name: str
    term_months: int
    end_action: EndAction
    etl_rule: EtlRule | None = None


@dataclass(frozen=True)
class TermOptionChanges:
    """``etl_rule_set`` tells "remove the rule" (None) from "leave it" apart."""

    name: str | None = None
    end_action: EndAction | None = None
    etl_rule: EtlRule | None = None
    etl_rule_set: bool = False


@dataclass(frozen=True)
class ProductDraft:
    code: str
    name: str
    type: ProductType
    description: str = ""
    status: ProductStatus = "active"
    unit: str = "each"
    requires_approval: bool = False
    parent_product_ids: tuple[str, ...] = ()
    prices: tuple[PriceDraft, ...] = ()
    term_options: tuple[TermOptionDraft, ...] = ()
