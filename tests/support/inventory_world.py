"""A world for the inventory flow tests: both simulators in this process and a ``FlowContext``
over the core's real clients (no engine: the flows run only when a test calls them), billing
accounts linked in the CRM (``Billing_Account_Id__c``), the billing catalog's products in the CRM
(all but ``SIP-10`` and its add-on, left for the flow to sync), services ordered in billing
directly (``POST /orders``, no CRM order), and virtual time moved on billing's clock."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from contracts import defaults
from contracts.generated import billing_models as wire
from integration.clients.billing import BillingClient, BillingConfig
from integration.clients.salesforce import SalesforceClient, SalesforceConfig
from integration.drift import Drift
from integration.flows.context import FlowContext
from integration.flows.inventory import inventory_drift
from integration.mapping import load_mapping
from integration.metrics import CoreMetrics
from integration.store import open_store
from simulators.billing.app import BillingSettings
from simulators.billing.app import create_app as billing_app
from simulators.kit import KIT, SimKit
from simulators.kit.serve import AppSpec, start_app, stop_apps
from simulators.salesforce.app import SalesforceSettings
from simulators.salesforce.app import create_app as salesforce_app

CORE_CLIENT = "q2c-core"
LEFT_OUT = frozenset({"SIP-10", "SIP-CH"})  # not in the CRM until the flow syncs them
INVENTORY_FIELDS = (
    "Id, Name, Account__c, Product__c, Order__c, Order_Product__c, Billing_Service_Id__c, Status__c, "
    "Start_Date__c, End_Date__c, Quantity__c, Price__c, Amount__c, Currency__c, Term_Months__c, "
    "Renewal_Type__c, Parent_Service__c, Replaced_By__c"
)


@dataclass
class InventoryWorld:
    ctx: FlowContext
    crm: SalesforceClient  # a CRM user (its writes are not the core's)
    billing_kit: SimKit
    salesforce_kit: SimKit
    products: dict[str, str]  # code -> billing product id
    crm_products: dict[str, str]  # code -> Product2 Id
    crm_accounts: dict[str, str] = field(default_factory=dict)  # billing account id -> Account Id
    _cycle: str = ""
    _category: str = ""
    _count: int = 0

    async def account(self, *, linked: bool = True) -> str:
        """A billing account (USD); linked: a CRM Account carrying its billing id."""
        self._count += 1
        body = wire.AccountCreate(
            external_id=f"inv-{self._count}",
            name=f"Inventory Co {self._count}",
            email=f"billing{self._count}@inventory.example",
            billing_address=wire.AddressInput(
                line1="1 Market Street", city="San Francisco", postal_code="94105", country="US"
            ),
            bill_cycle_id=self._cycle,
            account_category_id=self._category,
        )
        account = await self.ctx.billing.create_account(body, idempotency_key=f"inv-{self._count}")
        if linked:
            (created,) = await self.crm.create(
                "Account", [{"Name": account.name, "Billing_Account_Id__c": account.id}]
            )
            assert created.success, created.error_text
            assert created.id is not None
            self.crm_accounts[account.id] = created.id
        return account.id

    async def order(
        self,
        account_id: str,
        *items: dict[str, Any],
        external_id: str | None = None,
        status: str = "completed",
    ) -> wire.Order:
        """One billing order placed in billing directly; ``product_code`` stands for product_id."""
        self._count += 1
        body = {
            "account_id": account_id,
            "external_id": external_id or f"billing-order-{self._count}",
            "items": [
                {
                    ("product_id" if k == "product_code" else k): (
                        self.products[v] if k == "product_code" else v
                    )
                    for k, v in item.items()
                }
                for item in items
            ],
        }
        order = await self.ctx.billing.create_order(
            wire.OrderCreate.model_validate(body), idempotency_key=f"inv-order-{self._count}"
        )
        assert order.status == status, order
        return order

    async def term_option(self, code: str, months: int, end_action: str) -> str:
        """A short term option added to a product through billing's catalog management (the seed
        offers 12, 24 and 36 months only): a term end within weeks of virtual time."""
        self._count += 1
        body = {
            "name": f"{months} months, then {end_action}",
            "term_months": months,
            "end_action": end_action,
        }
        _, product = await self.ctx.billing.request(
            "POST",
            f"/products/{self.products[code]}/term-options",
            body=body,
            idempotency_key=f"inv-term-{self._count}",
            operation="add_term_option",
        )
        return next(str(t["id"]) for t in product["term_options"] if t["term_months"] == months)

    async def advance(self, *, days: int) -> None:
        """Billing's virtual clock (what ``POST /__sim/clock/advance`` does): term ends run."""
        await self.billing_kit.clock.advance(by=timedelta(days=days))

    def today(self) -> date:
        now: datetime = self.billing_kit.clock.now()
        return now.astimezone(UTC).date()

    def salesforce_calls(self) -> int:
        """API calls the Salesforce simulator's meter counted (every caller)."""
        return self.salesforce_kit.meter.used()

    def billing_calls(self, operation: str) -> int:
        return sum(1 for e in self.billing_kit.journal if e.operation == operation)

    async def inventory(self) -> dict[str, dict[str, Any]]:
        """Every Billing_Service__c by billing service id."""
        records = await self.crm.query(f"SELECT {INVENTORY_FIELDS} FROM Billing_Service__c")
        return {r["Billing_Service_Id__c"]: r for r in records}

    async def drift(self) -> list[Drift]:
        """The inventory's drift (the reconcile's inventory part)."""
        _, found = await inventory_drift(self.ctx)
        return found

    async def crm_order_line(self, account_id: str, code: str = "INET-100") -> tuple[str, str]:
        """A CRM Order (standard price book) with one line for ``code``: (Order Id, OrderItem Id)."""
        (book,) = await self.crm.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true")
        product = self.crm_products[code]
        entries = await self.crm.query(f"SELECT Id FROM PricebookEntry WHERE Product2Id = '{product}'")
        if entries:
            entry = entries[0]["Id"]
        else:
            entry = await self._create(
                "PricebookEntry",
                {"Pricebook2Id": book["Id"], "Product2Id": product, "UnitPrice": 99.0, "IsActive": True},
            )
        order = await self._create(
            "Order",
            {
                "AccountId": self.crm_accounts[account_id],
                "EffectiveDate": self.today().isoformat(),
                "Status": "Draft",
                "Pricebook2Id": book["Id"],
            },
        )
        item = await self._create(
            "OrderItem",
            {"OrderId": order, "PricebookEntryId": entry, "Quantity": 1, "UnitPrice": 99.0},
        )
        return order, item

    async def _create(self, sobject: str, record: dict[str, Any]) -> str:
        (result,) = await self.crm.create(sobject, [record])
        assert result.success, result.error_text
        assert result.id is not None
        return str(result.id)


