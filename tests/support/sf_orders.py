"""Building blocks for the order and catalog tests over the Salesforce REST API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.support.salesforce import SfClient


async def create(sf: SfClient, sobject: str, **fields: Any) -> str:
    created = await sf.json("POST", f"/sobjects/{sobject}", 201, json=fields)
    record_id: str = created["id"]
    return record_id


async def query(sf: SfClient, soql: str) -> list[dict[str, Any]]:
    found = await sf.json("GET", "/query", 200, params={"q": soql})
    records: list[dict[str, Any]] = found["records"]
    return records


async def standard_book(sf: SfClient) -> str:
    """Found by IsStandard, never by name (orders-and-catalog.md §1.2)."""
    records = await query(sf, "SELECT Id FROM Pricebook2 WHERE IsStandard = true")
    assert len(records) == 1, records
    book_id: str = records[0]["Id"]
    return book_id


@dataclass(frozen=True)
class Catalog:
    standard_book: str
    product: str
    standard_entry: str


async def product_with_price(sf: SfClient, external_id: str = "prod_t1", price: float = 25.0) -> Catalog:
    book = await standard_book(sf)
    product = await create(
        sf, "Product2", Name=f"Product {external_id}", Billing_Product_Id__c=external_id, IsActive=True
    )
    entry = await create(
        sf, "PricebookEntry", Pricebook2Id=book, Product2Id=product, UnitPrice=price, IsActive=True
    )
    return Catalog(book, product, entry)


async def draft_order(sf: SfClient, pricebook: str | None) -> str:
    account = await create(sf, "Account", Name="Order Co")
    fields: dict[str, Any] = {"AccountId": account, "EffectiveDate": "2026-03-01", "Status": "Draft"}
    if pricebook is not None:
        fields["Pricebook2Id"] = pricebook
    return await create(sf, "Order", **fields)


async def order_line(sf: SfClient, order: str, entry: str, **fields: Any) -> str:
    return await create(
        sf, "OrderItem", OrderId=order, PricebookEntryId=entry, Quantity=2, UnitPrice=25.0, **fields
    )
