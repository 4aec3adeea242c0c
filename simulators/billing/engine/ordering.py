"""Order lifecycle: validate, wait for approval, apply now or on the effective date.

Conventions:
- an item applies at submission when its effective date is on or before the account-local
  today (back-dated items too); later items are queued for 00:00 UTC of their date;
- ``new``, ``add_on`` and ``replace`` create their service when the item is accepted (status
  ``pending`` until the effective date), so ``result_service_id`` is known at once;
- a queued item is validated again when it applies; if it no longer fits (its service was
  cancelled meanwhile, ...) the item fails, its pending service is cancelled and the order fails;
- the order completes (``order.completed``) when its last item applies;
- items with ``proration: immediate_invoice`` bill the account at once (bill-now through today)
  after the order's items applied.
"""

from __future__ import annotations

import dataclasses

from contracts.problem import Problem
from simulators.billing.engine import bill_run, changes
from simulators.billing.engine.charging import add_charge, ensure_anchor, recharge
from simulators.billing.engine.runtime import Runtime, start_of
from simulators.billing.engine.validation import OrderContext, Plan, validate_item
from simulators.billing.models import errors
from simulators.billing.models.accounts import Account
from simulators.billing.models.cycles import ONE_DAY
from simulators.billing.models.money import Money
from simulators.billing.models.orders import ItemError, Order, OrderItem, OrderItemDraft
from simulators.billing.models.services import Service


def validate(rt: Runtime, account: Account, items: list[OrderItemDraft]) -> list[Plan]:
    ctx = OrderContext()
    today = rt.local_today(account)
    return [validate_item(rt, account, index, item, ctx, today) for index, item in enumerate(items)]


def to_item(plan: Plan, status: str) -> OrderItem:
    d = plan.draft
    return OrderItem(
        sequence=plan.index,
        action=d.action,
        status=status,  # type: ignore[arg-type]
        effective_date=plan.effective,
        external_id=d.external_id,
        service_id=d.service_id if d.service_id is not None else (plan.service.id if plan.service else None),
        product_id=d.product_id,
        parent_external_id=d.parent_external_id,
        quantity=d.quantity,
        price_overrides=d.price_overrides,
        term_option_id=plan.term_option.id if plan.term_option else d.term_option_id,
        term_months=plan.term_months if plan.term_months is not None else d.term_months,
        renewal_type=d.renewal_type,
        cancel_reason=d.cancel_reason if d.action == "cancel" else None,
        etl=d.etl,
        proration=d.proration,
    )


def failed_items(
    rt: Runtime,
    account: Account,
    drafts: list[OrderItemDraft],
    problem: Problem,
    previous: tuple[OrderItem, ...] | None = None,
) -> tuple[OrderItem, ...]:
    """Items of an order refused by ``problem``: the item it names ``failed`` (with the error),
    the others ``voided`` (an order applies as a whole or not at all)."""
    bad = _param_index(problem.param)
    today = rt.local_today(account)
    items: list[OrderItem] = []
    for index, d in enumerate(drafts):
        base = (
            previous[index]
            if previous is not None
            else to_item(Plan(index, d, d.effective_date or today), "pending")
        )
        if index == bad:
            items.append(
                dataclasses.replace(
                    base, status="failed", errors=(ItemError(problem.code, problem.detail, problem.param),)
                )
            )
        else:
            items.append(dataclasses.replace(base, status="voided"))
    return tuple(items)


def _param_index(param: str | None) -> int | None:
    if param is None or not param.startswith("items."):
        return None
    head = param.split(".")[1]
    return int(head) if head.isdigit() else None


def to_draft(item: OrderItem) -> OrderItemDraft:
    return OrderItemDraft(
        action=item.action,
        external_id=item.external_id,
        service_id=item.service_id if item.action not in ("new",) else None,
        product_id=item.product_id,
        parent_external_id=item.parent_external_id,
        quantity=item.quantity,
        price_overrides=item.price_overrides,
        term_option_id=item.term_option_id,
        term_months=item.term_months,
        renewal_type=item.renewal_type,
        effective_date=item.effective_date,
        cancel_reason=item.cancel_reason,
        etl=item.etl,
        proration=item.proration,
    )


def _set_item(order: Order, index: int, **changes_: object) -> OrderItem:
    items = list(order.items)
    items[index] = dataclasses.replace(items[index], **changes_)  # type: ignore[arg-type]
    order.items = tuple(items)
    return items[index]


