"""Changes to a running service, each ordered in the CRM: quantity, re-rate, re-term, renew and
replace. Each asserts billing's service, the CRM inventory, the line's work order and tasks, and
the order's sync status."""

from datetime import date
from decimal import Decimal

from sandbox.orders import LineSpec, PlacedOrder
from tests.e2e.orders.desk import OrderWorld, new_service


async def done(world: OrderWorld, placed: PlacedOrder) -> None:
    for line in placed.item_ids:
        await world.assert_line_done(line)
    order = await world.order(placed.order_id)
    assert (order["Billing_Sync_Status__c"], order["Billing_Sync_Error__c"]) == ("Synced", None)


async def test_change_quantity(world: OrderWorld) -> None:
    (account,) = await world.customers(1)
    record = await new_service(world, account, "SIP-10", quantity=1)

    (placed,) = await world.place(
        world.spec(account, LineSpec("Change Quantity", service_id=record["Id"], quantity=4))
    )
    await done(world, placed)
    after = await world.service_record(record["Id"])
    service = await world.assert_inventory_matches(after)
    assert (service["status"], service["quantity"]) == ("active", 4)
    assert (after["Status__c"], after["Quantity__c"]) == ("Active", 4)
    # The same service changed: no second inventory record.
    assert [r["Id"] for r in await world.inventory(Account__c=account)] == [record["Id"]]


async def test_re_rate(world: OrderWorld) -> None:
    (account,) = await world.customers(1)
    record = await new_service(world, account, "INET-100")
    assert record["Price__c"] == 99.0

    (placed,) = await world.place(
        world.spec(account, LineSpec("Re-Rate", service_id=record["Id"], unit_price=Decimal("79.50")))
    )
    await done(world, placed)
    after = await world.service_record(record["Id"])
    service = await world.assert_inventory_matches(after)
    assert service["status"] == "active"
    assert service["recurring_price"] == {"amount": "79.50", "currency": "USD"}
    assert (after["Status__c"], after["Price__c"]) == ("Active", 79.5)


async def test_re_term(world: OrderWorld) -> None:
    (account,) = await world.customers(1)
    record = await new_service(world, account, "INET-100", term_months=12)
    await world.advance(days=40)  # into the term: the new term starts on the order's date
    today = world.today()

    (placed,) = await world.place(
        world.spec(account, LineSpec("Re-Term", service_id=record["Id"], term_months=36))
    )
    await done(world, placed)
    after = await world.service_record(record["Id"])
    service = await world.assert_inventory_matches(after)
    term = service["current_term"]
    assert (term["months"], term["type"], term["start_date"]) == (36, "customer_renewed", today.isoformat())
    assert service["renewal_type"] == "month_to_month"  # the 36-month option rolls to month-to-month
    assert (after["Status__c"], after["Term_Months__c"], after["Renewal_Type__c"]) == (
        "Active",
        36,
        "Month-to-Month",
    )
    assert after["End_Date__c"] == term["end_date"]
    assert date.fromisoformat(term["end_date"]) > date.fromisoformat(record["End_Date__c"])


async def test_renew(world: OrderWorld) -> None:
    (account,) = await world.customers(1)
    record = await new_service(world, account, "VS-4", term_months=12)
    await world.advance(days=300)  # near the end of the first term
    today = world.today()

    (placed,) = await world.place(
        world.spec(account, LineSpec("Renew", service_id=record["Id"], term_months=12))
    )
    await done(world, placed)
    after = await world.service_record(record["Id"])
    service = await world.assert_inventory_matches(after)
    term = service["current_term"]
    assert service["status"] == "active"
    assert (term["months"], term["type"], term["start_date"]) == (12, "customer_renewed", today.isoformat())
    assert (after["Status__c"], after["Term_Months__c"], after["Renewal_Type__c"]) == ("Active", 12, "Renew")
    assert after["End_Date__c"] == term["end_date"] != record["End_Date__c"]


async def test_replace(world: OrderWorld) -> None:
    (account,) = await world.customers(1)
    old = await new_service(world, account, "INET-100")

    (placed,) = await world.place(world.spec(account, LineSpec("Replace", "INET-1000", service_id=old["Id"])))
    await done(world, placed)
    old_after = await world.service_record(old["Id"])
    old_service = await world.assert_inventory_matches(old_after)
    (new,) = await world.inventory(Order_Product__c=placed.item_ids[0])
    new_service_ = await world.assert_inventory_matches(new)

    assert old_service["status"] == "replaced"
    assert old_service["replaced_by_service_id"] == new["Billing_Service_Id__c"]
    assert new_service_["status"] == "active"
    assert new_service_["external_id"] == placed.item_ids[0]
    assert (old_after["Status__c"], old_after["Replaced_By__c"]) == ("Replaced", new["Id"])
    assert (new["Status__c"], new["Replaced_By__c"], new["Order__c"]) == ("Active", None, placed.order_id)
    (product,) = await world.crm.query(f"SELECT ProductCode FROM Product2 WHERE Id = '{new['Product__c']}'")
    assert product["ProductCode"] == "INET-1000"
