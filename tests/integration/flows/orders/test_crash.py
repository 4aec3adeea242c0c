"""Crash safety: a run killed at any write (before Salesforce applied it, or after, the answer
lost) is finished by the next run with no second work order, billing order or service."""

from collections import Counter

import pytest

from integration.flows.orders import process_orders
from tests.integration.flows.orders.support import (
    Killed,
    OrderWorld,
    accounts,
    crm_catalog,
    line,
    metered,
    orders,
)

SUB, ADDON = "prod_0000000001", "prod_0000000007"


async def _assert_exactly_once(world: OrderWorld, made: list[tuple[str, list[str]]]) -> None:
    lines = [line_id for _, ids in made for line_id in ids]
    work_orders = await world.query("SELECT Id, Order_Product__c FROM WorkOrder")
    assert Counter(r["Order_Product__c"] for r in work_orders) == Counter(lines)  # one per line
    tasks = await world.query("SELECT WorkOrderId, Sequence__c, Status FROM WorkOrderLineItem")
    per_work_order = Counter((r["WorkOrderId"], r["Sequence__c"]) for r in tasks)
    assert set(per_work_order.values()) == {1}  # no task twice
    assert {r["Status"] for r in tasks} == {"Completed"}
    billing_orders = await world.billing.orders()
    assert sorted(o.external_id or "" for o in billing_orders) == sorted(order_id for order_id, _ in made)
    services = await world.billing.services()
    assert Counter(s.external_id for s in services) == Counter(lines)  # one service per line
    inventory = await world.query("SELECT Order_Product__c FROM Billing_Service__c")
    assert Counter(r["Order_Product__c"] for r in inventory) == Counter(lines)
    rows = await world.query("SELECT Billing_Sync_Status__c, Billing_Order_Id__c FROM Order")
    assert {r["Billing_Sync_Status__c"] for r in rows} == {"Synced"}
    assert sorted(r["Billing_Order_Id__c"] for r in rows) == sorted(o.id for o in billing_orders)


@pytest.mark.parametrize("after_applying", [False, True], ids=["before-write", "answer-lost"])
async def test_a_run_killed_at_every_write_in_turn_ends_with_everything_exactly_once(
    world: OrderWorld, after_applying: bool
) -> None:
    catalog = await crm_catalog(world)
    customers = await accounts(world, 30)
    # 30 orders of a service and its add-on: 60 work orders and 210 tasks (two create calls).
    made = await orders(
        world, catalog, [(acct, [line(SUB), line(ADDON, "Add-On", parent=0)]) for acct in customers]
    )
    meter = metered(world)
    meter.die_after_applying = after_applying
    order_ids = [order_id for order_id, _ in made]
    kills = 0
    for cut in range(1, 50):
        meter.writes, meter.die_at = 0, cut  # each run dies one write later than the last
        try:
            await process_orders(world.ctx, order_ids)
        except Killed:
            kills += 1
            continue
        break
    assert kills >= 3  # link write-back, inventory, updates, work orders, tasks: each a cut point
    meter.die_at = None
    report = await process_orders(world.ctx, order_ids)
    assert report.failed == {}
    assert report.work_orders_created == 0
    assert report.tasks_created == 0

    await _assert_exactly_once(world, made)


async def test_running_twice_changes_nothing_the_second_time(world: OrderWorld) -> None:
    catalog = await crm_catalog(world)
    customers = await accounts(world, 3)
    made = await orders(
        world, catalog, [(acct, [line(SUB), line(ADDON, "Add-On", parent=0)]) for acct in customers]
    )
    await process_orders(world.ctx, [order_id for order_id, _ in made])
    meter = metered(world)

    again = await process_orders(world.ctx, [order_id for order_id, _ in made])

    assert meter.records_written == 0
    assert again.billing_orders == []
    assert again.tasks_completed == 0
    await _assert_exactly_once(world, made)