def _new_service(rt: Runtime, account: Account, order: Order, plan: Plan, parent: Service | None) -> Service:
    assert plan.product is not None
    now = rt.now()
    source = parent if parent is not None else None
    option = plan.term_option
    if source is not None:
        term, renewal = source.current_term, source.renewal_type
    else:
        term = changes.make_term(plan.effective, plan.term_months, "initial")
        renewal = changes.RENEWAL_FOR_END_ACTION[option.end_action] if option else "month_to_month"
        if plan.renewal_type is not None and plan.term_months is not None:
            renewal = plan.renewal_type
    service = Service(
        id=rt.ids.prefixed("svc"),
        number=f"SVC-{rt.ids.next_number('service'):06d}",
        external_id=plan.draft.external_id,
        account_id=account.id,
        order_id=order.id,
        product_id=plan.product.id,
        parent_service_id=parent.id if parent is not None else None,
        status="pending",
        quantity=plan.quantity or 1,
        currency=account.currency,
        recurring_price=plan.price,
        one_time_price=plan.one_time,
        billing_period_months=plan.billing_period_months,
        start_date=plan.effective,
        current_term=term,
        renewal_type=renewal,
        term_option_id=option.id if option and source is None else None,
        etl_rule=option.etl_rule if option and source is None else None,
        charged_through=plan.effective - ONE_DAY,
        created_at=now,
        updated_at=now,
    )
    rt.store.add_service(service)
    return service


def _parent_of(rt: Runtime, order: Order, plan: Plan) -> Service | None:
    if plan.service is not None:
        return plan.service
    if plan.parent_index is not None:
        parent_id = order.items[plan.parent_index].result_service_id
        return rt.store.services[parent_id] if parent_id else None
    return None


def accept(rt: Runtime, account: Account, order: Order, plans: list[Plan]) -> None:
    """Start an order whose items are validated (and approved when needed)."""
    immediate = False
    today = rt.local_today(account)
    for plan in plans:
        result_id: str | None = None
        if plan.draft.action in ("new", "add_on", "replace") and not (
            plan.product is not None and plan.product.type == "one_time"
        ):
            parent = _parent_of(rt, order, plan) if plan.draft.action == "add_on" else None
            result_id = _new_service(rt, account, order, plan, parent).id
        _set_item(order, plan.index, result_service_id=result_id)
        due = start_of(plan.effective)
        if plan.effective <= today or due <= rt.now():
            apply(rt, account, order, plan)
            immediate = immediate or plan.draft.proration == "immediate_invoice"
        else:
            _set_item(order, plan.index, status="scheduled")
            rt.schedule(due, "order_item", f"{order.id}|{plan.index}")
    finish(rt, order)
    if immediate:
        bill_run.bill_account(rt, account)


def apply(rt: Runtime, account: Account, order: Order, plan: Plan) -> None:
    """Apply a validated item now (its effective date has come); the item completes."""
    d = plan.draft
    item = order.items[plan.index]
    action = d.action
    etl_amount = None
    if action == "new" and plan.product is not None and plan.product.type == "one_time":
        _apply_one_time(rt, account, plan)
    elif action in ("new", "add_on"):
        assert item.result_service_id is not None
        changes.activate(rt, account, rt.store.services[item.result_service_id])
    else:
        service = plan.service
        assert service is not None
        if action == "change_quantity":
            changes.change_terms(rt, account, service, plan.effective, d.proration, quantity=d.quantity)
        elif action == "rerate":
            changes.change_terms(rt, account, service, plan.effective, d.proration, price=plan.price)
        elif action in ("reterm", "renew"):
            changes.change_terms(
                rt,
                account,
                service,
                plan.effective,
                d.proration,
                price=plan.price,
                term_option=plan.term_option,
                term_months=plan.term_months,
                new_term=True,
                renewal_type=d.renewal_type,
                event="service.renewed" if action == "renew" else "service.changed",
            )
        elif action in ("cancel", "remove_add_on"):
            etl_amount = changes.end_service(
                rt,
                account,
                service,
                plan.effective,
                reason=d.cancel_reason or "customer_request",
                proration=d.proration,
                etl=d.etl,
                etl_by_default=action == "cancel",
            )
        elif action == "replace":
            assert item.result_service_id is not None
            etl_amount = _apply_replace(rt, account, plan, service, rt.store.services[item.result_service_id])
    _set_item(order, plan.index, status="completed", etl_amount=etl_amount)
    rt.touch(order)


def _apply_one_time(rt: Runtime, account: Account, plan: Plan) -> None:
    """A one-time product: its fee is charged; a pending account becomes active."""
    assert plan.product is not None
    fee = plan.one_time
    ensure_anchor(rt, account, plan.effective)
    if fee is not None:
        add_charge(
            rt,
            account,
            charge_type="one_time",
            description=plan.product.name,
            quantity=plan.quantity or 1,
            unit=fee.amount,
            amount=fee.amount * (plan.quantity or 1),
            charge_date=plan.effective,
        )
    if account.status == "pending":
        account.status = "active"
        rt.touch(account)
        rt.emit("account.updated", account, object_type="account", account_id=account.id)


