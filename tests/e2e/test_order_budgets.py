"""Issue 14's bulkification budget, read from the Salesforce simulator's own meter: carrying out
N = 1,000 order lines that make the core write W records (work orders, tasks, their status
changes, inventory, order statuses, ...) costs at most ceil(W/200) + ceil(N/200) + 10 Salesforce
calls, and each CRM order becomes exactly one billing order.

The count is honest on both sides: the calls are the meter's, for the core's connected app only
(the CRM user places and activates the orders through an app of its own); W is what the core
really wrote, one change event per record it created or updated (Change Data Capture on every
object it writes, told apart by the core's ``Sforce-Call-Options`` client), so a status written
twice counts twice, and a write that was never made does not count at all."""

from pathlib import Path

import pytest

from contracts import defaults
from integration.clients.billing import BillingClient, BillingConfig
from loadtests.bench.orders import (
    LINES_PER_ORDER,
    billing_orders_per_crm_order,
    budget,
    carry_out,
    orders_run,
)

ORDERS = 200  # x 5 lines = N = 1,000 (800 New, one in four an add-on on a new line; 200 changes)


@pytest.mark.slow
async def test_1000_order_lines_within_the_salesforce_call_budget(tmp_path: Path) -> None:
    async with orders_run(tmp_path, seed=14) as run:
        specs = await run.prepare(ORDERS, seed=14)  # linked customers, each with a service
        # As it comes: the engine's own batching (events arriving in a burst form one batch) and
        # its echo suppression (billing's webhooks for what the core itself just wrote queue no
        # work) are part of what is measured, as a user running the core gets them.
        result = await carry_out(run, specs, stepped=False)
        billing = BillingClient(BillingConfig(run.system.url("billing"), defaults.BILLING_API_KEY))
        try:
            billing_orders = await billing.collect("/orders")
        finally:
            await billing.close()

    lines = result.lines
    assert lines == ORDERS * LINES_PER_ORDER == 1000
    assert result.statuses == {"Synced": ORDERS}
    written = result.written
    # What was written is what the issue lists, and at least once each: a work order per line,
    # its tasks, a new inventory record per New line, the order statuses.
    assert written["WorkOrder"] >= lines, written
    assert written["WorkOrderLineItem"] >= 3 * lines, written  # 3 tasks a line or more, each created
    assert written["Billing_Service__c"] >= 4 * ORDERS, written
    assert written["Order"] >= ORDERS, written
    allowed = budget(result.records, lines)
    assert result.calls <= allowed, (result.calls, allowed, written)

    measured = {p.order_id for p in result.placed}
    per_order = billing_orders_per_crm_order(billing_orders)
    assert {order: per_order.get(order, 0) for order in measured} == dict.fromkeys(measured, 1)
