"""Accounts: create (link), lookup, update (re-link, unlink), summary, bill-now."""

from __future__ import annotations

import json
from typing import Any

from contracts import jsonwire
from contracts.problem import Problem
from simulators.billing.api import parse, serialize
from simulators.billing.api.calls import Call, Reply
from simulators.billing.api.idempotency import StoredResponse, fingerprint
from simulators.billing.api.pagination import page, window
from simulators.billing.api.state import BillingApi
from simulators.billing.models.accounts import AccountChanges, AccountDraft

_DRAFT_FIELDS = (
    "external_id",
    "name",
    "email",
    "bill_cycle_id",
    "account_category_id",
    "type",
    "currency",
    "bill_delivery",
    "timezone",
    "metadata",
)
_CHANGE_FIELDS = (
    "external_id",
    "name",
    "email",
    "bill_delivery",
    "timezone",
    "account_category_id",
    "status",
    "metadata",
)


def _location(account_id: str) -> str:
    return f"/accounts/{account_id}"


def list_accounts(call: Call) -> Reply:
    q = call.query
    found = call.api.system.find_accounts(
        external_id=q.get("external_id"), number=q.get("number"), status=q.get("status")
    )
    return Reply.ok(page(found, serialize.account, limit=q["limit"], cursor=q.get("cursor")))


def _draft(body: dict[str, Any]) -> AccountDraft:
    fields: dict[str, Any] = parse.pick(body, *_DRAFT_FIELDS)
    fields["billing_address"] = parse.address(body["billing_address"])
    return AccountDraft(**fields)


def create_account(call: Call) -> Reply:
    account = call.api.system.create_account(_draft(call.body))
    return Reply.created(serialize.account(account), _location(account.id), version=account.version)


def create_accounts_batch(call: Call) -> Reply:
    """Each item as ``POST /accounts`` with its ``Idempotency-Key`` would be: the same fingerprint
    and the same idempotency store, so a retried batch (or a single call with an item's key)
    replays the first result instead of creating the account again."""
    items: list[dict[str, Any]] = call.body["items"]
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        key = item["idempotency_key"]
        if key in first:
            raise Problem(
                400,
                "invalid_request",
                f"idempotency_key {key!r} appears twice in one batch (items {first[key]} and {index})",
                param=f"items.{index}.idempotency_key",
            )
        first[key] = index
    api = call.api
    now = api.kit.clock.now()
    results = []
    for index, item in enumerate(items):
        key, body = item["idempotency_key"], item["account"]
        try:
            stored = api.idempotency.begin(call.api_key, key, fingerprint("POST", "/accounts", body), now)
        except Problem as refused:  # the key was used for another account, or is still running
            results.append(
                {"index": index, "status": refused.status, "replayed": False, "error": refused.body()}
            )
            continue
        if stored is None:
            try:
                stored = _create_one(api, body)
            except BaseException:
                api.idempotency.release(call.api_key, key)
                raise
            api.idempotency.finish(call.api_key, key, stored)
            results.append(_item_result(index, stored, replayed=False))
        else:
            results.append(_item_result(index, stored, replayed=True))
    return Reply.ok({"results": results})


def _create_one(api: BillingApi, body: dict[str, Any]) -> StoredResponse:
    try:
        account = api.system.create_account(_draft(body))
    except Problem as refused:
        return StoredResponse(refused.status, jsonwire.dumps(refused.body()), "application/problem+json")
    headers = {"Location": _location(account.id), "ETag": f'"{account.version}"'}
    return StoredResponse(201, jsonwire.dumps(serialize.account(account)), "application/json", headers)


def _item_result(index: int, stored: StoredResponse, *, replayed: bool) -> dict[str, Any]:
    result: dict[str, Any] = {"index": index, "status": stored.status, "replayed": replayed}
    result["account" if stored.status == 201 else "error"] = json.loads(stored.body)
    return result


def list_account_summaries(call: Call) -> Reply:
    """A page of accounts (creation order, as ``GET /accounts``), then only their summaries."""
    q = call.query
    system = call.api.system
    chunk, next_cursor = window(system.find_accounts(), limit=q["limit"], cursor=q.get("cursor"))
    data = [serialize.account_summary(system.account_summary(account.id)) for account in chunk]
    return Reply.ok({"data": data, "next_cursor": next_cursor, "has_more": next_cursor is not None})


def get_account(call: Call) -> Reply:
    account = call.api.system.get_account(call.id)
    return Reply.ok(serialize.account(account), version=account.version)


def update_account(call: Call) -> Reply:
    fields: dict[str, Any] = parse.pick(call.body, *_CHANGE_FIELDS)
    if "billing_address" in call.body:
        fields["billing_address"] = parse.address(call.body["billing_address"])
    account = call.api.system.update_account(
        call.id, AccountChanges(**fields), expected_version=call.expected_version
    )
    return Reply.ok(serialize.account(account), version=account.version)


def get_account_summary(call: Call) -> Reply:
    return Reply.ok(serialize.account_summary(call.api.system.account_summary(call.id)))


def bill_account_now(call: Call) -> Reply:
    invoice = call.api.system.bill_now(call.id, through_date=parse.opt_day(call.arg("through_date")))
    if invoice is None:
        return Reply.no_content()
    return Reply.created(serialize.invoice(invoice), f"/invoices/{invoice.id}", version=invoice.version)
