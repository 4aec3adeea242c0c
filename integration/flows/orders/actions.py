"""The quick actions and the polling fallback: ``retry_tasks`` (re-run failed tasks) and
``activated_orders_pending`` (activated orders not yet synced, and orders whose tasks changed)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from integration.clients.salesforce import soql_in
from integration.flows.context import FlowContext
from integration.flows.link import QUERY_CHUNK
from integration.flows.orders.model import READY, WO_IN_PROGRESS

FLOW = "orders"
RESUBMIT = frozenset({"await_result", "write_inventory"})


async def retry_tasks(ctx: FlowContext, task_ids: Sequence[str]) -> list[str]:
    """Reset the failed tasks named (error cleared, Ready) and their work orders (In Progress);
    returns the Order ids to process. A failed ``await_result`` or ``write_inventory`` task also
    reopens its work order's ``submit_order`` task (the line is posted again, in a supplementary
    billing order). Tasks not failed, done or unknown are left alone."""
    ids = list(dict.fromkeys(task_ids))
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ids), QUERY_CHUNK):
        rows += await ctx.salesforce.query(
            "SELECT Id, OrderId, WorkOrderId, WorkOrder.Order__c, Status, Is_Error__c, Billing_Operation__c "
            "FROM WorkOrderLineItem "
            f"WHERE Id IN {soql_in(ids[start : start + QUERY_CHUNK])}"
        )
    records: list[dict[str, Any]] = []
    work_orders: set[str] = set()
    orders: set[str] = set()
    for row in rows:
        if not row.get("Is_Error__c") or row.get("Status") in ("Completed", "Canceled"):
            continue
        records.append(
            {
                "attributes": {"type": "WorkOrderLineItem"},
                "Id": row["Id"],
                "Is_Error__c": False,
                "Error_Message__c": None,
                "Status": READY,
            }
        )
        work_orders.add(str(row["WorkOrderId"]))
        order_id = row.get("OrderId") or (row.get("WorkOrder") or {}).get("Order__c")
        if order_id:
            orders.add(str(order_id))
    # Billing's result cannot change by waiting again: a failed await (or inventory) task
    # re-runs from its work order's submit task, which posts the line again.
    failed_after_submit = sorted(
        {
            str(r["WorkOrderId"])
            for r in rows
            if r.get("Is_Error__c") and r.get("Billing_Operation__c") in RESUBMIT
        }
    )
    for start in range(0, len(failed_after_submit), QUERY_CHUNK):
        chunk = failed_after_submit[start : start + QUERY_CHUNK]
        submits = await ctx.salesforce.query(
            "SELECT Id FROM WorkOrderLineItem WHERE Billing_Operation__c = 'submit_order' "
            f"AND WorkOrderId IN {soql_in(chunk)}"
        )
        records += [
            {"attributes": {"type": "WorkOrderLineItem"}, "Id": r["Id"], "Status": READY} for r in submits
        ]
    records += [
        {
            "attributes": {"type": "WorkOrder"},
            "Id": wo,
            "Status": WO_IN_PROGRESS,
            "Is_Error__c": False,
            "Error_Message__c": None,
        }
        for wo in sorted(work_orders)
    ]
    await ctx.write_salesforce(FLOW, "WorkOrderLineItem", records)
    return sorted(orders)


async def activated_orders_pending(ctx: FlowContext, since: str | None) -> list[str]:
    """The polling fallback for missed change events: activated orders whose billing sync is not
    done (null, Not Synced, Pending), changed since ``since`` (a SOQL datetime literal, e.g.
    ``2026-01-01T00:00:00Z``; None: all of them), plus, with ``since``, the orders of tasks
    changed since then (a person completing a manual task changes the task, not the order)."""
    where = (
        "Status = 'Activated' AND (Billing_Sync_Status__c = null "
        "OR Billing_Sync_Status__c IN ('Not Synced', 'Pending'))"
    )
    if since:
        where += f" AND SystemModstamp >= {since}"
    found = [
        str(row["Id"])
        for row in await ctx.salesforce.query(f"SELECT Id FROM Order WHERE {where} ORDER BY Id")
    ]
    if since:
        rows = await ctx.salesforce.query(
            "SELECT OrderId FROM WorkOrderLineItem WHERE OrderId != null AND Order.Status = 'Activated' "
            f"AND Status != 'Pending' AND SystemModstamp >= {since}"
        )
        found += [str(row["OrderId"]) for row in rows]
    return sorted(set(found))
