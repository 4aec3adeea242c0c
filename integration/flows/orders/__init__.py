"""Order processing (issue 14): CRM orders become billing services through work orders.

An activated Order gets one WorkOrder per line, its tasks copied from the line's template
(``templates``); ``runner`` moves each work order through its tasks (link the account, quote
the ETL, submit one billing order for the whole CRM order, wait for billing's per-item results,
write the inventory) and rolls statuses up task -> work order -> order. Every run re-reads the
CRM and continues from what it finds, so a run killed anywhere is finished by the next one.
"""

from integration.flows.orders.actions import activated_orders_pending, retry_tasks
from integration.flows.orders.etl import quote_etl
from integration.flows.orders.model import CRM_ACTIONS, EtlReport, OrderReport
from integration.flows.orders.runner import process_orders

__all__ = [
    "CRM_ACTIONS",
    "EtlReport",
    "OrderReport",
    "activated_orders_pending",
    "process_orders",
    "quote_etl",
    "retry_tasks",
]
