"""Catalog sync billing -> CRM (integration/flows/catalog.py) against both simulators in process:
prices reach PricebookEntry, deactivation, enrichment kept, term options, drift, call budgets."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from contracts import defaults
from integration.clients.billing import BillingClient, BillingConfig
from integration.clients.salesforce import SalesforceClient, SalesforceConfig
from integration.events.dispatch import CORE_CLIENT_ID
from integration.flows.catalog import CatalogReport, catalog_drift, order_price_book, sync_catalog
from integration.flows.context import FlowContext
from integration.mapping import load_mapping
from integration.metrics import CoreMetrics
from integration.store import open_store
from simulators.billing.app import BillingSettings
from simulators.billing.app import create_app as billing_app
from simulators.kit import KIT, SimKit
from simulators.kit.serve import AppSpec, start_app, stop_apps
from simulators.salesforce.app import SalesforceSettings
from simulators.salesforce.app import create_app as salesforce_app

ENTRIES = (
    "SELECT Id, Pricebook2.Name, Pricebook2.IsStandard, UnitPrice, IsActive, Billing_Price_Id__c "
    "FROM PricebookEntry WHERE Product2.Billing_Product_Id__c = '{}'"
)
TERMS = (
    "SELECT Billing_Term_Option_Id__c, Name, Term_Months__c, End_Action__c, ETL_Method__c, "
    "ETL_Percent__c, ETL_Rule__c, IsActive__c FROM Billing_Term_Option__c "
    "WHERE Product__r.Billing_Product_Id__c = '{}'"
)


@dataclass
class World:
    ctx: FlowContext
    crm: SalesforceClient  # a CRM user: enrichment and hand edits
    billing: BillingClient  # billing's catalog management
    salesforce_kit: SimKit

    def calls(self) -> int:
        return self.salesforce_kit.meter.used()

    async def products(self) -> dict[str, dict[str, Any]]:
        """Billing's catalog by code, as the contract's JSON."""
        return {p.code: p.model_dump(mode="json") for p in await self.ctx.billing.products()}

    async def product2(self, billing_id: str) -> dict[str, Any]:
        rows = await self.crm.query(
            "SELECT Id, Name, ProductCode, Description, IsActive, Family, Billing_Parent_Product_Ids__c, "
            "Billing_Last_Synced__c, StockKeepingUnit, Work_Order_Template__c, SystemModstamp "
            f"FROM Product2 WHERE Billing_Product_Id__c = '{billing_id}'"
        )
        assert len(rows) == 1, rows
        return rows[0]

    async def entries(self, billing_id: str) -> dict[str, dict[str, Any]]:
        """The product's price book entries by book ("" for the standard book)."""
        rows = await self.crm.query(ENTRIES.format(billing_id))
        return {"" if r["Pricebook2"]["IsStandard"] else r["Pricebook2"]["Name"]: r for r in rows}

    async def terms(self, billing_id: str) -> dict[str, dict[str, Any]]:
        return {r["Billing_Term_Option_Id__c"]: r for r in await self.crm.query(TERMS.format(billing_id))}

    async def manage(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        """A catalog management call on billing (the contract's optional operations)."""
        status, payload = await self.billing.request(method, path, body=body, operation="catalog")
        assert status in (200, 201), payload
        return dict(payload)


async def open_world(tmp_path: Path, salesforce_counts: dict[str, int]) -> AsyncIterator[World]:
    salesforce = salesforce_app(SalesforceSettings(seed=7))
    billing = billing_app(BillingSettings(seed=7, rate_limit=None, counts={"accounts": 0}))
    running = [
        await start_app(AppSpec("salesforce", salesforce)),
        await start_app(AppSpec("billing", billing)),
    ]
    await salesforce[KIT].reseed(7, salesforce_counts)

    def sf_client(client: str | None) -> SalesforceClient:
        return SalesforceClient(
            SalesforceConfig(
                login_url=running[0].url,
                client_id=defaults.SALESFORCE_CLIENT_ID,
                client_secret=defaults.SALESFORCE_CLIENT_SECRET,
                call_options_client=client,
            )
        )

    # Few, fast retries: the transient-failure test should not wait out a real backoff.
    config = BillingConfig(running[1].url, defaults.BILLING_API_KEY, max_retries=1, backoff_base=0.001)
    core_sf, crm, core_billing, admin = (
        sf_client(CORE_CLIENT_ID),
        sf_client(None),
        BillingClient(config),
        BillingClient(config),
    )
    store = await open_store(tmp_path / "core.db")
    ctx = FlowContext(core_sf, core_billing, store, load_mapping(), CoreMetrics())
    try:
        await core_sf.authenticate()  # the token call is not part of any budget below
        yield World(ctx, crm, admin, salesforce[KIT])
    finally:
        for client in (core_sf, crm, core_billing, admin):
            await client.close()
        await store.close()
        await stop_apps(running)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """Both simulators with an empty CRM catalog and billing's seeded one (12 products)."""
    async for w in open_world(tmp_path, {"accounts": 0, "products": 0}):
        yield w


@pytest.fixture
async def seeded_world(tmp_path: Path) -> AsyncIterator[World]:
    """The Salesforce seed's own 20 products, whose billing ids billing does not know."""
    async for w in open_world(tmp_path, {"accounts": 0}):
        yield w


def nothing_written(report: CatalogReport) -> bool:
    return (report.created, report.updated, report.failed) == (0, 0, {})


async def test_first_sync_maps_products_prices_and_term_options(world: World) -> None:
    catalog = await world.products()
    before = world.calls()
    report = await sync_catalog(world.ctx)
    first_calls = world.calls() - before
    assert report.failed == {}
    assert report.refused == {}
    assert report.products == len(catalog) == 12

    inet = catalog["INET-100"]
    product = await world.product2(inet["id"])
    assert (product["Name"], product["ProductCode"], product["Family"], product["IsActive"]) == (
        "Internet Access 100 Mbps",
        "INET-100",
        "Subscription",
        True,
    )
    assert product["Billing_Last_Synced__c"] is not None
    # One entry per billing price: the USD list (recurring) price in the standard book, the rest
    # in the custom books of the price book rule.
    price = {(p["kind"], p["amount"]["currency"]): p for p in inet["prices"]}
    entries = await world.entries(inet["id"])
    expected = {
        "": price["recurring", "USD"],
        "Billing EUR": price["recurring", "EUR"],
        "Billing USD One-Time": price["one_time", "USD"],
        "Billing EUR One-Time": price["one_time", "EUR"],
    }
    assert set(entries) == set(expected)
    for book, billing_price in expected.items():
        entry = entries[book]
        assert (entry["UnitPrice"], entry["IsActive"], entry["Billing_Price_Id__c"]) == (
            float(billing_price["amount"]["amount"]),
            True,
            billing_price["id"],
        )
    assert order_price_book("EUR") == "Billing EUR"
    assert order_price_book("USD") == ""

    # A one-time product's list price is its one-time price; an add-on names its parents.
    install = catalog["INSTALL-PRO"]
    assert (await world.product2(install["id"]))["Family"] == "One-Time"
    assert (await world.entries(install["id"]))[""]["UnitPrice"] == 300.0
    static_ip = catalog["IP-STATIC"]
    assert (await world.product2(static_ip["id"]))["Billing_Parent_Product_Ids__c"] == ",".join(
        static_ip["parent_product_ids"]
    )

    terms = await world.terms(inet["id"])
    assert len(terms) == 3
    by_months = {t["Term_Months__c"]: t for t in terms.values()}
    two_years = by_months[24]
    assert (two_years["End_Action__c"], two_years["ETL_Method__c"], two_years["ETL_Percent__c"]) == (
        "Renew",
        "Percent Remaining",
        50.0,
    )
    assert json.loads(two_years["ETL_Rule__c"])["caps"] == [
        {"amount": "2000.00", "currency": "USD"},
        {"amount": "1800.00", "currency": "EUR"},
    ]
    assert (by_months[36]["End_Action__c"], by_months[36]["ETL_Method__c"]) == ("Month-to-Month", "Tiered")
    assert by_months[36]["ETL_Percent__c"] is None

    # Batched: books, products, standard entries, custom entries with term options, two reads.
    assert first_calls <= 6, first_calls
    before = world.calls()
    again = await sync_catalog(world.ctx)
    assert nothing_written(again)
    assert again.unchanged == 12
    assert world.calls() - before == 2  # the two reads, no write
    assert (await world.product2(inet["id"]))["SystemModstamp"] == product["SystemModstamp"]


async def test_a_price_change_in_billing_reaches_the_price_book_entry(world: World) -> None:
    await sync_catalog(world.ctx)
    vs4 = (await world.products())["VS-4"]
    eur = next(p for p in vs4["prices"] if p["amount"]["currency"] == "EUR")
    before_entries = await world.entries(vs4["id"])
    await world.manage(
        "PATCH",
        f"/products/{vs4['id']}/prices/{eur['id']}",
        {"amount": {"amount": "75.50", "currency": "EUR"}},
    )
    added = await world.manage(
        "POST",
        f"/products/{vs4['id']}/prices",
        {"kind": "one_time", "amount": {"amount": "49.00", "currency": "USD"}},
    )
    new_price = next(p for p in added["prices"] if p["kind"] == "one_time")

    before = world.calls()
    report = await sync_catalog(world.ctx, [vs4["id"]])
    assert report.failed == {}
    assert world.calls() - before <= 4  # two reads, the new entry, the update
    entries = await world.entries(vs4["id"])
    assert entries["Billing EUR"]["Id"] == before_entries["Billing EUR"]["Id"]  # updated in place
    assert (entries["Billing EUR"]["UnitPrice"], entries["Billing EUR"]["Billing_Price_Id__c"]) == (
        75.5,
        eur["id"],
    )
    assert (
        entries["Billing USD One-Time"]["UnitPrice"],
        entries["Billing USD One-Time"]["Billing_Price_Id__c"],
    ) == (
        49.0,
        new_price["id"],
    )
    assert entries[""]["UnitPrice"] == 80.0  # the USD list price did not change


async def test_a_deactivated_product_becomes_inactive_with_its_entries_and_comes_back(world: World) -> None:
    await sync_catalog(world.ctx)
    sip = (await world.products())["SIP-10"]
    await world.manage("POST", f"/products/{sip['id']}/deactivate")
    report = await sync_catalog(world.ctx, [sip["id"]])
    assert report.failed == {}
    product = await world.product2(sip["id"])  # never deleted
    assert product["IsActive"] is False
    entries = await world.entries(sip["id"])
    assert len(entries) == 4
    assert not any(e["IsActive"] for e in entries.values())
    assert len(await world.terms(sip["id"])) == 3

    await world.manage("PATCH", f"/products/{sip['id']}", {"status": "active"})
    await sync_catalog(world.ctx, [sip["id"]])
    assert (await world.product2(sip["id"]))["IsActive"] is True
    assert all(e["IsActive"] for e in (await world.entries(sip["id"])).values())


async def test_enrichment_survives_three_resyncs(world: World) -> None:
    await sync_catalog(world.ctx)
    inet = (await world.products())["INET-1000"]
    product = await world.product2(inet["id"])
    template = (
        await world.crm.query("SELECT Id FROM Work_Order_Template__c WHERE Operation__c = 'New' LIMIT 1")
    )[0]
    enriched = {"Id": product["Id"], "Work_Order_Template__c": template["Id"], "StockKeepingUnit": "SKU-GIG"}
    assert all(r.success for r in await world.crm.update("Product2", [enriched]))

    names = ("Internet Access 1 Gbps (fibre)", "Internet Access 1 Gbps (fiber)", "Internet 1 Gbps")
    for run, name in enumerate(names):
        await world.manage("PATCH", f"/products/{inet['id']}", {"name": name})
        report = await sync_catalog(world.ctx, None if run % 2 == 0 else [inet["id"]])
        assert report.failed == {}
        assert report.updated >= 1  # the product was written each time
        product = await world.product2(inet["id"])
        assert product["Name"] == name
        assert (product["Work_Order_Template__c"], product["StockKeepingUnit"]) == (template["Id"], "SKU-GIG")


async def test_a_new_term_option_appears_and_changes_follow(world: World) -> None:
    await sync_catalog(world.ctx)
    sip = (await world.products())["SIP-10"]
    flat = {"method": "flat", "flat_amounts": [{"amount": "300.00", "currency": "USD"}]}
    added = await world.manage(
        "POST",
        f"/products/{sip['id']}/term-options",
        {"name": "48 months", "term_months": 48, "end_action": "cancel", "etl_rule": flat},
    )
    term = next(t for t in added["term_options"] if t["term_months"] == 48)
    await sync_catalog(world.ctx, [sip["id"]])
    row = (await world.terms(sip["id"]))[term["id"]]
    assert (
        row["Name"],
        row["Term_Months__c"],
        row["End_Action__c"],
        row["ETL_Method__c"],
        row["IsActive__c"],
    ) == (
        "48 months",
        48,
        "Cancel",
        "Flat",
        True,
    )
    assert json.loads(row["ETL_Rule__c"])["flat_amounts"] == [{"amount": "300.00", "currency": "USD"}]

    await world.manage("PATCH", f"/products/{sip['id']}/term-options/{term['id']}", {"etl_rule": None})
    await sync_catalog(world.ctx, [sip["id"]])
    row = (await world.terms(sip["id"]))[term["id"]]
    assert (row["ETL_Method__c"], row["ETL_Rule__c"]) == (None, None)


async def test_drift_is_zero_after_a_sync_and_names_a_crm_side_edit(world: World) -> None:
    checked, drift = await catalog_drift(world.ctx)
    assert checked == 12
    assert drift  # nothing synced yet: every record is missing
    assert {d.field for d in drift} == {"(missing)"}
    await sync_catalog(world.ctx)
    assert await catalog_drift(world.ctx) == (12, [])

    inet = (await world.products())["INET-100"]
    product = await world.product2(inet["id"])
    entry = (await world.entries(inet["id"]))["Billing EUR"]
    await world.crm.update("Product2", [{"Id": product["Id"], "Name": "Renamed in the CRM"}])
    await world.crm.update("PricebookEntry", [{"Id": entry["Id"], "UnitPrice": 1.0}])
    _, drift = await catalog_drift(world.ctx)
    assert {(d.object, d.record, d.field, d.salesforce, d.billing) for d in drift} == {
        ("Product2", inet["id"], "Name", "Renamed in the CRM", "Internet Access 100 Mbps"),
        ("PricebookEntry", f"{inet['id']}:Billing EUR", "UnitPrice", 1.0, 89.0),
    }
    assert all(d.sf_account_id == "" for d in drift)
    await sync_catalog(world.ctx)  # billing is the master: the owned fields go back
    assert await catalog_drift(world.ctx) == (12, [])


async def test_a_product_with_no_org_currency_price_gets_an_inactive_standard_placeholder(
    world: World,
) -> None:
    created = await world.manage(
        "POST",
        "/products",
        {
            "code": "EU-ONLY",
            "name": "Euro-only Backup",
            "type": "subscription",
            "prices": [
                {"kind": "recurring", "amount": {"amount": "12.00", "currency": "EUR"}, "interval": "month"}
            ],
        },
    )
    report = await sync_catalog(world.ctx, [created["id"]])
    assert report.failed == {}  # no STANDARD_PRICE_NOT_DEFINED: the standard entry came first
    entries = await world.entries(created["id"])
    assert (entries[""]["UnitPrice"], entries[""]["IsActive"], entries[""]["Billing_Price_Id__c"]) == (
        0.0,
        False,
        None,
    )
    assert (entries["Billing EUR"]["UnitPrice"], entries["Billing EUR"]["IsActive"]) == (12.0, True)


async def test_crm_products_billing_does_not_know_are_deactivated(seeded_world: World) -> None:
    world = seeded_world
    orphans = await world.crm.query("SELECT Billing_Product_Id__c FROM Product2 WHERE IsActive = true")
    assert len(orphans) == 20  # the Salesforce seed's products, ids billing never issued
    _, drift = await catalog_drift(world.ctx)
    assert sum(1 for d in drift if d.object == "Product2" and d.record.endswith("(not in billing)")) == 20
    report = await sync_catalog(world.ctx)
    assert len(report.deactivated) == 20
    assert report.failed == {}
    left = await world.crm.query(
        "SELECT Id FROM PricebookEntry WHERE IsActive = true AND Billing_Price_Id__c = null"
    )
    assert left == []  # their standard entries went inactive with them
    assert await catalog_drift(world.ctx) == (12, [])
    # A named product billing answers 404 for goes inactive too.
    created = await world.crm.create(
        "Product2", [{"Name": "Ghost", "IsActive": True, "Billing_Product_Id__c": "prod_ghost"}]
    )
    assert created[0].success
    report = await sync_catalog(world.ctx, ["prod_ghost"])
    assert report.deactivated == ["prod_ghost"]
    assert report.failed == {}
    assert (await world.product2("prod_ghost"))["IsActive"] is False


async def test_transient_billing_failures_are_reported_for_retry(world: World) -> None:
    inet = (await world.products())["INET-100"]
    fault = {"path": f"/products/{inet['id']}", "effect": {"type": "status", "status": 503}}
    status, _ = await world.billing.request(
        "POST", "/__sim/faults", body=fault, operation="fault", allow=(201,)
    )
    assert status == 201
    report = await sync_catalog(world.ctx, [inet["id"], "prod_unknown"])
    assert set(report.failed) == {inet["id"]}
    assert "503" in report.failed[inet["id"]]
    assert report.deactivated == []  # an unknown id with no CRM record is nothing to do


async def test_whole_catalog_sync_calls_stay_within_budget(world: World) -> None:
    """250 more products (1,250 entries and term options): Salesforce calls grow with
    ceil(records / 200), not with products."""
    for n in range(250):
        await world.manage(
            "POST",
            "/products",
            {
                "code": f"BULK-{n:03d}",
                "name": f"Bulk product {n}",
                "type": "subscription",
                "prices": [
                    {
                        "kind": "recurring",
                        "amount": {"amount": "10.00", "currency": "USD"},
                        "interval": "month",
                    },
                    {
                        "kind": "recurring",
                        "amount": {"amount": "9.00", "currency": "EUR"},
                        "interval": "month",
                    },
                ],
                "term_options": [{"name": "12 months", "term_months": 12, "end_action": "renew"}],
            },
        )
    before = world.calls()
    report = await sync_catalog(world.ctx)
    calls = world.calls() - before
    written = report.created + report.updated
    assert report.failed == {}
    assert report.products == 262
    print(f"whole-catalog sync: {report.products} products, {written} records, {calls} Salesforce calls")
    assert calls <= math.ceil(written / 200) + 6, (calls, written)
    before = world.calls()
    assert nothing_written(await sync_catalog(world.ctx))
    assert world.calls() - before <= 3  # reads only
    # The same products named (a burst of product.updated webhooks): billing's listing instead
    # of one GET each, one IN list of Salesforce ids.
    ids = [p.id for p in await world.ctx.billing.products()]
    billing_before, before = world.ctx.billing.calls, world.calls()
    report = await sync_catalog(world.ctx, ids)
    assert nothing_written(report)
    assert report.products == 262
    assert world.ctx.billing.calls - billing_before == 3  # 100 products a page
    assert world.calls() - before == 2
