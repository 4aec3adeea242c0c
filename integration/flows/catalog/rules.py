"""The catalog rule: which CRM records, with which owned values, a billing product maps to (the
price book rule is in the package docstring). Pure functions, no I/O."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from contracts import defaults
from contracts.generated import billing_models as wire

EXTERNAL_ID = "Billing_Product_Id__c"
TERM_EXTERNAL_ID = "Billing_Term_Option_Id__c"
STANDARD_BOOK = ""  # the standard price book's key (found by IsStandard, never by name)
BOOK_PREFIX = "Billing"

FAMILIES = {"subscription": "Subscription", "add_on": "Add-On", "one_time": "One-Time"}
END_ACTIONS = {"renew": "Renew", "month_to_month": "Month-to-Month", "cancel": "Cancel"}
ETL_METHODS = {
    "remaining_mrc": "Remaining MRC",
    "percent_remaining": "Percent Remaining",
    "flat": "Flat",
    "tiered": "Tiered",
}
PRICE_KINDS = {"recurring": "Recurring", "one_time": "One-Time", "usage": "Usage"}  # list-price order

PRODUCT_FIELDS = ("Name", "ProductCode", "Description", "IsActive", "Family", "Billing_Parent_Product_Ids__c")
ENTRY_FIELDS = ("UnitPrice", "IsActive", "Billing_Price_Id__c")
TERM_FIELDS = (
    "Name",
    "Term_Months__c",
    "End_Action__c",
    "ETL_Method__c",
    "ETL_Percent__c",
    "ETL_Rule__c",
    "IsActive__c",
)
PARENT_IDS_LENGTH = 255  # Product2.Billing_Parent_Product_Ids__c
TERM_NAME_LENGTH = 80  # Billing_Term_Option__c.Name (billing allows 100; the id is the key)


def price_book_name(currency: str, kind: str | None = None) -> str:
    """The key of the book a price sits in: ``STANDARD_BOOK`` or a custom book's name. ``kind``
    None is the currency's list price."""
    if kind is None:
        return STANDARD_BOOK if currency == defaults.SALESFORCE_ORG_CURRENCY else f"{BOOK_PREFIX} {currency}"
    return f"{BOOK_PREFIX} {currency} {PRICE_KINDS[kind]}"


def order_price_book(currency: str) -> str:
    """The book an order in ``currency`` uses (``STANDARD_BOOK`` for the org currency)."""
    return price_book_name(currency)


def price_slots(product: wire.Product) -> dict[str, wire.Price | None]:
    """Price book key -> the billing price its entry carries (None: the standard placeholder)."""
    by_currency: dict[str, list[wire.Price]] = {}
    for price in product.prices:
        by_currency.setdefault(price.amount.currency, []).append(price)
    order = list(PRICE_KINDS)
    slots: dict[str, wire.Price | None] = {}
    for currency in sorted(by_currency):
        first, *others = sorted(by_currency[currency], key=lambda p: order.index(p.kind))
        slots.setdefault(price_book_name(currency), first)
        for other in others:
            slots.setdefault(price_book_name(currency, other.kind), other)
    slots.setdefault(STANDARD_BOOK, None)
    return slots


def product_values(product: wire.Product) -> dict[str, Any]:
    return {
        "Name": product.name,
        "ProductCode": product.code,
        "Description": product.description or None,
        "IsActive": product.status == "active",
        "Family": FAMILIES[product.type],
        "Billing_Parent_Product_Ids__c": ",".join(p.root for p in product.parent_product_ids) or None,
    }


def entry_values(product: wire.Product, price: wire.Price | None) -> dict[str, Any]:
    # JSON numbers at the wire (as integration.mapping does); amounts have at most 2 decimals.
    return {
        "UnitPrice": float(Decimal(price.amount.amount)) if price is not None else 0.0,
        "IsActive": product.status == "active" and price is not None,
        "Billing_Price_Id__c": price.id if price is not None else None,
    }


def term_values(term: wire.TermOption) -> dict[str, Any]:
    rule = term.etl_rule
    percent = rule.percent if rule is not None and rule.method == "percent_remaining" else None
    return {
        "Name": term.name[:TERM_NAME_LENGTH],
        "Term_Months__c": term.term_months,
        "End_Action__c": END_ACTIONS[term.end_action],
        "ETL_Method__c": ETL_METHODS[rule.method] if rule is not None else None,
        "ETL_Percent__c": float(Decimal(percent.root)) if percent is not None else None,
        "ETL_Rule__c": (
            json.dumps(rule.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
            if rule is not None
            else None
        ),
        "IsActive__c": True,
    }


def refusal(product: wire.Product) -> str | None:
    """Why the CRM cannot hold this product (a business failure: retrying would not help)."""
    parents = product_values(product)["Billing_Parent_Product_Ids__c"] or ""
    if len(parents) > PARENT_IDS_LENGTH:
        return (
            f"{len(product.parent_product_ids)} parent products do not fit "
            f"Billing_Parent_Product_Ids__c ({PARENT_IDS_LENGTH} characters)"
        )
    return None


def comparable(value: Any) -> Any:
    """A value as comparable on both sides: Salesforce answers numbers as floats, blank as null."""
    if value == "":
        return None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return Decimal(str(value))
    return value
