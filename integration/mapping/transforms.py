"""Named value transforms used by the mapping. Pure functions of (value, context)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import pycountry


class TransformError(ValueError):
    """A value the transform cannot convert; the message names the problem for a human."""


@dataclass
class TransformContext:
    """Lookups some transforms need: billing reference data by name, and the id cross-reference."""

    bill_cycles: Mapping[str, str] = field(default_factory=dict)  # lower-case name -> id
    account_categories: Mapping[str, str] = field(default_factory=dict)
    bill_cycle_names: Mapping[str, str] = field(default_factory=dict)  # id -> name
    account_category_names: Mapping[str, str] = field(default_factory=dict)
    salesforce_ids: Mapping[str, str] = field(default_factory=dict)  # billing account id -> SF id


# Spellings pycountry does not know. Keys are normalised (upper case, no dots, single spaces).
_COUNTRY_SYNONYMS = {
    "US": "US",
    "USA": "US",
    "U S A": "US",
    "UNITED STATES": "US",
    "UNITED STATES OF AMERICA": "US",
    "AMERICA": "US",
    "UK": "GB",
    "U K": "GB",
    "GREAT BRITAIN": "GB",
    "BRITAIN": "GB",
    "ENGLAND": "GB",
    "SCOTLAND": "GB",
    "WALES": "GB",
    "NORTHERN IRELAND": "GB",
    "HOLLAND": "NL",
    "THE NETHERLANDS": "NL",
    "DEUTSCHLAND": "DE",
    "SOUTH KOREA": "KR",
    "KOREA": "KR",
    "NORTH KOREA": "KP",
    "RUSSIA": "RU",
    "IRAN": "IR",
    "VIETNAM": "VN",
    "CZECH REPUBLIC": "CZ",
    "TURKEY": "TR",
    "UAE": "AE",
    "U A E": "AE",
    "IVORY COAST": "CI",
}


def country_iso2(value: Any, context: TransformContext) -> str:
    """``U.S.``, ``USA``, ``United States``, ``us`` -> ``US`` (ISO 3166-1 alpha-2)."""
    text = str(value).strip()
    normalised = re.sub(r"\s+", " ", text.replace(".", " ").replace(",", " ")).strip().upper()
    if normalised in _COUNTRY_SYNONYMS:
        return _COUNTRY_SYNONYMS[normalised]
    compact = normalised.replace(" ", "")
    if compact in _COUNTRY_SYNONYMS:
        return _COUNTRY_SYNONYMS[compact]
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        pass
    try:
        return str(pycountry.countries.lookup(normalised).alpha_2)
    except LookupError:
        raise TransformError(f"unknown country {text!r}: use a country name or an ISO 3166 code") from None


def _by_name(kind: str, table: Mapping[str, str], value: Any) -> str:
    key = str(value).strip().lower()
    if key in table:
        return table[key]
    known = ", ".join(sorted(table)) or "none"
    raise TransformError(f"unknown {kind} {value!r} (billing has: {known})")


def bill_cycle_id(value: Any, context: TransformContext) -> str:
    return _by_name("billing cycle", context.bill_cycles, value)


def account_category_id(value: Any, context: TransformContext) -> str:
    return _by_name("billing account category", context.account_categories, value)


def bill_cycle_name(value: Any, context: TransformContext) -> str:
    try:
        return context.bill_cycle_names[str(value)]
    except KeyError:
        raise TransformError(f"unknown billing cycle id {value!r}") from None


def account_category_name(value: Any, context: TransformContext) -> str:
    try:
        return context.account_category_names[str(value)]
    except KeyError:
        raise TransformError(f"unknown billing account category id {value!r}") from None


def salesforce_account_id(value: Any, context: TransformContext) -> str:
    try:
        return context.salesforce_ids[str(value)]
    except KeyError:
        raise TransformError(f"billing account {value!r} is not linked to a Salesforce account") from None


def money(value: Any, context: TransformContext) -> float:
    """A contract Money (``{"amount": "12.30", "currency": ...}``) or a decimal string -> a number
    for a Salesforce currency field (JSON numbers; Salesforce stores currency as a double)."""
    amount = value.get("amount") if isinstance(value, Mapping) else value
    try:
        return float(Decimal(str(amount)).quantize(Decimal("0.01")))
    except (InvalidOperation, ValueError):
        raise TransformError(f"not an amount: {amount!r}") from None


def to_date(value: Any, context: TransformContext) -> str:
    text = str(value)
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise TransformError(f"not a date: {text!r}") from None


def boolean(value: Any, context: TransformContext) -> bool:
    if isinstance(value, bool):
        return value
    raise TransformError(f"not a boolean: {value!r}")


TRANSFORMS: dict[str, Callable[[Any, TransformContext], Any]] = {
    "country_iso2": country_iso2,
    "bill_cycle_id": bill_cycle_id,
    "account_category_id": account_category_id,
    "bill_cycle_name": bill_cycle_name,
    "account_category_name": account_category_name,
    "salesforce_account_id": salesforce_account_id,
    "money": money,
    "date": to_date,
    "boolean": boolean,
}