def _apply_replace(rt: Runtime, account: Account, plan: Plan, service: Service, new: Service) -> Money | None:
    """End ``service`` as replaced, start ``new`` (re-charging what the old one had prepaid) and
    move the add-ons over; the ETL the old service owed."""
    d = plan.draft
    old_charged = service.charged_through
    etl_amount = changes.end_service(
        rt,
        account,
        service,
        plan.effective,
        reason="replaced",
        proration=d.proration,
        etl=d.etl,
        status="replaced",
        event="service.replaced",
    )
    service.replaced_by_service_id = new.id
    new.replaces_service_id = service.id
    changes.activate(rt, account, new)
    if d.proration != "none" and old_charged >= plan.effective:
        recharge(rt, account, new, plan.effective, old_charged)
    changes.move_add_ons(rt, account, service, new, plan.effective, d.proration)
    return etl_amount


def finish(rt: Runtime, order: Order) -> None:
    statuses = {item.status for item in order.items}
    if "scheduled" in statuses:
        order.status = "processing"
        return
    if "failed" in statuses:
        order.status = "failed"
        rt.touch(order)
        rt.emit("order.failed", order, object_type="order", account_id=order.account_id)
        return
    order.status = "completed"
    order.completed_at = rt.now()
    rt.touch(order)
    rt.emit("order.completed", order, object_type="order", account_id=order.account_id)


def context_for(rt: Runtime, order: Order) -> OrderContext:
    ctx = OrderContext()
    for item in order.items:
        if item.action == "new" and item.external_id is not None and item.result_service_id is not None:
            ctx.created[item.external_id] = rt.store.services[item.result_service_id]
    return ctx


def process_scheduled(rt: Runtime, key: str) -> None:
    order_id, _, index_text = key.partition("|")
    order = rt.store.orders.get(order_id)
    if order is None:
        return
    index = int(index_text)
    item = order.items[index]
    if item.status != "scheduled":
        return
    account = rt.store.accounts[order.account_id]
    draft = to_draft(item)
    try:
        plan = validate_item(rt, account, index, draft, context_for(rt, order), item.effective_date)
    except Problem as problem:
        _fail(rt, order, index, problem)
    else:
        apply(rt, account, order, plan)
        if item.proration == "immediate_invoice":
            bill_run.bill_account(rt, account)
    if all(i.status != "scheduled" for i in order.items):
        finish(rt, order)


def _fail(rt: Runtime, order: Order, index: int, problem: Problem) -> None:
    item = _set_item(
        order, index, status="failed", errors=(ItemError(problem.code, problem.detail, problem.param),)
    )
    if item.result_service_id is not None:
        service = rt.store.services[item.result_service_id]
        if service.status == "pending":
            service.status = "cancelled"
            service.end_date = service.start_date - ONE_DAY
            rt.touch(service)
            rt.emit("service.cancelled", service, object_type="service", account_id=service.account_id)
    rt.touch(order)


def revalidate_and_accept(rt: Runtime, order: Order) -> Order:
    """Validate a held order again (state may have moved on), then start it, or fail it."""
    account = rt.store.accounts[order.account_id]
    drafts = [to_draft(item) for item in order.items]
    try:
        plans = validate(rt, account, drafts)
    except Problem as problem:
        order.status = "failed"
        order.items = failed_items(rt, account, drafts, problem, order.items)
        rt.touch(order)
        rt.emit("order.failed", order, object_type="order", account_id=order.account_id)
        return order
    order.status = "processing"
    order.items = tuple(to_item(p, "pending") for p in plans)
    rt.touch(order)
    accept(rt, account, order, plans)
    return order


def confirm(rt: Runtime, order: Order) -> Order:
    if order.status != "draft":
        raise errors.fail(errors.INVALID_ORDER_STATE, f"order {order.id!r} is {order.status}, not draft")
    store = rt.store
    if any(
        item.product_id in store.products and store.products[item.product_id].requires_approval
        for item in order.items
    ):
        order.status = "pending_approval"
        order.items = tuple(dataclasses.replace(item, status="pending_approval") for item in order.items)
        rt.touch(order)
        rt.emit("order.pending_approval", order, object_type="order", account_id=order.account_id)
        return order
    return revalidate_and_accept(rt, order)


def approve(rt: Runtime, order: Order) -> Order:
    if order.status != "pending_approval":
        raise errors.fail(
            errors.INVALID_ORDER_STATE, f"order {order.id!r} is {order.status}, not pending_approval"
        )
    return revalidate_and_accept(rt, order)


def void(rt: Runtime, order: Order) -> Order:
    """Only a ``draft`` or ``pending_approval`` order can be voided (nothing was applied)."""
    if order.status not in ("draft", "pending_approval"):
        raise errors.fail(
            errors.INVALID_ORDER_STATE,
            f"order {order.id!r} is {order.status}; only draft or pending_approval orders can be voided",
        )
    order.status = "voided"
    order.items = tuple(dataclasses.replace(item, status="voided") for item in order.items)
    rt.touch(order)
    return order
