"""Orders: submit (validate as a whole, then apply, schedule or hold), confirm a draft, approve,
void, read and list."""

from __future__ import annotations

from typing import Literal

from contracts.problem import Problem
from simulators.billing.engine import clockwork, ordering
from simulators.billing.engine.runtime import Runtime
from simulators.billing.models import errors
from simulators.billing.models.accounts import Account
from simulators.billing.models.orders import ItemStatus, Order, OrderDraft, OrderItem, OrderStatus
from simulators.billing.service.lookup import found


class OrderService:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def submit(self, draft: OrderDraft, *, invalid_items: Literal["raise", "fail"] = "raise") -> Order:
        """Validate the whole order, then apply, schedule or hold it.

        An invalid item raises its problem (``param`` ``items.<i>.<field>``) and nothing is
        stored (``invalid_items="raise"``, the default); with ``invalid_items="fail"`` the order is
        stored as ``failed`` instead (the bad item ``failed`` with its error, the others
        ``voided``), ``order.failed`` fires and the order is returned.
        """
        rt = self.rt
        account = self._orderable_account(draft)
        try:
            plans = ordering.validate(rt, account, draft.items)
        except Problem as problem:
            if invalid_items == "raise" or not (problem.param or "").startswith("items."):
                raise
            order = self._new_order(
                account, draft, ordering.failed_items(rt, account, draft.items, problem), "failed"
            )
            rt.emit("order.failed", order, object_type="order", account_id=account.id)
            clockwork.settle(rt)
            return order
        needs_approval = any(p.product is not None and p.product.requires_approval for p in plans)
        status: OrderStatus = (
            "draft" if draft.draft else ("pending_approval" if needs_approval else "processing")
        )
        item_status: ItemStatus = "pending_approval" if status == "pending_approval" else "pending"
        order = self._new_order(
            account, draft, tuple(ordering.to_item(p, item_status) for p in plans), status
        )
        if status == "pending_approval":
            rt.emit("order.pending_approval", order, object_type="order", account_id=account.id)
        elif status == "processing":
            ordering.accept(rt, account, order, plans)
        clockwork.settle(rt)
        return order

    def _orderable_account(self, draft: OrderDraft) -> Account:
        """The order's account, once the order-level rules hold (account open, items present,
        external id not taken by a live order)."""
        store = self.rt.store
        if draft.account_id is None:
            raise errors.missing("account_id")
        account = store.accounts.get(draft.account_id)
        if account is None:
            raise errors.fail(
                errors.UNKNOWN_ACCOUNT, f"account {draft.account_id!r} does not exist", param="account_id"
            )
        if account.status == "closed":
            raise errors.fail(errors.ACCOUNT_CLOSED, f"account {account.id!r} is closed", param="account_id")
        if not draft.items:
            raise errors.missing("items", "at least one item")
        if draft.external_id is not None:
            existing_id = store.order_by_external_id.get(draft.external_id)
            existing = store.orders.get(existing_id) if existing_id else None
            if existing is not None and existing.status not in ("failed", "voided"):
                raise errors.fail(
                    errors.DUPLICATE_EXTERNAL_ID,
                    f"order external id {draft.external_id!r} is already used by order {existing.id}",
                    param="external_id",
                    extra={"existing_order_id": existing.id},
                )
        return account

    def _new_order(
        self, account: Account, draft: OrderDraft, items: tuple[OrderItem, ...], status: OrderStatus
    ) -> Order:
        rt = self.rt
        now = rt.now()
        order = Order(
            id=rt.ids.prefixed("ord"),
            number=f"ORD-{rt.ids.next_number('order'):06d}",
            account_id=account.id,
            status=status,
            items=items,
            created_at=now,
            updated_at=now,
            external_id=draft.external_id,
            requested_by=draft.requested_by,
        )
        rt.store.add_order(order)
        return order

    def confirm(self, order_id: str) -> Order:
        """A ``draft`` order is submitted (validated again against today's inventory)."""
        order = ordering.confirm(self.rt, self.get(order_id))
        clockwork.settle(self.rt)
        return order

    def approve(self, order_id: str) -> Order:
        """Approve an order waiting in ``pending_approval`` (GTV's approval operation)."""
        order = ordering.approve(self.rt, self.get(order_id))
        clockwork.settle(self.rt)
        return order

    def void(self, order_id: str) -> Order:
        return ordering.void(self.rt, self.get(order_id))

    def get(self, order_id: str) -> Order:
        return found(self.rt.store.orders, order_id, "order")

    def find(self, *, account_id: str | None = None) -> list[Order]:
        store = self.rt.store
        if account_id is not None:
            return [store.orders[o] for o in store.orders_by_account.get(account_id, [])]
        return list(store.orders.values())
