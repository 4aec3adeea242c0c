"""Catalog sync end to end through the running core: ``POST /actions/catalog-sync`` pulls billing's
whole catalog; billing's ``product.updated`` webhooks keep it current; enrichment made in the CRM
stays; reconcile finds no catalog drift."""

from typing import Any

from tests.support.sandbox import Sandbox

CATALOG_OBJECTS = {"Product2", "PricebookEntry", "Billing_Term_Option__c"}


async def entries(sandbox: Sandbox, product_id: str) -> dict[str, dict[str, Any]]:
    rows = await sandbox.crm_user.query(
        "SELECT Pricebook2.Name, Pricebook2.IsStandard, UnitPrice, IsActive, Billing_Price_Id__c "
        f"FROM PricebookEntry WHERE Product2.Billing_Product_Id__c = '{product_id}'"
    )
    return {"" if r["Pricebook2"]["IsStandard"] else r["Pricebook2"]["Name"]: r for r in rows}


async def product2(sandbox: Sandbox, product_id: str) -> dict[str, Any]:
    rows = await sandbox.crm_user.query(
        "SELECT Id, Name, IsActive, StockKeepingUnit, Work_Order_Template__c FROM Product2 "
        f"WHERE Billing_Product_Id__c = '{product_id}'"
    )
    assert len(rows) == 1, rows
    return rows[0]


async def manage(sandbox: Sandbox, method: str, path: str, body: Any = None) -> Any:
    status, payload = await sandbox.billing.request(method, path, body=body, operation="catalog")
    assert status in (200, 201), payload
    return payload


async def test_catalog_sync_through_the_core_keeps_the_crm_current(sandbox: Sandbox) -> None:
    answer = await sandbox.core(
        "POST", "/actions/catalog-sync", {"wait": True, "timeout_seconds": 120}, expect=200
    )
    assert answer["done"] is True
    catalog = {p.code: p for p in await sandbox.billing.products()}
    active = await sandbox.crm_user.query(
        "SELECT Billing_Product_Id__c FROM Product2 WHERE IsActive = true AND Billing_Product_Id__c != null"
    )
    # Every billing product, and only those: the Salesforce seed's own products (ids billing
    # never issued) went inactive.
    assert {r["Billing_Product_Id__c"] for r in active} == {p.id for p in catalog.values()}

    vs4 = catalog["VS-4"]
    record = await product2(sandbox, vs4.id)
    template = (
        await sandbox.crm_user.query(
            "SELECT Id FROM Work_Order_Template__c WHERE Operation__c = 'New' LIMIT 1"
        )
    )[0]["Id"]
    enrich = {"Id": record["Id"], "Work_Order_Template__c": template, "StockKeepingUnit": "VS4-SKU"}
    assert (await sandbox.crm_user.update("Product2", [enrich]))[0].success

    # A price change in billing reaches the price book entry through the product.updated webhook.
    eur = next(p for p in vs4.prices if p.amount.currency == "EUR")
    await manage(
        sandbox,
        "PATCH",
        f"/products/{vs4.id}/prices/{eur.id}",
        {"amount": {"amount": "70.00", "currency": "EUR"}},
    )
    await sandbox.settle()
    entry = (await entries(sandbox, vs4.id))["Billing EUR"]
    assert (entry["UnitPrice"], entry["Billing_Price_Id__c"], entry["IsActive"]) == (70.0, eur.id, True)

    # Deactivated in billing: inactive in the CRM with its entries, never deleted.
    await manage(sandbox, "POST", f"/products/{vs4.id}/deactivate")
    await sandbox.settle()
    record = await product2(sandbox, vs4.id)
    assert record["IsActive"] is False
    assert not any(e["IsActive"] for e in (await entries(sandbox, vs4.id)).values())
    assert (record["Work_Order_Template__c"], record["StockKeepingUnit"]) == (template, "VS4-SKU")

    report = await sandbox.core("POST", "/actions/reconcile", expect=200)
    assert report["products_checked"] == len(catalog)
    assert [d for d in report["drift"] if d["object"] in CATALOG_OBJECTS] == []
