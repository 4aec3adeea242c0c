"""The issue's bulkification budget on ~200 order lines: Salesforce calls (the simulator's
meter) at most ceil(W/200) + ceil(N/200) + 10 for W records written; one billing order per CRM
order."""

import math

from integration.flows.orders import process_orders
from tests.integration.flows.orders.support import OrderWorld, accounts, crm_catalog, line, metered, orders

SUB, ADDON = "prod_0000000001", "prod_0000000007"


async def test_two_hundred_lines_stay_within_the_salesforce_call_budget(world: OrderWorld) -> None:
    catalog = await crm_catalog(world)
    customers = await accounts(world, 100)  # none linked yet: the link tasks link all of them
    made = await orders(
        world, catalog, [(acct, [line(SUB), line(ADDON, "Add-On", parent=0)]) for acct in customers]
    )
    lines = sum(len(ids) for _, ids in made)
    meter = metered(world)
    calls_before = world.salesforce_calls()

    report = await process_orders(world.ctx, [order_id for order_id, _ in made])

    calls = world.salesforce_calls() - calls_before
    budget = math.ceil(meter.records_written / 200) + math.ceil(lines / 200) + 10
    print(
        f"\n{lines} lines, {meter.records_written} records written, {calls} Salesforce calls (budget {budget})"
    )
    assert lines == 200
    assert report.failed == {}
    assert report.tasks_failed == 0
    assert calls <= budget
    assert (
        len(report.billing_orders) == len(made) == len({o.external_id for o in await world.billing.orders()})
    )
    statuses = {
        r["Billing_Sync_Status__c"] for r in await world.query("SELECT Billing_Sync_Status__c FROM Order")
    }
    assert statuses == {"Synced"}
    assert len(await world.query("SELECT Id FROM Billing_Service__c")) == lines
