"""Every resource through the contract: handlers parse, call the billing system and serialise."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jsonschema_rs

from contracts import load_spec
from tests.support.billing_api import Client, account_body, api_of, call

DOC = load_spec("billing-adapter")


def conforms(schema_name: str, value: Any) -> bool:
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": DOC["components"]}
    return bool(jsonschema_rs.validator_for(schema, validate_formats=True).is_valid(value))


async def _new_account(client: Client, external_id: str) -> dict[str, Any]:
    status, account = await call(client, "POST", "/accounts", account_body(external_id))
    assert status == 201, account
    return account


async def _order_new_service(client: Client, account_id: str, **item: Any) -> tuple[int, dict[str, Any]]:
    body = {"account_id": account_id, "items": [{"action": "new", "product_id": "prod_0000000001", **item}]}
    return await call(client, "POST", "/orders", body)


async def test_capabilities_and_reference_data(client: Client) -> None:
    status, caps = await call(client, "GET", "/capabilities")
    assert status == 200
    assert conforms("Capabilities", caps)
    assert caps["currencies"] == ["USD", "EUR"]
    status, cycles = await call(client, "GET", "/bill-cycles")
    assert status == 200
    assert conforms("BillCycleList", cycles)
    assert cycles["data"][0]["id"] == "bc_0000000001"
    status, categories = await call(client, "GET", "/account-categories")
    assert status == 200
    assert conforms("AccountCategoryList", categories)
    status, currencies = await call(client, "GET", "/currencies")
    assert currencies["data"] == [
        {"code": "EUR", "name": "Euro", "exponent": 2},
        {"code": "USD", "name": "US Dollar", "exponent": 2},
    ]


async def test_create_and_read_an_account(client: Client) -> None:
    account = await _new_account(client, "001ACCOUNT00000001")
    assert conforms("Account", account)
    assert account["external_id"] == "001ACCOUNT00000001"
    assert account["currency"] == "USD"
    assert account["status"] == "pending"
    async with client.get(
        f"/accounts/{account['id']}", headers={"Authorization": "Bearer q2c-billing-key"}
    ) as r:
        assert r.headers["ETag"] == '"1"'
        assert await r.json() == account
    _, found = await call(client, "GET", "/accounts?external_id=001ACCOUNT00000001")
    assert [a["id"] for a in found["data"]] == [account["id"]]
    _, found = await call(client, "GET", f"/accounts?number={account['number']}")
    assert [a["id"] for a in found["data"]] == [account["id"]]


async def test_a_taken_external_id_is_409_naming_the_account(client: Client) -> None:
    status, problem = await call(client, "POST", "/accounts", account_body("001SEED00000000AAA"))
    assert status == 409
    assert (problem["code"], problem["param"], problem["existing_account_id"]) == (
        "external_id_taken",
        "external_id",
        "acct_0000000001",
    )


async def test_unknown_bill_cycle_is_422_naming_the_field(client: Client) -> None:
    status, problem = await call(
        client, "POST", "/accounts", account_body("001ACCOUNT00000002", bill_cycle_id="bc_9999999999")
    )
    assert (status, problem["code"], problem["param"]) == (422, "unknown_bill_cycle", "bill_cycle_id")


async def test_update_with_if_match_and_a_stale_version(client: Client) -> None:
    account = await _new_account(client, "001ACCOUNT00000003")
    path = f"/accounts/{account['id']}"
    status, updated = await call(client, "PATCH", path, {"email": "ap@acme.example"}, If_Match='"1"')
    assert status == 200
    assert (updated["email"], updated["version"]) == ("ap@acme.example", 2)
    status, problem = await call(client, "PATCH", path, {"name": "Acme 2"}, If_Match='"1"')
    assert (status, problem["code"]) == (412, "version_mismatch")
    assert problem["detail"] == f"account {account['id']!r} is at version 2, not 1"
    status, updated = await call(client, "PATCH", path, {"name": "Acme 2"}, If_Match="*")
    assert status == 200
    assert updated["name"] == "Acme 2"


async def test_unlink_and_relink(client: Client) -> None:
    account = await _new_account(client, "001ACCOUNT00000004")
    path = f"/accounts/{account['id']}"
    status, updated = await call(client, "PATCH", path, {"external_id": None})
    assert status == 200
    assert updated["external_id"] is None
    status, updated = await call(client, "PATCH", path, {"external_id": "001ACCOUNT00000005"})
    assert status == 200
    assert updated["external_id"] == "001ACCOUNT00000005"
    status, problem = await call(client, "PATCH", path, {"external_id": "001SEED00000000AAA"})
    assert (status, problem["code"], problem["param"]) == (409, "external_id_taken", "external_id")
    status, events = await call(client, "GET", f"/events?account_id={account['id']}&types=account.linked")
    assert [e["data"]["external_id"] for e in events["data"]] == ["001ACCOUNT00000005"]


async def test_bill_cycle_cannot_change_through_patch(client: Client) -> None:
    status, problem = await call(
        client, "PATCH", "/accounts/acct_0000000001", {"bill_cycle_id": "bc_0000000002"}
    )
    assert (status, problem["code"], problem["param"]) == (400, "unknown_field", "bill_cycle_id")


async def test_summary_and_bill_now(client: Client) -> None:
    account = await _new_account(client, "001ACCOUNT00000006")
    status, summary = await call(client, "GET", f"/accounts/{account['id']}/summary")
    assert status == 200
    assert conforms("AccountSummary", summary)
    assert summary["total_billed"] == {"amount": "0.00", "currency": "USD"}
    async with client.post(
        f"/accounts/{account['id']}/bill-now", headers={"Authorization": "Bearer q2c-billing-key"}
    ) as response:
        assert response.status == 204  # nothing to bill yet
        assert await response.read() == b""
    status, order = await _order_new_service(client, account["id"], term_option_id="term_0000000001")
    assert status == 201
    assert order["status"] == "completed"
    status, invoice = await call(client, "POST", f"/accounts/{account['id']}/bill-now", {})
    assert status == 201
    assert conforms("Invoice", invoice)
    assert {line["charge_type"] for line in invoice["lines"]} >= {"recurring", "one_time"}
    status, summary = await call(client, "GET", f"/accounts/{account['id']}/summary")
    assert summary["latest_invoice"]["id"] == invoice["id"]
    assert summary["amount_due"] == invoice["amount_due"]


async def test_orders_are_201_when_done_and_202_when_waiting(client: Client) -> None:
    account = await _new_account(client, "001ACCOUNT00000007")
    status, order = await _order_new_service(client, account["id"])
    assert status == 201
    assert conforms("Order", order)
    (item,) = order["items"]
    assert item["status"] == "completed"
    assert item["result_service_id"]
    status, service = await call(client, "GET", f"/services/{item['result_service_id']}")
    assert status == 200
    assert conforms("Service", service)
    future = (api_of(client).kit.clock.today() + timedelta(days=20)).isoformat()
    status, later = await _order_new_service(client, account["id"], effective_date=future)
    assert status == 202
    assert later["status"] == "processing"
    assert later["items"][0]["status"] == "scheduled"


async def test_draft_orders_confirm_and_void(client: Client) -> None:
    account = await _new_account(client, "001ACCOUNT00000008")
    body = {
        "account_id": account["id"],
        "draft": True,
        "items": [{"action": "new", "product_id": "prod_0000000001"}],
    }
    status, draft = await call(client, "POST", "/orders", body)
    assert status == 202
    assert draft["status"] == "draft"
    status, confirmed = await call(client, "POST", f"/orders/{draft['id']}/confirm")
    assert status == 200
    assert confirmed["status"] == "completed"
    status, problem = await call(client, "POST", f"/orders/{draft['id']}/void")
    assert (status, problem["code"]) == (422, "invalid_order_state")
    status, other = await call(client, "POST", "/orders", body)
    status, voided = await call(client, "POST", f"/orders/{other['id']}/void")
    assert status == 200
    assert voided["status"] == "voided"


async def test_an_invalid_item_refuses_the_order_naming_it(client: Client) -> None:
    body = {
        "account_id": "acct_0000000001",
        "items": [
            {"action": "new", "product_id": "prod_0000000001"},
            {"action": "new", "product_id": "prod_9999999999"},
        ],
    }
    status, problem = await call(client, "POST", "/orders", body)
    assert (status, problem["code"], problem["param"]) == (422, "unknown_product", "items.1.product_id")
    status, problem = await call(client, "POST", "/orders", {**body, "account_id": "acct_9999999999"})
    assert (status, problem["code"], problem["param"]) == (422, "unknown_account", "account_id")
    status, problem = await call(
        client, "POST", "/orders", {"account_id": "acct_0000000001", "items": [{"action": "cancel"}]}
    )
    assert (status, problem["code"], problem["param"]) == (400, "missing_field", "items.0.service_id")
    assert problem["detail"] == "'items.0.service_id' is required in body"


async def test_cancel_and_etl_quote(client: Client) -> None:
    account = await _new_account(client, "001ACCOUNT00000009")
    status, order = await _order_new_service(client, account["id"], term_option_id="term_0000000001")
    service_id = order["items"][0]["result_service_id"]
    status, quote = await call(client, "POST", f"/services/{service_id}/etl-quote", {})
    assert status == 200
    assert conforms("EtlQuote", quote)
    assert quote["method"] == "remaining_mrc"
    assert quote["amount"] == {"amount": "1188.00", "currency": "USD"}  # 12 months x 99.00
    status, _cancelled = await call(
        client,
        "POST",
        "/orders",
        {"account_id": account["id"], "items": [{"action": "cancel", "service_id": service_id}]},
    )
    assert status == 201
    status, service = await call(client, "GET", f"/services/{service_id}")
    assert service["status"] == "cancelled"
    status, problem = await call(client, "POST", f"/services/{service_id}/etl-quote")
    assert (status, problem["code"]) == (422, "service_not_live")


async def test_bill_runs_invoices_and_payments(client: Client) -> None:
    account = await _new_account(client, "001ACCOUNT00000010")
    await _order_new_service(client, account["id"])
    today = api_of(client).kit.clock.today().isoformat()
    status, run = await call(
        client,
        "POST",
        "/bill-runs",
        {"account_ids": [account["id"]], "through_date": today, "auto_approve": False},
    )
    assert status == 202
    assert conforms("BillRun", run)
    assert run["status"] == "awaiting_approval"
    assert run["invoice_count"] == 1
    status, approved = await call(client, "POST", f"/bill-runs/{run['id']}/approve")
    assert status == 200
    assert approved["status"] == "completed"
    status, problem = await call(client, "POST", f"/bill-runs/{run['id']}/approve")
    assert (status, problem["code"]) == (422, "invalid_bill_run_state")
    status, invoices = await call(client, "GET", f"/invoices?account_id={account['id']}&status=posted")
    (invoice,) = invoices["data"]
    status, payment = await call(
        client,
        "POST",
        "/payments",
        {"account_id": account["id"], "amount": invoice["amount_due"], "method": "ach"},
    )
    assert status == 201
    assert conforms("Payment", payment)
    assert payment["applied"][0]["invoice_id"] == invoice["id"]
    status, paid = await call(client, "GET", f"/invoices/{invoice['id']}")
    assert paid["status"] == "paid"
    status, reversed_ = await call(client, "POST", f"/payments/{payment['id']}/reverse")
    assert status == 200
    assert reversed_["status"] == "reversed"
    status, reopened = await call(client, "GET", f"/invoices/{invoice['id']}")
    assert reopened["status"] == "posted"
    status, voided = await call(client, "POST", f"/invoices/{invoice['id']}/void")
    assert status == 200
    assert voided["status"] == "void"


async def test_bill_run_needs_one_scope(client: Client) -> None:
    status, problem = await call(client, "POST", "/bill-runs", {"through_date": "2026-03-10"})
    assert (status, problem["code"], problem["param"]) == (400, "missing_field", "bill_cycle_id")
    assert problem["detail"] == "'bill_cycle_id' or 'account_ids' is required in body"


async def test_payment_in_another_currency_is_refused(client: Client) -> None:
    body = {"account_id": "acct_0000000001", "amount": {"amount": "10.00", "currency": "EUR"}}
    status, problem = await call(client, "POST", "/payments", body)
    assert (status, problem["code"]) == (422, "currency_mismatch")


async def test_events_page_in_log_order_with_a_cursor(client: Client) -> None:
    status, first = await call(client, "GET", "/events?limit=3")
    assert status == 200
    assert conforms("EventList", first)
    assert first["has_more"] is True
    assert first["next_cursor"] == first["data"][-1]["id"]
    status, second = await call(client, "GET", f"/events?limit=3&cursor={first['next_cursor']}")
    ids = [e["id"] for e in first["data"] + second["data"]]
    assert ids == sorted(ids)
    assert len(set(ids)) == 6
    status, typed = await call(client, "GET", "/events?types=account.created&limit=100")
    assert {e["type"] for e in typed["data"]} == {"account.created"}
    sequences: dict[str, list[int]] = {}
    status, everything = await call(client, "GET", "/events?limit=100")
    for event in everything["data"]:
        if event["account_id"] is not None:
            sequences.setdefault(event["account_id"], []).append(event["sequence"])
    for numbers in sequences.values():
        assert numbers == list(range(1, len(numbers) + 1))
    status, problem = await call(client, "GET", "/events?types=invoice.sent")
    assert (status, problem["code"], problem["param"]) == (400, "invalid_format", "types")


async def test_lists_page_by_id(client: Client) -> None:
    _, page = await call(client, "GET", "/accounts?limit=2")
    assert [a["id"] for a in page["data"]] == ["acct_0000000001", "acct_0000000002"]
    assert (page["has_more"], page["next_cursor"]) == (True, "acct_0000000002")
    _, rest = await call(client, "GET", "/accounts?limit=100&cursor=acct_0000000002")
    assert [a["id"] for a in rest["data"]] == ["acct_0000000003", "acct_0000000004"]
    assert (rest["has_more"], rest["next_cursor"]) == (False, None)
    _status, none = await call(client, "GET", "/accounts?cursor=zzz")
    assert none == {"data": [], "next_cursor": None, "has_more": False}


async def test_unknown_objects_are_404(client: Client) -> None:
    for path in (
        "/accounts/acct_9",
        "/products/p_9",
        "/orders/o_9",
        "/services/s_9",
        "/bill-runs/b_9",
        "/invoices/i_9",
        "/payments/p_9",
        "/events/e_9",
        "/webhook-endpoints/w_9",
    ):
        status, problem = await call(client, "GET", path)
        assert (status, problem["code"]) == (404, "not_found"), path
        assert problem["instance"] == path
