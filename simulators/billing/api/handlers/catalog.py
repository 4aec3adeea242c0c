"""The product catalog: read it, and manage it (the contract's optional catalog operations)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from simulators.billing.api import parse, serialize
from simulators.billing.api.calls import Call, Reply
from simulators.billing.api.pagination import page
from simulators.billing.models.catalog import (
    EtlRule,
    EtlTier,
    PriceDraft,
    Product,
    ProductChanges,
    ProductDraft,
    TermOptionChanges,
    TermOptionDraft,
)

_DRAFT_FIELDS = ("code", "name", "type", "description", "status", "unit", "requires_approval")
_CHANGE_FIELDS = ("name", "description", "status", "unit", "requires_approval")


def _location(product: Product) -> str:
    return f"/products/{product.id}"


def list_products(call: Call) -> Reply:
    q = call.query
    found = call.api.system.products(
        type=q.get("type"), status=q.get("status"), updated_since=parse.opt_timestamp(q.get("updated_since"))
    )
    return Reply.ok(page(found, serialize.product, limit=q["limit"], cursor=q.get("cursor")))


def get_product(call: Call) -> Reply:
    product = call.api.system.get_product(call.id)
    return Reply.ok(serialize.product(product), version=product.version)


def _price(data: dict[str, Any]) -> PriceDraft:
    return PriceDraft(
        kind=data["kind"],
        amount=parse.money(data["amount"]),
        interval=data.get("interval"),
        interval_count=data.get("interval_count", 1),
    )


def _etl_rule(data: dict[str, Any] | None) -> EtlRule | None:
    if data is None:
        return None
    percent = data.get("percent")
    return EtlRule(
        method=data["method"],
        percent=None if percent is None else Decimal(percent),
        flat_amounts=tuple(parse.money(m) for m in data.get("flat_amounts", ())),
        caps=tuple(parse.money(m) for m in data.get("caps", ())),
        tiers=tuple(
            EtlTier(t["from_month"], t["to_month"], Decimal(t["percent"])) for t in data.get("tiers", ())
        ),
        prorate_partial_month=data.get("prorate_partial_month", False),
        month_count_rounding=data.get("month_count_rounding", "ceil"),
    )


def _term_option(data: dict[str, Any]) -> TermOptionDraft:
    return TermOptionDraft(
        name=data["name"],
        term_months=data["term_months"],
        end_action=data["end_action"],
        etl_rule=_etl_rule(data.get("etl_rule")),
    )


def create_product(call: Call) -> Reply:
    body = call.body
    fields: dict[str, Any] = parse.pick(body, *_DRAFT_FIELDS)
    draft = ProductDraft(
        **fields,
        parent_product_ids=tuple(body.get("parent_product_ids", ())),
        prices=tuple(_price(p) for p in body.get("prices", ())),
        term_options=tuple(_term_option(t) for t in body.get("term_options", ())),
    )
    product = call.api.system.create_product(draft)
    return Reply.created(serialize.product(product), _location(product), version=product.version)


def update_product(call: Call) -> Reply:
    fields: dict[str, Any] = parse.pick(call.body, *_CHANGE_FIELDS)
    if "parent_product_ids" in call.body:
        fields["parent_product_ids"] = tuple(call.body["parent_product_ids"])
    product = call.api.system.update_product(
        call.id, ProductChanges(**fields), expected_version=call.expected_version
    )
    return Reply.ok(serialize.product(product), version=product.version)


def deactivate_product(call: Call) -> Reply:
    product = call.api.system.deactivate_product(call.id)
    return Reply.ok(serialize.product(product), version=product.version)


def add_product_price(call: Call) -> Reply:
    product = call.api.system.add_product_price(call.id, _price(call.body))
    return Reply.created(serialize.product(product), _location(product), version=product.version)


def update_product_price(call: Call) -> Reply:
    product = call.api.system.update_product_price(
        call.id, call.path["price_id"], parse.money(call.body["amount"])
    )
    return Reply.ok(serialize.product(product), version=product.version)


def add_product_term_option(call: Call) -> Reply:
    product = call.api.system.add_product_term_option(call.id, _term_option(call.body))
    return Reply.created(serialize.product(product), _location(product), version=product.version)


def update_product_term_option(call: Call) -> Reply:
    body = call.body
    changes = TermOptionChanges(
        name=body.get("name"),
        end_action=body.get("end_action"),
        etl_rule=_etl_rule(body.get("etl_rule")),
        etl_rule_set="etl_rule" in body,
    )
    product = call.api.system.update_product_term_option(call.id, call.path["term_option_id"], changes)
    return Reply.ok(serialize.product(product), version=product.version)
