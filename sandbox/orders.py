"""The order desk: places orders in the CRM through the Salesforce REST API, as a CRM user would.

Shared by the end-to-end order tests, the demo, the crash and budget tests and ``q2c bench
orders``. Everything is batched (sObject Collections, 200 records a call; reads by IN lists), so
hundreds of orders cost a handful of calls:

1. the standard price book (one query, ``IsStandard = true``, never by name), the price book
   entries of the products named (by ``Product2.ProductCode`` or ``Billing_Product_Id__c``) and,
   for lines that name no product, the product of the ``Billing_Service__c`` they act on;
2. the Orders (Draft, standard price book);
3. the OrderItems in waves: lines without a parent first, then the add-ons whose
   ``Parent_Order_Item__c`` points at a line of the previous wave;
4. activation, a status-only update (orders-and-catalog.md §0.3): the CDC event of that update
   is what hands the order to the integration core.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from integration.clients.salesforce import RecordResult, SalesforceClient, soql_in

QUERY_CHUNK = 300  # ids per IN list: keeps the SOQL text well under the URL limit
ACTIVATED = "Activated"


@dataclass(frozen=True)
class LineSpec:
    """One order line (OrderItem).

    ``action``: the CRM picklist value of ``Billing_Action__c`` ("New", "Add-On", "Cancel", ...).
    ``product_code``: ``Product2.ProductCode`` or ``Billing_Product_Id__c``; None takes the
    product of ``service_id`` (the line acts on an existing service with the same product).
    ``service_id``: the ``Billing_Service__c`` Id acted on (every action but New).
    ``parent``: index, in the same order, of the line an add-on hangs on (``Parent_Order_Item__c``).
    ``unit_price``: None takes the price book entry's list price.
    ``fields``: any other OrderItem fields (e.g. ``Description``).
    """

    action: str
    product_code: str | None = None
    quantity: int = 1
    service_id: str | None = None
    parent: int | None = None
    term_months: int | None = None
    unit_price: Decimal | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OrderSpec:
    account_id: str  # Salesforce Account Id
    lines: Sequence[LineSpec]
    effective_date: date | str
    fields: Mapping[str, Any] = field(default_factory=dict)  # any other Order fields


@dataclass(frozen=True)
class PlacedOrder:
    order_id: str
    item_ids: tuple[str, ...]  # in the order of ``spec.lines``
    spec: OrderSpec


class OrderDeskError(Exception):
    """The CRM refused a record (with Salesforce's own error codes and messages)."""


@dataclass(frozen=True)
class _Entry:
    id: str
    product_id: str
    unit_price: Decimal


async def place_orders(
    sf: SalesforceClient, specs: Sequence[OrderSpec], *, activate: bool = True
) -> list[PlacedOrder]:
    """Create the orders and their lines in the standard price book; activate them unless
    ``activate`` is false (a draft, e.g. for a Cancel line whose ETL quote comes first).

    A product the CRM lacks raises ``OrderDeskError`` before anything is written; a record the
    CRM refuses raises it with Salesforce's codes and messages (what was created before stays,
    as Draft orders nothing processes)."""
    if not specs:
        return []
    _check_specs(specs)
    book = await standard_price_book(sf)
    entries = await _entries(sf, book, specs)
    order_results = await sf.create(
        "Order",
        [
            {
                **spec.fields,
                "AccountId": spec.account_id,
                "EffectiveDate": str(spec.effective_date),
                "Status": "Draft",
                "Pricebook2Id": book,
            }
            for spec in specs
        ],
    )
    order_ids = _ids("Order", order_results)
    item_ids: list[list[str | None]] = [[None] * len(spec.lines) for spec in specs]
    for wave in _waves(specs):
        records = [_item_record(order_ids[o], specs[o].lines[i], item_ids[o], entries) for o, i in wave]
        created = _ids("OrderItem", await sf.create("OrderItem", records))
        for (o, i), item_id in zip(wave, created, strict=True):
            item_ids[o][i] = item_id
    if activate:
        await activate_orders(sf, order_ids)
    return [
        PlacedOrder(order_id, tuple(str(i) for i in items), spec)
        for order_id, items, spec in zip(order_ids, item_ids, specs, strict=True)
    ]


async def activate_orders(sf: SalesforceClient, order_ids: Sequence[str]) -> None:
    """Activate Draft orders: ``Status`` is the only field of the update, as Salesforce requires."""
    results = await sf.update("Order", [{"Id": order_id, "Status": ACTIVATED} for order_id in order_ids])
    _ids("Order", results)


activate = activate_orders  # the name the task brief uses


async def standard_price_book(sf: SalesforceClient) -> str:
    records = await sf.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true")
    if len(records) != 1:
        raise OrderDeskError(f"expected one standard price book, found {len(records)}")
    return str(records[0]["Id"])


def _check_specs(specs: Sequence[OrderSpec]) -> None:
    for n, spec in enumerate(specs):
        if not spec.lines:
            raise ValueError(f"order {n} has no lines")
        for i, line in enumerate(spec.lines):
            if line.product_code is None and line.service_id is None:
                raise ValueError(f"order {n} line {i}: a product code or a service to act on is required")
            if line.parent is not None and not (0 <= line.parent < len(spec.lines) and line.parent != i):
                raise ValueError(f"order {n} line {i}: parent {line.parent} is not another line")
            if line.parent is not None and spec.lines[line.parent].parent is not None:
                raise ValueError(f"order {n} line {i}: the parent line is itself an add-on")


def _waves(specs: Sequence[OrderSpec]) -> list[list[tuple[int, int]]]:
    """(order, line) pairs: parents first, then add-ons (their parent's Id must exist)."""
    roots = [
        (o, i) for o, spec in enumerate(specs) for i, line in enumerate(spec.lines) if line.parent is None
    ]
    children = [
        (o, i) for o, spec in enumerate(specs) for i, line in enumerate(spec.lines) if line.parent is not None
    ]
    return [wave for wave in (roots, children) if wave]


def _item_record(
    order_id: str, line: LineSpec, siblings: list[str | None], entries: Mapping[str, _Entry]
) -> dict[str, Any]:
    key = line.product_code if line.product_code is not None else f"service:{line.service_id}"
    entry = entries[key]
    record: dict[str, Any] = {
        **line.fields,
        "OrderId": order_id,
        "PricebookEntryId": entry.id,
        "Quantity": line.quantity,
        "UnitPrice": float(line.unit_price if line.unit_price is not None else entry.unit_price),
        "Billing_Action__c": line.action,
    }
    if line.service_id is not None:
        record["Billing_Service__c"] = line.service_id
    if line.term_months is not None:
        record["Term_Months__c"] = line.term_months
    if line.parent is not None:
        record["Parent_Order_Item__c"] = siblings[line.parent]
    return record


async def _entries(sf: SalesforceClient, book: str, specs: Sequence[OrderSpec]) -> dict[str, _Entry]:
    """Standard price book entries by product code / billing product id, and by
    ``service:<Billing_Service__c Id>`` for lines that take their service's product."""
    lines = [line for spec in specs for line in spec.lines]
    codes = sorted({line.product_code for line in lines if line.product_code is not None})
    services = sorted({line.service_id for line in lines if line.product_code is None and line.service_id})
    service_products: dict[str, str] = {}
    for chunk in _chunks(services):
        for row in await sf.query(
            f"SELECT Id, Product__c FROM Billing_Service__c WHERE Id IN {soql_in(chunk)}"
        ):
            if row.get("Product__c"):
                service_products[str(row["Id"])] = str(row["Product__c"])
    select = (
        "SELECT Id, Product2Id, UnitPrice, Product2.ProductCode, Product2.Billing_Product_Id__c "
        f"FROM PricebookEntry WHERE Pricebook2Id = '{book}' AND "
    )
    rows: list[dict[str, Any]] = []
    for chunk in _chunks(codes):
        in_list = soql_in(chunk)
        rows += await sf.query(
            select + f"(Product2.ProductCode IN {in_list} OR Product2.Billing_Product_Id__c IN {in_list})"
        )
    for chunk in _chunks(sorted(set(service_products.values()))):
        rows += await sf.query(select + f"Product2Id IN {soql_in(chunk)}")
    entries: dict[str, _Entry] = {}
    by_product: dict[str, _Entry] = {}
    for row in rows:
        entry = _Entry(str(row["Id"]), str(row["Product2Id"]), Decimal(str(row["UnitPrice"])))
        by_product[entry.product_id] = entry
        product = row.get("Product2") or {}
        for key in (product.get("ProductCode"), product.get("Billing_Product_Id__c")):
            if key:
                entries[str(key)] = entry
    for service, product_id in service_products.items():
        if product_id in by_product:
            entries[f"service:{service}"] = by_product[product_id]
    missing = [c for c in codes if c not in entries] + [
        f"the product of service {s}" for s in services if f"service:{s}" not in entries
    ]
    if missing:
        raise OrderDeskError(f"no standard price book entry for {', '.join(missing)}")
    return entries


def _ids(sobject: str, results: Sequence[RecordResult]) -> list[str]:
    failed = [f"{n}: {r.error_text}" for n, r in enumerate(results) if not r.success]
    if failed:
        raise OrderDeskError(f"{len(failed)} {sobject} record(s) refused: {'; '.join(failed[:5])}")
    return [str(r.id) for r in results]


def _chunks(values: Sequence[str]) -> list[Sequence[str]]:
    return [values[start : start + QUERY_CHUNK] for start in range(0, len(values), QUERY_CHUNK)]
