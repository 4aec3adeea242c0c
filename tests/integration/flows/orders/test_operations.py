"""Every operation of issue 14, amendments on services made by earlier orders, all in one
``process_orders`` call (one pass over many orders, each its own billing order)."""

from decimal import Decimal

from integration.flows.orders import process_orders
from tests.integration.flows.orders.support import OrderWorld, accounts, crm_catalog, line, order_row, orders

SUB, OTHER, ADDON = "prod_0000000001", "prod_0000000002", "prod_0000000007"
OPERATIONS = [
    "Add-On",
    "Remove Add-On",
    "Change Quantity",
    "Re-Rate",
    "Re-Term",
    "Replace",
    "Cancel",
    "Renew",
]


async def test_every_operation_reaches_billing_and_the_inventory(world: OrderWorld) -> None:
    # Long on purpose (over 80 lines): the operations share one setup and one pass, which is
    # what a real batch of amendments looks like, and each is asserted on both systems.
    catalog = await crm_catalog(world)
    customers = await accounts(world, len(OPERATIONS))
    made = await orders(
        world,
        catalog,
        [(acct, [line(SUB, Term_Months__c=12), line(ADDON, "Add-On", parent=0)]) for acct in customers],
    )
    first = await process_orders(world.ctx, [order_id for order_id, _ in made])
    assert first.failed == {}
    assert len(first.billing_orders) == len(OPERATIONS)
    inventory = {
        r["Order_Product__c"]: r
        for r in await world.query(
            "SELECT Id, Billing_Service_Id__c, Order_Product__c FROM Billing_Service__c"
        )
    }
    base = {op: inventory[lines[0]] for op, (_, lines) in zip(OPERATIONS, made, strict=True)}
    add_ons = {op: inventory[lines[1]] for op, (_, lines) in zip(OPERATIONS, made, strict=True)}

    def amend(op: str, product: str, **fields: object) -> list:
        return [line(product, op, Billing_Service__c=base[op]["Id"], **fields)]

    specs = {
        "Add-On": amend("Add-On", ADDON, Quantity=2),
        "Remove Add-On": [line(ADDON, "Remove Add-On", Billing_Service__c=add_ons["Remove Add-On"]["Id"])],
        "Change Quantity": amend("Change Quantity", SUB, Quantity=3),
        "Re-Rate": amend("Re-Rate", SUB, UnitPrice=79.5),
        "Re-Term": amend("Re-Term", SUB, Term_Months__c=24),
        "Replace": amend("Replace", OTHER),
        "Cancel": amend("Cancel", SUB),
        "Renew": amend("Renew", SUB),
    }
    amended = await orders(
        world, catalog, [(acct, specs[op]) for acct, op in zip(customers, OPERATIONS, strict=True)]
    )

    second = await process_orders(world.ctx, [order_id for order_id, _ in amended])

    assert second.failed == {}, second
    assert second.tasks_failed == 0, second
    for order_id, _ in amended:
        row = await order_row(world, order_id)
        assert (row["Billing_Sync_Status__c"], row["Billing_Sync_Error__c"]) == ("Synced", None), row
    service = {op: await world.billing.get_service(base[op]["Billing_Service_Id__c"]) for op in OPERATIONS}
    added = [
        s
        for s in await world.billing.services(account_id=service["Add-On"].account_id)
        if s.parent_service_id
    ]
    assert sorted(s.quantity for s in added) == [1, 2]  # the new add-on beside the first one
    removed = await world.billing.get_service(add_ons["Remove Add-On"]["Billing_Service_Id__c"])
    assert removed.status == "cancelled"
    assert service["Change Quantity"].quantity == 3
    assert service["Re-Rate"].recurring_price is not None
    assert Decimal(service["Re-Rate"].recurring_price.amount) == Decimal("79.50")
    assert service["Re-Term"].current_term is not None
    assert service["Re-Term"].current_term.months == 24
    assert service["Replace"].status == "replaced"
    assert service["Replace"].replaced_by_service_id
    assert service["Cancel"].status == "cancelled"
    assert service["Renew"].status == "active"
    assert service["Renew"].current_term is not None
    assert service["Renew"].current_term.type == "customer_renewed"
    crm = {
        r["Billing_Service_Id__c"]: r
        for r in await world.query(
            "SELECT Billing_Service_Id__c, Status__c, Quantity__c, Price__c, Term_Months__c, "
            "Replaced_By__r.Billing_Service_Id__c FROM Billing_Service__c"
        )
    }
    assert crm[removed.id]["Status__c"] == "Cancelled"
    assert crm[service["Change Quantity"].id]["Quantity__c"] == 3
    assert crm[service["Re-Rate"].id]["Price__c"] == 79.5
    assert crm[service["Re-Term"].id]["Term_Months__c"] == 24
    replaced = crm[service["Replace"].id]
    assert replaced["Status__c"] == "Replaced"
    assert replaced["Replaced_By__r"]["Billing_Service_Id__c"] == service["Replace"].replaced_by_service_id
    assert crm[service["Replace"].replaced_by_service_id or ""]["Status__c"] == "Active"
    assert crm[service["Cancel"].id]["Status__c"] == "Cancelled"
    # The Cancel work order quoted the ETL before submitting (its first task).
    [cancel_line] = await world.query(
        f"SELECT ETL_Amount__c FROM OrderItem WHERE OrderId = '{amended[OPERATIONS.index('Cancel')][0]}'"
    )
    assert cancel_line["ETL_Amount__c"] is not None
    assert cancel_line["ETL_Amount__c"] > 0
