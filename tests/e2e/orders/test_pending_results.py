"""Billing's result comes later: an order waiting for approval in billing (202) holds its lines
on the ``await_result`` task until billing's ``order.*`` webhook says how it ended."""

from sandbox.orders import LineSpec
from tests.e2e.orders.desk import OrderWorld


async def test_an_order_waiting_for_approval_completes_on_billings_webhook(world: OrderWorld) -> None:
    (account,) = await world.customers(1)
    # 10 Gbps access needs approval in billing: the order is accepted (202) and waits there.
    (placed,) = await world.place(world.spec(account, LineSpec("New", "INET-10G", term_months=12)))
    (line,) = placed.item_ids

    (billing_order,) = await world.sandbox.billing.orders()
    assert (billing_order.external_id, billing_order.status) == (placed.order_id, "pending_approval")
    order = await world.order(placed.order_id)
    assert (order["Billing_Sync_Status__c"], order["Billing_Order_Id__c"]) == ("Pending", billing_order.id)
    work_order, tasks = await world.work_order(line)
    assert work_order["Status"] == "In Progress"
    statuses = {t["Billing_Operation__c"]: t["Status"] for t in tasks}
    assert statuses["link_account"] == statuses["submit_order"] == "Completed"
    assert statuses["await_result"] in ("Ready", "In Progress")
    assert statuses["write_inventory"] == "Pending"
    assert not any(t["Is_Error__c"] for t in tasks)

    await world.sandbox.billing.request(
        "POST",
        f"/orders/{billing_order.id}/approve",
        idempotency_key=f"test-approve-{billing_order.id}",
        operation="approve_order",
    )
    await world.settle()

    await world.assert_line_done(line)
    order = await world.order(placed.order_id)
    assert (order["Billing_Sync_Status__c"], order["Billing_Sync_Error__c"]) == ("Synced", None)
    (record,) = await world.inventory(Order_Product__c=line)
    service = await world.assert_inventory_matches(record)
    assert (service["status"], service["external_id"]) == ("active", line)
    assert record["Status__c"] == "Active"
    assert len(await world.sandbox.billing.orders()) == 1  # waiting never re-submitted the order
