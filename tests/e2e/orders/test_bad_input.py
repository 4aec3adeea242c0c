"""Orders that cannot be carried out: an account missing billing data (refused before billing),
a product billing does not know and an action on a service that is no longer active (that line's
task fails with billing's reason, the other line of the same order completes)."""

from typing import Any

from sandbox.orders import LineSpec
from tests.e2e.orders.desk import OrderWorld, new_service


async def failed_task(world: OrderWorld, item_id: str) -> dict[str, Any]:
    """The line's work order stopped on one task in error; the tasks after it never ran."""
    work_order, tasks = await world.work_order(item_id)
    assert work_order["Status"] == "Cannot Complete", work_order
    failed = [t for t in tasks if t["Is_Error__c"]]
    assert len(failed) == 1, tasks
    (task,) = failed
    after = [t for t in tasks if t["Sequence__c"] > task["Sequence__c"]]
    assert all(t["Status"] not in ("Completed", "In Progress") for t in after), tasks
    assert all(t["Status"] == "Completed" for t in tasks if t["Sequence__c"] < task["Sequence__c"]), tasks
    return task


async def test_an_account_missing_billing_data_refuses_the_order_and_sends_nothing(world: OrderWorld) -> None:
    (account,) = await world.customers(1)
    await world.crm.update("Account", [{"Id": account, "Billing_Primary_Email__c": None}])

    (placed,) = await world.place(world.spec(account, LineSpec("New", "INET-100", term_months=12)))

    task = await failed_task(world, placed.item_ids[0])
    message = "Billing_Primary_Email__c: billing primary email is required"
    assert task["Billing_Operation__c"] == "link_account"
    assert message in task["Error_Message__c"]
    order = await world.order(placed.order_id)
    assert order["Billing_Sync_Status__c"] == "Error"
    assert message in order["Billing_Sync_Error__c"]
    assert order["Billing_Order_Id__c"] is None
    # Nothing reached billing: no account, no order.
    assert world.sandbox.billing_calls("create_order") == 0
    assert await world.sandbox.billing_accounts() == []
    assert await world.sandbox.billing.orders() == []
    assert await world.inventory(Account__c=account) == []


async def test_an_unknown_product_fails_its_line_and_the_other_line_completes(world: OrderWorld) -> None:
    (account,) = await world.customers(1)
    # A product someone created in the CRM only: billing has never heard of it.
    (product,) = await world.crm.create(
        "Product2",
        [
            {
                "Name": "Carrier Pigeon",
                "ProductCode": "PIGEON",
                "Billing_Product_Id__c": "prod_pigeon",
                "IsActive": True,
            }
        ],
    )
    (book,) = await world.crm.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true")
    (entry,) = await world.crm.create(
        "PricebookEntry",
        [{"Pricebook2Id": book["Id"], "Product2Id": product.id, "UnitPrice": 5.0, "IsActive": True}],
    )
    assert product.success
    assert entry.success

    (placed,) = await world.place(
        world.spec(account, LineSpec("New", "PIGEON"), LineSpec("New", "INET-100", term_months=12))
    )
    bad_line, good_line = placed.item_ids

    task = await failed_task(world, bad_line)
    assert task["Billing_Operation__c"] == "submit_order"
    assert "product 'prod_pigeon' does not exist" in task["Error_Message__c"]
    await world.assert_line_done(good_line)
    (record,) = await world.inventory(Order_Product__c=good_line)
    assert (await world.assert_inventory_matches(record))["status"] == "active"
    assert await world.inventory(Order_Product__c=bad_line) == []
    # One billing order for the CRM order, holding the line billing could carry out.
    (billing_order,) = await world.sandbox.billing.orders()
    assert billing_order.external_id == placed.order_id
    assert [i.external_id for i in billing_order.items if i.status == "completed"] == [good_line]
    order = await world.order(placed.order_id)
    assert order["Billing_Sync_Status__c"] == "Error"
    assert "product 'prod_pigeon' does not exist" in order["Billing_Sync_Error__c"]


async def test_an_action_on_a_cancelled_service_fails_its_line_and_the_other_line_completes(
    world: OrderWorld,
) -> None:
    (account,) = await world.customers(1)
    gone = await new_service(world, account, "SIP-10")
    running = await new_service(world, account, "VS-4")
    (cancel,) = await world.place(world.spec(account, LineSpec("Cancel", service_id=gone["Id"])))
    await world.assert_line_done(cancel.item_ids[0])
    assert (await world.service_record(gone["Id"]))["Status__c"] == "Cancelled"

    (placed,) = await world.place(
        world.spec(
            account,
            LineSpec("Change Quantity", service_id=gone["Id"], quantity=3),
            LineSpec("Change Quantity", service_id=running["Id"], quantity=3),
        )
    )
    bad_line, good_line = placed.item_ids

    task = await failed_task(world, bad_line)
    assert task["Billing_Operation__c"] == "submit_order"
    reason = f"service '{gone['Billing_Service_Id__c']}' is cancelled; change_quantity needs a live service"
    assert reason in task["Error_Message__c"]
    assert (await world.billing_service(gone["Billing_Service_Id__c"]))["quantity"] == 1
    await world.assert_line_done(good_line)
    service = await world.assert_inventory_matches(await world.service_record(running["Id"]))
    assert (service["status"], service["quantity"]) == ("active", 3)
    order = await world.order(placed.order_id)
    assert order["Billing_Sync_Status__c"] == "Error"
    assert reason in order["Billing_Sync_Error__c"]


async def test_a_failed_link_task_runs_again_on_the_retry_quick_action_once_the_data_is_fixed(
    world: OrderWorld,
) -> None:
    (account,) = await world.customers(1)
    await world.crm.update("Account", [{"Id": account, "BillingStreet": None}])
    (placed,) = await world.place(world.spec(account, LineSpec("New", "VS-4", term_months=12)))
    task = await failed_task(world, placed.item_ids[0])
    assert "BillingStreet: billing street is required" in task["Error_Message__c"]

    await world.crm.update("Account", [{"Id": account, "BillingStreet": "1 Main Street"}])
    (fired,) = await world.crm.create(
        "Billing_Action__e", [{"Action__c": "retry_task", "Record_Id__c": task["Id"]}]
    )
    assert fired.success, fired.error_text
    await world.settle()

    await world.assert_line_done(placed.item_ids[0])
    order = await world.order(placed.order_id)
    assert (order["Billing_Sync_Status__c"], order["Billing_Sync_Error__c"]) == ("Synced", None)
    (record,) = await world.inventory(Order_Product__c=placed.item_ids[0])
    assert (await world.assert_inventory_matches(record))["status"] == "active"
