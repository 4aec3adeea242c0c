"""Building blocks for the order flow tests: the two simulators in this process, a FlowContext
over real clients, and CRM data (catalog, accounts, orders) created through the REST API."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts import defaults
from integration.clients.billing import BillingClient, BillingConfig
from integration.clients.salesforce import SalesforceClient, SalesforceConfig
from integration.events.dispatch import CORE_CLIENT_ID
from integration.flows.catalog import sync_catalog
from integration.flows.context import FlowContext, FlowSettings
from integration.mapping import load_mapping
from integration.metrics import CoreMetrics
from integration.store import open_store
from simulators.billing.app import BillingSettings
from simulators.billing.app import create_app as billing_app
from simulators.kit import KIT, SimKit
from simulators.kit.serve import AppSpec, RunningApp, start_app, stop_apps
from simulators.salesforce.app import SalesforceSettings
from simulators.salesforce.app import create_app as salesforce_app
from tests.support import core_events


@dataclass
class OrderWorld:
    ctx: FlowContext
    crm: SalesforceClient  # a CRM user (not the core): its writes are a person's
    billing: BillingClient
    salesforce_kit: SimKit
    billing_kit: SimKit
    standard_book: str

    def salesforce_calls(self) -> int:
        return self.salesforce_kit.meter.used()

    def billing_orders_posted(self) -> int:
        return sum(1 for e in self.billing_kit.journal if e.operation == "createOrder")

    async def query(self, soql: str) -> list[dict[str, Any]]:
        return await self.crm.query(soql)

    async def create(self, sobject: str, records: Sequence[dict[str, Any]]) -> list[str]:
        results = await self.crm.create(sobject, records)
        assert all(r.success for r in results), [r.error_text for r in results if not r.success]
        return [str(r.id) for r in results]

    async def update(self, sobject: str, records: Sequence[dict[str, Any]]) -> None:
        results = await self.crm.update(sobject, records)
        assert all(r.success for r in results), [r.error_text for r in results if not r.success]


@contextlib.asynccontextmanager
async def order_world(tmp_path: Path, settings: FlowSettings | None = None) -> AsyncIterator[OrderWorld]:
    running: list[RunningApp] = []
    sf_app = salesforce_app(SalesforceSettings(seed=7))
    bl_app = billing_app(BillingSettings(seed=7, rate_limit=None, counts={"accounts": 0}))
    try:
        running.append(await start_app(AppSpec("salesforce", sf_app, "127.0.0.1", 0)))
        running.append(await start_app(AppSpec("billing", bl_app, "127.0.0.1", 0)))
        sf_url, billing_url = running[0].url, running[1].url
        await sf_app[KIT].reseed(7, {"accounts": 0})
        core_sf = SalesforceClient(
            SalesforceConfig(
                login_url=sf_url,
                client_id=defaults.SALESFORCE_CLIENT_ID,
                client_secret=defaults.SALESFORCE_CLIENT_SECRET,
                call_options_client=CORE_CLIENT_ID,
            )
        )
        crm = SalesforceClient(
            SalesforceConfig(
                login_url=sf_url,
                client_id=defaults.SALESFORCE_CLIENT_ID,
                client_secret=defaults.SALESFORCE_CLIENT_SECRET,
            )
        )
        core_billing = BillingClient(BillingConfig(billing_url, defaults.BILLING_API_KEY))
        billing = BillingClient(BillingConfig(billing_url, defaults.BILLING_API_KEY))
        store = await open_store(tmp_path / "core.sqlite3")
        ctx = FlowContext(
            core_sf, core_billing, store, load_mapping(), CoreMetrics(), settings or FlowSettings()
        )
        try:
            books = await crm.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true")
            yield OrderWorld(ctx, crm, billing, sf_app[KIT], bl_app[KIT], str(books[0]["Id"]))
        finally:
            await store.close()
            for client in (core_sf, crm, core_billing, billing):
                await client.close()
    finally:
        await stop_apps(running)


def customer(n: int, **changes: Any) -> dict[str, Any]:
    """A complete Account (the fields billing requires to create it), not asking to be linked."""
    fields: dict[str, Any] = {"Name": f"Order Customer {n}", "Billing_Link_Requested__c": False, **changes}
    return core_events.customer(n, **fields)


@dataclass(frozen=True)
class Entry:
    product: str  # Product2 Id
    entry: str  # its standard PricebookEntry Id
    price: float


async def crm_catalog(world: OrderWorld) -> dict[str, Entry]:
    """Billing's catalog in the CRM (the catalog sync), by billing product id."""
    await sync_catalog(world.ctx)
    rows = await world.query(
        "SELECT Id, Billing_Product_Id__c, (SELECT Id, UnitPrice, Pricebook2Id FROM PricebookEntries) FROM Product2"
    )
    found: dict[str, Entry] = {}
    for row in rows:
        for entry in (row.get("PricebookEntries") or {}).get("records", []):
            if entry["Pricebook2Id"] == world.standard_book:
                found[str(row["Billing_Product_Id__c"])] = Entry(
                    str(row["Id"]), str(entry["Id"]), entry["UnitPrice"]
                )
    return found


