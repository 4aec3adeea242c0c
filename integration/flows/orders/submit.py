"""One billing order per CRM order: the lines at their submit task become the items of one
``POST /orders`` under an idempotency key derived from the Order Id and the item ids, so a
killed run and its re-run post the same request and billing replays the first answer.

A 422 naming ``items.<i>.<field>`` fails that line alone; the order is posted again without it.
A line retried after the order went to billing travels in a supplementary order whose external
id is the Order Id plus a digest of its items (billing refuses a second live order with the
same external id: the digest keeps that guarantee for the supplement too)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from pydantic import ValidationError

from contracts.generated import billing_models as wire
from integration.clients.billing import BillingApiError
from integration.flows.context import FlowContext
from integration.flows.orders.model import CREATING, Line, Order, Task

REQUESTED_BY = "q2c-core"
_ITEM_PARAM = re.compile(r"^items\.(\d+)(\.|$)")


@dataclass
class Submission:
    """The outcome for one order's lines: the billing order, the lines refused (line id ->
    message) and a transient failure, if any (the engine retries the whole order)."""

    order: wire.Order | None = None
    refused: dict[str, str] = field(default_factory=dict)
    transient: str | None = None


def order_key(order_id: str, line_ids: list[str], prior: list[str] | None = None) -> str:
    """The idempotency key of a billing order: the Order Id, its item ids and, for a supplement,
    the billing orders already posted for it."""
    parts = [order_id, *sorted(line_ids), *(f"after:{p}" for p in sorted(prior or []))]
    digest = hashlib.sha256(",".join(parts).encode()).hexdigest()
    return f"q2c-order-{order_id}-{digest[:24]}"


def _quantity(line: Line) -> int:
    raw = line.get("Quantity")
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        raise ValueError(f"Quantity: {raw!r} is not a number") from None
    if value != value.to_integral_value() or value < 1:
        raise ValueError(f"Quantity: billing takes a whole quantity of at least 1, not {raw}")
    return int(value)


def build_item(line: Line) -> wire.OrderItemInput:
    """The billing item of a line; ``ValueError`` says what in the CRM line is missing."""
    action = line.action
    if action is None:
        raise ValueError(f"Billing_Action__c: {line.crm_action!r} is not an operation billing knows")
    item: dict[str, object] = {"external_id": line.id, "action": action}
    if action in CREATING:
        if not line.billing_product_id:
            product = line.related("Product2", "Name") or line.product_id
            raise ValueError(f"Product {product!r} is not in billing's catalog (no Billing_Product_Id__c)")
        item["product_id"] = line.billing_product_id
        item["quantity"] = _quantity(line)
    if action == "add_on" and line.parent_line_id:
        item["parent_external_id"] = line.parent_line_id
    elif action != "new":
        if not line.billing_service_id:
            raise ValueError(
                f"Billing_Service__c: a {line.crm_action} line needs the billing service it acts on"
            )
        item["service_id"] = line.billing_service_id
    if action == "change_quantity":
        item["quantity"] = _quantity(line)
    if action == "rerate":
        currency = line.related("Billing_Service__r", "Currency__c")
        if not currency:
            raise ValueError("Billing_Service__c: the service's currency is unknown (Currency__c is empty)")
        price = Decimal(str(line.get("UnitPrice") or 0)).quantize(Decimal("0.01"))
        item["price_overrides"] = {"recurring": {"amount": str(price), "currency": currency}}
    term = line.get("Term_Months__c")
    if term is not None and action in ("new", "replace", "reterm", "renew"):
        item["term_months"] = int(term)
    elif action == "reterm":
        raise ValueError("Term_Months__c: a Re-Term line needs the new term")
    if action == "cancel":
        item["cancel_reason"] = "customer_request"
    try:
        return wire.OrderItemInput.model_validate(item)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValueError(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None


def _message(exc: BillingApiError) -> str:
    where = f" ({exc.param})" if exc.param else ""
    return f"Billing refused the order: {exc.code}{where}: {exc.detail}"


def _business(exc: BillingApiError) -> bool:
    return 400 <= exc.status < 500 and exc.status not in (408, 409, 429)


async def submit_lines(
    ctx: FlowContext,
    order: Order,
    entries: list[tuple[Line, Task]],
    *,
    supplement: bool,
    prior: list[str] | None = None,
) -> Submission:
    """Post the lines as one billing order (see the module doc)."""
    outcome = Submission()
    account = order.billing_account_id
    if not account:
        name = order.account.get("Name") or order.account_id
        message = f"Account {name!r} is not linked to billing (Billing_Account_Id__c is empty): link it first"
        outcome.refused = {str(line.id): message for line, _ in entries}
        return outcome
    items: list[tuple[Line, wire.OrderItemInput]] = []
    for line, _ in entries:
        try:
            items.append((line, build_item(line)))
        except ValueError as exc:
            outcome.refused[str(line.id)] = str(exc)
    # Parents first: an add-on names a `new` item earlier in the same order.
    items.sort(key=lambda pair: pair[1].parent_external_id is not None)
    while items:
        ids = [str(line.id) for line, _ in items]
        key = order_key(str(order.id), ids, prior)
        external_id = f"{order.id}-{key[-8:]}" if supplement else str(order.id)
        body = wire.OrderCreate(
            external_id=external_id,
            account_id=account,
            requested_by=REQUESTED_BY,
            items=[i for _, i in items],
        )
        try:
            outcome.order = await ctx.billing.create_order(body, idempotency_key=key)
            return outcome
        except BillingApiError as exc:
            if not _business(exc):
                outcome.transient = str(exc)
                return outcome
            match = _ITEM_PARAM.match(str(exc.param or ""))
            if match and int(match.group(1)) < len(items):
                line, _ = items.pop(int(match.group(1)))
                outcome.refused[str(line.id)] = _message(exc)
                continue
            if exc.code in ("duplicate_external_id", "idempotency_mismatch"):
                # Posted before (by a run whose key expired or whose lines differed): adopt it.
                try:
                    found = await _find_order(ctx, account, external_id)
                except BillingApiError as lookup:
                    outcome.transient = str(lookup)
                    return outcome
                if found is not None:
                    outcome.order = found
                    return outcome
            outcome.refused.update((line_id, _message(exc)) for line_id in ids)
            return outcome
    return outcome


async def _find_order(ctx: FlowContext, account_id: str, external_id: str) -> wire.Order | None:
    live = [o for o in await ctx.billing.orders(account_id=account_id) if o.external_id == external_id]
    live.sort(key=lambda o: o.created_at)
    return live[-1] if live else None
