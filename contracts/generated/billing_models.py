# GENERATED from contracts/billing-adapter.openapi.yaml by datamodel-code-generator:
# do not edit. Regenerate with `make models` (python -m contracts.generate).

from __future__ import annotations

from datetime import date as date_aliased
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, RootModel
from typing_extensions import TypeAliasType


class Id(RootModel[str]):
    root: Annotated[str, Field(description="An opaque billing id.", min_length=1)]


class IdInput(RootModel[str]):
    root: Annotated[
        str,
        Field(
            description="A billing id as the API accepts it (URL-safe characters).",
            max_length=100,
            min_length=1,
            pattern="^[A-Za-z0-9_~-][A-Za-z0-9_.~-]*$",
        ),
    ]


class ExternalIdInput(RootModel[str]):
    root: Annotated[
        str,
        Field(
            description="A CRM key (visible ASCII), e.g. an 18-character Salesforce Id.",
            max_length=255,
            min_length=1,
            pattern="^[!-~]+$",
        ),
    ]


class CurrencyCode(RootModel[str]):
    root: Annotated[str, Field(description="ISO 4217 alphabetic code.", pattern="^[A-Z]{3}$")]


class Decimal(RootModel[str]):
    root: Annotated[
        str,
        Field(
            description="A decimal number as a string (no float error).",
            pattern="^-?[0-9]+([.][0-9]+)?$",
        ),
    ]