@contextlib.asynccontextmanager
async def inventory_world(tmp_path: Path) -> AsyncIterator[InventoryWorld]:
    apps = {
        "salesforce": salesforce_app(SalesforceSettings(seed=14)),
        "billing": billing_app(BillingSettings(seed=14, rate_limit=None, counts={"accounts": 0})),
    }
    running = [await start_app(AppSpec(name, app, "127.0.0.1", 0)) for name, app in apps.items()]
    urls = {r.name: r.url for r in running}
    await apps["salesforce"][KIT].reseed(14, {"accounts": 0})

    def salesforce_client(caller: str | None) -> SalesforceClient:
        return SalesforceClient(
            SalesforceConfig(
                login_url=urls["salesforce"],
                client_id=defaults.SALESFORCE_CLIENT_ID,
                client_secret=defaults.SALESFORCE_CLIENT_SECRET,
                call_options_client=caller,  # the core marks its writes (echoes)
            )
        )

    core_sf, crm = salesforce_client(CORE_CLIENT), salesforce_client(None)
    # No backoff: a test's injected 503 costs no wall-clock wait.
    billing = BillingClient(
        BillingConfig(urls["billing"], defaults.BILLING_API_KEY, max_retries=1, backoff_base=0.0)
    )
    store = await open_store(tmp_path / "core.db")
    ctx = FlowContext(core_sf, billing, store, load_mapping(), CoreMetrics())
    try:
        products = {p.code: p.id for p in await billing.products()}
        cycle = next(c.id for c in await billing.bill_cycles() if c.currency == "USD")
        category = (await billing.account_categories())[0].id
        kept = [code for code in products if code not in LEFT_OUT]
        results = await crm.upsert(
            "Product2",
            "Billing_Product_Id__c",
            [
                {"Billing_Product_Id__c": products[code], "Name": code, "ProductCode": code, "IsActive": True}
                for code in kept
            ],
        )
        assert all(r.success for r in results), [r.error_text for r in results]
        crm_products = {code: str(r.id) for code, r in zip(kept, results, strict=True)}
        yield InventoryWorld(
            ctx,
            crm,
            apps["billing"][KIT],
            apps["salesforce"][KIT],
            products,
            crm_products,
            _cycle=cycle,
            _category=category,
        )
    finally:
        await core_sf.close()
        await crm.close()
        await billing.close()
        await store.close()
        await stop_apps(running)


def sample_service(**changes: Any) -> wire.Service:
    """A billing service as the contract shapes it (for tests of the mapping alone)."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    base: dict[str, Any] = {
        "id": "svc_1",
        "number": "SVC-000001",
        "external_id": None,
        "account_id": "acct_1",
        "order_id": "ord_1",
        "product_id": "prod_1",
        "parent_service_id": None,
        "status": "active",
        "quantity": 3,
        "currency": "USD",
        "recurring_price": {"amount": "10.50", "currency": "USD"},
        "one_time_price": None,
        "billing_period_months": 1,
        "start_date": "2026-01-01",
        "end_date": None,
        "current_term": {
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "months": 12,
            "type": "initial",
        },
        "renewal_type": "auto",
        "term_option_id": None,
        "charged_through": "2026-01-31",
        "cancel_reason": None,
        "etl_amount": None,
        "replaced_by_service_id": None,
        "replaces_service_id": None,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }
    base.update(changes)
    return wire.Service.model_validate(base)
