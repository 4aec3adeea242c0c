"""The order model the flow works on: CRM rows read once per pass, changed in memory, written
back in one buffered flush (only the fields that changed, each record once).

An ``Order`` holds its ``Line`` rows (OrderItem); a line holds its ``WorkOrder`` and the work
order its ``Task`` rows (WorkOrderLineItem) in ``Sequence__c`` order. Rows created in this pass
have no Id until the flush."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

#: ``OrderItem.Billing_Action__c`` -> the billing order item's ``action``.
CRM_ACTIONS: Mapping[str, str] = {
    "New": "new",
    "Add-On": "add_on",
    "Remove Add-On": "remove_add_on",
    "Change Quantity": "change_quantity",
    "Re-Rate": "rerate",
    "Re-Term": "reterm",
    "Replace": "replace",
    "Renew": "renew",
    "Cancel": "cancel",
}
#: Actions that create a service (their line carries a product).
CREATING = frozenset({"new", "add_on", "replace"})

# Task statuses (WorkOrderLineItem.Status) and work order statuses (WorkOrder.Status).
PENDING, READY, IN_PROGRESS, COMPLETED, CANCELED = "Pending", "Ready", "In Progress", "Completed", "Canceled"
WO_NEW, WO_IN_PROGRESS, WO_COMPLETED, WO_FAILED = "New", "In Progress", "Completed", "Cannot Complete"
DONE = frozenset({COMPLETED, CANCELED})
# Order.Billing_Sync_Status__c.
SYNC_PENDING, SYNCED, SYNC_ERROR = "Pending", "Synced", "Error"

Operation = Literal["link_account", "quote_etl", "submit_order", "await_result", "write_inventory"]
ERROR_LIMIT = 32_000  # the error fields are 32,768 characters long
ERROR_FIELDS = frozenset({"Error_Message__c", "Billing_Sync_Error__c"})


class Row:
    """A CRM record: the values as read plus the fields this pass changed (written once)."""

    sobject: str = ""

    def __init__(self, values: Mapping[str, Any], *, new: bool = False) -> None:
        self.values: dict[str, Any] = {k: v for k, v in values.items() if k != "attributes"}
        self.changed: dict[str, Any] = {}
        self.new = new

    @property
    def id(self) -> str | None:
        value = self.values.get("Id")
        return None if value is None else str(value)

    def get(self, name: str) -> Any:
        return self.values.get(name)

    def set(self, **fields: Any) -> None:
        for name, value in fields.items():
            if isinstance(value, str) and name in ERROR_FIELDS:
                value = value[:ERROR_LIMIT]
            if self.values.get(name) != value:
                self.values[name] = value
                if not self.new:  # a new row is created with all its values
                    self.changed[name] = value

    def update_record(self) -> dict[str, Any] | None:
        """The update this pass owes Salesforce (None: nothing changed)."""
        if self.new or not self.changed:
            return None
        return {"attributes": {"type": self.sobject}, "Id": self.id, **self.changed}


class Task(Row):
    sobject = "WorkOrderLineItem"

    @property
    def sequence(self) -> int:
        return int(self.values.get("Sequence__c") or 0)

    @property
    def status(self) -> str:
        return str(self.values.get("Status") or PENDING)

    @property
    def manual(self) -> bool:
        return self.values.get("Task_Type__c") != "Automated"

    @property
    def operation(self) -> str | None:
        value = self.values.get("Billing_Operation__c")
        return None if value is None else str(value)

    @property
    def failed(self) -> bool:
        return bool(self.values.get("Is_Error__c"))

    @property
    def done(self) -> bool:
        return self.status in DONE

    def fail(self, message: str) -> None:
        self.set(Is_Error__c=True, Error_Message__c=message)

    def complete(self) -> None:
        self.set(Status=COMPLETED, Is_Error__c=False, Error_Message__c=None)


class WorkOrder(Row):
    sobject = "WorkOrder"

    def __init__(self, values: Mapping[str, Any], *, new: bool = False) -> None:
        super().__init__(values, new=new)
        self.tasks: list[Task] = []

    def current(self) -> Task | None:
        """The first task not done: the one the work order waits on."""
        return next((task for task in self.tasks if not task.done), None)

    def failed_task(self) -> Task | None:
        return next((task for task in self.tasks if task.failed and not task.done), None)

    def has_ahead(self, operation: str) -> bool:
        """Whether a task with this operation is still to be done."""
        return any(task.operation == operation and not task.done for task in self.tasks)


class Line(Row):
    sobject = "OrderItem"

    def __init__(self, values: Mapping[str, Any]) -> None:
        super().__init__(values)
        self.work_order: WorkOrder | None = None

    @property
    def crm_action(self) -> str | None:
        value = self.values.get("Billing_Action__c")
        return None if value is None else str(value)

    @property
    def action(self) -> str | None:
        """The billing action; a New line under a parent line of the order is its add-on."""
        action = CRM_ACTIONS.get(self.crm_action or "New")
        if action == "new" and self.parent_line_id:
            return "add_on"
        return action

    @property
    def parent_line_id(self) -> str | None:
        value = self.values.get("Parent_Order_Item__c")
        return None if value is None else str(value)

    @property
    def product_id(self) -> str | None:
        value = self.values.get("Product2Id")
        return None if value is None else str(value)

    def related(self, relationship: str, name: str) -> Any:
        parent = self.values.get(relationship)
        return parent.get(name) if isinstance(parent, Mapping) else None

    @property
    def billing_product_id(self) -> str | None:
        value = self.related("Product2", "Billing_Product_Id__c")
        return None if value is None else str(value)

    @property
    def billing_service_id(self) -> str | None:
        value = self.related("Billing_Service__r", "Billing_Service_Id__c")
        return None if value is None else str(value)

    @property
    def etl_amount(self) -> Decimal | None:
        value = self.values.get("ETL_Amount__c")
        return None if value is None else Decimal(str(value))

    @property
    def label(self) -> str:
        return f"line {self.values.get('OrderItemNumber') or self.id}"


class Order(Row):
    sobject = "Order"

    def __init__(self, values: Mapping[str, Any], lines: list[Line]) -> None:
        super().__init__(values)
        self.lines = lines

    @property
    def account(self) -> dict[str, Any]:
        account = self.values.get("Account")
        return dict(account) if isinstance(account, Mapping) else {}

    @property
    def account_id(self) -> str:
        return str(self.values.get("AccountId") or "")

    @property
    def billing_account_id(self) -> str | None:
        value = self.account.get("Billing_Account_Id__c")
        return None if value is None else str(value)

    @property
    def billing_order_id(self) -> str | None:
        value = self.values.get("Billing_Order_Id__c")
        return None if value is None else str(value)

    @property
    def activated(self) -> bool:
        return self.values.get("Status") == "Activated"

    def work_orders(self) -> list[WorkOrder]:
        return [line.work_order for line in self.lines if line.work_order is not None]


@dataclass
class OrderReport:
    """What a ``process_orders`` run did. ``failed``: orders to retry (transient failures);
    business failures are on the CRM records and are not listed there."""

    orders: int = 0
    work_orders_created: int = 0
    tasks_created: int = 0
    tasks_completed: int = 0
    tasks_failed: int = 0
    billing_orders: list[str] = field(default_factory=list)  # billing order ids posted
    waiting: list[str] = field(default_factory=list)  # orders waiting on a person or billing
    skipped: dict[str, str] = field(default_factory=dict)  # order id -> why (not activated, ...)
    failed: dict[str, str] = field(default_factory=dict)  # order id -> transient reason

    def summary(self) -> dict[str, int]:
        return {
            "orders": self.orders,
            "work_orders_created": self.work_orders_created,
            "tasks_created": self.tasks_created,
            "tasks_completed": self.tasks_completed,
            "tasks_failed": self.tasks_failed,
            "billing_orders": len(self.billing_orders),
            "waiting": len(self.waiting),
            "skipped": len(self.skipped),
            "failed": len(self.failed),
        }


@dataclass
class EtlReport:
    """What ``quote_etl`` did: ``written`` OrderItem id -> amount; ``refused``: billing or the
    data says no (not retried); ``failed``: transient (the engine retries)."""

    written: dict[str, Decimal] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
