"""The batched reads: one SOQL query per 300 orders returns each order with its account, its
lines, its work orders and their tasks (parent-to-child subqueries), so a pass costs one read
per 300 orders whatever their size."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from integration.clients.salesforce import soql_in
from integration.flows.context import FlowContext
from integration.flows.link import QUERY_CHUNK, account_fields
from integration.flows.orders.model import Line, Order, Task, WorkOrder

ORDER_FIELDS = (
    "Id",
    "OrderNumber",
    "Status",
    "AccountId",
    "Billing_Order_Id__c",
    "Billing_Sync_Status__c",
    "Billing_Sync_Error__c",
)
LINE_FIELDS = (
    "Id",
    "OrderItemNumber",
    "Billing_Action__c",
    "Product2Id",
    "Product2.Name",
    "Product2.Billing_Product_Id__c",
    "Product2.Work_Order_Template__c",
    "PricebookEntry.Billing_Price_Id__c",
    "Quantity",
    "UnitPrice",
    "Term_Months__c",
    "Parent_Order_Item__c",
    "Billing_Service__c",
    "Billing_Service__r.Billing_Service_Id__c",
    "Billing_Service__r.Currency__c",
    "Billing_Service_Id__c",
    "ETL_Amount__c",
)
WORK_ORDER_FIELDS = (
    "Id",
    "Order_Product__c",
    "Status",
    "Work_Order_Template__c",
    "Is_Error__c",
    "Error_Message__c",
)
TASK_FIELDS = (
    "Id",
    "WorkOrderId",
    "Subject",
    "Status",
    "Sequence__c",
    "Task_Type__c",
    "Billing_Operation__c",
    "Is_Error__c",
    "Error_Message__c",
)


def order_soql(ctx: FlowContext, ids: Sequence[str]) -> str:
    account = [f"Account.{name}" for name in account_fields(ctx)]
    return (
        f"SELECT {', '.join([*ORDER_FIELDS, *account])}, "
        f"(SELECT {', '.join(LINE_FIELDS)} FROM OrderItems ORDER BY Id), "
        f"(SELECT {', '.join(WORK_ORDER_FIELDS)} FROM Work_Orders__r ORDER BY Id), "
        f"(SELECT {', '.join(TASK_FIELDS)} FROM WorkOrderLineItems ORDER BY Id) "
        f"FROM Order WHERE Id IN {soql_in(ids)}"
    )


async def load_orders(ctx: FlowContext, order_ids: Sequence[str]) -> list[Order]:
    """The orders named (missing ids are left out), with lines, work orders and tasks."""
    ids = list(dict.fromkeys(order_ids))
    orders: list[Order] = []
    for start in range(0, len(ids), QUERY_CHUNK):
        for record in await ctx.salesforce.query(order_soql(ctx, ids[start : start + QUERY_CHUNK])):
            orders.append(build_order(record))
    return orders


def _children(record: dict[str, Any], relationship: str) -> list[dict[str, Any]]:
    found = record.get(relationship)
    return list(found.get("records", [])) if isinstance(found, dict) else []


def build_order(record: dict[str, Any]) -> Order:
    lines = [Line(row) for row in _children(record, "OrderItems")]
    by_line = {line.id: line for line in lines}
    work_orders: dict[str, WorkOrder] = {}
    for row in _children(record, "Work_Orders__r"):
        line = by_line.get(str(row.get("Order_Product__c")))
        if line is None or line.work_order is not None:
            continue  # the first work order of a line is its work order
        line.work_order = work_orders[str(row["Id"])] = WorkOrder(row)
    for row in _children(record, "WorkOrderLineItems"):
        work_order = work_orders.get(str(row.get("WorkOrderId")))
        if work_order is not None:
            work_order.tasks.append(Task(row))
    for work_order in work_orders.values():
        work_order.tasks.sort(key=lambda task: (task.sequence, task.id or ""))
    values = {
        k: v for k, v in record.items() if k not in ("OrderItems", "Work_Orders__r", "WorkOrderLineItems")
    }
    return Order(values, lines)
