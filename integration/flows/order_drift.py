"""Reconcile of the CRM's activated orders against billing's orders (issue 14).

A CRM order that reached billing (``Billing_Order_Id__c`` set) is checked against every billing
order placed for it: the first one (external id = the Order Id) and any supplementary one for
lines retried later (external id ``<Order Id>-<digest>``), read per billing account. Per line
(billing item ``external_id`` = OrderItem Id; the newest billing order wins):

- a failed (or voided) item: the line's work order is ``Cannot Complete``;
- a completed item: the work order is not ``Cannot Complete``; once it is ``Completed``, a line
  that created a service (new, add-on, replace) names it in ``Billing_Service_Id__c``;
- a waiting item (pending, pending approval, scheduled): the work order is not ``Completed``.

The order's ``Billing_Sync_Status__c`` then says what billing and the lines say together:
``Error`` when an item failed or a work order cannot complete, ``Synced`` when every item is
completed and every work order is ``Completed``, else ``Pending``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contracts.generated import billing_models as wire
from integration.clients.billing import BillingApiError
from integration.drift import Drift
from integration.flows.context import FlowContext

CREATING = frozenset({"new", "add_on", "replace"})  # item actions whose result is a new service
WAITING = frozenset({"pending", "pending_approval", "scheduled"})
FAILED = frozenset({"failed", "voided"})
WO_COMPLETED, WO_FAILED = "Completed", "Cannot Complete"

ORDER_QUERY = (
    "SELECT Id, AccountId, Account.Billing_Account_Id__c, Billing_Order_Id__c, Billing_Sync_Status__c, "
    "(SELECT Id, Billing_Service_Id__c FROM OrderItems), "
    "(SELECT Id, Order_Product__c, Status FROM Work_Orders__r) "
    "FROM Order WHERE Status = 'Activated' AND Billing_Order_Id__c != null"
)


def _children(record: dict[str, Any], relationship: str) -> list[dict[str, Any]]:
    related = record.get(relationship)
    return list(related.get("records", [])) if isinstance(related, dict) else []


def _belongs(billing_order: wire.Order, order_id: str) -> bool:
    external = billing_order.external_id or ""
    return external == order_id or external.startswith((f"{order_id}-", f"{order_id}:"))


async def open_order_drift(ctx: FlowContext) -> tuple[int, list[Drift]]:
    """(orders checked, drift): activated CRM orders against their billing orders."""
    orders = await ctx.salesforce.query(ORDER_QUERY)
    accounts = sorted(
        {
            str(o["Account"]["Billing_Account_Id__c"])
            for o in orders
            if (o.get("Account") or {}).get("Billing_Account_Id__c")
        }
    )

    async def listing(account_id: str) -> tuple[str, list[wire.Order]]:
        return account_id, await ctx.billing.orders(account_id=account_id)

    by_account = dict(await ctx.gather_limited(accounts, listing))
    drift: list[Drift] = []
    for order in orders:
        billing_account = (order.get("Account") or {}).get("Billing_Account_Id__c")
        placed = [b for b in by_account.get(str(billing_account), []) if _belongs(b, str(order["Id"]))]
        drift.extend(await _order_drift(ctx, order, placed))
    return len(orders), drift


async def _order_drift(ctx: FlowContext, order: dict[str, Any], placed: Sequence[wire.Order]) -> list[Drift]:
    order_id, account = str(order["Id"]), str(order.get("AccountId") or "")
    billing_id = str(order["Billing_Order_Id__c"])
    if not any(b.id == billing_id for b in placed):
        # Not found by the account listing (the account link changed?): ask for it by id.
        try:
            placed = [*placed, await ctx.billing.get_order(billing_id)]
        except BillingApiError as exc:
            if exc.status != 404:
                raise
            return [Drift(account, "Order", order_id, "Billing_Order_Id__c", billing_id, None)]
    items: dict[str, wire.OrderItem] = {}
    for billing_order in sorted(placed, key=lambda b: b.created_at):
        for item in billing_order.items:
            if item.external_id:
                items[item.external_id] = item  # the newest billing order's word wins
    work_orders = {str(w.get("Order_Product__c")): w for w in _children(order, "Work_Orders__r")}
    drift: list[Drift] = []
    error = waiting = False
    lines = _children(order, "OrderItems")
    for line in lines:
        line_id = str(line["Id"])
        found = items.get(line_id)
        status = (work_orders.get(line_id) or {}).get("Status")
        error = error or status == WO_FAILED or (found is not None and found.status in FAILED)
        waiting = waiting or found is None or found.status != "completed" or status != WO_COMPLETED
        if found is not None:
            drift.extend(_line_drift(account, line, found, status))
    expected = "Error" if error else ("Pending" if waiting or not lines else "Synced")
    if order.get("Billing_Sync_Status__c") != expected:
        drift.append(
            Drift(
                account,
                "Order",
                order_id,
                "Billing_Sync_Status__c",
                order.get("Billing_Sync_Status__c"),
                expected,
            )
        )
    return drift


def _line_drift(account: str, line: dict[str, Any], item: wire.OrderItem, status: Any) -> list[Drift]:
    line_id = str(line["Id"])

    def work_order(wanted: str) -> Drift:
        return Drift(account, "OrderItem", line_id, "WorkOrder.Status", status, wanted)

    if item.status in FAILED:
        return [] if status == WO_FAILED else [work_order(WO_FAILED)]
    if item.status in WAITING:
        return [work_order(f"not {WO_COMPLETED} (billing: {item.status})")] if status == WO_COMPLETED else []
    found: list[Drift] = []
    if status == WO_FAILED:
        found.append(work_order(f"not {WO_FAILED} (billing: completed)"))
    created = item.result_service_id if item.action in CREATING else None
    if status == WO_COMPLETED and created and line.get("Billing_Service_Id__c") != created:
        found.append(
            Drift(
                account,
                "OrderItem",
                line_id,
                "Billing_Service_Id__c",
                line.get("Billing_Service_Id__c"),
                created,
            )
        )
    return found
