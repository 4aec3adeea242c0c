"""Work orders and their tasks, planned in memory from the templates and created at the end of
the pass (the flush) with the statuses the pass reached: a line gets exactly one work order,
found again by ``Order_Product__c`` on every later run."""

from __future__ import annotations

from collections.abc import Sequence

from integration.flows.orders.model import (
    PENDING,
    WO_FAILED,
    WO_NEW,
    Line,
    Order,
    OrderReport,
    Task,
    WorkOrder,
)
from integration.flows.orders.templates import Template, Templates


def needs_templates(orders: Sequence[Order]) -> bool:
    """Templates are read only when a line has no work order yet, or a work order has no tasks
    (a run killed between creating work orders and their tasks)."""
    return any(
        line.work_order is None or not line.work_order.tasks for order in orders for line in order.lines
    )


def plan_work_orders(orders: Sequence[Order], templates: Templates, report: OrderReport) -> None:
    for order in orders:
        for line in order.lines:
            if line.work_order is None:
                template = templates.choose(line)
                line.work_order = _work_order(order, line, template)
                report.work_orders_created += 1
                if template is not None:
                    _add_tasks(order, line.work_order, template, report)
            elif not line.work_order.tasks:
                found = templates.by_id.get(str(line.work_order.get("Work_Order_Template__c")))
                if found is not None:
                    _add_tasks(order, line.work_order, found, report)


def _work_order(order: Order, line: Line, template: Template | None) -> WorkOrder:
    product = line.related("Product2", "Name") or line.product_id or ""
    values = {
        "Order__c": order.id,
        "Order_Product__c": line.id,
        "AccountId": order.account_id,
        "Subject": f"{line.crm_action or 'New'}: {product}"[:255],
        "Status": WO_NEW,
        "Work_Order_Template__c": template.id if template else None,
        "Is_Error__c": False,
        "Error_Message__c": None,
    }
    work_order = WorkOrder(values, new=True)
    if template is None:
        work_order.set(
            Status=WO_FAILED,
            Is_Error__c=True,
            Error_Message__c=f"No active work order template for the operation {line.crm_action or 'New'!r}",
        )
    return work_order


def _add_tasks(order: Order, work_order: WorkOrder, template: Template, report: OrderReport) -> None:
    for definition in template.tasks:
        values = {
            "OrderId": order.id,
            "Subject": definition.name[:255],
            "Description": definition.description,
            "Status": PENDING,
            "Sequence__c": definition.sequence,
            "Task_Type__c": definition.task_type,
            "Billing_Operation__c": definition.operation,
            "Is_Error__c": False,
            "Error_Message__c": None,
        }
        work_order.tasks.append(Task(values, new=True))
        report.tasks_created += 1
