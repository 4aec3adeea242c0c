"""Catalog management rules (the contract's optional operations): billing is the catalog's master.

- a product ``code`` (SKU) is unique (409 ``product_code_taken``);
- an ``add_on`` names at least one parent, each an existing ``subscription``; other types name
  none (``invalid_product_type``; ``unknown_product`` for a parent that does not exist);
- prices: a ``recurring`` price has an ``interval``, ``one_time`` and ``usage`` prices have none,
  a ``one_time`` product has no recurring price (``invalid_price``); one price per kind and
  currency (``duplicate_price``); the currency is supported (``unsupported_currency``) and the
  amount has at most its decimals (``invalid_amount``); a price keeps its currency
  (``currency_mismatch``);
- term options: none on a ``one_time`` product (``invalid_product_type``); one per term length
  (``duplicate_term_option``); an ETL rule carries what its method needs, in supported
  currencies (``invalid_etl_rule``);
- products are deactivated, never deleted; reactivating is a status update.

The functions validate and build values; ``service/catalog.py`` applies them, bumps the version
and emits ``product.updated``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from simulators.billing.engine.runtime import Runtime
from simulators.billing.models import errors
from simulators.billing.models.catalog import (
    EtlRule,
    Price,
    PriceDraft,
    Product,
    ProductDraft,
    ProductType,
    TermOption,
    TermOptionChanges,
    TermOptionDraft,
)
from simulators.billing.models.money import Money, is_currency, quantum

_HUNDRED = Decimal(100)


def _at(param: str, name: str) -> str:
    """``prices.0`` + ``amount`` -> ``prices.0.amount``; a top-level body has no prefix."""
    return f"{param}.{name}" if param else name


def new_product(rt: Runtime, draft: ProductDraft) -> Product:
    store = rt.store
    if any(p.code == draft.code for p in store.products.values()):
        holder = next(p.id for p in store.products.values() if p.code == draft.code)
        raise errors.fail(
            errors.PRODUCT_CODE_TAKEN,
            f"product code {draft.code!r} is already used by product {holder!r}",
            param="code",
            extra={"existing_product_id": holder},
        )
    check_parents(rt, draft.type, draft.parent_product_ids)
    prices: list[Price] = []
    for i, price in enumerate(draft.prices):
        prices.append(new_price(rt, draft.type, prices, price, param=f"prices.{i}"))
    terms: list[TermOption] = []
    for i, term in enumerate(draft.term_options):
        terms.append(new_term_option(rt, draft.type, terms, term, param=f"term_options.{i}"))
    now = rt.now()
    return Product(
        id=rt.ids.prefixed("prod"),
        code=draft.code,
        name=draft.name,
        type=draft.type,
        status=draft.status,
        description=draft.description,
        prices=tuple(prices),
        term_options=tuple(terms),
        parent_product_ids=draft.parent_product_ids,
        requires_approval=draft.requires_approval,
        unit=draft.unit,
        created_at=now,
        updated_at=now,
    )


def check_parents(rt: Runtime, product_type: ProductType, parent_ids: Sequence[str]) -> None:
    if product_type != "add_on":
        if parent_ids:
            raise errors.fail(
                errors.INVALID_PRODUCT_TYPE,
                f"only add-on products have parent products, not a {product_type} product",
                param="parent_product_ids",
            )
        return
    if not parent_ids:
        raise errors.fail(
            errors.INVALID_PRODUCT_TYPE,
            "an add-on names at least one parent product",
            param="parent_product_ids",
        )
    for i, parent_id in enumerate(parent_ids):
        parent = rt.store.products.get(parent_id)
        if parent is None:
            raise errors.fail(
                errors.UNKNOWN_PRODUCT,
                f"product {parent_id!r} does not exist",
                param=f"parent_product_ids.{i}",
            )
        if parent.type != "subscription":
            raise errors.fail(
                errors.INVALID_PRODUCT_TYPE,
                f"product {parent_id!r} is a {parent.type} product; add-ons attach to subscriptions",
                param=f"parent_product_ids.{i}",
            )


def _check_money(rt: Runtime, money: Money, param: str) -> None:
    if not is_currency(money.currency) or money.currency not in rt.store.currencies:
        raise errors.fail(
            errors.UNSUPPORTED_CURRENCY,
            f"currency {money.currency!r} is not supported; use one of {rt.store.currencies}",
            param=_at(param, "currency"),
        )
    if money.amount != money.amount.quantize(quantum(money.currency)):
        raise errors.fail(
            errors.INVALID_AMOUNT,
            f"{money.amount} has more decimals than {money.currency} allows",
            param=_at(param, "amount"),
        )


def new_price(
    rt: Runtime, product_type: ProductType, existing: Sequence[Price], draft: PriceDraft, *, param: str
) -> Price:
    _check_money(rt, draft.amount, _at(param, "amount"))
    if draft.kind == "recurring" and draft.interval is None:
        raise errors.fail(
            errors.INVALID_PRICE, "a recurring price needs an interval", param=_at(param, "interval")
        )
    if draft.kind != "recurring" and draft.interval is not None:
        raise errors.fail(
            errors.INVALID_PRICE, f"a {draft.kind} price has no interval", param=_at(param, "interval")
        )
    if product_type == "one_time" and draft.kind == "recurring":
        raise errors.fail(
            errors.INVALID_PRICE, "a one-time product has no recurring price", param=_at(param, "kind")
        )
    clash = next(
        (p for p in existing if p.kind == draft.kind and p.amount.currency == draft.amount.currency), None
    )
    if clash is not None:
        raise errors.fail(
            errors.DUPLICATE_PRICE,
            f"the product already has a {draft.kind} price in {draft.amount.currency} ({clash.id}); update it",
            param=param or None,
            extra={"existing_price_id": clash.id},
        )
    money = Money(draft.amount.amount.quantize(quantum(draft.amount.currency)), draft.amount.currency)
    interval_count = draft.interval_count if draft.kind == "recurring" else 1
    return Price(rt.ids.prefixed("price"), draft.kind, money, draft.interval, interval_count)


def repriced(rt: Runtime, product: Product, price_id: str, amount: Money) -> tuple[Price, ...]:
    """The product's prices with ``price_id`` at ``amount`` (same kind, interval and currency)."""
    price = next((p for p in product.prices if p.id == price_id), None)
    if price is None:
        raise errors.not_found("price", price_id)
    _check_money(rt, amount, "amount")
    if amount.currency != price.amount.currency:
        raise errors.fail(
            errors.CURRENCY_MISMATCH,
            f"price {price_id!r} is in {price.amount.currency}; add a price for {amount.currency} instead",
            param="amount.currency",
        )
    money = Money(amount.amount.quantize(quantum(amount.currency)), amount.currency)
    return tuple(
        Price(p.id, p.kind, money, p.interval, p.interval_count) if p.id == price_id else p
        for p in product.prices
    )


