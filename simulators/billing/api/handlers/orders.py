"""Orders: submit, read, confirm a draft, approve, void."""

from __future__ import annotations

from typing import Any

from simulators.billing.api import parse, serialize
from simulators.billing.api.calls import Call, Reply
from simulators.billing.api.pagination import page
from simulators.billing.models.orders import EtlOption, Order, OrderDraft, OrderItemDraft, PriceOverrides

#: Orders in these states were processed synchronously (201); others are still waiting (202).
_DONE = frozenset({"completed", "failed"})
_ITEM_FIELDS = (
    "action",
    "external_id",
    "service_id",
    "product_id",
    "parent_external_id",
    "quantity",
    "term_option_id",
    "term_months",
    "renewal_type",
    "cancel_reason",
    "proration",
)


def _item(data: dict[str, Any]) -> OrderItemDraft:
    fields: dict[str, Any] = parse.pick(data, *_ITEM_FIELDS)
    if "effective_date" in data:
        fields["effective_date"] = parse.day(data["effective_date"])
    overrides = data.get("price_overrides")
    if overrides is not None:
        fields["price_overrides"] = PriceOverrides(
            recurring=parse.opt_money(overrides.get("recurring")),
            one_time=parse.opt_money(overrides.get("one_time")),
        )
    etl = data.get("etl")
    if etl is not None:
        fields["etl"] = EtlOption(
            apply=etl.get("apply"), override_amount=parse.opt_money(etl.get("override_amount"))
        )
    return OrderItemDraft(**fields)


def _reply(order: Order) -> Reply:
    return Reply.ok(serialize.order(order), version=order.version)


def list_orders(call: Call) -> Reply:
    q = call.query
    found = call.api.system.orders(account_id=q.get("account_id"))
    return Reply.ok(page(found, serialize.order, limit=q["limit"], cursor=q.get("cursor")))


def create_order(call: Call) -> Reply:
    body = call.body
    draft = OrderDraft(
        account_id=body["account_id"],
        items=[_item(item) for item in body["items"]],
        external_id=body.get("external_id"),
        requested_by=body.get("requested_by"),
        draft=body.get("draft", False),
    )
    order = call.api.system.submit_order(draft)
    status = 201 if order.status in _DONE else 202
    return Reply.created(serialize.order(order), f"/orders/{order.id}", version=order.version, status=status)


def get_order(call: Call) -> Reply:
    return _reply(call.api.system.get_order(call.id))


def confirm_order(call: Call) -> Reply:
    return _reply(call.api.system.confirm_order(call.id))


def approve_order(call: Call) -> Reply:
    return _reply(call.api.system.approve_order(call.id))


def void_order(call: Call) -> Reply:
    return _reply(call.api.system.void_order(call.id))
