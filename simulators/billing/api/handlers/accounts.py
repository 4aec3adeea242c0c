"""Accounts: create (link), lookup, update (re-link, unlink), summary, bill-now."""

from __future__ import annotations

from typing import Any

from simulators.billing.api import parse, serialize
from simulators.billing.api.calls import Call, Reply
from simulators.billing.api.pagination import page
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


def create_account(call: Call) -> Reply:
    fields: dict[str, Any] = parse.pick(call.body, *_DRAFT_FIELDS)
    fields["billing_address"] = parse.address(call.body["billing_address"])
    account = call.api.system.create_account(AccountDraft(**fields))
    return Reply.created(serialize.account(account), _location(account.id), version=account.version)


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
