"""What the scripted checks build on: the reference data picked from the adapter's own catalog,
fresh CRM keys per run, money arithmetic, and helpers for lists and orders.

Nothing here assumes the simulator's ids or seed: the bill cycle, category, product and term are
chosen from what the adapter lists, so the same checks run against any backend.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from contracts.conformance.checks import CheckFailed, Context, M, check, expect, expect_as, parse_as, require
from contracts.conformance.results import Exchange
from contracts.generated import billing_models as wire

MAX_PAGES = 200
ORDER_WAIT_SECONDS = 15.0
ORDER_POLL_SECONDS = 0.2
MAX_LIST_LIMIT = 100


@dataclass(frozen=True)
class Fixtures:
    bill_cycle: wire.BillCycle
    category: wire.AccountCategory
    currency: str
    exponent: int
    product: wire.Product
    term_option: wire.TermOption

    @property
    def has_etl_rule(self) -> bool:
        return self.term_option.etl_rule is not None and self.term_option.term_months >= 2


class Keys:
    """CRM keys unique to this run: 18 visible characters, like the Salesforce Ids they stand for."""

    def __init__(self, run_id: str) -> None:
        self._run = run_id.upper()[:8].rjust(8, "0")
        self._counter = itertools.count(1)

    def next(self, prefix: str = "001") -> str:
        return f"{prefix[:3]}QV{self._run}{next(self._counter):05d}"


def keys(ctx: Context) -> Keys:
    found = ctx.facts.get("_keys")
    if not isinstance(found, Keys):
        found = Keys(ctx.run_id)
        ctx.facts["_keys"] = found
    return found


def fixtures(ctx: Context) -> Fixtures:
    found = ctx.fact("fixtures")
    assert isinstance(found, Fixtures)
    return found


# -- money ----------------------------------------------------------------------------------------


def amount(money: wire.Money) -> Decimal:
    return Decimal(money.amount)


def money(value: Decimal, fx: Fixtures) -> wire.Money:
    quantum = Decimal(1).scaleb(-fx.exponent)
    return wire.Money(amount=str(value.quantize(quantum)), currency=fx.currency)


def same_money(a: wire.Money | None, b: wire.Money | None) -> bool:
    if a is None or b is None:
        return a is b
    return amount(a) == amount(b) and a.currency == b.currency


def show(money_value: wire.Money | None) -> str:
    return "null" if money_value is None else f"{money_value.amount} {money_value.currency}"


# -- lists ----------------------------------------------------------------------------------------


async def walk(ctx: Context, path: str, query: Mapping[str, Any], limit: int, model: type[M]) -> list[M]:
    """Every item of a list (as the contract's ``model``), page by page; a repeated cursor or a
    runaway list fails the check."""
    items: list[M] = []
    cursor: str | None = None
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        exchange = await ctx.client.request("GET", path, query={**query, "limit": limit, "cursor": cursor})
        page = expect(ctx, exchange, 200)
        data = page["data"]
        require(len(data) <= limit, f"at most {limit} items per page", f"{len(data)} items", exchange)
        items.extend(parse_as(model, item, exchange) for item in data)
        if not page["has_more"]:
            require(
                page["next_cursor"] is None,
                "next_cursor null on the last page",
                f"next_cursor {page['next_cursor']!r}",
                exchange,
            )
            return items
        cursor = page["next_cursor"]
        require(bool(cursor), "a next_cursor when has_more is true", f"next_cursor {cursor!r}", exchange)
        assert cursor is not None
        require(cursor not in seen, "a new cursor on every page", f"cursor {cursor!r} again", exchange)
        seen.add(cursor)
    raise CheckFailed(f"the end of {path} within {MAX_PAGES} pages", "has_more never became false")


# -- reference data -------------------------------------------------------------------------------


def _pick_product(products: list[wire.Product], currency: str) -> tuple[wire.Product, wire.TermOption] | None:
    """A subscription that needs no approval, priced in ``currency``, best with an ETL rule."""
    candidates = []
    for product in products:
        if product.requires_approval or product.status != "active":
            continue
        priced = any(p.kind == "recurring" and p.amount.currency == currency for p in product.prices)
        if not priced:
            continue
        for term in product.term_options:
            rank = 0 if term.etl_rule is not None and term.term_months >= 2 else 1
            candidates.append((rank, product, term))
    if not candidates:
        return None
    _, product, term = min(candidates, key=lambda c: c[0])
    return product, term


@check(
    "reference.catalog",
    "Reference data lists (bill cycles, categories, currencies, products) walk and match the contract",
    operations=("listBillCycles", "listAccountCategories", "listCurrencies", "listProducts"),
    provides=("fixtures",),
)
async def load_fixtures(ctx: Context) -> None:
    wanted = set(ctx.capabilities.get("currencies") or [])
    all_cycles = await walk(ctx, "/bill-cycles", {}, MAX_LIST_LIMIT, wire.BillCycle)
    cycles = [c for c in all_cycles if c.status == "active"]
    all_categories = await walk(ctx, "/account-categories", {}, MAX_LIST_LIMIT, wire.AccountCategory)
    categories = [c for c in all_categories if c.status == "active"]
    currencies = {
        c.code: c.exponent for c in await walk(ctx, "/currencies", {}, MAX_LIST_LIMIT, wire.Currency)
    }
    active = {"type": "subscription", "status": "active"}
    products = await walk(ctx, "/products", active, MAX_LIST_LIMIT, wire.Product)
    require(bool(categories), "at least one active account category", "none")
    cycles.sort(key=lambda c: (c.type != "monthly", c.alignment != "calendar"))
    for cycle in cycles:
        currency = cycle.currency
        if wanted and currency not in wanted:
            continue
        picked = _pick_product(products, currency)
        if picked is None or currency not in currencies:
            continue
        product, term = picked
        ctx.facts["fixtures"] = Fixtures(cycle, categories[0], currency, currencies[currency], product, term)
        return
    raise CheckFailed(
        "an active bill cycle and an active subscription product (no approval, with a term option) "
        "priced in the cycle's currency",
        f"{len(cycles)} active bill cycles, {len(products)} active subscription products, none matching",
    )


def account_body(ctx: Context, external_id: str, name: str = "Q2C Verify Networks Inc.") -> dict[str, Any]:
    fx = fixtures(ctx)
    return {
        "external_id": external_id,
        "name": name,
        "type": "business",
        "email": f"billing+{ctx.run_id.lower()}@q2c-verify.example",
        "billing_address": {
            "line1": "1 Conformance Way",
            "city": "San Francisco",
            "region": "CA",
            "postal_code": "94105",
            "country": "US",
        },
        "currency": fx.currency,
        "bill_cycle_id": fx.bill_cycle.id,
        "account_category_id": fx.category.id,
    }


async def create_account(ctx: Context, external_id: str, name: str | None = None) -> wire.Account:
    body = account_body(ctx, external_id) if name is None else account_body(ctx, external_id, name)
    exchange = await ctx.client.request("POST", "/accounts", json_body=body)
    account = expect_as(ctx, exchange, wire.Account, 201)
    require(
        account.external_id == external_id,
        f"external_id {external_id!r} echoed",
        f"external_id {account.external_id!r}",
        exchange,
    )
    require(bool(account.number), "a Billing Account Number (number)", repr(account.number), exchange)
    return account


# -- orders ---------------------------------------------------------------------------------------


async def submit_order(ctx: Context, body: dict[str, Any]) -> tuple[wire.Order, Exchange]:
    """POST /orders; a 202 is followed (GET /orders/{id}) until the order is processed."""
    exchange = await ctx.client.request("POST", "/orders", json_body=body)
    order = expect_as(ctx, exchange, wire.Order, 201, 202)
    deadline = asyncio.get_running_loop().time() + ORDER_WAIT_SECONDS
    while order.status == "processing" and asyncio.get_running_loop().time() < deadline:
        # A long-running operation: the contract's way to learn its outcome is to read it again.
        await asyncio.sleep(ORDER_POLL_SECONDS)
        exchange = await ctx.client.request("GET", f"/orders/{order.id}")
        order = expect_as(ctx, exchange, wire.Order, 200)
    item = order.items[0]
    if order.status != "completed" or item.status != "completed":
        errors = [error.model_dump() for error in item.errors]
        raise CheckFailed(
            "the order and its item completed",
            f"order {order.status}, item {item.status}, errors {errors}",
            exchange,
        )
    ctx.facts.setdefault("orders", []).append(order.id)
    return order, exchange
