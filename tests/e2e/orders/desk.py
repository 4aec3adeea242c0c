"""What the order end-to-end tests share: the CRM catalog, customers, orders placed through the
order desk (sandbox/orders.py), the wait for the core, and reads of both systems."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from integration.clients.salesforce import SalesforceClient
from integration.core import CoreSettings
from integration.events.consumer import EventSettings
from integration.flows.catalog import sync_catalog
from sandbox import scenario
from sandbox.orders import LineSpec, OrderSpec, PlacedOrder, activate_orders, place_orders
from sandbox.system import SystemOptions
from simulators.billing.app import BillingSettings
from simulators.salesforce.api.routes import STATE
from simulators.salesforce.app import SalesforceSettings
from tests.support.sandbox import Sandbox, make_sandbox

ITEM_FIELDS = (
    "Id, OrderId, Billing_Action__c, Billing_Service__c, Quantity, UnitPrice, Term_Months__c, "
    "Parent_Order_Item__c, ETL_Amount__c, Billing_Service_Id__c"
)
WORK_ORDER_FIELDS = (
    "Id, Status, Order__c, Order_Product__c, Work_Order_Template__c, Is_Error__c, Error_Message__c"
)
TASK_FIELDS = (
    "Id, WorkOrderId, OrderId, Status, Sequence__c, Task_Type__c, Billing_Operation__c, Is_Error__c, "
    "Error_Message__c"
)
SERVICE_FIELDS = (
    "Id, Name, Account__c, Product__c, Order__c, Order_Product__c, Billing_Service_Id__c, Status__c, "
    "Start_Date__c, End_Date__c, Quantity__c, Price__c, Currency__c, Term_Months__c, Renewal_Type__c, "
    "Parent_Service__c, Replaced_By__c"
)
# The tasks of the default templates every org starts with (their automated billing operations).
SUBMIT = ["submit_order", "await_result", "write_inventory"]
DEFAULT_TASKS = {"New": ["link_account", *SUBMIT], "Cancel": ["quote_etl", *SUBMIT]}
STATUSES = {
    "pending": "Pending",
    "active": "Active",
    "suspended": "Suspended",
    "cancelled": "Cancelled",
    "replaced": "Replaced",
    "expired": "Expired",
}
RENEWAL_TYPES = {"auto": "Renew", "month_to_month": "Month-to-Month", "none": "Cancel"}


@contextlib.asynccontextmanager
async def order_sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    """The whole system with the core subscribed to the org's events over CometD (orders reach
    it by the change event of their activation) and to billing's webhooks (results, services)."""
    options = SystemOptions(
        state_dir=tmp_path,
        salesforce=SalesforceSettings(seed=7),
        billing=BillingSettings(seed=7, rate_limit=None, counts={"accounts": 0}),
        core=CoreSettings(events=EventSettings(mode="cometd", reconnect_base=0.05)),
    )
    async with make_sandbox(options) as sandbox:
        yield sandbox


async def load_crm_catalog(sandbox: Sandbox) -> None:
    """The billing catalog in the CRM through the core's catalog sync (products, standard
    price book entries, term options), as an initial sync puts it there."""
    report = await sync_catalog(sandbox.system.core.ctx, None)
    assert not report.failed, report.failed
    assert await sandbox.crm_user.query(
        "SELECT Id FROM PricebookEntry WHERE Billing_Price_Id__c != null LIMIT 1"
    )


