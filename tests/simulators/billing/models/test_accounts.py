"""Accounts: creation rules, linking, updates with optimistic concurrency, lookups."""

from __future__ import annotations

import pytest

from contracts.problem import Problem
from simulators.billing.models.accounts import AccountChanges, Address
from simulators.billing.service.system import BillingSystem
from tests.simulators.billing.engine.helpers import account_draft, new_account, subscribe


def test_create_assigns_id_ban_and_emits_account_created(system: BillingSystem) -> None:
    account = new_account(system, timezone="America/Chicago")
    assert account.id == "acct_0000000001"
    assert account.number == "BAN000001"
    assert account.status == "pending"
    assert account.currency == "USD"  # from the bill cycle
    assert account.version == 1
    (event,) = system.events(account_id=account.id)
    assert (event.type, event.sequence, event.object_type, event.object_id) == (
        "account.created",
        1,
        "account",
        account.id,
    )
    assert event.account_external_id == account.external_id
    assert system.find_accounts(external_id=account.external_id) == [account]
    assert system.find_accounts(number="BAN000001") == [account]
    assert system.find_accounts(number="BAN999999") == []


@pytest.mark.parametrize(
    "field", ["external_id", "email", "billing_address", "bill_cycle_id", "account_category_id"]
)
def test_missing_required_field(system: BillingSystem, field: str) -> None:
    draft = account_draft(system)
    setattr(draft, field, None)
    with pytest.raises(Problem) as caught:
        system.create_account(draft)
    assert (caught.value.status, caught.value.code, caught.value.param) == (400, "missing_field", field)
    assert caught.value.detail == f"{field!r} is required"
    assert system.find_accounts() == []


@pytest.mark.parametrize(
    ("changes", "code", "param", "detail"),
    [
        (
            {"bill_cycle_id": "bc_9"},
            "unknown_bill_cycle",
            "bill_cycle_id",
            "bill cycle 'bc_9' does not exist",
        ),
        (
            {"account_category_id": "cat_9"},
            "unknown_account_category",
            "account_category_id",
            "account category 'cat_9' does not exist",
        ),
        ({"currency": "EUR"}, "currency_mismatch", "currency", "bills in USD, not EUR"),
        ({"currency": "JPY"}, "unsupported_currency", "currency", "currency 'JPY' is not supported"),
        (
            {"timezone": "Mars/Olympus"},
            "invalid_timezone",
            "timezone",
            "'Mars/Olympus' is not an IANA time zone",
        ),
        (
            {"billing_address": Address("1 Main", "Town", "1", "XX")},
            "invalid_country",
            "billing_address.country",
            "'XX' is not an ISO 3166-1 alpha-2",
        ),
        ({"email": "not-an-email"}, "invalid_format", "email", "'not-an-email' is not an email address"),
    ],
)
def test_invalid_values(
    system: BillingSystem, changes: dict[str, object], code: str, param: str, detail: str
) -> None:
    with pytest.raises(Problem) as caught:
        system.create_account(account_draft(system, **changes))
    problem = caught.value
    assert (problem.code, problem.param) == (code, param)
    assert problem.status == (400 if code == "invalid_format" else 422)
    assert detail in problem.detail


def test_external_id_is_unique_and_names_the_holder(system: BillingSystem) -> None:
    first = new_account(system)
    with pytest.raises(Problem) as caught:
        system.create_account(account_draft(system, external_id=first.external_id))
    problem = caught.value
    assert (problem.status, problem.code, problem.param) == (409, "external_id_taken", "external_id")
    assert problem.extra == {"existing_account_id": first.id}
    assert "already linked to account acct_0000000001" in problem.detail


def test_eur_account_on_eur_cycle(system: BillingSystem) -> None:
    account = new_account(system, cycle="monthly_1_eur")
    assert account.currency == "EUR"


def test_update_with_stale_version_is_412(system: BillingSystem) -> None:
    account = new_account(system)
    system.update_account(account.id, AccountChanges(name="Renamed"), expected_version=1)
    assert account.version == 2
    with pytest.raises(Problem) as caught:
        system.update_account(account.id, AccountChanges(name="Again"), expected_version=1)
    problem = caught.value
    assert (problem.status, problem.code) == (412, "version_mismatch")
    assert problem.extra == {"current_version": 2}
    assert problem.detail == "account 'acct_0000000001' is at version 2, not 1"
    assert account.name == "Renamed"


def test_unlink_and_relink(system: BillingSystem) -> None:
    account = new_account(system)
    old = account.external_id
    assert old is not None
    system.update_account(account.id, AccountChanges(external_id=None))
    assert account.external_id is None
    assert system.find_accounts(external_id=old) == []
    system.update_account(account.id, AccountChanges(external_id="001NEW0000000000AA"))
    assert system.find_accounts(external_id="001NEW0000000000AA") == [account]
    types = [e.type for e in system.events(account_id=account.id)]
    assert types == ["account.created", "account.updated", "account.linked"]
    # The event carries the CRM key at the time of the event.
    assert [e.account_external_id for e in system.events(account_id=account.id)] == [
        old,
        None,
        "001NEW0000000000AA",
    ]


def test_relink_to_a_taken_external_id_is_409(system: BillingSystem) -> None:
    a = new_account(system)
    b = new_account(system)
    with pytest.raises(Problem) as caught:
        system.update_account(b.id, AccountChanges(external_id=a.external_id))
    assert (caught.value.status, caught.value.code, caught.value.param) == (
        409,
        "external_id_taken",
        "external_id",
    )
    assert caught.value.extra == {"existing_account_id": a.id}


def test_no_op_update_changes_nothing(system: BillingSystem) -> None:
    account = new_account(system)
    system.update_account(account.id, AccountChanges(name=account.name))
    assert account.version == 1
    assert len(system.events(account_id=account.id)) == 1


def test_bill_cycle_cannot_move(system: BillingSystem) -> None:
    account = new_account(system)
    other = system.bill_cycle_by_key("monthly_15").id
    with pytest.raises(Problem) as caught:
        system.update_account(account.id, AccountChanges(bill_cycle_id=other))
    assert (caught.value.status, caught.value.code, caught.value.param) == (
        422,
        "unsupported_operation",
        "bill_cycle_id",
    )


def test_close_needs_no_live_services_and_closed_accounts_refuse_updates(system: BillingSystem) -> None:
    account = new_account(system)
    subscribe(system, account, "VS-4")
    with pytest.raises(Problem) as caught:
        system.update_account(account.id, AccountChanges(status="closed"))
    assert (caught.value.code, caught.value.param) == ("account_has_live_services", "status")
    empty = new_account(system)
    system.update_account(empty.id, AccountChanges(status="closed"))
    assert empty.status == "closed"
    with pytest.raises(Problem) as caught:
        system.update_account(empty.id, AccountChanges(name="x"))
    assert (caught.value.status, caught.value.code) == (422, "account_closed")


def test_get_unknown_account_is_404(system: BillingSystem) -> None:
    with pytest.raises(Problem) as caught:
        system.get_account("acct_nope")
    assert (caught.value.status, caught.value.code, caught.value.detail) == (
        404,
        "not_found",
        "account 'acct_nope' does not exist",
    )
