"""Order rules over the REST API: the order's price book gates its products and is fixed once
set; activation is a status-only update; an activated order's products are locked
(orders-and-catalog.md §0.2-§0.3, §1.4-§1.5)."""

from __future__ import annotations

from tests.support.salesforce import SfClient
from tests.support.sf_orders import create, draft_order, order_line, product_with_price

LOCKED = {
    "message": "Unable to modify activated or superseded Order: cannot delete Order, or add or remove Order Products",
    "errorCode": "ENTITY_IS_LOCKED",
    "fields": [],
}
WRONG_BOOK = {
    "message": "Order Products must have a Price Book Entry that belongs to the Price Book related to the parent"
    " Order.: Price Book Entry ID",
    "errorCode": "FIELD_INTEGRITY_EXCEPTION",
    "fields": ["PricebookEntryId"],
}


async def activated_order(sf: SfClient) -> tuple[str, str, str]:
    """``(order, line, entry)``: an activated order with one line."""
    catalog = await product_with_price(sf)
    order = await draft_order(sf, catalog.standard_book)
    line = await order_line(sf, order, catalog.standard_entry, Billing_Action__c="New", Term_Months__c=12)
    await sf.json("PATCH", f"/sobjects/Order/{order}", 204, json={"Status": "Activated"})
    return order, line, catalog.standard_entry


async def test_order_product_needs_an_entry_of_the_orders_price_book(sf: SfClient) -> None:
    catalog = await product_with_price(sf)
    custom = await create(sf, "Pricebook2", Name="Partner", IsActive=True)
    order = await draft_order(sf, custom)
    body = {"OrderId": order, "PricebookEntryId": catalog.standard_entry, "Quantity": 1, "UnitPrice": 25.0}
    assert await sf.error("POST", "/sobjects/OrderItem", 400, json=body) == WRONG_BOOK
    no_book = await draft_order(sf, None)
    assert await sf.error("POST", "/sobjects/OrderItem", 400, json={**body, "OrderId": no_book}) == WRONG_BOOK


async def test_inactive_entries_cannot_be_ordered(sf: SfClient) -> None:
    catalog = await product_with_price(sf)
    await sf.json(
        "PATCH", f"/sobjects/PricebookEntry/{catalog.standard_entry}", 204, json={"IsActive": False}
    )
    order = await draft_order(sf, catalog.standard_book)
    body = {"OrderId": order, "PricebookEntryId": catalog.standard_entry, "Quantity": 1, "UnitPrice": 25.0}
    assert await sf.error("POST", "/sobjects/OrderItem", 400, json=body) == {
        "message": "field integrity exception: PricebookEntryId (pricebook entry is inactive)",
        "errorCode": "FIELD_INTEGRITY_EXCEPTION",
        "fields": ["PricebookEntryId"],
    }


async def test_the_price_book_is_fixed_once_set(sf: SfClient) -> None:
    catalog = await product_with_price(sf)
    custom = await create(sf, "Pricebook2", Name="Partner", IsActive=True)
    unset = await draft_order(sf, None)
    await sf.json("PATCH", f"/sobjects/Order/{unset}", 204, json={"Pricebook2Id": catalog.standard_book})
    expected = {
        "message": "You can't change or remove the price book of an order once it is set: Price Book ID",
        "errorCode": "FIELD_INTEGRITY_EXCEPTION",
        "fields": ["Pricebook2Id"],
    }
    for change in ({"Pricebook2Id": custom}, {"Pricebook2Id": None}):
        assert await sf.error("PATCH", f"/sobjects/Order/{unset}", 400, json=change) == expected
    # Sending the same price book again is no change.
    await sf.json("PATCH", f"/sobjects/Order/{unset}", 204, json={"Pricebook2Id": catalog.standard_book})


async def test_activation_is_a_status_only_update(sf: SfClient) -> None:
    catalog = await product_with_price(sf)
    order = await draft_order(sf, catalog.standard_book)
    await order_line(sf, order, catalog.standard_entry)
    error = await sf.error(
        "PATCH", f"/sobjects/Order/{order}", 400, json={"Status": "Activated", "Description": "go"}
    )
    assert error == {
        "message": "Status must be the only field updated when activating an order: Status",
        "errorCode": "FIELD_INTEGRITY_EXCEPTION",
        "fields": ["Status"],
    }
    await sf.json("PATCH", f"/sobjects/Order/{order}", 204, json={"Status": "Activated"})
    found = await sf.json("GET", f"/sobjects/Order/{order}", 200)
    assert (found["Status"], found["Description"]) == ("Activated", None)


async def test_activation_needs_order_products_and_a_draft_start(sf: SfClient) -> None:
    catalog = await product_with_price(sf)
    empty = await draft_order(sf, catalog.standard_book)
    assert await sf.error("PATCH", f"/sobjects/Order/{empty}", 400, json={"Status": "Activated"}) == {
        "message": "You can't activate an order without order products",
        "errorCode": "FIELD_INTEGRITY_EXCEPTION",
        "fields": [],
    }
    account = await create(sf, "Account", Name="Eager Co")
    body = {"AccountId": account, "EffectiveDate": "2026-03-01", "Status": "Activated"}
    assert await sf.error("POST", "/sobjects/Order", 400, json=body) == {
        "message": "You can't create an order in an activated state. Create it as Draft, then activate it: Status",
        "errorCode": "FIELD_INTEGRITY_EXCEPTION",
        "fields": ["Status"],
    }


async def test_an_activated_orders_products_are_locked(sf: SfClient) -> None:
    order, line, entry = await activated_order(sf)
    body = {"OrderId": order, "PricebookEntryId": entry, "Quantity": 1, "UnitPrice": 25.0}
    assert await sf.error("POST", "/sobjects/OrderItem", 400, json=body) == LOCKED
    assert await sf.error("DELETE", f"/sobjects/OrderItem/{line}", 400) == LOCKED
    assert await sf.error("PATCH", f"/sobjects/OrderItem/{line}", 400, json={"Quantity": 5}) == LOCKED
    assert await sf.error("DELETE", f"/sobjects/Order/{order}", 400) == LOCKED
    # The integration's write-back (custom fields, the sync status) still lands.
    await sf.json("PATCH", f"/sobjects/OrderItem/{line}", 204, json={"ETL_Amount__c": 120.5})
    await sf.json(
        "PATCH",
        f"/sobjects/Order/{order}",
        204,
        json={"Billing_Sync_Status__c": "Synced", "Description": "done"},
    )


async def test_an_activated_order_can_go_back_to_draft_and_be_edited(sf: SfClient) -> None:
    order, line, _ = await activated_order(sf)
    await sf.json("PATCH", f"/sobjects/Order/{order}", 204, json={"Status": "Draft"})
    await sf.json("PATCH", f"/sobjects/OrderItem/{line}", 204, json={"Quantity": 5})
    await sf.json("DELETE", f"/sobjects/Order/{order}", 204)


async def test_order_rules_hold_in_sobject_collections(sf: SfClient) -> None:
    """Batch writes get the same rules, per record (statusCode form)."""
    order, _, entry = await activated_order(sf)
    record = {
        "attributes": {"type": "OrderItem"},
        "OrderId": order,
        "PricebookEntryId": entry,
        "Quantity": 1,
        "UnitPrice": 25.0,
    }
    results = await sf.json(
        "POST", "/composite/sobjects", 200, json={"allOrNone": False, "records": [record]}
    )
    assert results == [
        {
            "success": False,
            "errors": [{"statusCode": LOCKED["errorCode"], "message": LOCKED["message"], "fields": []}],
        }
    ]