@dataclass
class OrderWorld:
    sandbox: Sandbox

    @property
    def crm(self) -> SalesforceClient:
        return self.sandbox.crm_user

    def today(self) -> date:
        return self.sandbox.system.kit("billing").clock.now().date()

    async def customers(self, count: int, *, seed: int = 5, **changes: Any) -> list[str]:
        """Complete accounts that have not asked for a link: the order's link task links them."""
        planned = scenario.plan_accounts(count, seed=seed, prospect_share=0, incomplete_share=0)
        for p in planned:
            p.record.update({"Billing_Link_Requested__c": False, **changes})
        crm = await scenario.create_crm(self.crm, planned)
        return crm.ids

    async def place(self, *specs: OrderSpec, activate: bool = True) -> list[PlacedOrder]:
        placed = await place_orders(self.crm, specs, activate=activate)
        await self.settle()
        return placed

    async def activate(self, placed: Sequence[PlacedOrder]) -> None:
        await activate_orders(self.crm, [p.order_id for p in placed])
        await self.settle()

    def spec(self, account_id: str, *lines: LineSpec) -> OrderSpec:
        return OrderSpec(account_id, lines, self.today())

    async def settle(self, rounds: int = 20) -> None:
        """Until nothing moves: every org event the core subscribes to stored and processed,
        every billing webhook delivered and processed (never a sleep)."""
        before = None
        for _ in range(rounds):
            await self._caught_up()
            await self.sandbox.settle()
            now = (self._latest(), len(self.sandbox.system.kit("billing").outbox.deliveries()))
            if now == before:
                return
            before = now
        raise AssertionError("the system did not settle")

    def _latest(self) -> dict[str, int]:
        events = self.sandbox.system.core.events
        assert events is not None, "the core is not subscribed to the org's events"
        bus = self.sandbox.system.apps["salesforce"][STATE].default_org().events
        return {channel: bus.latest_replay_id(channel) for channel in events.settings.channels}

    async def _caught_up(self) -> None:
        events = self.sandbox.system.core.events
        assert events is not None
        targets = self._latest()
        assert await events.wait_caught_up(targets, 60), "the core missed org events"
        assert await self.sandbox.system.core.engine.wait_idle(60), "the core did not settle"

    async def advance(self, days: int) -> None:
        clock = self.sandbox.system.kit("billing").clock
        await clock.advance(to=clock.now() + timedelta(days=days))
        await self.settle()

    # -- reads ----------------------------------------------------------------------------------

    async def order(self, order_id: str) -> dict[str, Any]:
        (order,) = await self.crm.query(
            "SELECT Id, Status, Billing_Sync_Status__c, Billing_Sync_Error__c, Billing_Order_Id__c "
            f"FROM Order WHERE Id = '{order_id}'"
        )
        return dict(order)

    async def items(self, placed: PlacedOrder) -> list[dict[str, Any]]:
        rows = {
            r["Id"]: r
            for r in await self.crm.query(
                f"SELECT {ITEM_FIELDS} FROM OrderItem WHERE OrderId = '{placed.order_id}'"
            )
        }
        return [rows[i] for i in placed.item_ids]

    async def work_order(self, item_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The line's one work order and its tasks in sequence."""
        work_orders = await self.crm.query(
            f"SELECT {WORK_ORDER_FIELDS} FROM WorkOrder WHERE Order_Product__c = '{item_id}'"
        )
        assert len(work_orders) == 1, work_orders
        tasks = await self.crm.query(
            f"SELECT {TASK_FIELDS} FROM WorkOrderLineItem WHERE WorkOrderId = '{work_orders[0]['Id']}' "
            "ORDER BY Sequence__c"
        )
        return work_orders[0], tasks

    async def assert_line_done(self, item_id: str) -> None:
        """The line's work order (from its operation's default template) went through every
        task of the template, in order, without an error."""
        (item,) = await self.crm.query(
            f"SELECT OrderId, Billing_Action__c FROM OrderItem WHERE Id = '{item_id}'"
        )
        action = item["Billing_Action__c"]
        work_order, tasks = await self.work_order(item_id)
        assert work_order["Order__c"] == item["OrderId"]
        assert work_order["Status"] == "Completed", work_order
        assert not work_order["Is_Error__c"], work_order
        (template,) = await self.crm.query(
            f"SELECT Name FROM Work_Order_Template__c WHERE Id = '{work_order['Work_Order_Template__c']}'"
        )
        assert template["Name"] == f"Default {action}"
        assert [t["Billing_Operation__c"] for t in tasks] == DEFAULT_TASKS.get(action, SUBMIT), tasks
        assert [t["Status"] for t in tasks] == ["Completed"] * len(tasks), tasks
        assert not any(t["Is_Error__c"] for t in tasks), tasks

    async def inventory(self, **where: str) -> list[dict[str, Any]]:
        clause = " AND ".join(f"{field} = '{value}'" for field, value in where.items())
        return await self.crm.query(f"SELECT {SERVICE_FIELDS} FROM Billing_Service__c WHERE {clause}")

    async def service_record(self, record_id: str) -> dict[str, Any]:
        (record,) = await self.inventory(Id=record_id)
        return record

    async def billing_service(self, service_id: str) -> dict[str, Any]:
        service = await self.sandbox.billing.get_service(service_id)
        return service.model_dump(mode="json")

    async def assert_inventory_matches(self, record: dict[str, Any]) -> dict[str, Any]:
        """The CRM inventory record says what billing's service says; returns the service."""
        service = await self.billing_service(record["Billing_Service_Id__c"])
        assert record["Status__c"] == STATUSES[service["status"]]
        assert record["Quantity__c"] == service["quantity"]
        assert record["Start_Date__c"] == service["start_date"]
        term = service["current_term"]
        # Ended: when it ended; running: when its current term ends (month-to-month: none).
        assert record["End_Date__c"] == (service["end_date"] or (term["end_date"] if term else None))
        assert record["Renewal_Type__c"] == RENEWAL_TYPES[service["renewal_type"]]
        assert record["Term_Months__c"] == (term["months"] if term else None)
        price = service["recurring_price"] or service["one_time_price"]
        if price is not None:
            assert record["Price__c"] == float(Decimal(price["amount"]))
            assert record["Currency__c"] == price["currency"]
        return service


async def new_service(
    world: OrderWorld, account_id: str, code: str = "INET-100", *, quantity: int = 1, term_months: int = 12
) -> dict[str, Any]:
    """A service ordered (and completed) through the core; its CRM inventory record."""
    (placed,) = await world.place(
        world.spec(account_id, LineSpec("New", code, quantity=quantity, term_months=term_months))
    )
    await world.assert_line_done(placed.item_ids[0])
    assert (await world.order(placed.order_id))["Billing_Sync_Status__c"] == "Synced"
    (record,) = await world.inventory(Order_Product__c=placed.item_ids[0])
    assert record["Status__c"] == "Active", record
    return record
