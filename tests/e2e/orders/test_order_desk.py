"""The order desk (sandbox/orders.py) alone: orders and their lines as a CRM user places them,
batched. The core is not subscribed to the org's events here: nothing processes the orders."""

from decimal import Decimal

import pytest

from sandbox.orders import LineSpec, OrderDeskError, OrderSpec, activate_orders, place_orders
from tests.e2e.orders.desk import OrderWorld, load_crm_catalog
from tests.support.sandbox import Sandbox


async def test_hundreds_of_orders_with_add_ons_cost_a_few_calls(sandbox: Sandbox) -> None:
    await load_crm_catalog(sandbox)
    world = OrderWorld(sandbox)
    accounts = await world.customers(150)
    specs = [
        OrderSpec(
            account,
            [
                LineSpec("New", "INET-100", quantity=2, term_months=12),
                LineSpec("Add-On", "IP-STATIC", parent=0),
                LineSpec("New", "VS-4", unit_price=Decimal("75.50")),
            ],
            "2026-03-01",
        )
        for account in accounts
    ]
    before = sandbox.salesforce_calls()
    placed = await place_orders(sandbox.crm_user, specs)
    calls = sandbox.salesforce_calls() - before
    # book + entries, 150 orders (1 call), 300 parents (2), 150 add-ons (1), activation (1)
    assert calls <= 7, calls

    assert len(placed) == 150
    first = placed[0]
    orders = await sandbox.crm_user.query(
        "SELECT Id, Status, AccountId, EffectiveDate, Pricebook2.IsStandard FROM Order"
    )
    assert len(orders) == 150
    assert {o["Status"] for o in orders} == {"Activated"}
    assert all(o["Pricebook2"]["IsStandard"] for o in orders)
    items = {
        r["Id"]: r
        for r in await sandbox.crm_user.query(
            "SELECT Id, OrderId, Billing_Action__c, Quantity, UnitPrice, Term_Months__c, Parent_Order_Item__c, "
            f"Product2.ProductCode FROM OrderItem WHERE OrderId = '{first.order_id}'"
        )
    }
    new, add_on, server = (items[i] for i in first.item_ids)
    assert (
        new["Billing_Action__c"],
        new["Product2"]["ProductCode"],
        new["Quantity"],
        new["Term_Months__c"],
    ) == (
        "New",
        "INET-100",
        2,
        12,
    )
    assert new["UnitPrice"] == 99.0  # the list price of the standard entry
    assert (add_on["Billing_Action__c"], add_on["Parent_Order_Item__c"]) == ("Add-On", new["Id"])
    assert server["UnitPrice"] == 75.5


async def test_draft_orders_then_activation_and_lines_on_a_service_take_its_product(sandbox: Sandbox) -> None:
    await load_crm_catalog(sandbox)
    world = OrderWorld(sandbox)
    (account,) = await world.customers(1)
    (product,) = await sandbox.crm_user.query("SELECT Id FROM Product2 WHERE ProductCode = 'SIP-10'")
    (service,) = await sandbox.crm_user.create(
        "Billing_Service__c",
        [
            {
                "Name": "SIP",
                "Account__c": account,
                "Product__c": product["Id"],
                "Billing_Service_Id__c": "svc_x",
            }
        ],
    )
    (placed,) = await place_orders(
        sandbox.crm_user,
        [OrderSpec(account, [LineSpec("Cancel", service_id=service.id)], "2026-03-01")],
        activate=False,
    )
    (order,) = await sandbox.crm_user.query(f"SELECT Status FROM Order WHERE Id = '{placed.order_id}'")
    assert order["Status"] == "Draft"
    (item,) = await sandbox.crm_user.query(
        f"SELECT Billing_Service__c, Product2.ProductCode FROM OrderItem WHERE Id = '{placed.item_ids[0]}'"
    )
    assert (item["Billing_Service__c"], item["Product2"]["ProductCode"]) == (service.id, "SIP-10")
    await activate_orders(sandbox.crm_user, [placed.order_id])
    (order,) = await sandbox.crm_user.query(f"SELECT Status FROM Order WHERE Id = '{placed.order_id}'")
    assert order["Status"] == "Activated"


async def test_a_product_the_crm_does_not_have_is_refused_before_anything_is_written(
    sandbox: Sandbox,
) -> None:
    await load_crm_catalog(sandbox)
    (account,) = await OrderWorld(sandbox).customers(1)
    with pytest.raises(OrderDeskError, match="no standard price book entry for NOPE-1"):
        await place_orders(sandbox.crm_user, [OrderSpec(account, [LineSpec("New", "NOPE-1")], "2026-03-01")])
    assert await sandbox.crm_user.query("SELECT Id FROM Order") == []


async def test_a_refused_record_raises_with_salesforces_error(sandbox: Sandbox) -> None:
    await load_crm_catalog(sandbox)
    unknown_account = "001000000000000AAA"
    with pytest.raises(OrderDeskError) as raised:
        await place_orders(
            sandbox.crm_user, [OrderSpec(unknown_account, [LineSpec("New", "VS-4")], "2026-03-01")]
        )
    assert (
        str(raised.value)
        == "1 Order record(s) refused: 0: INVALID_CROSS_REFERENCE_KEY: invalid cross reference id"
    )
    assert await sandbox.crm_user.query("SELECT Id FROM OrderItem") == []
