"""Price book rules over the REST API: standard price first, one price per book, the standard
price book kept (orders-and-catalog.md §0.1, §1.2, §1.3)."""

from __future__ import annotations

from tests.support.salesforce import SfClient
from tests.support.sf_orders import create, product_with_price, query, standard_book

NO_STANDARD_PRICE = {
    "message": "Before creating a custom price, create a standard price.",
    "errorCode": "STANDARD_PRICE_NOT_DEFINED",
    "fields": [],
}


async def test_every_org_has_one_standard_price_book(sf: SfClient) -> None:
    books = await query(sf, "SELECT Id, Name, IsActive FROM Pricebook2 WHERE IsStandard = true")
    assert [(b["Name"], b["IsActive"]) for b in books] == [("Standard Price Book", True)]


async def test_custom_price_before_standard_price_is_refused(sf: SfClient) -> None:
    product = await create(sf, "Product2", Name="Bare", Billing_Product_Id__c="prod_bare", IsActive=True)
    custom = await create(sf, "Pricebook2", Name="Partner", IsActive=True)
    error = await sf.error(
        "POST",
        "/sobjects/PricebookEntry",
        400,
        json={"Pricebook2Id": custom, "Product2Id": product, "UnitPrice": 9.0, "IsActive": True},
    )
    assert error == NO_STANDARD_PRICE
    # The documented setup order works: standard entry first, then the custom one.
    await create(
        sf, "PricebookEntry", Pricebook2Id=await standard_book(sf), Product2Id=product, UnitPrice=10.0
    )
    await create(sf, "PricebookEntry", Pricebook2Id=custom, Product2Id=product, UnitPrice=9.0)


async def test_use_standard_price_inherits_the_standard_unit_price(sf: SfClient) -> None:
    catalog = await product_with_price(sf, price=40.0)
    custom = await create(sf, "Pricebook2", Name="Resellers", IsActive=True)
    entry = await create(
        sf,
        "PricebookEntry",
        Pricebook2Id=custom,
        Product2Id=catalog.product,
        UnitPrice=1.0,
        UseStandardPrice=True,
    )
    found = await sf.json("GET", f"/sobjects/PricebookEntry/{entry}", 200)
    assert (found["UnitPrice"], found["UseStandardPrice"]) == (40.0, True)


async def test_one_price_per_product_and_price_book(sf: SfClient) -> None:
    catalog = await product_with_price(sf)
    error = await sf.error(
        "POST",
        "/sobjects/PricebookEntry",
        400,
        json={"Pricebook2Id": catalog.standard_book, "Product2Id": catalog.product, "UnitPrice": 30.0},
    )
    assert error == {
        "message": "This price definition already exists in this price book",
        "errorCode": "DUPLICATE_VALUE",
        "fields": [],
    }


async def test_entry_keys_are_create_only(sf: SfClient) -> None:
    catalog = await product_with_price(sf)
    other = await create(sf, "Product2", Name="Other", Billing_Product_Id__c="prod_other")
    error = await sf.error(
        "PATCH", f"/sobjects/PricebookEntry/{catalog.standard_entry}", 400, json={"Product2Id": other}
    )
    assert error["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert error["fields"] == ["Product2Id"]
    # The price itself stays editable.
    await sf.json(
        "PATCH", f"/sobjects/PricebookEntry/{catalog.standard_entry}", 204, json={"UnitPrice": 31.5}
    )


async def test_the_standard_price_book_cannot_be_deleted(sf: SfClient) -> None:
    book = await standard_book(sf)
    error = await sf.error("DELETE", f"/sobjects/Pricebook2/{book}", 400)
    assert error == {
        "message": "The standard price book can't be deleted",
        "errorCode": "INVALID_OPERATION",
        "fields": [],
    }
    custom = await create(sf, "Pricebook2", Name="Temporary")
    await sf.json("DELETE", f"/sobjects/Pricebook2/{custom}", 204)
