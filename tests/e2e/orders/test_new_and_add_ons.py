"""New services (with add-ons in the same order), add-ons on an existing service and their
removal: activated in the CRM, carried out in billing by the core's work orders, written back to
the CRM inventory."""

from sandbox.orders import LineSpec
from tests.e2e.orders.desk import OrderWorld, new_service


async def test_new_services_with_an_add_on_in_the_same_order(world: OrderWorld) -> None:
    (account,) = await world.customers(1)
    (placed,) = await world.place(
        world.spec(
            account,
            LineSpec("New", "INET-100", quantity=2, term_months=12),
            LineSpec("Add-On", "IP-STATIC", quantity=3, parent=0),
            LineSpec("New", "VS-4", term_months=24),
        )
    )
    internet_line, ip_line, server_line = placed.item_ids

    # The link task linked the account first (it had not asked for a link).
    (linked,) = await world.crm.query(f"SELECT Billing_Account_Id__c FROM Account WHERE Id = '{account}'")
    billing_account = linked["Billing_Account_Id__c"]
    assert billing_account is not None

    # One billing order for the CRM order, keyed by its Id, one item per line.
    (billing_order,) = await world.sandbox.billing.orders(account_id=billing_account)
    assert billing_order.external_id == placed.order_id
    assert billing_order.status == "completed"
    actions = {i.external_id: i.action for i in billing_order.items}
    assert actions == {internet_line: "new", ip_line: "add_on", server_line: "new"}
    order = await world.order(placed.order_id)
    assert (order["Billing_Sync_Status__c"], order["Billing_Sync_Error__c"]) == ("Synced", None)
    assert order["Billing_Order_Id__c"] == billing_order.id

    for line in placed.item_ids:
        await world.assert_line_done(line)

    services = {r["Order_Product__c"]: r for r in await world.inventory(Order__c=placed.order_id)}
    assert set(services) == set(placed.item_ids)  # one inventory record per line, nothing else
    internet, ip, server = services[internet_line], services[ip_line], services[server_line]
    for record in (internet, ip, server):
        assert record["Account__c"] == account
        assert record["Status__c"] == "Active"
        await world.assert_inventory_matches(record)

    internet_service = await world.billing_service(internet["Billing_Service_Id__c"])
    assert internet_service["status"] == "active"
    assert internet_service["external_id"] == internet_line
    assert (internet_service["quantity"], internet_service["current_term"]["months"]) == (2, 12)
    assert (internet["Quantity__c"], internet["Term_Months__c"], internet["Renewal_Type__c"]) == (
        2,
        12,
        "Renew",
    )
    assert internet["Parent_Service__c"] is None

    ip_service = await world.billing_service(ip["Billing_Service_Id__c"])
    assert ip_service["parent_service_id"] == internet["Billing_Service_Id__c"]
    assert ip_service["quantity"] == 3
    assert ip["Parent_Service__c"] == internet["Id"]  # the add-on hangs on its new parent

    server_service = await world.billing_service(server["Billing_Service_Id__c"])
    assert server_service["current_term"]["months"] == 24
    assert server["Term_Months__c"] == 24

    products = {
        r["Id"]: r["ProductCode"]
        for r in await world.crm.query("SELECT Id, ProductCode FROM Product2 WHERE IsActive = true")
    }
    assert [products[r["Product__c"]] for r in (internet, ip, server)] == ["INET-100", "IP-STATIC", "VS-4"]


async def test_an_add_on_on_an_existing_service_then_its_removal(world: OrderWorld) -> None:
    (account,) = await world.customers(1)
    internet = await new_service(world, account, "INET-100")

    (added,) = await world.place(
        world.spec(account, LineSpec("Add-On", "IP-STATIC", quantity=2, service_id=internet["Id"]))
    )
    await world.assert_line_done(added.item_ids[0])
    assert (await world.order(added.order_id))["Billing_Sync_Status__c"] == "Synced"
    (ip,) = await world.inventory(Order_Product__c=added.item_ids[0])
    ip_service = await world.assert_inventory_matches(ip)
    assert ip_service["status"] == "active"
    assert ip_service["parent_service_id"] == internet["Billing_Service_Id__c"]
    assert ip_service["quantity"] == 2
    assert (ip["Status__c"], ip["Parent_Service__c"], ip["Quantity__c"]) == ("Active", internet["Id"], 2)

    (removed,) = await world.place(world.spec(account, LineSpec("Remove Add-On", service_id=ip["Id"])))
    await world.assert_line_done(removed.item_ids[0])
    assert (await world.order(removed.order_id))["Billing_Sync_Status__c"] == "Synced"
    ip_after = await world.service_record(ip["Id"])
    ip_service = await world.assert_inventory_matches(ip_after)
    assert ip_service["status"] == "cancelled"
    assert ip_after["Status__c"] == "Cancelled"
    assert ip_service["etl_amount"] is None  # removing an add-on carries no early termination
    # The parent service is untouched.
    internet_after = await world.service_record(internet["Id"])
    assert (await world.assert_inventory_matches(internet_after))["status"] == "active"
    assert internet_after["Status__c"] == "Active"
