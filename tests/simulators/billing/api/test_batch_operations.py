"""The optional batch operations: batch account create (per-item results, each item idempotent),
account summaries by cursor, invoices changed since an instant."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.support.billing_api import Client, MakeClient, account_body, api_of, call


def _item(key: str, external_id: str, **overrides: Any) -> dict[str, Any]:
    return {"idempotency_key": key, "account": account_body(external_id, **overrides)}


async def test_batch_create_gives_one_result_per_item_in_order(client: Client) -> None:
    _, existing = await call(client, "POST", "/accounts", account_body("001BATCHTAKEN0001"))
    items = [
        _item("k-1", "001BATCHNEW000001"),
        _item("k-2", "001BATCHTAKEN0001"),
        _item("k-3", "001BATCHNEW000003", bill_cycle_id="bc_9999999999"),
        _item("k-4", "001BATCHNEW000004"),
    ]
    status, body = await call(client, "POST", "/accounts/batch", {"items": items})
    assert status == 200
    results = body["results"]
    assert [(r["index"], r["status"], r["replayed"]) for r in results] == [
        (0, 201, False),
        (1, 409, False),
        (2, 422, False),
        (3, 201, False),
    ]
    assert results[0]["account"]["external_id"] == "001BATCHNEW000001"
    assert results[0]["account"]["number"]
    assert results[1]["error"]["code"] == "external_id_taken"
    assert results[1]["error"]["existing_account_id"] == existing["id"]
    assert results[2]["error"]["code"] == "unknown_bill_cycle"
    assert "error" not in results[0]
    assert "account" not in results[1]
    # Each created account exists once, exactly as POST /accounts would have made it.
    for external_id in ("001BATCHNEW000001", "001BATCHNEW000004"):
        _, found = await call(client, "GET", f"/accounts?external_id={external_id}")
        assert len(found["data"]) == 1


async def test_a_retried_batch_replays_every_item_and_creates_nothing(client: Client) -> None:
    items = [_item("retry-1", "001BATCHRETRY0001"), _item("retry-2", "001BATCHRETRY0002")]
    _, first = await call(client, "POST", "/accounts/batch", {"items": items})
    accounts_before = len(api_of(client).system.find_accounts())
    # The retry adds an item; the two earlier ones replay (same ids), the new one is created.
    items.append(_item("retry-3", "001BATCHRETRY0003"))
    _, second = await call(client, "POST", "/accounts/batch", {"items": items})
    assert [r["replayed"] for r in second["results"]] == [True, True, False]
    assert [r["account"]["id"] for r in second["results"][:2]] == [
        r["account"]["id"] for r in first["results"]
    ]
    assert len(api_of(client).system.find_accounts()) == accounts_before + 1
    # A single POST /accounts with an item's key replays that item too (one idempotency store).
    async with client.post(
        "/accounts",
        json=items[0]["account"],
        headers={"Authorization": "Bearer q2c-billing-key", "Idempotency-Key": "retry-1"},
    ) as response:
        assert response.status == 201
        assert response.headers["Idempotent-Replayed"] == "true"
        assert (await response.json())["id"] == first["results"][0]["account"]["id"]


async def test_a_key_reused_for_another_account_fails_that_item_only(client: Client) -> None:
    await call(client, "POST", "/accounts/batch", {"items": [_item("reuse", "001BATCHREUSE0001")]})
    _, body = await call(
        client,
        "POST",
        "/accounts/batch",
        {"items": [_item("reuse", "001BATCHREUSE0002"), _item("ok", "001BATCHOK00000001")]},
    )
    first, second = body["results"]
    assert (first["status"], first["error"]["code"]) == (422, "idempotency_mismatch")
    assert "was used for a different request" in first["error"]["detail"]
    assert second["status"] == 201


async def test_duplicate_keys_in_one_batch_refuse_the_whole_call(client: Client) -> None:
    accounts_before = len(api_of(client).system.find_accounts())
    status, problem = await call(
        client,
        "POST",
        "/accounts/batch",
        {"items": [_item("dup", "001BATCHDUP000001"), _item("dup", "001BATCHDUP000002")]},
    )
    assert status == 400
    assert problem["code"] == "invalid_request"
    assert problem["param"] == "items.1.idempotency_key"
    assert "appears twice in one batch (items 0 and 1)" in problem["detail"]
    assert len(api_of(client).system.find_accounts()) == accounts_before


async def test_more_than_200_items_is_a_validation_error(client: Client) -> None:
    items = [_item(f"many-{i}", f"001BATCHMANY{i:06d}") for i in range(201)]
    status, problem = await call(client, "POST", "/accounts/batch", {"items": items})
    assert status == 400
    assert problem["param"] == "items"


async def test_account_summaries_page_through_every_account(client: Client) -> None:
    system = api_of(client).system
    ids = sorted(account.id for account in system.find_accounts())
    seen: list[str] = []
    cursor = None
    calls = 0
    while True:
        query = "/account-summaries?limit=3" + (f"&cursor={cursor}" if cursor else "")
        status, page = await call(client, "GET", query)
        assert status == 200
        calls += 1
        for summary in page["data"]:
            _, single = await call(client, "GET", f"/accounts/{summary['account_id']}/summary")
            assert summary == single
        seen += [summary["account_id"] for summary in page["data"]]
        cursor = page["next_cursor"]
        assert page["has_more"] is (cursor is not None)
        if cursor is None:
            break
    assert seen == ids
    assert calls == -(-len(ids) // 3)


async def test_invoices_updated_since_lists_changes_across_accounts_oldest_first(client: Client) -> None:
    api = api_of(client)
    system = api.system
    await api.kit.clock.advance(timedelta(days=40))  # a period later, every account has charges due
    for account in system.find_accounts()[:3]:
        status, _ = await call(client, "POST", f"/accounts/{account.id}/bill-now")
        assert status in (201, 204)
    _, invoices = await call(client, "GET", "/invoices?limit=100")
    assert len(invoices["data"]) >= 2
    await api.kit.clock.advance(timedelta(hours=1))
    since = _stamp(api.kit.clock.now())
    target = invoices["data"][0]
    await call(client, "POST", f"/invoices/{target['id']}/void")
    status, changed = await call(client, "GET", f"/invoices?updated_since={since}")
    assert status == 200
    assert [i["id"] for i in changed["data"]] == [target["id"]]
    # From the start, a page at a time: every invoice once, by (updated_at, id), the void last.
    ordered: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = "/invoices?limit=1&updated_since=2000-01-01T00:00:00Z" + (
            f"&cursor={cursor}" if cursor else ""
        )
        _, page = await call(client, "GET", query)
        ordered += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    stamps = [(i["updated_at"], i["id"]) for i in ordered]
    assert stamps == sorted(stamps)
    assert ordered[-1]["id"] == target["id"]
    assert sorted(i["id"] for i in ordered) == sorted(i["id"] for i in invoices["data"])


async def test_updated_since_must_be_a_timestamp(client: Client) -> None:
    status, problem = await call(client, "GET", "/invoices?updated_since=yesterday")
    assert status == 400
    assert problem["param"] == "updated_since"


def _stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def test_withheld_capabilities_are_declared_false_and_refused(make_client: MakeClient) -> None:
    client = await make_client(
        withheld_capabilities=frozenset(
            {"batch_account_create", "account_summaries", "invoices_updated_since"}
        )
    )
    _, capabilities = await call(client, "GET", "/capabilities")
    assert capabilities["batch_account_create"] is False
    assert capabilities["account_summaries"] is False
    assert capabilities["invoices_updated_since"] is False
    assert capabilities["bill_runs"] is True  # the rest stays declared
    status, problem = await call(
        client, "POST", "/accounts/batch", {"items": [_item("w-1", "001WITHHELD00001")]}
    )
    assert (status, problem["code"]) == (422, "unsupported_operation")
    assert "capability 'batch_account_create' is declared false" in problem["detail"]
    status, problem = await call(client, "GET", "/account-summaries")
    assert (status, problem["code"]) == (422, "unsupported_operation")
    status, problem = await call(client, "GET", "/invoices?updated_since=2026-01-01T00:00:00Z")
    assert (status, problem["code"]) == (422, "unsupported_operation")
    assert "listInvoices?updated_since" in problem["detail"]
    status, _ = await call(client, "GET", "/invoices")  # without the parameter: served
    assert status == 200


async def test_the_concrete_path_wins_over_the_templated_one(client: Client) -> None:
    # /accounts/batch is not an account called "batch": other methods are 405 naming POST only.
    for method in ("GET", "PATCH", "OPTIONS"):
        async with client.request(
            method, "/accounts/batch", headers={"Authorization": "Bearer q2c-billing-key"}
        ) as r:
            assert r.status == 405, method
            assert r.headers["Allow"] == "POST"
            assert (await r.json(content_type=None))["code"] == "method_not_allowed"
