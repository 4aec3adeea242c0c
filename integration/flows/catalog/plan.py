"""The plan: every record the CRM should hold for a set of billing products, next to what it holds
now. A sync writes the pending records; drift is the same list, field by field."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from contracts.generated import billing_models as wire
from integration.drift import Drift
from integration.flows.catalog.rules import (
    TERM_EXTERNAL_ID,
    comparable,
    entry_values,
    price_slots,
    product_values,
    term_values,
)


@dataclass
class Record:
    sobject: str
    label: str  # how drift and failures name it
    product_id: str  # the billing product it belongs to
    wanted: dict[str, Any]
    current: dict[str, Any] | None = None  # the CRM row; None: missing
    book: str | None = None  # PricebookEntry: its price book's key
    key: str | None = None  # its billing id (product, price or term option)

    def changes(self) -> dict[str, tuple[Any, Any]]:
        """Field -> (CRM value, billing's value) for each owned field that differs."""
        current = self.current or {}
        return {
            name: (current.get(name), value)
            for name, value in self.wanted.items()
            if comparable(current.get(name)) != comparable(value)
        }

    @property
    def pending(self) -> bool:
        return self.current is None or bool(self.changes())


def _children(row: dict[str, Any] | None, relationship: str) -> list[dict[str, Any]]:
    related = (row or {}).get(relationship)
    return list(related["records"]) if isinstance(related, dict) else []


def plan(
    products: Sequence[wire.Product],
    crm: dict[str, dict[str, Any]],
    books: dict[str, str],
    unknown: Iterable[str],
) -> list[Record]:
    """Every owned record of these products (and the deactivation of ``unknown`` ones)."""
    owned = {book_id: key for key, book_id in books.items()}
    records: list[Record] = []
    for product in products:
        row = crm.get(product.id)
        records.append(
            Record("Product2", product.id, product.id, product_values(product), row, key=product.id)
        )
        entries = _owned_entries(row, owned)
        for book, price in price_slots(product).items():
            values = entry_values(product, price)
            current = entries.pop(book, None)
            key = price.id if price is not None else None
            records.append(
                Record(
                    "PricebookEntry", _entry_label(product.id, book), product.id, values, current, book, key
                )
            )
        records.extend(_deactivations(product.id, entries))
        terms = {t[TERM_EXTERNAL_ID]: t for t in _children(row, "Term_Options__r")}
        for term in product.term_options:
            current = terms.pop(term.id, None)
            records.append(
                Record("Billing_Term_Option__c", term.id, product.id, term_values(term), current, key=term.id)
            )
        for term_id, term_row in terms.items():
            if term_row.get("IsActive__c"):
                off = {"IsActive__c": False}
                records.append(Record("Billing_Term_Option__c", term_id, product.id, off, term_row))
    for product_id in unknown:
        row = crm[product_id]
        label = f"{product_id} (not in billing)"
        records.append(Record("Product2", label, product_id, {"IsActive": False}, row))
        records.extend(_deactivations(product_id, _owned_entries(row, owned)))
    return records


def _owned_entries(row: dict[str, Any] | None, owned: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The product's entries in the books the sync owns, by book key (Pricebook2 Id -> key in
    ``owned``); entries in the org's other books are never touched."""
    entries = _children(row, "PricebookEntries")
    return {owned[e["Pricebook2Id"]]: e for e in entries if e["Pricebook2Id"] in owned}


def _entry_label(product_id: str, book: str) -> str:
    return f"{product_id}:{book or 'Standard'}"


def _deactivations(product_id: str, entries: dict[str, dict[str, Any]]) -> list[Record]:
    """Owned entries no billing price fills any more: inactive, never deleted."""
    off = {"IsActive": False}
    return [
        Record("PricebookEntry", _entry_label(product_id, book), product_id, off, entry, book)
        for book, entry in entries.items()
        if entry.get("IsActive")
    ]


def drift_of(records: Iterable[Record]) -> list[Drift]:
    drift: list[Drift] = []
    for record in records:
        if record.current is None:
            drift.append(
                Drift("", record.sobject, record.label, "(missing)", None, record.key or record.book)
            )
            continue
        for name, (crm_value, billing_value) in record.changes().items():
            drift.append(Drift("", record.sobject, record.label, name, crm_value, billing_value))
    return drift
