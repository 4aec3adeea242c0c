"""Catalog management through the contract (optional operations, capability
``catalog_management``): products, prices and term options are created and changed in billing,
each change announced as ``product.updated`` (event log and signed webhook); bad input gets its
problem code and param."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from standardwebhooks import Webhook

from tests.support.billing_api import Client, account_body, api_of, call

AiohttpServer = Callable[..., Awaitable[TestServer]]


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "USD"}


def product_body(code: str = "VS-LARGE", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": code,
        "name": "Virtual Server Large",
        "type": "subscription",
        "prices": [{"kind": "recurring", "amount": usd("120.00"), "interval": "month"}],
        "term_options": [
            {
                "name": "12 months",
                "term_months": 12,
                "end_action": "renew",
                "etl_rule": {"method": "remaining_mrc"},
            }
        ],
    }
    body.update(overrides)
    return body


async def create(client: Client, body: dict[str, Any]) -> dict[str, Any]:
    status, product = await call(client, "POST", "/products", body)
    assert status == 201, product
    return dict(product)


async def product_events(client: Client, product_id: str) -> list[dict[str, Any]]:
    status, page = await call(client, "GET", f"/events?types=product.updated&object_id={product_id}")
    assert status == 200, page
    events: list[dict[str, Any]] = page["data"]
    return events


async def problem_of(client: Client, method: str, path: str, body: Any, status: int) -> dict[str, Any]:
    got, problem = await call(client, method, path, body)
    assert got == status, problem
    return dict(problem)


async def test_capabilities_declare_catalog_management(client: Client) -> None:
    status, capabilities = await call(client, "GET", "/capabilities")
    assert (status, capabilities["catalog_management"]) == (200, True)


async def test_create_a_product_and_order_it(client: Client) -> None:
    product = await create(client, product_body())
    assert (product["status"], product["version"], product["type"]) == ("active", 1, "subscription")
    assert product["prices"][0]["amount"] == usd("120.00")
    assert product["term_options"][0]["etl_rule"]["method"] == "remaining_mrc"
    status, same = await call(client, "GET", f"/products/{product['id']}")
    assert (status, same) == (200, product)
    events = await product_events(client, product["id"])
    assert [(e["type"], e["object"]["version"], e["account_id"]) for e in events] == [
        ("product.updated", 1, None)
    ]
    assert events[0]["data"] == product
    # A product created through the API is orderable like a seeded one.
    status, account = await call(client, "POST", "/accounts", account_body("001CATALOG00000001"))
    assert status == 201
    order = {"account_id": account["id"], "items": [{"action": "new", "product_id": product["id"]}]}
    status, created = await call(client, "POST", "/orders", order)
    assert (status, created["status"]) == (201, "completed"), created


async def test_price_changes_and_new_prices_emit_product_updated(client: Client) -> None:
    product = await create(client, product_body())
    price_id = product["prices"][0]["id"]
    status, changed = await call(
        client, "PATCH", f"/products/{product['id']}/prices/{price_id}", {"amount": usd("125.5")}
    )
    assert status == 200, changed
    assert (changed["prices"][0]["amount"], changed["version"]) == (usd("125.50"), 2)
    status, added = await call(
        client,
        "POST",
        f"/products/{product['id']}/prices",
        {"kind": "one_time", "amount": usd("49.00")},
    )
    assert status == 201, added
    assert [p["kind"] for p in added["prices"]] == ["recurring", "one_time"]
    # Sending the same amount again changes nothing: no new version, no event.
    status, unchanged = await call(
        client, "PATCH", f"/products/{product['id']}/prices/{price_id}", {"amount": usd("125.50")}
    )
    assert (status, unchanged["version"]) == (200, 3)
    versions = [e["object"]["version"] for e in await product_events(client, product["id"])]
    assert versions == [1, 2, 3]


async def test_term_options_are_added_and_changed(client: Client) -> None:
    product = await create(client, product_body())
    path = f"/products/{product['id']}/term-options"
    body = {
        "name": "24 months",
        "term_months": 24,
        "end_action": "renew",
        "etl_rule": {"method": "percent_remaining", "percent": "50"},
    }
    status, added = await call(client, "POST", path, body)
    assert status == 201, added
    term = added["term_options"][1]
    assert (term["term_months"], term["etl_rule"]["percent"]) == (24, "50")
    status, changed = await call(
        client, "PATCH", f"{path}/{term['id']}", {"end_action": "month_to_month", "etl_rule": None}
    )
    assert status == 200, changed
    assert (changed["term_options"][1]["end_action"], changed["term_options"][1]["etl_rule"]) == (
        "month_to_month",
        None,
    )
    problem = await problem_of(client, "POST", path, {**body, "name": "Again"}, 422)
    assert (problem["code"], problem["param"], problem["existing_term_option_id"]) == (
        "duplicate_term_option",
        "term_months",
        term["id"],
    )
    problem = await problem_of(
        client,
        "POST",
        path,
        {"name": "36", "term_months": 36, "end_action": "renew", "etl_rule": {"method": "flat"}},
        422,
    )
    assert (problem["code"], problem["param"]) == ("invalid_etl_rule", "etl_rule.flat_amounts")
    assert problem["detail"] == "a flat rule needs flat_amounts (one per currency)"


async def test_deactivate_then_reactivate(client: Client) -> None:
    product = await create(client, product_body())
    status, deactivated = await call(client, "POST", f"/products/{product['id']}/deactivate", {})
    assert (status, deactivated["status"], deactivated["version"]) == (200, "deactivated", 2)
    status, again = await call(client, "POST", f"/products/{product['id']}/deactivate", {})
    assert (status, again["version"]) == (200, 2)
    status, account = await call(client, "POST", "/accounts", account_body("001CATALOG00000002"))
    order = {"account_id": account["id"], "items": [{"action": "new", "product_id": product["id"]}]}
    problem = await problem_of(client, "POST", "/orders", order, 422)
    assert (problem["code"], problem["param"]) == ("product_not_active", "items.0.product_id")
    status, listed = await call(client, "GET", "/products?status=deactivated")
    assert product["id"] in [p["id"] for p in listed["data"]]
    status, back = await call(
        client, "PATCH", f"/products/{product['id']}", {"status": "active", "name": "VS-L"}
    )
    assert (status, back["status"], back["name"], back["version"]) == (200, "active", "VS-L", 3)


async def test_update_honours_if_match(client: Client) -> None:
    product = await create(client, product_body())
    status, renamed = await call(
        client, "PATCH", f"/products/{product['id']}", {"name": "Renamed"}, If_Match='"1"'
    )
    assert (status, renamed["version"]) == (200, 2)
    status, stale = await call(
        client, "PATCH", f"/products/{product['id']}", {"name": "Late"}, If_Match='"1"'
    )
    assert (status, stale["code"], stale["current_version"]) == (412, "version_mismatch", 2)


async def test_bad_catalog_input_gets_its_problem(client: Client) -> None:
    product = await create(client, product_body())
    cases: list[tuple[dict[str, Any], int, str, str | None, str | None]] = [
        (
            product_body(),
            409,
            "product_code_taken",
            "code",
            f"product code 'VS-LARGE' is already used by product '{product['id']}'",
        ),
        (
            product_body("ADDON-1", type="add_on", term_options=[]),
            422,
            "invalid_product_type",
            "parent_product_ids",
            "an add-on names at least one parent product",
        ),
        (
            product_body("ADDON-2", type="add_on", parent_product_ids=["prod_9999999999"]),
            422,
            "unknown_product",
            "parent_product_ids.0",
            "product 'prod_9999999999' does not exist",
        ),
        (
            product_body("P-3", prices=[{"kind": "recurring", "amount": usd("1.00")}]),
            422,
            "invalid_price",
            "prices.0.interval",
            "a recurring price needs an interval",
        ),
        (
            product_body(
                "P-4", prices=[{"kind": "one_time", "amount": {"amount": "1.00", "currency": "XTS"}}]
            ),
            422,
            "unsupported_currency",
            "prices.0.amount.currency",
            None,
        ),
        (
            product_body(
                "P-5",
                prices=[{"kind": "one_time", "amount": usd("1")}, {"kind": "one_time", "amount": usd("2")}],
            ),
            422,
            "duplicate_price",
            "prices.1",
            None,
        ),
        (
            product_body(
                "P-6",
                type="one_time",
                prices=[],
                term_options=[{"name": "x", "term_months": 1, "end_action": "cancel"}],
            ),
            422,
            "invalid_product_type",
            "term_options.0",
            "a one-time product has no term options",
        ),
    ]
    for body, status, code, param, detail in cases:
        problem = await problem_of(client, "POST", "/products", body, status)
        assert (problem["code"], problem.get("param")) == (code, param), problem
        if detail is not None:
            assert problem["detail"] == detail
    price_id = product["prices"][0]["id"]
    problem = await problem_of(
        client,
        "PATCH",
        f"/products/{product['id']}/prices/{price_id}",
        {"amount": {"amount": "5", "currency": "EUR"}},
        422,
    )
    assert (problem["code"], problem["param"]) == ("currency_mismatch", "amount.currency")
    problem = await problem_of(
        client, "PATCH", f"/products/{product['id']}/prices/price_404", {"amount": usd("5")}, 404
    )
    assert (problem["code"], problem["detail"]) == ("not_found", "price 'price_404' does not exist")
    # The schema still answers first: an unknown field is a 400.
    problem = await problem_of(client, "POST", "/products", {**product_body("P-7"), "colour": "red"}, 400)
    assert problem["status"] == 400
    # Nothing was created by the refused calls.
    assert not [p for p in api_of(client).system.products() if p.code.startswith(("ADDON-", "P-"))]


async def test_product_updated_is_delivered_as_a_signed_webhook(
    client: Client, aiohttp_server: AiohttpServer
) -> None:
    received: list[tuple[dict[str, str], bytes]] = []

    async def handle(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.read()))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hooks", handle)
    server = await aiohttp_server(app, host="127.0.0.1")
    status, endpoint = await call(
        client,
        "POST",
        "/webhook-endpoints",
        {"url": f"http://127.0.0.1:{server.port}/hooks", "event_types": ["product.*"]},
    )
    assert status == 201, endpoint
    product = await create(client, product_body())
    await api_of(client).kit.outbox.wait_for(
        lambda d: d.endpoint_id == endpoint["id"] and bool(d.attempts), timeout=5
    )
    headers, body = received[-1]
    payload = Webhook(endpoint["secret"]).verify(body, headers)
    assert (payload["type"], payload["object"], payload["data"]) == (
        "product.updated",
        {"type": "product", "id": product["id"], "version": 1},
        product,
    )
