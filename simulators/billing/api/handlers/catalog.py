"""The product catalog (read-only: billing is the master)."""

from __future__ import annotations

from simulators.billing.api import parse, serialize
from simulators.billing.api.calls import Call, Reply
from simulators.billing.api.pagination import page


def list_products(call: Call) -> Reply:
    q = call.query
    found = call.api.system.products(
        type=q.get("type"), status=q.get("status"), updated_since=parse.opt_timestamp(q.get("updated_since"))
    )
    return Reply.ok(page(found, serialize.product, limit=q["limit"], cursor=q.get("cursor")))


def get_product(call: Call) -> Reply:
    product = call.api.system.get_product(call.id)
    return Reply.ok(serialize.product(product), version=product.version)