class Money(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    amount: Annotated[
        str,
        Field(
            description="Decimal string with the currency's exponent.",
            pattern="^-?[0-9]+([.][0-9]+)?$",
        ),
    ]
    currency: Annotated[str, Field(description="ISO 4217 alphabetic code.", pattern="^[A-Z]{3}$")]


class MoneyInput(BaseModel):
    """
    A non-negative amount with at most the currency's decimals (422 `invalid_amount` beyond).
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    amount: Annotated[str, Field(max_length=16, pattern="^[0-9]{1,12}([.][0-9]{1,2})?$")]
    currency: Annotated[str, Field(description="ISO 4217 alphabetic code.", pattern="^[A-Z]{3}$")]


MetadataAdditionalProperty = TypeAliasType(
    "MetadataAdditionalProperty", Annotated[str, Field(max_length=500)]
)


class Metadata(RootModel[dict[str, MetadataAdditionalProperty]]):
    """
    Free-form string pairs kept with the object (at most 50).
    """

    root: Annotated[dict[str, MetadataAdditionalProperty], Field(max_length=50)]


class Period(BaseModel):
    """
    An inclusive date range.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    start_date: Annotated[
        date_aliased,
        Field(description="A calendar date (YYYY-MM-DD) in the account's time zone."),
    ]
    end_date: Annotated[
        date_aliased,
        Field(description="A calendar date (YYYY-MM-DD) in the account's time zone."),
    ]


class Problem(BaseModel):
    """
    RFC 9457 problem details with a stable `code`. Extra members may carry context.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    type: str
    title: str
    status: int
    detail: str
    code: Annotated[str, Field(description="Stable machine code.")]
    param: Annotated[str | None, Field(description="The offending field (dotted path)")] = None
    instance: str | None = None
    request_id: str | None = None


class BillCycle(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    name: str
    type: Literal["monthly", "quarterly", "yearly"]
    alignment: Annotated[
        Literal["calendar", "anniversary"],
        Field(
            description="calendar: every account bills on bill_day; anniversary: on the day of its first activation."
        ),
    ]
    currency: Annotated[str, Field(description="ISO 4217 alphabetic code.", pattern="^[A-Z]{3}$")]
    bill_day: Annotated[int | None, Field(ge=1, le=31)]
    anchor_month: Annotated[int, Field(ge=1, le=12)]
    auto_bill: Annotated[bool, Field(description="Runs itself on each bill date.")]
    auto_approve: Annotated[bool, Field(description="Its runs post invoices without approval.")]
    status: Literal["active", "suspended", "cancelled"]
    created_at: Annotated[AwareDatetime, Field(description="RFC 3339, UTC.")]
    updated_at: Annotated[AwareDatetime, Field(description="RFC 3339, UTC.")]
    version: int


class BillCycleList(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    data: list[BillCycle]
    next_cursor: Annotated[
        str | None,
        Field(description="Pass as `cursor` to get the next page; null on the last page."),
    ]
    has_more: bool


class AccountCategory(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    name: str
    description: str
    payment_term_days: Annotated[
        int,
        Field(description="Invoices are due this many days after their issue date."),
    ]
    status: Literal["active", "suspended", "cancelled"]
    created_at: Annotated[AwareDatetime, Field(description="RFC 3339, UTC.")]
    updated_at: Annotated[AwareDatetime, Field(description="RFC 3339, UTC.")]
    version: int


class AccountCategoryList(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    data: list[AccountCategory]
    next_cursor: Annotated[
        str | None,
        Field(description="Pass as `cursor` to get the next page; null on the last page."),
    ]
    has_more: bool


class Currency(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    code: Annotated[str, Field(description="ISO 4217 alphabetic code.", pattern="^[A-Z]{3}$")]
    name: str
    exponent: Annotated[int, Field(description="Decimals of the minor unit.", ge=0, le=4)]


class CurrencyList(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    data: list[Currency]
    next_cursor: Annotated[
        str | None,
        Field(description="Pass as `cursor` to get the next page; null on the last page."),
    ]
    has_more: bool


class Address(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    line1: str
    line2: str | None
    city: str
    region: Annotated[str | None, Field(description="State or province.")]
    postal_code: str
    country: Annotated[str, Field(description="ISO 3166-1 alpha-2.", pattern="^[A-Z]{2}$")]


class AddressInput(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    line1: Annotated[str, Field(max_length=200, min_length=1)]
    line2: Annotated[str | None, Field(max_length=200)] = None
    city: Annotated[str, Field(max_length=100, min_length=1)]
    region: Annotated[str | None, Field(max_length=100)] = None
    postal_code: Annotated[str, Field(max_length=20, min_length=1)]
    country: Annotated[
        str,
        Field(
            description="ISO 3166-1 alpha-2 (422 `invalid_country` for an unassigned code).",
            pattern="^[A-Z]{2}$",
        ),
    ]


class Account(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    number: Annotated[str, Field(description="The Billing Account Number (BAN).")]
    external_id: Annotated[str | None, Field(description="The CRM key; null when unlinked.")]
    name: str
    type: Literal["business", "person"]
    email: Annotated[str, Field(description="The billing primary email.")]
    billing_address: Address
    currency: Annotated[str, Field(description="ISO 4217 alphabetic code.", pattern="^[A-Z]{3}$")]
    bill_cycle_id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    bill_cycle_day: Annotated[
        int | None,
        Field(
            description="Anniversary cycles: the day of month the account bills on (set at first activation)."
        ),
    ]
    account_category_id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    bill_delivery: Literal["email", "paper", "both", "none"]
    timezone: str
    status: Literal["pending", "active", "suspended", "closed"]
    metadata: dict[str, str]
    created_at: Annotated[AwareDatetime, Field(description="RFC 3339, UTC.")]
    updated_at: Annotated[AwareDatetime, Field(description="RFC 3339, UTC.")]
    version: int


class AccountList(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    data: list[Account]
    next_cursor: Annotated[
        str | None,
        Field(description="Pass as `cursor` to get the next page; null on the last page."),
    ]
    has_more: bool


class AccountBatchItemResult(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    index: Annotated[int, Field(description="The item's position in the request.", ge=0)]
    status: Annotated[
        int,
        Field(description="201 created, or the status `POST /accounts` would have answered."),
    ]
    replayed: Annotated[bool, Field(description="The result was replayed for a key seen before.")]
    account: Account | None = None
    error: Problem | None = None


class AccountCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    external_id: Annotated[
        str,
        Field(
            description="A CRM key (visible ASCII), e.g. an 18-character Salesforce Id.",
            max_length=255,
            min_length=1,
            pattern="^[!-~]+$",
        ),
    ]
    name: Annotated[str, Field(max_length=255, min_length=1)]
    type: Literal["business", "person"] | None = None
    email: Annotated[str, Field(max_length=254, pattern="^[^@ ]+@[^@ ]+[.][^@ ]+$")]
    billing_address: AddressInput
    currency: Annotated[str | None, Field(description="ISO 4217 alphabetic code.", pattern="^[A-Z]{3}$")] = (
        None
    )
    bill_cycle_id: Annotated[
        str,
        Field(
            description="A billing id as the API accepts it (URL-safe characters).",
            max_length=100,
            min_length=1,
            pattern="^[A-Za-z0-9_~-][A-Za-z0-9_.~-]*$",
        ),
    ]
    account_category_id: Annotated[
        str,
        Field(
            description="A billing id as the API accepts it (URL-safe characters).",
            max_length=100,
            min_length=1,
            pattern="^[A-Za-z0-9_~-][A-Za-z0-9_.~-]*$",
        ),
    ]
    bill_delivery: Literal["email", "paper", "both", "none"] | None = None
    timezone: Annotated[
        str | None,
        Field(
            description="An IANA time zone name (422 `invalid_timezone` for an unknown one).",
            max_length=64,
            pattern="^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$",
        ),
    ] = None
    metadata: Metadata | None = None


class AccountUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    external_id: Annotated[
        ExternalIdInput | None,
        Field(description="Another CRM key re-links the account; null unlinks it."),
    ] = None
    name: Annotated[str | None, Field(max_length=255, min_length=1)] = None
    email: Annotated[str | None, Field(max_length=254, pattern="^[^@ ]+@[^@ ]+[.][^@ ]+$")] = None
    billing_address: AddressInput | None = None
    bill_delivery: Literal["email", "paper", "both", "none"] | None = None
    timezone: Annotated[
        str | None,
        Field(
            description="An IANA time zone name (422 `invalid_timezone` for an unknown one).",
            max_length=64,
            pattern="^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$",
        ),
    ] = None
    account_category_id: Annotated[
        str | None,
        Field(
            description="A billing id as the API accepts it (URL-safe characters).",
            max_length=100,
            min_length=1,
            pattern="^[A-Za-z0-9_~-][A-Za-z0-9_.~-]*$",
        ),
    ] = None
    status: Annotated[
        Literal["active", "suspended", "closed"] | None,
        Field(description="Suspend, resume or close the account (closing needs no live services)."),
    ] = None
    metadata: Metadata | None = None


class InvoiceRef(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    number: str
    amount: Money
    date: Annotated[
        date_aliased,
        Field(description="A calendar date (YYYY-MM-DD) in the account's time zone."),
    ]


class PaymentRef(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    amount: Money
    date: Annotated[
        date_aliased,
        Field(description="A calendar date (YYYY-MM-DD) in the account's time zone."),
    ]


class AccountSummary(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    account_id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    currency: Annotated[str, Field(description="ISO 4217 alphabetic code.", pattern="^[A-Z]{3}$")]
    total_billed: Money
    first_invoice: InvoiceRef | None
    latest_invoice: InvoiceRef | None
    amount_due: Money
    past_due_amount: Money
    unapplied_credit: Money
    pending_charges: Money
    next_invoice_date: date_aliased | None
    last_payment: PaymentRef | None
    as_of: Annotated[AwareDatetime, Field(description="RFC 3339, UTC.")]


class Price(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    kind: Literal["recurring", "one_time", "usage"]
    amount: Money
    interval: Literal["month", "quarter", "year"] | None
    interval_count: Annotated[int, Field(ge=1)]


class EtlTier(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    from_month: int
    to_month: int
    percent: Annotated[
        str,
        Field(
            description="A decimal number as a string (no float error).",
            pattern="^-?[0-9]+([.][0-9]+)?$",
        ),
    ]


class PercentInput(RootModel[str]):
    root: Annotated[
        str,
        Field(
            description="A percent between 0 and 100 as a decimal string (422 `invalid_etl_rule` beyond 100).",
            max_length=10,
            pattern="^[0-9]{1,3}([.][0-9]{1,4})?$",
        ),
    ]


class EtlTierInput(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    from_month: Annotated[int, Field(ge=1, le=120)]
    to_month: Annotated[int, Field(ge=1, le=120)]
    percent: Annotated[
        str,
        Field(
            description="A percent between 0 and 100 as a decimal string (422 `invalid_etl_rule` beyond 100).",
            max_length=10,
            pattern="^[0-9]{1,3}([.][0-9]{1,4})?$",
        ),
    ]


class EtlRuleInput(BaseModel):
    """
    An ETL rule as `EtlRule` describes it; what the method needs is checked (422 `invalid_etl_rule`).
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    method: Literal["remaining_mrc", "percent_remaining", "flat", "tiered"]
    percent: PercentInput | None = None
    flat_amounts: Annotated[list[MoneyInput] | None, Field(max_length=10)] = None
    caps: Annotated[list[MoneyInput] | None, Field(max_length=10)] = None
    tiers: Annotated[list[EtlTierInput] | None, Field(max_length=20)] = None
    prorate_partial_month: bool | None = False
    month_count_rounding: Literal["floor", "ceil", "exact"] | None = "ceil"


class PriceCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    kind: Literal["recurring", "one_time", "usage"]
    amount: MoneyInput
    interval: Annotated[
        Literal["month", "quarter", "year"] | None,
        Field(description="Required for recurring prices."),
    ] = None
    interval_count: Annotated[int | None, Field(ge=1, le=36)] = 1


class PriceUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    amount: MoneyInput


class TermOptionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    name: Annotated[str, Field(max_length=100, min_length=1)]
    term_months: Annotated[int, Field(ge=1, le=120)]
    end_action: Literal["renew", "month_to_month", "cancel"]
    etl_rule: EtlRuleInput | None = None


class TermOptionUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    name: Annotated[str | None, Field(max_length=100, min_length=1)] = None
    end_action: Literal["renew", "month_to_month", "cancel"] | None = None
    etl_rule: EtlRuleInput | None = None


class ProductCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    code: Annotated[
        str,
        Field(description="SKU (unique).", max_length=64, min_length=1, pattern="^[!-~]+$"),
    ]
    name: Annotated[str, Field(max_length=255, min_length=1)]
    description: Annotated[str | None, Field(max_length=4000)] = None
    type: Literal["subscription", "add_on", "one_time"]
    status: Literal["draft", "active"] | None = "active"
    unit: Annotated[str | None, Field(max_length=32, min_length=1)] = None
    requires_approval: bool | None = None
    parent_product_ids: Annotated[list[IdInput] | None, Field(max_length=50)] = None
    prices: Annotated[list[PriceCreate] | None, Field(max_length=20)] = None
    term_options: Annotated[list[TermOptionCreate] | None, Field(max_length=20)] = None


class ProductUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    name: Annotated[str | None, Field(max_length=255, min_length=1)] = None
    description: Annotated[str | None, Field(max_length=4000)] = None
    status: Annotated[
        Literal["active"] | None,
        Field(description="Activates a draft or reactivates a deactivated product."),
    ] = None
    unit: Annotated[str | None, Field(max_length=32, min_length=1)] = None
    requires_approval: bool | None = None
    parent_product_ids: Annotated[list[IdInput] | None, Field(max_length=50)] = None


class PriceOverrides(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    recurring: MoneyInput | None = None
    one_time: MoneyInput | None = None


class Etl(BaseModel):
    """
    For cancel and replace, whether to charge early termination liability, and how much.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    apply: bool | None = None
    override_amount: MoneyInput | None = None


class OrderItemInput(BaseModel):
    """
    One action. `new` needs `product_id`; `add_on` needs `product_id` and either the parent `service_id` or `parent_external_id` (the `external_id` of a `new` item earlier in the same order); `replace` needs `product_id` and `service_id`; every other action needs `service_id`; `change_quantity` needs `quantity`; `rerate` needs `price_overrides.recurring`; `reterm` needs `term_option_id` or `term_months`.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    external_id: Annotated[
        str | None,
        Field(
            description="A CRM key (visible ASCII), e.g. an 18-character Salesforce Id.",
            max_length=255,
            min_length=1,
            pattern="^[!-~]+$",
        ),
    ] = None
    action: Literal[
        "new",
        "add_on",
        "remove_add_on",
        "change_quantity",
        "rerate",
        "reterm",
        "replace",
        "renew",
        "cancel",
    ]
    service_id: Annotated[
        str | None,
        Field(
            description="A billing id as the API accepts it (URL-safe characters).",
            max_length=100,
            min_length=1,
            pattern="^[A-Za-z0-9_~-][A-Za-z0-9_.~-]*$",
        ),
    ] = None
    product_id: Annotated[
        str | None,
        Field(
            description="A billing id as the API accepts it (URL-safe characters).",
            max_length=100,
            min_length=1,
            pattern="^[A-Za-z0-9_~-][A-Za-z0-9_.~-]*$",
        ),
    ] = None
    parent_external_id: Annotated[
        str | None,
        Field(
            description="A CRM key (visible ASCII), e.g. an 18-character Salesforce Id.",
            max_length=255,
            min_length=1,
            pattern="^[!-~]+$",
        ),
    ] = None
    quantity: Annotated[int | None, Field(ge=1, le=100000)] = None
    price_overrides: PriceOverrides | None = None
    term_option_id: Annotated[
        str | None,
        Field(
            description="A billing id as the API accepts it (URL-safe characters).",
            max_length=100,
            min_length=1,
            pattern="^[A-Za-z0-9_~-][A-Za-z0-9_.~-]*$",
        ),
    ] = None
    term_months: Annotated[int | None, Field(ge=1, le=120)] = None
    renewal_type: Literal["auto", "month_to_month", "none"] | None = None
    effective_date: Annotated[
        date_aliased | None,
        Field(description="A calendar date (YYYY-MM-DD), years 1970-2999."),
    ] = None
    cancel_reason: Literal["customer_request", "non_payment"] | None = None
    etl: Annotated[
        Etl | None,
        Field(
            description="For cancel and replace, whether to charge early termination liability, and how much."
        ),
    ] = None
    proration: Literal["default", "none", "immediate_invoice"] | None = None


class OrderCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    external_id: Annotated[
        str | None,
        Field(
            description="A CRM key (visible ASCII), e.g. an 18-character Salesforce Id.",
            max_length=255,
            min_length=1,
            pattern="^[!-~]+$",
        ),
    ] = None
    account_id: Annotated[
        str,
        Field(
            description="A billing id as the API accepts it (URL-safe characters).",
            max_length=100,
            min_length=1,
            pattern="^[A-Za-z0-9_~-][A-Za-z0-9_.~-]*$",
        ),
    ]
    requested_by: Annotated[str | None, Field(max_length=255, min_length=1)] = None
    draft: Annotated[
        bool | None,
        Field(description="Keep the order as a draft until POST /orders/{id}/confirm."),
    ] = None
    items: Annotated[list[OrderItemInput], Field(max_length=200, min_length=1)]


class ItemError(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    code: str
    message: str
    param: str | None


class PriceOverrides1(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    recurring: Money | None
    one_time: Money | None


class Etl1(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    apply: Annotated[
        bool | None,
        Field(description="null: the default (true for cancel, false for replace)."),
    ]
    override_amount: Money | None


class OrderItem(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    sequence: Annotated[int, Field(description="Position in the order (0-based).")]
    action: Literal[
        "new",
        "add_on",
        "remove_add_on",
        "change_quantity",
        "rerate",
        "reterm",
        "replace",
        "renew",
        "cancel",
    ]
    status: Annotated[
        Literal["pending", "pending_approval", "scheduled", "completed", "failed", "voided"],
        Field(description="`scheduled`: future-dated, applied on its effective date."),
    ]
    effective_date: Annotated[
        date_aliased,
        Field(description="A calendar date (YYYY-MM-DD) in the account's time zone."),
    ]
    external_id: str | None
    service_id: str | None
    product_id: str | None
    parent_external_id: str | None
    quantity: int | None
    price_overrides: PriceOverrides1 | None
    term_option_id: str | None
    term_months: int | None
    renewal_type: Literal["auto", "month_to_month", "none"] | None
    cancel_reason: Literal["customer_request", "non_payment"] | None
    etl: Etl1 | None
    proration: Literal["default", "none", "immediate_invoice"]
    result_service_id: Annotated[str | None, Field(description="The service created or changed.")]
    etl_amount: Money | None
    errors: Annotated[list[ItemError], Field(description="Why the item failed.")]


class Order(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    number: str
    external_id: str | None
    account_id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    status: Literal["draft", "pending_approval", "processing", "completed", "failed", "voided"]
    requested_by: str | None
    items: list[OrderItem]
    created_at: Annotated[AwareDatetime, Field(description="RFC 3339, UTC.")]
    updated_at: Annotated[AwareDatetime, Field(description="RFC 3339, UTC.")]
    completed_at: AwareDatetime | None
    version: int


class OrderList(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    data: list[Order]
    next_cursor: Annotated[
        str | None,
        Field(description="Pass as `cursor` to get the next page; null on the last page."),
    ]
    has_more: bool


class Term(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    start_date: Annotated[
        date_aliased,
        Field(description="A calendar date (YYYY-MM-DD) in the account's time zone."),
    ]
    end_date: date_aliased | None
    months: int | None
    type: Literal["initial", "auto_renewed", "customer_renewed", "month_to_month"]


class Service(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    number: str
    external_id: Annotated[str | None, Field(description="The CRM order line that created it.")]
    account_id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    order_id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    product_id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    parent_service_id: Annotated[str | None, Field(description="For add-ons.")]
    status: Literal["pending", "active", "suspended", "cancelled", "replaced", "expired"]
    quantity: int
    currency: Annotated[str, Field(description="ISO 4217 alphabetic code.", pattern="^[A-Z]{3}$")]
    recurring_price: Money | None
    one_time_price: Money | None
    billing_period_months: Annotated[int, Field(description="Months per recurrence of the recurring price.")]
    start_date: Annotated[
        date_aliased,
        Field(description="A calendar date (YYYY-MM-DD) in the account's time zone."),
    ]
    end_date: date_aliased | None
    current_term: Term | None
    renewal_type: Literal["auto", "month_to_month", "none"]
    term_option_id: str | None
    charged_through: Annotated[
        date_aliased,
        Field(description="A calendar date (YYYY-MM-DD) in the account's time zone."),
    ]
    cancel_reason: (
        Literal[
            "customer_request",
            "non_payment",
            "replaced",
            "term_ended",
            "parent_cancelled",
        ]
        | None
    )
    etl_amount: Money | None
    replaced_by_service_id: str | None
    replaces_service_id: str | None
    created_at: Annotated[AwareDatetime, Field(description="RFC 3339, UTC.")]
    updated_at: Annotated[AwareDatetime, Field(description="RFC 3339, UTC.")]
    version: int


class ServiceList(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    data: list[Service]
    next_cursor: Annotated[
        str | None,
        Field(description="Pass as `cursor` to get the next page; null on the last page."),
    ]
    has_more: bool


class EtlQuoteRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    effective_date: Annotated[
        date_aliased | None,
        Field(description="A calendar date (YYYY-MM-DD), years 1970-2999."),
    ] = None


class BreakdownItem(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    from_month: int
    to_month: int
    months: Annotated[
        str,
        Field(
            description="A decimal number as a string (no float error).",
            pattern="^-?[0-9]+([.][0-9]+)?$",
        ),
    ]
    percent: Annotated[
        str,
        Field(
            description="A decimal number as a string (no float error).",
            pattern="^-?[0-9]+([.][0-9]+)?$",
        ),
    ]
    amount: Money


class EtlQuote(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    service_id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    effective_date: Annotated[
        date_aliased,
        Field(description="A calendar date (YYYY-MM-DD) in the account's time zone."),
    ]
    amount: Money
    method: Literal["remaining_mrc", "percent_remaining", "flat", "tiered"] | None
    months_remaining: Annotated[
        str,
        Field(
            description="A decimal number as a string (no float error).",
            pattern="^-?[0-9]+([.][0-9]+)?$",
        ),
    ]
    monthly_recurring_charge: Money
    breakdown: list[BreakdownItem]
    cap_applied: bool
    waivable: Annotated[bool, Field(description="The liability may be waived (e.g. on a replace).")]
    reason: Annotated[str | None, Field(description="Why nothing is owed")]


class BillRunCreate1(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    bill_cycle_id: Annotated[
        str,
        Field(
            description="A billing id as the API accepts it (URL-safe characters).",
            max_length=100,
            min_length=1,
            pattern="^[A-Za-z0-9_~-][A-Za-z0-9_.~-]*$",
        ),
    ]
    account_ids: Annotated[list[IdInput] | None, Field(max_length=1000, min_length=1)] = None
    through_date: Annotated[
        date_aliased,
        Field(description="A calendar date (YYYY-MM-DD), years 1970-2999."),
    ]
    auto_approve: Annotated[
        bool | None,
        Field(description="Post the invoices without approval (default false)."),
    ] = None


class BillRunCreate2(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    bill_cycle_id: Annotated[
        str | None,
        Field(
            description="A billing id as the API accepts it (URL-safe characters).",
            max_length=100,
            min_length=1,
            pattern="^[A-Za-z0-9_~-][A-Za-z0-9_.~-]*$",
        ),
    ] = None
    account_ids: Annotated[list[IdInput], Field(max_length=1000, min_length=1)]
    through_date: Annotated[
        date_aliased,
        Field(description="A calendar date (YYYY-MM-DD), years 1970-2999."),
    ]
    auto_approve: Annotated[
        bool | None,
        Field(description="Post the invoices without approval (default false)."),
    ] = None


class BillRunCreate(RootModel[BillRunCreate1 | BillRunCreate2]):
    root: BillRunCreate1 | BillRunCreate2


class BillNowRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    through_date: Annotated[
        date_aliased | None,
        Field(description="A calendar date (YYYY-MM-DD), years 1970-2999."),
    ] = None


class BillRun(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    number: str
    status: Literal["pending", "running", "awaiting_approval", "completed", "failed"]
    trigger: Annotated[
        Literal["api", "schedule", "bill_now"],
        Field(description="Who started it: this API, the cycle's schedule (auto bill) or bill-now."),
    ]
    bill_cycle_id: str | None
    account_ids: list[Id] | None
    account_count: Annotated[int, Field(description="Accounts billed.")]
    through_date: Annotated[
        date_aliased,
        Field(description="A calendar date (YYYY-MM-DD) in the account's time zone."),
    ]
    auto_approve: bool
    invoice_count: int
    totals: Annotated[list[Money], Field(description="One total per currency.")]
    created_at: Annotated[AwareDatetime, Field(description="RFC 3339, UTC.")]
    updated_at: Annotated[AwareDatetime, Field(description="RFC 3339, UTC.")]
    completed_at: AwareDatetime | None
    approved_at: AwareDatetime | None
    version: int


class BillRunList(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    data: list[BillRun]
    next_cursor: Annotated[
        str | None,
        Field(description="Pass as `cursor` to get the next page; null on the last page."),
    ]
    has_more: bool


class InvoiceLine(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    service_id: str | None
    product_id: str | None
    charge_type: Literal[
        "recurring",
        "one_time",
        "usage",
        "proration_credit",
        "proration_charge",
        "early_termination",
        "tax",
        "adjustment",
    ]
    description: str
    period: Period | None
    quantity: int
    unit_amount: Money
    amount: Money


class Invoice(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    number: str
    account_id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    bill_run_id: str | None
    status: Literal["draft", "posted", "paid", "partially_paid", "void"]
    currency: Annotated[str, Field(description="ISO 4217 alphabetic code.", pattern="^[A-Z]{3}$")]
    issue_date: Annotated[
        date_aliased,
        Field(description="A calendar date (YYYY-MM-DD) in the account's time zone."),
    ]
    due_date: Annotated[
        date_aliased,
        Field(description="A calendar date (YYYY-MM-DD) in the account's time zone."),
    ]
    period: Period | None
    subtotal: Money
    tax: Money
    total: Money
    amount_paid: Money
    amount_due: Money
    paid_date: date_aliased | None
    is_overdue: bool
    lines: list[InvoiceLine]
    created_at: Annotated[AwareDatetime, Field(description="RFC 3339, UTC.")]
    updated_at: Annotated[AwareDatetime, Field(description="RFC 3339, UTC.")]
    version: int


class InvoiceList(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    data: list[Invoice]
    next_cursor: Annotated[
        str | None,
        Field(description="Pass as `cursor` to get the next page; null on the last page."),
    ]
    has_more: bool


class ApplyToItem(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    invoice_id: Annotated[
        str,
        Field(
            description="A billing id as the API accepts it (URL-safe characters).",
            max_length=100,
            min_length=1,
            pattern="^[A-Za-z0-9_~-][A-Za-z0-9_.~-]*$",
        ),
    ]
    amount: MoneyInput


class PaymentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    account_id: Annotated[
        str,
        Field(
            description="A billing id as the API accepts it (URL-safe characters).",
            max_length=100,
            min_length=1,
            pattern="^[A-Za-z0-9_~-][A-Za-z0-9_.~-]*$",
        ),
    ]
    amount: MoneyInput
    method: Literal["external", "card", "ach", "check"] | None = None
    reference: Annotated[str | None, Field(max_length=255, min_length=1)] = None
    received_date: Annotated[
        date_aliased | None,
        Field(description="A calendar date (YYYY-MM-DD), years 1970-2999."),
    ] = None
    apply_to: Annotated[
        list[ApplyToItem] | None,
        Field(
            description="Where the payment goes; without it, open invoices oldest due first.",
            max_length=100,
            min_length=1,
        ),
    ] = None


class PaymentApplication(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    invoice_id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    amount: Money
    applied_at: Annotated[AwareDatetime, Field(description="RFC 3339, UTC.")]


class Payment(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    number: str
    account_id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    amount: Money
    method: Literal["external", "card", "ach", "check"]
    reference: str | None
    received_date: Annotated[
        date_aliased,
        Field(description="A calendar date (YYYY-MM-DD) in the account's time zone."),
    ]
    status: Literal["pending", "succeeded", "failed", "reversed", "refunded"]
    applied: Annotated[
        list[PaymentApplication],
        Field(description="Where the payment went, including credit applied to invoices posted later."),
    ]
    unapplied_amount: Money
    failure_reason: str | None
    reversed_at: AwareDatetime | None
    created_at: Annotated[AwareDatetime, Field(description="RFC 3339, UTC.")]
    updated_at: Annotated[AwareDatetime, Field(description="RFC 3339, UTC.")]
    version: int


class PaymentList(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    data: list[Payment]
    next_cursor: Annotated[
        str | None,
        Field(description="Pass as `cursor` to get the next page; null on the last page."),
    ]
    has_more: bool


class EventTypeFilter(RootModel[str]):
    root: Annotated[
        str,
        Field(
            description="An event type, a family (`invoice.*`) or `*`.",
            max_length=100,
            pattern="^([*]|[a-z_]+[.]([*]|[a-z_]+))$",
        ),
    ]


class WebhookEndpointCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    url: Annotated[
        str,
        Field(
            description="An absolute http(s) URL.",
            max_length=2000,
            min_length=10,
            pattern="^https?://[!-~]+$",
        ),
    ]
    event_types: Annotated[list[EventTypeFilter] | None, Field(max_length=50, min_length=1)] = None
    description: Annotated[str | None, Field(max_length=500)] = None


class EventTypes(RootModel[list[EventTypeFilter]]):
    root: Annotated[list[EventTypeFilter], Field(max_length=50, min_length=1)]


class WebhookEndpointUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    url: Annotated[
        str | None,
        Field(
            description="An absolute http(s) URL.",
            max_length=2000,
            min_length=10,
            pattern="^https?://[!-~]+$",
        ),
    ] = None
    event_types: EventTypes | None = None
    description: Annotated[str | None, Field(max_length=500)] = None
    enabled: bool | None = None


class WebhookEndpoint(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    url: str
    event_types: Annotated[list[str] | None, Field(description="The filter; null means every event.")]
    description: str | None
    enabled: bool
    disabled_reason: Annotated[str | None, Field(description="Why it was disabled (by the API")]
    created_at: Annotated[AwareDatetime, Field(description="RFC 3339, UTC.")]


class WebhookEndpointWithSecret(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    url: str
    event_types: list[str] | None
    description: str | None
    enabled: bool
    disabled_reason: str | None
    created_at: Annotated[AwareDatetime, Field(description="RFC 3339, UTC.")]
    secret: Annotated[
        str,
        Field(
            description="Shown once. The HMAC key is the base64 after `whsec_`.",
            pattern="^whsec_[A-Za-z0-9+/=]+$",
        ),
    ]


class WebhookEndpointList(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    data: list[WebhookEndpoint]
    next_cursor: Annotated[
        str | None,
        Field(description="Pass as `cursor` to get the next page; null on the last page."),
    ]
    has_more: bool


class RotateSecretRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    overlap_seconds: Annotated[
        int | None,
        Field(
            description="How long the old secret keeps signing (default 86400).",
            ge=0,
            le=604800,
        ),
    ] = None


class RotatedSecret(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    secret: Annotated[str, Field(pattern="^whsec_[A-Za-z0-9+/=]+$")]
    previous_secret_expires_at: AwareDatetime | None


class WebhookAttempt(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    number: int
    at: Annotated[AwareDatetime, Field(description="RFC 3339, UTC.")]
    webhook_timestamp: Annotated[int, Field(description="The webhook-timestamp header sent.")]
    status_code: Annotated[int | None, Field(description="The receiver's answer; null when none came.")]
    error: Annotated[str | None, Field(description="Timeout or connection error.")]
    duration_ms: float


class WebhookDelivery(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    event_id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    event_type: str
    endpoint_id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    trigger: Literal["publish", "replay"]
    state: Literal["pending", "succeeded", "failed", "cancelled"]
    next_attempt_at: AwareDatetime | None
    attempts: list[WebhookAttempt]


class WebhookDeliveryList(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    data: list[WebhookDelivery]
    next_cursor: Annotated[
        str | None,
        Field(description="Pass as `cursor` to get the next page; null on the last page."),
    ]
    has_more: bool


class ReplayRequest1(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    event_ids: Annotated[list[IdInput], Field(max_length=1000, min_length=1)]
    since: Annotated[
        AwareDatetime | None,
        Field(description="RFC 3339 with an offset (Z or +hh:mm), years 1970-2999."),
    ] = None
    until: Annotated[
        AwareDatetime | None,
        Field(description="RFC 3339 with an offset (Z or +hh:mm), years 1970-2999."),
    ] = None


class ReplayRequest2(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    event_ids: Annotated[list[IdInput] | None, Field(max_length=1000, min_length=1)] = None
    since: Annotated[
        AwareDatetime,
        Field(description="RFC 3339 with an offset (Z or +hh:mm), years 1970-2999."),
    ]
    until: Annotated[
        AwareDatetime | None,
        Field(description="RFC 3339 with an offset (Z or +hh:mm), years 1970-2999."),
    ] = None


class ReplayRequest3(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    event_ids: Annotated[list[IdInput] | None, Field(max_length=1000, min_length=1)] = None
    since: Annotated[
        AwareDatetime | None,
        Field(description="RFC 3339 with an offset (Z or +hh:mm), years 1970-2999."),
    ] = None
    until: Annotated[
        AwareDatetime,
        Field(description="RFC 3339 with an offset (Z or +hh:mm), years 1970-2999."),
    ]


class ReplayRequest(RootModel[ReplayRequest1 | ReplayRequest2 | ReplayRequest3]):
    root: ReplayRequest1 | ReplayRequest2 | ReplayRequest3


class ReplayResult(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    replayed: int
    deliveries: list[Id]


class EventObject(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["account", "order", "service", "bill_run", "invoice", "payment", "product"]
    id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    version: Annotated[
        int,
        Field(description="The object's version after the change (drop older ones)."),
    ]


class Event(BaseModel):
    """
    The envelope of every event, in the log and in webhooks (Standard Webhooks payload).
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    type: Literal[
        "account.created",
        "account.updated",
        "account.linked",
        "account.summary_changed",
        "order.completed",
        "order.failed",
        "order.pending_approval",
        "service.activated",
        "service.changed",
        "service.renewed",
        "service.cancelled",
        "service.replaced",
        "bill_run.completed",
        "invoice.posted",
        "invoice.paid",
        "invoice.past_due",
        "invoice.voided",
        "payment.succeeded",
        "payment.failed",
        "payment.reversed",
        "product.updated",
    ]
    timestamp: Annotated[AwareDatetime, Field(description="RFC 3339, UTC.")]
    account_id: Annotated[str | None, Field(description="The account concerned; null for catalog events.")]
    account_external_id: Annotated[str | None, Field(description="Its CRM key at the time of the event.")]
    object: EventObject
    sequence: Annotated[
        int,
        Field(
            description="1, 2, 3... per account, without gaps; events without an account (catalog) take the next number of one global sequence."
        ),
    ]
    data: Annotated[
        dict[str, Any],
        Field(description="The object after the change (see the webhooks section for its schema per type)."),
    ]


class EventList(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    data: list[Event]
    next_cursor: Annotated[
        str | None,
        Field(description="Pass as `cursor` to get the next page; null on the last page."),
    ]
    has_more: bool


class Capabilities(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    contract_version: str
    backend: Annotated[str, Field(description="What the adapter fronts.")]
    etl: Annotated[
        Literal["native", "computed", "none"],
        Field(description="How early termination liability is computed."),
    ]
    proration_units: list[Literal["day", "second"]]
    proration_bases: list[Literal["actual", "30_360", "30_360_strict"]]
    order_actions: list[
        Literal[
            "new",
            "add_on",
            "remove_add_on",
            "change_quantity",
            "rerate",
            "reterm",
            "replace",
            "renew",
            "cancel",
        ]
    ]
    bill_runs: bool
    bill_run_approval: bool
    bill_now: bool
    webhooks: Literal["native", "polled", "none"]
    event_log: bool
    idempotency: bool
    optimistic_concurrency: bool
    max_page_size: int
    currencies: list[CurrencyCode]
    payment_methods: list[Literal["external", "card", "ach", "check"]]
    levels: Annotated[
        list[Literal["core", "orders", "billing_operations"]] | None,
        Field(
            description="The conformance levels the adapter claims (`x-q2c-conformance`); every operation of a claimed level is honoured. Absent: every level is claimed."
        ),
    ] = None
    invoice_void: Annotated[
        bool | None,
        Field(description="POST /invoices/{id}/void voids a posted invoice. Absent: false."),
    ] = None
    payment_reverse: Annotated[
        bool | None,
        Field(description="POST /payments/{id}/reverse reverses a payment. Absent: false."),
    ] = None
    payment_apply_to: Annotated[
        bool | None,
        Field(
            description="POST /payments honours an explicit `apply_to`. Absent: false (payments go to open invoices, oldest due first)."
        ),
    ] = None
    webhook_secret_rotation: Annotated[
        bool | None,
        Field(
            description="POST /webhook-endpoints/{id}/rotate-secret rotates the signing secret. Absent: false."
        ),
    ] = None
    batch_account_create: Annotated[
        bool | None,
        Field(description="POST /accounts/batch creates up to 200 accounts in one call. Absent: false."),
    ] = None
    account_summaries: Annotated[
        bool | None,
        Field(description="GET /account-summaries lists every account's summary by cursor. Absent: false."),
    ] = None
    invoices_updated_since: Annotated[
        bool | None,
        Field(
            description="GET /invoices honours `updated_since` (invoices changed since an instant, across accounts). Absent: false."
        ),
    ] = None
    catalog_management: Annotated[
        bool | None,
        Field(
            description="The catalog is managed through the API (create and update products, prices and term options; deactivate), each change announced as `product.updated`. Absent: false (the catalog is read-only here)."
        ),
    ] = None


class AccountBatchItem(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    idempotency_key: Annotated[
        str,
        Field(
            description="As the Idempotency-Key header of POST /accounts.",
            max_length=255,
            min_length=1,
            pattern="^[!-~]+$",
        ),
    ]
    account: AccountCreate


class AccountBatchResult(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    results: list[AccountBatchItemResult]


class AccountSummaryList(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    data: list[AccountSummary]
    next_cursor: Annotated[
        str | None,
        Field(description="Pass as `cursor` to get the next page; null on the last page."),
    ]
    has_more: bool


class EtlRule(BaseModel):
    """
    How early termination liability is computed: `remaining_mrc` (MRC x months remaining), `percent_remaining` (`percent` % of that), `flat` (`flat_amounts`, one per currency) or `tiered` (per remaining contract month, the percent of the tier holding it); `caps` bound the result (one per currency). A partly remaining month counts by `month_count_rounding` unless `prorate_partial_month`.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    method: Literal["remaining_mrc", "percent_remaining", "flat", "tiered"]
    percent: Decimal | None
    flat_amounts: list[Money]
    caps: list[Money]
    tiers: list[EtlTier]
    prorate_partial_month: bool
    month_count_rounding: Literal["floor", "ceil", "exact"]


class TermOption(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    name: str
    term_months: Annotated[int, Field(ge=1)]
    end_action: Annotated[
        Literal["renew", "month_to_month", "cancel"],
        Field(description="What happens at term end."),
    ]
    etl_rule: EtlRule | None


class Product(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Annotated[str, Field(description="An opaque billing id.", min_length=1)]
    code: Annotated[str, Field(description="SKU.")]
    name: str
    description: str
    type: Literal["subscription", "add_on", "one_time"]
    status: Literal["draft", "active", "deactivated"]
    unit: str
    requires_approval: Annotated[bool, Field(description="Orders for it wait in pending_approval.")]
    parent_product_ids: Annotated[list[Id], Field(description="For add-ons")]
    prices: list[Price]
    term_options: list[TermOption]
    created_at: Annotated[AwareDatetime, Field(description="RFC 3339, UTC.")]
    updated_at: Annotated[AwareDatetime, Field(description="RFC 3339, UTC.")]
    version: int


class ProductList(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    data: list[Product]
    next_cursor: Annotated[
        str | None,
        Field(description="Pass as `cursor` to get the next page; null on the last page."),
    ]
    has_more: bool


class AccountBatchCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    items: Annotated[list[AccountBatchItem], Field(max_length=200, min_length=1)]
