"""The reconcile of open orders: activated CRM orders against billing's orders, per line.

The CRM side is set up by hand through the REST API (an Order, its line, the line's work order,
the sync fields the order flow writes) so each state can be chosen; billing's side is a real
billing order whose external ids are the CRM's (Order Id; item = OrderItem Id)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from integration.flows.inventory import open_order_drift
from tests.support.inventory_world import InventoryWorld, inventory_world


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[InventoryWorld]:
    async with inventory_world(tmp_path) as built:
        yield built


@dataclass
class Placed:
    order: str
    line: str
    work_order: str
    account: str
    service: str | None


async def place(
    world: InventoryWorld, code: str, *, status: str = "completed", wo: str = "Completed"
) -> Placed:
    """A CRM order for one New line, sent to billing, with the CRM fields as the order flow
    leaves them when billing says ``status`` (Synced / Pending)."""
    account = await world.account()
    order, line = await world.crm_order_line(account, code)
    billing = await world.order(
        account,
        {"action": "new", "external_id": line, "product_code": code},
        external_id=order,
        status=status,
    )
    service = billing.items[0].result_service_id
    await update(world, "Order", {"Id": order, "Status": "Activated"})  # a status-only update
    synced = "Synced" if status == "completed" else "Pending"
    await update(
        world, "Order", {"Id": order, "Billing_Order_Id__c": billing.id, "Billing_Sync_Status__c": synced}
    )
    if service and status == "completed":
        await update(world, "OrderItem", {"Id": line, "Billing_Service_Id__c": service})
    (created,) = await world.crm.create(
        "WorkOrder",
        [
            {
                "AccountId": world.crm_accounts[account],
                "Order__c": order,
                "Order_Product__c": line,
                "Status": wo,
            }
        ],
    )
    assert created.success, created.error_text
    return Placed(order, line, str(created.id), world.crm_accounts[account], service)


async def update(world: InventoryWorld, sobject: str, record: dict[str, Any]) -> None:
    (result,) = await world.crm.update(sobject, [record])
    assert result.success, result.error_text


async def test_orders_as_billing_has_them_are_no_drift(world: InventoryWorld) -> None:
    await place(world, "INET-100")
    await place(world, "INET-10G", status="pending_approval", wo="In Progress")  # awaits approval

    checked, drift = await open_order_drift(world.ctx)

    assert checked == 2
    assert drift == []


async def test_a_work_order_failed_in_the_crm_but_completed_in_billing(world: InventoryWorld) -> None:
    placed = await place(world, "INET-100")
    await update(world, "WorkOrder", {"Id": placed.work_order, "Status": "Cannot Complete"})

    _, drift = await open_order_drift(world.ctx)

    assert sorted((d.object, d.record, d.field, d.salesforce, d.billing) for d in drift) == [
        ("Order", placed.order, "Billing_Sync_Status__c", "Synced", "Error"),
        (
            "OrderItem",
            placed.line,
            "WorkOrder.Status",
            "Cannot Complete",
            "not Cannot Complete (billing: completed)",
        ),
    ]
    assert {d.sf_account_id for d in drift} == {placed.account}


async def test_a_line_done_in_the_crm_while_billing_waits(world: InventoryWorld) -> None:
    placed = await place(world, "INET-10G", status="pending_approval", wo="In Progress")
    await update(world, "WorkOrder", {"Id": placed.work_order, "Status": "Completed"})
    await update(world, "Order", {"Id": placed.order, "Billing_Sync_Status__c": "Synced"})

    _, drift = await open_order_drift(world.ctx)

    assert sorted((d.record, d.field, d.salesforce, d.billing) for d in drift) == [
        (placed.order, "Billing_Sync_Status__c", "Synced", "Pending"),
        (placed.line, "WorkOrder.Status", "Completed", "not Completed (billing: pending_approval)"),
    ]


async def test_the_created_service_must_be_named_on_the_line(world: InventoryWorld) -> None:
    placed = await place(world, "INET-100")
    await update(world, "OrderItem", {"Id": placed.line, "Billing_Service_Id__c": None})

    _, drift = await open_order_drift(world.ctx)

    assert [(d.record, d.field, d.salesforce, d.billing) for d in drift] == [
        (placed.line, "Billing_Service_Id__c", None, placed.service)
    ]


async def test_a_billing_order_id_billing_does_not_know(world: InventoryWorld) -> None:
    placed = await place(world, "INET-100")
    await update(world, "Order", {"Id": placed.order, "Billing_Order_Id__c": "ord_missing"})

    _, drift = await open_order_drift(world.ctx)

    assert [(d.record, d.field, d.salesforce, d.billing) for d in drift] == [
        (placed.order, "Billing_Order_Id__c", "ord_missing", None)
    ]
