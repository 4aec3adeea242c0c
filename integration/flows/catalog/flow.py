"""The catalog flows: ``sync_catalog`` (read both sides, write the pending records in dependency
order) and ``catalog_drift`` (the same comparison, no write)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from contracts.generated import billing_models as wire
from integration.clients.billing import BillingApiError
from integration.clients.salesforce import RecordResult, soql_in
from integration.drift import Drift
from integration.flows.catalog.plan import Record, drift_of, plan
from integration.flows.catalog.rules import (
    BOOK_PREFIX,
    ENTRY_FIELDS,
    EXTERNAL_ID,
    PRODUCT_FIELDS,
    STANDARD_BOOK,
    TERM_EXTERNAL_ID,
    TERM_FIELDS,
    refusal,
)
from integration.flows.context import FlowContext, sf_datetime
from integration.flows.link import QUERY_CHUNK

log = logging.getLogger(__name__)

FLOW = "catalog"
WHOLE_CATALOG = "*"  # the engine's key for a whole-catalog job (integration.engine.WHOLE_CATALOG)
MIXED_SLICE = 2000  # records per mixed-type write (see _slices)
# From this many products named on, billing's listing (100 a page) is read instead of one
# ``GET /products/{id}`` each (a batch of webhooks after a bulk catalog edit).
LISTING_THRESHOLD = 100
TRANSIENT_STATUSES = frozenset({0, 408, 429})  # and every 5xx


@dataclass
class CatalogReport:
    products: int = 0  # billing products looked at
    created: int = 0  # CRM records created (price books, products, entries, term options)
    updated: int = 0  # CRM records updated
    unchanged: int = 0  # products with nothing to write
    deactivated: list[str] = field(default_factory=list)  # CRM products billing does not know
    refused: dict[str, str] = field(default_factory=dict)  # product id -> business reason (no retry)
    failed: dict[str, str] = field(default_factory=dict)  # product id (or "*") -> transient reason

    def summary(self) -> dict[str, int]:
        return {
            "products": self.products,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deactivated": len(self.deactivated),
            "refused": len(self.refused),
            "failed": len(self.failed),
        }


# -- reading both sides --------------------------------------------------------------------------


def _is_transient(exc: BillingApiError) -> bool:
    return exc.status in TRANSIENT_STATUSES or exc.status >= 500


async def _billing_products(
    ctx: FlowContext, product_ids: Sequence[str] | None, report: CatalogReport
) -> tuple[list[wire.Product], list[str]]:
    """(billing's products, the requested ids billing does not know)."""
    if product_ids is None:
        return await ctx.billing.products(), []
    ids = list(dict.fromkeys(product_ids))
    if len(ids) >= LISTING_THRESHOLD:
        listed = {p.id: p for p in await ctx.billing.products()}
        return [listed[i] for i in ids if i in listed], [i for i in ids if i not in listed]

    async def fetch(product_id: str) -> wire.Product | str | None:
        try:
            return await ctx.billing.get_product(product_id)
        except BillingApiError as exc:
            if exc.status == 404:
                return product_id
            if _is_transient(exc):
                report.failed[product_id] = str(exc)
            else:
                report.refused[product_id] = str(exc)
            return None

    fetched = await ctx.gather_limited(ids, fetch)
    return [p for p in fetched if isinstance(p, wire.Product)], [p for p in fetched if isinstance(p, str)]


_ENTRY_QUERY = f"SELECT Id, Pricebook2Id, {', '.join(ENTRY_FIELDS)} FROM PricebookEntries"
_TERM_QUERY = f"SELECT Id, {TERM_EXTERNAL_ID}, {', '.join(TERM_FIELDS)} FROM Term_Options__r"
_PRODUCT_QUERY = (
    f"SELECT Id, {EXTERNAL_ID}, {', '.join(PRODUCT_FIELDS)}, ({_ENTRY_QUERY}), ({_TERM_QUERY}) FROM Product2"
)


async def _crm_products(ctx: FlowContext, product_ids: Sequence[str] | None) -> dict[str, dict[str, Any]]:
    """The CRM's catalog products (all, or those named) by billing id, with entries and terms."""
    if product_ids is None:
        rows = await ctx.salesforce.query(f"{_PRODUCT_QUERY} WHERE {EXTERNAL_ID} != null")
    else:
        ids = list(dict.fromkeys(product_ids))
        rows = []
        for start in range(0, len(ids), QUERY_CHUNK):
            chunk = ids[start : start + QUERY_CHUNK]
            rows += await ctx.salesforce.query(f"{_PRODUCT_QUERY} WHERE {EXTERNAL_ID} IN {soql_in(chunk)}")
    return {str(row[EXTERNAL_ID]): row for row in rows}


async def _price_books(ctx: FlowContext) -> dict[str, str]:
    """Book key -> Pricebook2 Id: the standard book and the custom books named ``Billing ...``."""
    books: dict[str, str] = {}
    for row in await ctx.salesforce.query(
        "SELECT Id, Name, IsStandard FROM Pricebook2 ORDER BY CreatedDate, Id"
    ):
        if row.get("IsStandard"):
            books.setdefault(STANDARD_BOOK, str(row["Id"]))
        elif str(row.get("Name") or "").startswith(f"{BOOK_PREFIX} "):
            books.setdefault(str(row["Name"]), str(row["Id"]))
    return books


# -- the flow ------------------------------------------------------------------------------------


async def sync_catalog(ctx: FlowContext, product_ids: Sequence[str] | None = None) -> CatalogReport:
    """Pull billing's catalog (all of it, or the products named) into the CRM; see the module
    docstring for what is written where."""
    report = CatalogReport()
    products, missing = await _billing_products(ctx, product_ids, report)
    for product in products:
        reason = refusal(product)
        if reason is not None:
            report.refused[product.id] = reason
    products = [p for p in products if p.id not in report.refused]
    report.products = len(products)
    wanted_ids = None if product_ids is None else [p.id for p in products] + missing
    crm = await _crm_products(ctx, wanted_ids) if wanted_ids != [] else {}
    books = await _price_books(ctx)
    billing_ids = {p.id for p in products}
    unknown = (
        [i for i in crm if i not in billing_ids and i not in report.refused and i not in report.failed]
        if product_ids is None
        else [i for i in missing if i in crm]
    )
    records = [r for r in plan(products, crm, books, unknown) if r.pending]
    report.deactivated = [
        r.product_id for r in records if r.sobject == "Product2" and r.product_id in unknown
    ]
    touched = {r.product_id for r in records}
    report.unchanged = sum(1 for p in products if p.id not in touched)
    if STANDARD_BOOK not in books:
        for product_id in touched:
            report.failed[product_id] = "the org has no standard price book (Pricebook2 IsStandard)"
    elif records:
        await _write(ctx, records, crm, books, report)
    if product_ids is None and report.failed:
        report.failed[WHOLE_CATALOG] = f"{len(report.failed)} products failed"
    log.info("catalog sync (%s): %s", "all" if product_ids is None else len(product_ids), report.summary())
    return report


async def _write(
    ctx: FlowContext,
    records: list[Record],
    crm: dict[str, dict[str, Any]],
    books: dict[str, str],
    report: CatalogReport,
) -> None:
    """The writes in dependency order: books, products, standard entries, custom entries with
    term options, then every update. A record whose product could not be written is skipped."""
    now = sf_datetime()
    await _create_books(ctx, records, books, report)
    product_ids = {key: str(row["Id"]) for key, row in crm.items()}
    new_products = [r for r in records if r.sobject == "Product2" and r.current is None]
    upserts: list[dict[str, Any]] = [
        {EXTERNAL_ID: r.key, **r.wanted, "Billing_Last_Synced__c": now} for r in new_products
    ]
    results = await ctx.write_salesforce(FLOW, "Product2", upserts, external_id_field=EXTERNAL_ID)
    for record, result in zip(new_products, results, strict=True):
        if _outcome(record, result, report) and result.id:
            product_ids[record.product_id] = result.id

    def creatable(record: Record) -> bool:
        return (
            record.current is None
            and record.product_id in product_ids
            and record.product_id not in report.failed
        )

    def create(record: Record) -> dict[str, Any]:
        if record.sobject == "PricebookEntry":
            assert record.book is not None
            refs = {"Pricebook2Id": books[record.book], "Product2Id": product_ids[record.product_id]}
        else:
            refs = {TERM_EXTERNAL_ID: str(record.key), "Product__c": product_ids[record.product_id]}
        return {**refs, **record.wanted}

    entries = [r for r in records if r.sobject == "PricebookEntry" and creatable(r)]
    await _create(ctx, [r for r in entries if r.book == STANDARD_BOOK], create, report)
    # Custom entries only once the product's standard entry exists (STANDARD_PRICE_NOT_DEFINED):
    # ``creatable`` is false for a product whose standard entry just failed.
    custom = [r for r in entries if r.book != STANDARD_BOOK and r.book in books and creatable(r)]
    terms = [r for r in records if r.sobject == "Billing_Term_Option__c" and creatable(r)]
    await _create(ctx, custom + terms, create, report)
    await _update(ctx, records, crm, now, report)


async def _create_books(
    ctx: FlowContext, records: list[Record], books: dict[str, str], report: CatalogReport
) -> None:
    names = sorted({r.book for r in records if r.book and r.book not in books and r.current is None})
    rows = [{"Name": n, "IsActive": True, "Description": "Billing's prices (catalog sync)"} for n in names]
    results = await ctx.salesforce.create("Pricebook2", rows) if rows else []
    for name, result in zip(names, results, strict=True):
        if result.success and result.id:
            books[name] = result.id
            report.created += 1
        else:
            for record in records:
                if record.book == name:
                    report.failed[record.product_id] = f"price book {name!r}: {result.error_text}"


def _slices(bodies: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Mixed-type writes in slices the client sends as sObject Collections (Bulk API 2.0, which
    the client uses from ``bulk_threshold`` records on, takes one object per job)."""
    return [bodies[start : start + MIXED_SLICE] for start in range(0, len(bodies), MIXED_SLICE)]


async def _create(
    ctx: FlowContext,
    records: list[Record],
    build: Callable[[Record], dict[str, Any]],
    report: CatalogReport,
) -> None:
    """Creates, each body naming its own type (``attributes``)."""
    bodies = [{"attributes": {"type": r.sobject}, **build(r)} for r in records]
    results: list[RecordResult] = []
    for part in _slices(bodies):
        results += await ctx.salesforce.create(records[0].sobject, part)
    for record, result in zip(records, results, strict=True):
        _outcome(record, result, report)


async def _update(
    ctx: FlowContext, records: list[Record], crm: dict[str, dict[str, Any]], now: str, report: CatalogReport
) -> None:
    """One mixed update of every existing record that differs (changed fields only), each
    touched product's Billing_Last_Synced__c with it."""
    updates = [r for r in records if r.current is not None]
    bodies: dict[str, dict[str, Any]] = {}
    for record in updates:
        assert record.current is not None
        body = {"attributes": {"type": record.sobject}, "Id": record.current["Id"]}
        bodies[record.current["Id"]] = body | {name: new for name, (_, new) in record.changes().items()}
    for product_id in sorted({r.product_id for r in records}):
        row = crm.get(product_id)
        if row is not None:
            product = bodies.setdefault(row["Id"], {"attributes": {"type": "Product2"}, "Id": row["Id"]})
            product["Billing_Last_Synced__c"] = now
    ordered = list(bodies.values())
    results: list[RecordResult] = []
    for part in _slices(ordered):
        results += await ctx.write_salesforce(FLOW, "Product2", part)
    by_id = {body["Id"]: result for body, result in zip(ordered, results, strict=True)}
    for record in updates:
        assert record.current is not None
        _outcome(record, by_id[record.current["Id"]], report, created=False)


def _outcome(record: Record, result: RecordResult, report: CatalogReport, *, created: bool = True) -> bool:
    if result.success:
        if created:
            report.created += 1
        else:
            report.updated += 1
        return True
    report.failed[record.product_id] = f"{record.sobject} {record.label}: {result.error_text}"
    return False


async def catalog_drift(ctx: FlowContext) -> tuple[int, list[Drift]]:
    """(billing products checked, drift): every record a whole-catalog sync would write, field by
    field (``(missing)`` for records the CRM lacks), including CRM products billing does not
    know that are still active. Reads both sides afresh."""
    products = await ctx.billing.products()
    crm = await _crm_products(ctx, None)
    books = await _price_books(ctx)
    billing_ids = {p.id for p in products}
    unknown = [i for i in crm if i not in billing_ids]
    pending = [r for r in plan(products, crm, books, unknown) if r.pending]
    return len(products), drift_of(pending)