def new_term_option(
    rt: Runtime,
    product_type: ProductType,
    existing: Sequence[TermOption],
    draft: TermOptionDraft,
    *,
    param: str,
) -> TermOption:
    if product_type == "one_time":
        raise errors.fail(
            errors.INVALID_PRODUCT_TYPE, "a one-time product has no term options", param=param or None
        )
    clash = next((t for t in existing if t.term_months == draft.term_months), None)
    if clash is not None:
        raise errors.fail(
            errors.DUPLICATE_TERM_OPTION,
            f"the product already has a {draft.term_months}-month term option ({clash.id}); update it",
            param=_at(param, "term_months"),
            extra={"existing_term_option_id": clash.id},
        )
    if draft.etl_rule is not None:
        check_etl_rule(rt, draft.etl_rule, _at(param, "etl_rule"))
    return TermOption(
        rt.ids.prefixed("term"), draft.name, draft.term_months, draft.end_action, draft.etl_rule
    )


def changed_term_options(
    rt: Runtime, product: Product, term_option_id: str, changes: TermOptionChanges
) -> tuple[TermOption, ...]:
    term = product.term_option(term_option_id)
    if term is None:
        raise errors.not_found("term option", term_option_id)
    rule = changes.etl_rule if changes.etl_rule_set else term.etl_rule
    if changes.etl_rule_set and rule is not None:
        check_etl_rule(rt, rule, "etl_rule")
    updated = TermOption(
        term.id,
        changes.name if changes.name is not None else term.name,
        term.term_months,
        changes.end_action if changes.end_action is not None else term.end_action,
        rule,
    )
    return tuple(updated if t.id == term_option_id else t for t in product.term_options)


def check_etl_rule(rt: Runtime, rule: EtlRule, param: str) -> None:
    """What each method needs (the EtlRule schema's description)."""
    if rule.method == "percent_remaining" and rule.percent is None:
        raise errors.fail(
            errors.INVALID_ETL_RULE, "percent_remaining needs a percent", param=_at(param, "percent")
        )
    if rule.percent is not None and not Decimal(0) <= rule.percent <= _HUNDRED:
        raise errors.fail(
            errors.INVALID_ETL_RULE, "percent is between 0 and 100", param=_at(param, "percent")
        )
    if rule.method == "flat" and not rule.flat_amounts:
        raise errors.fail(
            errors.INVALID_ETL_RULE,
            "a flat rule needs flat_amounts (one per currency)",
            param=_at(param, "flat_amounts"),
        )
    if rule.method == "tiered" and not rule.tiers:
        raise errors.fail(errors.INVALID_ETL_RULE, "a tiered rule needs tiers", param=_at(param, "tiers"))
    for i, tier in enumerate(rule.tiers):
        if tier.from_month > tier.to_month or not Decimal(0) <= tier.percent <= _HUNDRED:
            raise errors.fail(
                errors.INVALID_ETL_RULE,
                "a tier runs from_month..to_month (from <= to) at a percent between 0 and 100",
                param=_at(param, f"tiers.{i}"),
            )
    for name, amounts in (("flat_amounts", rule.flat_amounts), ("caps", rule.caps)):
        currencies = [m.currency for m in amounts]
        if len(set(currencies)) != len(currencies):
            raise errors.fail(
                errors.INVALID_ETL_RULE, f"one {name} entry per currency", param=_at(param, f"{name}")
            )
        for i, money in enumerate(amounts):
            _check_money(rt, money, _at(param, f"{name}.{i}"))