@dataclass(frozen=True)
class Line:
    """An order line to create: the billing product, the CRM action and its fields."""

    product: str
    action: str = "New"
    parent: int | None = None  # index of the parent line in the same order (add-ons)
    fields: tuple[tuple[str, Any], ...] = ()


def line(product: str, action: str = "New", parent: int | None = None, **fields: Any) -> Line:
    return Line(product, action, parent, tuple(fields.items()))


async def accounts(world: OrderWorld, count: int, start: int = 0, **changes: Any) -> list[str]:
    return await world.create("Account", [customer(start + n, **changes) for n in range(count)])


async def orders(
    world: OrderWorld,
    catalog: dict[str, Entry],
    specs: Sequence[tuple[str, Sequence[Line]]],
    *,
    activate: bool = True,
    book: str | None = None,
) -> list[tuple[str, list[str]]]:
    """Orders (account id, lines) created as a CRM user would: Draft with lines, then activated
    by a status-only update. Returns (Order Id, line ids) per order."""
    order_ids = await world.create(
        "Order",
        [
            {
                "AccountId": acct,
                "EffectiveDate": "2026-01-01",
                "Status": "Draft",
                "Pricebook2Id": book or world.standard_book,
            }
            for acct, _ in specs
        ],
    )
    made: list[tuple[str, list[str]]] = [(order_id, []) for order_id in order_ids]
    depth = max((len(lines) for _, lines in specs), default=0)
    # Line by line across orders (a parent exists before its add-on), 200 a call.
    for position in range(depth):
        records, owners = [], []
        for (order_id, ids), (_, lines) in zip(made, specs, strict=True):
            if position >= len(lines):
                continue
            spec = lines[position]
            entry = catalog[spec.product]
            record: dict[str, Any] = {
                "OrderId": order_id,
                "PricebookEntryId": entry.entry,
                "Quantity": 1,
                "UnitPrice": entry.price,
                "Billing_Action__c": spec.action,
                **dict(spec.fields),
            }
            if spec.parent is not None:
                record["Parent_Order_Item__c"] = ids[spec.parent]
            records.append(record)
            owners.append(ids)
        for ids, new_id in zip(owners, await world.create("OrderItem", records), strict=True):
            ids.append(new_id)
    if activate:
        await world.update("Order", [{"Id": order_id, "Status": "Activated"} for order_id in order_ids])
    return made


async def tasks_of(world: OrderWorld, order_id: str) -> list[dict[str, Any]]:
    return await world.query(
        "SELECT Id, WorkOrderId, WorkOrder.Order_Product__c, Subject, Status, Sequence__c, Task_Type__c, "
        "Billing_Operation__c, Is_Error__c, Error_Message__c FROM WorkOrderLineItem "
        f"WHERE OrderId = '{order_id}' ORDER BY WorkOrderId, Sequence__c"
    )


async def tasks_by_line(world: OrderWorld, order_id: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The order's tasks by (order line, billing operation)."""
    return {
        (t["WorkOrder"]["Order_Product__c"], t["Billing_Operation__c"]): t
        for t in await tasks_of(world, order_id)
    }


async def work_orders_of(world: OrderWorld, order_id: str) -> list[dict[str, Any]]:
    return await world.query(
        "SELECT Id, Order_Product__c, Status, Work_Order_Template__c, Is_Error__c, Error_Message__c, AccountId "
        f"FROM WorkOrder WHERE Order__c = '{order_id}' ORDER BY Order_Product__c"
    )


async def order_row(world: OrderWorld, order_id: str) -> dict[str, Any]:
    rows = await world.query(
        "SELECT Id, Status, Billing_Order_Id__c, Billing_Sync_Status__c, Billing_Sync_Error__c "
        f"FROM Order WHERE Id = '{order_id}'"
    )
    return rows[0]


class Killed(Exception):
    """The run "died" here (a SIGKILL at this point of the flow)."""


class MeteredSalesforce:
    """The core's Salesforce port, counting the records written, and able to die at the n-th
    write call: before sending it, or after Salesforce applied it (the answer lost)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.records_written = 0
        self.writes = 0
        self.die_at: int | None = None
        self.die_after_applying = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def query(self, soql: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = await self.inner.query(soql)
        return rows

    async def _write(self, call: Any, records: Sequence[Any]) -> Any:
        self.writes += 1
        dying = self.die_at is not None and self.writes >= self.die_at
        if dying and not self.die_after_applying:
            raise Killed(f"killed before write {self.writes}")
        results = await call()
        self.records_written += len(records)
        if dying:
            raise Killed(f"killed after write {self.writes}")
        return results

    async def update(self, sobject: str, records: Sequence[Any]) -> Any:
        return await self._write(lambda: self.inner.update(sobject, records), records)

    async def upsert(self, sobject: str, external_id_field: str, records: Sequence[Any]) -> Any:
        return await self._write(lambda: self.inner.upsert(sobject, external_id_field, records), records)

    async def create(self, sobject: str, records: Sequence[Any]) -> Any:
        return await self._write(lambda: self.inner.create(sobject, records), records)

    async def close(self) -> None:
        await self.inner.close()


def metered(world: OrderWorld) -> MeteredSalesforce:
    meter = MeteredSalesforce(world.ctx.salesforce)
    world.ctx.salesforce = meter
    return meter
