"""The work order templates every org starts with: one default per operation (issue 14).

A template is chosen by operation and product, falling back to the operation's default (the one
with ``Is_Default__c`` and no product). Its task definitions are copied, in ``Sequence__c``
order, into ``WorkOrderLineItem`` rows of each order line's work order; automated tasks name the
billing operation they perform, manual ones wait for a person. Users add product-specific
templates ("New Virtual Server") through the API like any record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulators.salesforce.models.dml import Dml

OPERATIONS = (
    "New",
    "Add-On",
    "Remove Add-On",
    "Change Quantity",
    "Re-Rate",
    "Re-Term",
    "Replace",
    "Renew",
    "Cancel",
)

_SUBMIT = (
    ("Submit the billing order", "submit_order"),
    ("Wait for billing's result", "await_result"),
    ("Update the service inventory", "write_inventory"),
)
#: Operation -> its default tasks ``(name, billing operation)``, all automated.
DEFAULT_TASKS: Mapping[str, tuple[tuple[str, str], ...]] = {
    **dict.fromkeys(OPERATIONS, _SUBMIT),
    "New": (("Link the billing account", "link_account"), *_SUBMIT),
    "Cancel": (("Quote the early termination liability", "quote_etl"), *_SUBMIT),
}


def default_template_name(operation: str) -> str:
    return f"Default {operation}"


def seed_templates(dml: Dml, user: str) -> int:
    """Creates the default template of every operation with its tasks; returns how many."""
    template_obj = dml.schema.get("Work_Order_Template__c")
    task_obj = dml.schema.get("Work_Order_Task_Definition__c")
    if template_obj is None or task_obj is None:
        return 0  # a user schema may leave the order model out
    for operation in OPERATIONS:
        template = dml.create(
            template_obj,
            {
                "Name": default_template_name(operation),
                "Operation__c": operation,
                "Is_Default__c": True,
                "Description__c": f"Default tasks for a {operation} order line",
            },
            user,
        )
        for sequence, (name, billing_operation) in enumerate(DEFAULT_TASKS[operation], start=1):
            dml.create(
                task_obj,
                {
                    "Name": name,
                    "Template__c": template.id,
                    "Sequence__c": sequence * 10,
                    "Task_Type__c": "Automated",
                    "Billing_Operation__c": billing_operation,
                },
                user,
            )
    return len(OPERATIONS)
