"""Work order templates: read once per pass (a small table), chosen per line.

Choice: an active template for this product and operation, else the product's own
``Work_Order_Template__c`` (its enrichment) when that template's operation matches, else the
operation's default (``Is_Default__c``, no product)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from integration.flows.context import FlowContext
from integration.flows.orders.model import Line


@dataclass(frozen=True)
class TaskDefinition:
    name: str
    sequence: int
    task_type: str
    operation: str | None
    description: str | None


@dataclass(frozen=True)
class Template:
    id: str
    name: str
    operation: str
    product_id: str | None
    is_default: bool
    active: bool
    tasks: tuple[TaskDefinition, ...]


TEMPLATE_SOQL = (
    "SELECT Id, Name, Operation__c, Product__c, Is_Default__c, Active__c, "
    "(SELECT Name, Sequence__c, Task_Type__c, Billing_Operation__c, Description__c "
    "FROM Task_Definitions__r ORDER BY Sequence__c) FROM Work_Order_Template__c ORDER BY Name"
)


class Templates:
    def __init__(self, templates: Sequence[Template]) -> None:
        self.by_id = {t.id: t for t in templates}
        active = [t for t in templates if t.active]
        self._by_product = {(t.product_id, t.operation): t for t in active if t.product_id}
        self._defaults: dict[str, Template] = {}
        for t in active:
            if t.is_default and not t.product_id:
                self._defaults.setdefault(t.operation, t)

    def choose(self, line: Line) -> Template | None:
        operation = line.crm_action or "New"
        product = line.product_id
        if product and (found := self._by_product.get((product, operation))):
            return found
        enrichment = line.related("Product2", "Work_Order_Template__c")
        chosen = self.by_id.get(str(enrichment)) if enrichment else None
        if chosen is not None and chosen.active and chosen.operation == operation:
            return chosen
        return self._defaults.get(operation)


def _template(row: dict[str, Any]) -> Template:
    children = row.get("Task_Definitions__r") or {}
    tasks = tuple(
        TaskDefinition(
            name=str(task.get("Name") or ""),
            sequence=int(task.get("Sequence__c") or 0),
            task_type=str(task.get("Task_Type__c") or "Manual"),
            operation=task.get("Billing_Operation__c"),
            description=task.get("Description__c"),
        )
        for task in children.get("records", [])
    )
    return Template(
        id=str(row["Id"]),
        name=str(row.get("Name") or ""),
        operation=str(row.get("Operation__c") or ""),
        product_id=row.get("Product__c"),
        is_default=bool(row.get("Is_Default__c")),
        active=bool(row.get("Active__c")),
        tasks=tuple(sorted(tasks, key=lambda d: d.sequence)),
    )


async def load_templates(ctx: FlowContext) -> Templates:
    """Every template with its task definitions, in one query."""
    return Templates([_template(row) for row in await ctx.salesforce.query(TEMPLATE_SOQL)])
