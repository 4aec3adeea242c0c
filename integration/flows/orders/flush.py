"""The end of a pass: statuses rolled up (task -> work order -> order) and every change written
in full 200-record collections: one mixed stream of updates (orders, lines, work orders, tasks;
each record at most once), then new work orders, then their tasks (a work order's tasks never
split across calls, so a killed run leaves a work order with all of its tasks or none)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from integration.clients.salesforce import RecordResult
from integration.flows.context import FlowContext
from integration.flows.orders.model import (
    IN_PROGRESS,
    SYNC_ERROR,
    SYNC_PENDING,
    SYNCED,
    WO_COMPLETED,
    WO_FAILED,
    WO_IN_PROGRESS,
    WO_NEW,
    Order,
    OrderReport,
    Row,
    WorkOrder,
)

FLOW = "orders"
COLLECTION = 200


def work_order_error(work_order: WorkOrder) -> str | None:
    """Why the work order stopped (a failed task, or no template to copy tasks from)."""
    failed = work_order.failed_task()
    if failed is not None:
        return f"{failed.get('Subject') or failed.operation}: {failed.get('Error_Message__c')}"
    if not work_order.tasks and work_order.get("Is_Error__c"):
        return str(work_order.get("Error_Message__c"))
    return None


def roll_up(order: Order) -> None:
    errors: list[str] = []
    done = bool(order.lines)
    for line in order.lines:
        work_order = line.work_order
        if work_order is None:
            done = False
            continue
        error = work_order_error(work_order)
        current = work_order.current()
        if error is not None:
            work_order.set(Status=WO_FAILED, Is_Error__c=True, Error_Message__c=error)
            errors.append(f"{line.label}: {error}")
            done = False
        elif current is None:
            work_order.set(Status=WO_COMPLETED, Is_Error__c=False, Error_Message__c=None)
        else:
            done = False
            started = current.status == IN_PROGRESS or any(task.done for task in work_order.tasks)
            work_order.set(
                Status=WO_IN_PROGRESS if started else WO_NEW, Is_Error__c=False, Error_Message__c=None
            )
    if not order.lines:
        errors.append("The order has no lines")
    if errors:
        order.set(Billing_Sync_Status__c=SYNC_ERROR, Billing_Sync_Error__c="\n".join(errors))
    else:
        order.set(Billing_Sync_Status__c=SYNCED if done else SYNC_PENDING, Billing_Sync_Error__c=None)


async def _create(ctx: FlowContext, sobject: str, records: Sequence[dict[str, Any]]) -> list[RecordResult]:
    if not records:
        return []
    ctx.metrics.batch_size.labels(FLOW).observe(len(records))
    if ctx.settings.record_by_record:  # the naive baseline, for the load gates' comparison
        results: list[RecordResult] = []
        for record in records:
            results += await ctx.salesforce.create(sobject, [record])
        return results
    return await ctx.salesforce.create(sobject, records)


def _failed(report: OrderReport, order: Order, what: str, result: RecordResult) -> None:
    report.failed.setdefault(str(order.id), f"Salesforce refused {what}: {result.error_text}")


async def flush(ctx: FlowContext, orders: Sequence[Order], report: OrderReport) -> None:
    """Updates first, orders at their head (a killed flush never leaves a completed submit task
    without its order's ``Billing_Order_Id__c``), then new work orders, then their tasks."""
    rows: list[tuple[Order, Row]] = []
    for order in orders:
        for line in order.lines:
            rows.append((order, line))
            if line.work_order is not None and not line.work_order.new:
                rows.append((order, line.work_order))
                rows += [(order, task) for task in line.work_order.tasks if not task.new]
    rank = {"Order": 0, "OrderItem": 1, "WorkOrder": 2, "WorkOrderLineItem": 3}
    rows = [(order, order) for order in orders] + sorted(rows, key=lambda pair: rank[pair[1].sobject])
    updates = [(order, record) for order, row in rows if (record := row.update_record()) is not None]
    written = await ctx.write_salesforce(FLOW, "Order", [record for _, record in updates])
    for (order, record), result in zip(updates, written, strict=True):
        if not result.success:
            _failed(report, order, f"the update of {record['attributes']['type']} {record['Id']}", result)
    fresh = [(order, wo) for order in orders for wo in order.work_orders() if wo.new]
    results = await _create(ctx, "WorkOrder", [dict(wo.values) for _, wo in fresh])
    for (order, work_order), result in zip(fresh, results, strict=True):
        if result.success:
            work_order.values["Id"], work_order.new = result.id, False
        else:
            _failed(report, order, "a work order", result)
    await _create_tasks(ctx, orders, report)


async def _create_tasks(ctx: FlowContext, orders: Sequence[Order], report: OrderReport) -> None:
    groups: list[tuple[Order, list[dict[str, Any]]]] = []
    for order in orders:
        for work_order in order.work_orders():
            new = [task for task in work_order.tasks if task.new]
            if new and not work_order.new:  # a work order that failed to be created has no tasks
                groups.append((order, [{**task.values, "WorkOrderId": work_order.id} for task in new]))
    chunk: list[tuple[Order, dict[str, Any]]] = []

    async def send() -> None:
        results = await _create(ctx, "WorkOrderLineItem", [record for _, record in chunk])
        for (order, _), result in zip(chunk, results, strict=True):
            if not result.success:
                _failed(report, order, "a task", result)
        chunk.clear()

    for order, records in groups:
        if chunk and len(chunk) + len(records) > COLLECTION:
            await send()
        chunk.extend((order, record) for record in records)
    if chunk:
        await send()
