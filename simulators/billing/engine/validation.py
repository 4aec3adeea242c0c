"""Order item validation: every rule names the offending ``items[i].<field>``.

An item is checked against the current inventory plus what earlier items of the same order do
(services they create, end or replace), so an order is accepted or refused as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from simulators.billing.engine.runtime import Runtime
from simulators.billing.models import errors
from simulators.billing.models.accounts import Account
from simulators.billing.models.catalog import Product, TermOption
from simulators.billing.models.money import Money
from simulators.billing.models.orders import SUPPORTED_ACTIONS, OrderItemDraft
from simulators.billing.models.services import RenewalType, Service

#: Back-dating and future-dating are allowed within ten years of today.
MAX_EFFECTIVE_DAYS = 3653
ENDING_ACTIONS = frozenset({"cancel", "replace", "remove_add_on"})


@dataclass
class Plan:
    """A validated item, with everything resolved that applying it needs."""

    index: int
    draft: OrderItemDraft
    effective: date
    product: Product | None = None
    service: Service | None = None
    #: For an add-on whose parent is a ``new`` item of the same order: that item's index.
    parent_index: int | None = None
    price: Money | None = None
    one_time: Money | None = None
    billing_period_months: int = 1
    term_option: TermOption | None = None
    term_months: int | None = None
    renewal_type: RenewalType | None = None
    quantity: int | None = None


@dataclass
class OrderContext:
    """What earlier items of the order did: ``new`` items by external id, services ended."""

    new_items: dict[str, int] = field(default_factory=dict)
    new_products: dict[int, Product] = field(default_factory=dict)
    new_period_months: dict[int, int] = field(default_factory=dict)
    #: Services created by earlier items (when re-validating a scheduled item).
    created: dict[str, Service] = field(default_factory=dict)
    ended: set[str] = field(default_factory=set)


def _p(index: int, name: str) -> str:
    return f"items.{index}.{name}"


def _product(rt: Runtime, item: OrderItemDraft, index: int) -> Product:
    if item.product_id is None:
        raise errors.missing(_p(index, "product_id"))
    product = rt.store.products.get(item.product_id)
    if product is None:
        raise errors.fail(
            errors.UNKNOWN_PRODUCT,
            f"product {item.product_id!r} does not exist",
            param=_p(index, "product_id"),
        )
    if product.status != "active":
        raise errors.fail(
            errors.PRODUCT_NOT_ACTIVE,
            f"product {product.id!r} is {product.status}, not active",
            param=_p(index, "product_id"),
        )
    return product


def _service(rt: Runtime, account: Account, item: OrderItemDraft, index: int, ctx: OrderContext) -> Service:
    if item.service_id is None:
        raise errors.missing(_p(index, "service_id"))
    service = rt.store.services.get(item.service_id)
    if service is None or service.account_id != account.id:
        raise errors.fail(
            errors.UNKNOWN_SERVICE,
            f"service {item.service_id!r} does not exist on account {account.id!r}",
            param=_p(index, "service_id"),
        )
    if not service.live or service.id in ctx.ended:
        raise errors.fail(
            errors.SERVICE_NOT_LIVE,
            f"service {service.id!r} is {'ended by an earlier item' if service.live else service.status}; "
            f"{item.action} needs a live service",
            param=_p(index, "service_id"),
        )
    return service


def _price(
    account: Account, product: Product, index: int, item: OrderItemDraft
) -> tuple[Money | None, Money | None, int]:
    currency = account.currency
    if product.currencies() and currency not in product.currencies():
        raise errors.fail(
            errors.CURRENCY_MISMATCH,
            f"product {product.id!r} has no price in {currency} (the account currency)",
            param=_p(index, "product_id"),
        )
    recurring = product.price("recurring", currency)
    one_time = product.price("one_time", currency)
    price = recurring.amount if recurring else None
    fee = one_time.amount if one_time else None
    overrides = item.price_overrides
    if overrides is not None:
        for name, money in (("recurring", overrides.recurring), ("one_time", overrides.one_time)):
            if money is None:
                continue
            if money.currency != currency:
                raise errors.fail(
                    errors.CURRENCY_MISMATCH,
                    f"price override in {money.currency}; the account bills in {currency}",
                    param=_p(index, f"price_overrides.{name}"),
                )
            if money.amount < 0:
                raise errors.fail(
                    errors.INVALID_AMOUNT,
                    "a price cannot be negative",
                    param=_p(index, f"price_overrides.{name}"),
                )
        if overrides.recurring is not None:
            if recurring is None:
                raise errors.fail(
                    errors.INVALID_PRODUCT_TYPE,
                    f"product {product.id!r} has no recurring price",
                    param=_p(index, "price_overrides.recurring"),
                )
            price = Money.of(overrides.recurring.amount, currency)
        if overrides.one_time is not None:
            fee = Money.of(overrides.one_time.amount, currency)
    return price, fee, recurring.period_months if recurring else 1


def _term(product: Product, item: OrderItemDraft, index: int) -> tuple[TermOption | None, int | None]:
    option: TermOption | None = None
    if item.term_option_id is not None:
        option = product.term_option(item.term_option_id)
        if option is None:
            raise errors.fail(
                errors.UNKNOWN_TERM_OPTION,
                f"product {product.id!r} has no term option {item.term_option_id!r}",
                param=_p(index, "term_option_id"),
            )
        if item.term_months is not None and item.term_months != option.term_months:
            raise errors.fail(
                errors.INVALID_TERM,
                f"term_months {item.term_months} contradicts term option {option.id!r} ({option.term_months} months)",
                param=_p(index, "term_months"),
            )
    elif item.term_months is not None:
        option = product.term_option_for_months(item.term_months)
        if option is None:
            offered = sorted(t.term_months for t in product.term_options)
            raise errors.fail(
                errors.INVALID_TERM,
                f"product {product.id!r} offers no {item.term_months}-month term (offered: {offered})",
                param=_p(index, "term_months"),
            )
    return option, option.term_months if option else None


def validate_item(
    rt: Runtime, account: Account, index: int, item: OrderItemDraft, ctx: OrderContext, today: date
) -> Plan:
    """Check one item against the inventory and the earlier items (``ctx``); the resolved plan."""
    plan = _start_plan(index, item, today)
    if item.action == "new":
        return _plan_new(rt, account, plan, ctx)
    if item.action == "add_on":
        return _plan_add_on(rt, account, plan, ctx)
    return _plan_service_change(rt, account, plan, ctx)


def _start_plan(index: int, item: OrderItemDraft, today: date) -> Plan:
    """The rules every action shares: a supported action, a positive quantity, a date in range."""
    if item.action not in SUPPORTED_ACTIONS:
        raise errors.fail(
            errors.UNSUPPORTED_OPERATION,
            f"action {item.action!r} is not supported by this billing system",
            param=_p(index, "action"),
        )
    if item.quantity is not None and item.quantity < 1:
        raise errors.fail(errors.INVALID_VALUE, "quantity must be at least 1", param=_p(index, "quantity"))
    plan = Plan(index=index, draft=item, effective=item.effective_date or today, quantity=item.quantity)
    if abs((plan.effective - today).days) > MAX_EFFECTIVE_DAYS:
        raise errors.fail(
            errors.INVALID_EFFECTIVE_DATE,
            f"effective date {plan.effective} is more than ten years from today ({today})",
            param=_p(index, "effective_date"),
        )
    plan.renewal_type = item.renewal_type
    return plan


def _plan_new(rt: Runtime, account: Account, plan: Plan, ctx: OrderContext) -> Plan:
    index, item = plan.index, plan.draft
    product = plan.product = _product(rt, item, index)
    if product.type == "add_on":
        raise errors.fail(
            errors.INVALID_PRODUCT_TYPE,
            f"product {product.id!r} is an add-on; use action 'add_on'",
            param=_p(index, "product_id"),
        )
    plan.price, plan.one_time, plan.billing_period_months = _price(account, product, index, item)
    plan.term_option, plan.term_months = _term(product, item, index)
    plan.quantity = item.quantity or 1
    if item.external_id is not None:
        ctx.new_items[item.external_id] = index
        ctx.new_products[index] = product
        ctx.new_period_months[index] = plan.billing_period_months
    return plan


def _plan_add_on(rt: Runtime, account: Account, plan: Plan, ctx: OrderContext) -> Plan:
    """An add-on: an add-on product of the parent's product, priced in the account currency and
    recurring as often as the parent."""
    index, item = plan.index, plan.draft
    parent_product, parent_months = _add_on_parent(rt, account, plan, ctx)
    product = plan.product = _product(rt, item, index)
    if product.type != "add_on":
        raise errors.fail(
            errors.INCOMPATIBLE_ADD_ON,
            f"product {product.id!r} is not an add-on",
            param=_p(index, "product_id"),
        )
    if parent_product.id not in product.parent_product_ids:
        raise errors.fail(
            errors.INCOMPATIBLE_ADD_ON,
            f"add-on {product.id!r} cannot be added to product {parent_product.id!r}",
            param=_p(index, "product_id"),
        )
    if account.currency not in product.currencies():
        raise errors.fail(
            errors.INCOMPATIBLE_ADD_ON,
            f"add-on {product.id!r} has no price in {account.currency}, the parent service's currency",
            param=_p(index, "product_id"),
        )
    plan.price, plan.one_time, plan.billing_period_months = _price(account, product, index, item)
    if plan.billing_period_months != parent_months:
        raise errors.fail(
            errors.INCOMPATIBLE_ADD_ON,
            f"add-on {product.id!r} recurs every {plan.billing_period_months} month(s); "
            f"the parent recurs every {parent_months}",
            param=_p(index, "product_id"),
        )
    plan.quantity = item.quantity or 1
    return plan


def _add_on_parent(rt: Runtime, account: Account, plan: Plan, ctx: OrderContext) -> tuple[Product, int]:
    """The add-on's parent product and billing period: a live service (``service_id``), or a
    ``new`` item of the same order (``parent_external_id``), already applied or not."""
    index, item = plan.index, plan.draft
    if item.service_id is None and item.parent_external_id is not None:
        parent_index = ctx.new_items.get(item.parent_external_id)
        created = ctx.created.get(item.parent_external_id)
        if created is not None:
            if not created.live:
                raise errors.fail(
                    errors.SERVICE_NOT_LIVE,
                    f"parent service {created.id!r} is {created.status}",
                    param=_p(index, "parent_external_id"),
                )
            plan.service = created
            return rt.store.products[created.product_id], created.billing_period_months
        if parent_index is not None:
            plan.parent_index = parent_index
            return ctx.new_products[parent_index], ctx.new_period_months[parent_index]
        raise errors.fail(
            errors.UNKNOWN_ORDER_ITEM,
            f"no earlier 'new' item of this order has external_id {item.parent_external_id!r}",
            param=_p(index, "parent_external_id"),
        )
    parent = plan.service = _service(rt, account, item, index, ctx)
    if parent.parent_service_id is not None:
        raise errors.fail(
            errors.INCOMPATIBLE_ADD_ON,
            f"service {parent.id!r} is itself an add-on",
            param=_p(index, "service_id"),
        )
    return rt.store.products[parent.product_id], parent.billing_period_months


def _plan_service_change(rt: Runtime, account: Account, plan: Plan, ctx: OrderContext) -> Plan:
    """An action on an existing live service (cancel, change_quantity, rerate, reterm, renew,
    replace, remove_add_on); ending actions mark the service ended for later items."""
    index, item, action = plan.index, plan.draft, plan.draft.action
    service = plan.service = _service(rt, account, item, index, ctx)
    if service.status != "pending" and plan.effective < service.start_date:
        raise errors.fail(
            errors.INVALID_EFFECTIVE_DATE,
            f"effective date {plan.effective} is before the service start {service.start_date}",
            param=_p(index, "effective_date"),
        )
    is_add_on = service.parent_service_id is not None
    if action in ("reterm", "renew", "replace") and is_add_on:
        raise errors.fail(
            errors.INVALID_SERVICE_ACTION,
            f"service {service.id!r} is an add-on; its term follows its parent",
            param=_p(index, "service_id"),
        )
    if action in ("reterm", "renew") and service.status != "active":
        raise errors.fail(
            errors.SERVICE_NOT_LIVE,
            f"{action} needs an active service; {service.id!r} is {service.status}",
            param=_p(index, "service_id"),
        )
    if action == "remove_add_on" and not is_add_on:
        raise errors.fail(
            errors.INVALID_SERVICE_ACTION,
            f"service {service.id!r} is not an add-on",
            param=_p(index, "service_id"),
        )
    if action == "change_quantity" and item.quantity is None:
        raise errors.missing(_p(index, "quantity"))
    if action == "rerate":
        if item.price_overrides is None or item.price_overrides.recurring is None:
            raise errors.missing(_p(index, "price_overrides.recurring"))
        plan.price, _, _ = _price(account, rt.store.products[service.product_id], index, item)
    elif action in ("reterm", "renew"):
        _plan_new_term(rt, account, plan, service)
    elif action == "replace":
        _plan_replacement(rt, account, plan, service)
    if action in ENDING_ACTIONS:
        ctx.ended.add(service.id)
    return plan


def _plan_new_term(rt: Runtime, account: Account, plan: Plan, service: Service) -> None:
    """``reterm`` needs a term; ``renew`` defaults to the current term's length."""
    index, item, action = plan.index, plan.draft, plan.draft.action
    product = rt.store.products[service.product_id]
    if action == "reterm" and item.term_option_id is None and item.term_months is None:
        raise errors.missing(_p(index, "term_option_id"), "term_option_id or term_months")
    plan.term_option, plan.term_months = _term(product, item, index)
    if action == "renew" and plan.term_option is None:
        months = service.current_term.months if service.current_term else None
        if months is None:
            raise errors.missing(_p(index, "term_months"), "term_months (the service has no term to renew)")
        plan.term_option = product.term_option_for_months(months)
        plan.term_months = months
    if item.price_overrides is not None and item.price_overrides.recurring is not None:
        plan.price, _, _ = _price(account, product, index, item)


def _plan_replacement(rt: Runtime, account: Account, plan: Plan, service: Service) -> None:
    """A subscription replaces the service; the term length and quantity carry over unless given."""
    index, item = plan.index, plan.draft
    product = plan.product = _product(rt, item, index)
    if product.type != "subscription":
        raise errors.fail(
            errors.INVALID_PRODUCT_TYPE,
            f"a service can only be replaced by a subscription; {product.id!r} is {product.type}",
            param=_p(index, "product_id"),
        )
    plan.price, plan.one_time, plan.billing_period_months = _price(account, product, index, item)
    if item.price_overrides is None or item.price_overrides.one_time is None:
        plan.one_time = None  # no installation fee on a replacement unless asked for
    if item.term_option_id is None and item.term_months is None and service.current_term is not None:
        months = service.current_term.months
        plan.term_option = product.term_option_for_months(months) if months else None
        plan.term_months = plan.term_option.term_months if plan.term_option else None
    else:
        plan.term_option, plan.term_months = _term(product, item, index)
    plan.quantity = item.quantity or service.quantity
