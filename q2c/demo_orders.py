"""The order-to-cash part of ``q2c demo`` (issue 14): the catalog comes from billing, orders are
placed in the CRM and carried out through work orders, the inventory lives in the CRM.

1. catalog sync (``POST /actions/catalog-sync``), then a change that starts in billing: a
   one-month term option added to Internet Access (``product.updated`` -> the CRM's term options);
2. a product-specific work order template with a manual task ("New Virtual Server");
3. round one: New orders (some with an add-on in the same order) for linked customers, for a few
   prospects (the link task links them first) and for one account missing billing data (refused
   on the task and the order, nothing sent to billing); the Virtual Server order waits on its
   manual task until a person completes it in the CRM (a change event resumes it);
4. round two, on the services round one created: Add-On, Remove Add-On, Change Quantity, Re-Rate,
   Re-Term, Replace, Renew and Cancel (placed as drafts first: the Cancel lines get their early
   termination liability quoted into ``ETL_Amount__c``, then they are activated), and one order
   failing with a business error on one line (a change to a service an earlier line cancels)
   while its other line completes.
The billing periods that follow (in ``q2c.demo``) renew the one-month terms automatically.
Orders reach the core by change events only: no call tells it to process them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from integration.clients.salesforce import SalesforceClient, soql_in
from integration.ports import BillingPort
from sandbox.orders import LineSpec, OrderSpec, activate_orders, place_orders
from sandbox.scenario import Crm

# Round one: what each account orders, by position (code, term months, add-on code or None).
NEW_LINES = (
    ("INET-100", 1, "IP-STATIC"),
    ("SIP-10", 12, None),
    ("INET-1000", 24, None),
    ("INET-100", 1, None),
)
PROSPECT_ORDERS = 10  # prospects ordering (linked by the order's link task)
MANUAL_TEMPLATE = "New Virtual Server"


@dataclass
class OrdersOutcome:
    products: int = 0
    orders: int = 0
    lines: Counter[str] = field(default_factory=Counter)
    manual_tasks_completed: int = 0
    line_errors: list[tuple[str, str]] = field(default_factory=list)
    order_errors: list[tuple[str, str]] = field(default_factory=list)
    services: Counter[str] = field(default_factory=Counter)
    etl_quoted: int = 0


Step = Callable[[], Awaitable[None]]


async def run_orders(
    crm_user: SalesforceClient,
    crm: Crm,
    linked: set[str],
    *,
    core: Callable[[str, str, Any], Awaitable[Any]],
    billing: BillingPort,
    settle: Step,
    today: date,
) -> OrdersOutcome:
    """``core``: calls the core's actions API (method, path, body); ``billing``: a billing client;
    ``settle``: wait until Salesforce's events and billing's webhooks are all processed."""
    outcome = OrdersOutcome()
    synced = await core("POST", "/actions/catalog-sync", {"wait": True, "timeout_seconds": 300})
    if not synced.get("done"):
        raise RuntimeError("the catalog sync did not finish within 300 s")
    inet = next(p for p in await billing.products() if p.code == "INET-100")
    await billing.request(
        "POST",
        f"/products/{inet.id}/term-options",
        body={"name": "1 month", "term_months": 1, "end_action": "renew"},
        idempotency_key=f"demo-term-option-1-month-{inet.id}",
        operation="add_term_option",
    )
    await settle()  # product.updated -> the new term option in the CRM
    outcome.products = len(
        await crm_user.query(
            "SELECT Id FROM Product2 WHERE IsActive = true AND Billing_Product_Id__c != null"
        )
    )
    await _manual_template(crm_user)

    customers = [i for i in crm.ids_of("customer") if i in linked]
    first = [OrderSpec(account, _new_lines(n), today) for n, account in enumerate(customers)] + [
        OrderSpec(account, _new_lines(n), today)
        for n, account in enumerate(crm.ids_of("prospect")[:PROSPECT_ORDERS])
    ]
    first.append(OrderSpec(customers[0], [LineSpec("New", "VS-4", term_months=12)], today))
    first += [OrderSpec(account, _new_lines(0), today) for account in crm.ids_of("incomplete")[:1]]
    placed = await place_orders(crm_user, first)
    await settle()
    outcome.manual_tasks_completed = await _complete_manual_tasks(crm_user)
    await settle()

    second, drafts = await _changes(crm_user, [p.spec.account_id for p in placed], today)
    placed += await place_orders(crm_user, second)
    drafted = await place_orders(crm_user, drafts, activate=False)
    await settle()  # the Cancel lines' change events -> ETL quotes
    outcome.etl_quoted = len(
        await crm_user.query(
            "SELECT Id FROM OrderItem WHERE Billing_Action__c = 'Cancel' AND ETL_Amount__c != null"
        )
    )
    await activate_orders(crm_user, [p.order_id for p in drafted])
    await settle()
    placed += drafted
    await _tally(crm_user, outcome, [p.order_id for p in placed])
    return outcome


def _new_lines(n: int) -> list[LineSpec]:
    code, months, add_on = NEW_LINES[n % len(NEW_LINES)]
    lines = [LineSpec("New", code, quantity=1 + n % 2, term_months=months)]
    if add_on:
        lines.append(LineSpec("Add-On", add_on, parent=0))
    return lines


async def _manual_template(crm_user: SalesforceClient) -> None:
    product = await crm_user.query("SELECT Id FROM Product2 WHERE ProductCode = 'VS-4'")
    template = await crm_user.create(
        "Work_Order_Template__c",
        [{"Name": MANUAL_TEMPLATE, "Operation__c": "New", "Product__c": product[0]["Id"], "Active__c": True}],
    )
    tasks = [
        ("Link the billing account", "Automated", "link_account"),
        ("Provision the virtual server", "Manual", None),
        ("Submit the billing order", "Automated", "submit_order"),
        ("Wait for billing's result", "Automated", "await_result"),
        ("Update the service inventory", "Automated", "write_inventory"),
    ]
    await crm_user.create(
        "Work_Order_Task_Definition__c",
        [
            {
                "Name": name,
                "Template__c": template[0].id,
                "Sequence__c": 10 * (n + 1),
                "Task_Type__c": kind,
                **({"Billing_Operation__c": operation} if operation else {}),
            }
            for n, (name, kind, operation) in enumerate(tasks)
        ],
    )


async def _complete_manual_tasks(crm_user: SalesforceClient) -> int:
    """A person completes the manual tasks waiting for them (Status Ready)."""
    ready = await crm_user.query(
        "SELECT Id FROM WorkOrderLineItem WHERE Task_Type__c = 'Manual' AND Status = 'Ready'"
    )
    if ready:
        await crm_user.update("WorkOrderLineItem", [{"Id": r["Id"], "Status": "Completed"} for r in ready])
    return len(ready)


async def _changes(
    crm_user: SalesforceClient, accounts: list[str], today: date
) -> tuple[list[OrderSpec], list[OrderSpec]]:
    """Round two: one change order per service of round one, cycling through the operations;
    Cancel orders come back separately (placed as drafts first)."""
    services: list[dict[str, Any]] = []
    unique = sorted(set(accounts))
    for start in range(0, len(unique), 300):
        services += await crm_user.query(
            "SELECT Id, Account__c, Product__r.ProductCode, Parent_Service__c, Quantity__c "
            "FROM Billing_Service__c WHERE Status__c = 'Active' AND Order__c != null AND "
            f"Account__c IN {soql_in(unique[start : start + 300])} ORDER BY Name"
        )
    active: list[OrderSpec] = []
    drafts: list[OrderSpec] = []
    plans = {
        "INET-100": [
            LineSpec("Re-Rate", unit_price=Decimal("89.00")),
            LineSpec("Replace", "INET-1000", term_months=12),
            LineSpec("Renew", term_months=12),
        ],
        "SIP-10": [
            LineSpec("Change Quantity", quantity=3),
            LineSpec("Re-Term", term_months=24),
            LineSpec("Cancel"),
        ],
        "INET-1000": [LineSpec("Add-On", "IP-STATIC")],
        "IP-STATIC": [LineSpec("Remove Add-On")],
    }
    seen: Counter[str] = Counter()
    broken = False
    for service in services:
        code = (service.get("Product__r") or {}).get("ProductCode")
        if code not in plans:
            continue
        choice = plans[code][seen[code] % len(plans[code])]
        seen[code] += 1
        line = LineSpec(
            choice.action,
            choice.product_code,
            quantity=choice.quantity,
            service_id=str(service["Id"]),
            term_months=choice.term_months,
            unit_price=choice.unit_price,
        )
        spec = OrderSpec(str(service["Account__c"]), [line], today)
        if choice.action == "Cancel" and not broken:
            # The business error: a change after a cancel of the same service, in one order.
            broken = True
            spec = OrderSpec(
                spec.account_id,
                [line, LineSpec("Change Quantity", quantity=2, service_id=line.service_id)],
                today,
            )
        (drafts if choice.action == "Cancel" else active).append(spec)
    return active, drafts


async def _tally(crm_user: SalesforceClient, outcome: OrdersOutcome, order_ids: list[str]) -> None:
    unique = sorted(set(order_ids))
    outcome.orders = len(unique)
    for start in range(0, len(unique), 300):
        chunk = soql_in(unique[start : start + 300])
        for item in await crm_user.query(f"SELECT Billing_Action__c FROM OrderItem WHERE OrderId IN {chunk}"):
            outcome.lines[str(item["Billing_Action__c"])] += 1
        for task in await crm_user.query(
            "SELECT WorkOrder.Order_Product__c, Error_Message__c FROM WorkOrderLineItem "
            f"WHERE OrderId IN {chunk} AND Is_Error__c = true"
        ):
            outcome.line_errors.append(
                (str((task.get("WorkOrder") or {}).get("Order_Product__c")), str(task["Error_Message__c"]))
            )
        for order in await crm_user.query(
            f"SELECT Id, Billing_Sync_Error__c FROM Order WHERE Id IN {chunk} AND Billing_Sync_Status__c = 'Error'"
        ):
            outcome.order_errors.append((str(order["Id"]), str(order["Billing_Sync_Error__c"])))
    for row in await crm_user.query(
        "SELECT Status__c, COUNT(Id) n FROM Billing_Service__c GROUP BY Status__c"
    ):
        outcome.services[str(row["Status__c"])] = int(row["n"])
