"""Batch DML in the model, without HTTP: units of work, savepoints, all-or-none, lookups for write,
commit hooks and injected record errors (what sObject Collections, tree and Bulk all run on)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from simulators.salesforce.catalogue import SalesforceError
from simulators.salesforce.models.dml import (
    Change,
    MultipleMatches,
    Outcome,
    injected_record_error,
)
from simulators.salesforce.models.orgs import Org
from simulators.salesforce.models.schema import ObjectDef
from simulators.salesforce.models.state import SalesforceState

ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the request was using AllOrNone header",
    "fields": [],
}


@pytest.fixture
def org(sf_state: SalesforceState) -> Org:
    return sf_state.default_org()


def obj(org: Org, name: str) -> ObjectDef:
    found = org.schema.get(name)
    assert found is not None
    return found


def names(org: Org, *record_ids: str | None) -> list[Any]:
    """Each id's live Name (None when the record is gone or was never created)."""
    out: list[Any] = []
    for record_id in record_ids:
        row = org.store.get(record_id) if record_id else None
        out.append(None if row is None or row.is_deleted else row["Name"])
    return out


def account_creator(org: Org) -> Any:
    user = org.first_user().user_id
    account = obj(org, "Account")

    def apply(data: dict[str, Any]) -> Outcome:
        return Outcome(id=org.dml.create(account, data, user).id)

    return apply


async def test_a_failing_record_is_rolled_back_alone(org: Org) -> None:
    user = org.first_user().user_id
    account, contact = obj(org, "Account"), obj(org, "Contact")
    made: list[str] = []

    def apply(item: dict[str, Any]) -> Outcome:
        # Two writes per item: the failing item's first write must go with it.
        parent = org.dml.create(account, {"Name": item["name"]}, user)
        made.append(parent.id)
        org.dml.create(contact, {"LastName": item["last"], "AccountId": parent.id}, user)
        return Outcome(id=parent.id)

    items: list[dict[str, Any]] = [
        {"name": "Kept 1", "last": "A"},
        {"name": "Gone", "last": None},
        {"name": "Kept 2", "last": "B"},
    ]
    outcomes = org.dml.run_batch(items, apply, all_or_none=False)
    assert [o.success for o in outcomes] == [True, False, True]
    failed = outcomes[1].error
    assert failed is not None
    assert (failed.status, failed.error_code, failed.message, failed.fields) == (
        400,
        "REQUIRED_FIELD_MISSING",
        "Required fields are missing: [LastName]",
        ["LastName"],
    )
    assert names(org, *made) == ["Kept 1", None, "Kept 2"]


async def test_all_or_none_rolls_the_whole_batch_back(org: Org) -> None:
    outcomes = org.dml.run_batch(
        [{"Name": "One"}, {"Name": "Two"}, {"Name": "X" * 256}],
        account_creator(org),
        all_or_none=True,
    )
    assert [o.rolled_back for o in outcomes] == [True, True, False]
    assert [o.success for o in outcomes] == [False, False, False]
    assert outcomes[0].errors() == [ROLLED_BACK]
    assert outcomes[2].errors()[0]["statusCode"] == "STRING_TOO_LONG"
    assert names(org, outcomes[0].id, outcomes[1].id) == [None, None]


async def test_all_or_none_commits_when_every_record_succeeds(org: Org) -> None:
    outcomes = org.dml.run_batch([{"Name": "One"}, {"Name": "Two"}], account_creator(org), all_or_none=True)
    assert all(o.success for o in outcomes)
    assert names(org, *(o.id for o in outcomes)) == ["One", "Two"]


async def test_a_nested_transaction_is_a_savepoint(org: Org) -> None:
    create = account_creator(org)
    inner: list[str] = []

    def failing_inner() -> None:
        with org.dml.transaction():
            inner.append(create({"Name": "Inner"}).id)
            create({"Name": None})

    with org.dml.transaction() as unit:
        kept = create({"Name": "Outer"}).id
        with pytest.raises(SalesforceError):
            failing_inner()
        assert names(org, kept, *inner) == ["Outer", None]
        mark = unit.savepoint()
        undone = create({"Name": "Undone"}).id
        unit.rollback_to(mark)
    assert names(org, kept, undone) == ["Outer", None]


async def test_commit_hooks_see_committed_changes_only(org: Org) -> None:
    seen: list[list[Change]] = []

    def hook(changes: Sequence[Change]) -> None:
        seen.append(list(changes))

    org.dml.commit_hooks.append(hook)
    create = account_creator(org)
    outcomes = org.dml.run_batch([{"Name": "A"}, {"Name": None}, {"Name": "C"}], create, all_or_none=False)
    assert seen == [
        [Change("create", "Account", outcomes[0].id or ""), Change("create", "Account", outcomes[2].id or "")]
    ]
    seen.clear()
    org.dml.run_batch([{"Name": "A"}, {"Name": None}], create, all_or_none=True)
    assert seen == []  # rolled back: nothing to publish

    def doomed() -> None:
        with org.dml.transaction():
            create({"Name": "Doomed"})
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        doomed()
    assert seen == []
    row = org.store.get(outcomes[0].id or "")
    assert row is not None
    org.dml.delete(row, org.first_user().user_id)  # outside a unit of work: commits alone
    assert seen == [[Change("delete", "Account", row.id)]]


async def test_row_for_write_answers_like_a_batch(org: Org) -> None:
    account = obj(org, "Account")
    user_id = org.first_user().user_id
    row = account_creator(org)({"Name": "Target"})
    found = org.dml.row_for_write(row.id, account)
    assert found.id == row.id

    def error(record_id: Any, target: ObjectDef | None = account, **kwargs: Any) -> tuple[Any, ...]:
        with pytest.raises(SalesforceError) as caught:
            org.dml.row_for_write(record_id, target, **kwargs)
        e = caught.value
        return (e.status, e.error_code, e.message, e.fields)

    assert error("001nope") == (400, "MALFORMED_ID", "malformed id 001nope", [])
    assert error("001nope", id_fields=["Id"]) == (400, "MALFORMED_ID", "malformed id 001nope", ["Id"])
    assert error("001000000000000AAA") == (
        400,
        "INVALID_CROSS_REFERENCE_KEY",
        "invalid cross reference id",
        [],
    )
    assert error(user_id)[1] == "INVALID_CROSS_REFERENCE_KEY"  # a real record of another type
    assert org.dml.row_for_write(user_id).id == user_id  # any type when none is asked for
    org.dml.delete(found, user_id)
    assert error(row.id) == (400, "ENTITY_IS_DELETED", "entity is deleted", [])
    assert org.dml.row_for_write(row.id, account, deleted_ok=True).is_deleted


async def test_injected_row_lock_errors_fail_the_picked_records_only(org: Org) -> None:
    items = [{"Name": f"Row {i}"} for i in range(4)]

    def fault(index: int, record_id: str | None) -> SalesforceError | None:
        return (
            injected_record_error(
                "UNABLE_TO_LOCK_ROW",
                "unable to obtain exclusive access to this record or 1 records",
                record_id,
            )
            if index in (1, 3)
            else None
        )

    outcomes = org.dml.run_batch(
        items,
        account_creator(org),
        all_or_none=False,
        given_id=lambda item: "001000000000001AAA" if item["Name"] == "Row 3" else None,
        fault=fault,
    )
    assert [o.success for o in outcomes] == [True, False, True, False]
    assert outcomes[1].errors() == [
        {
            "statusCode": "UNABLE_TO_LOCK_ROW",
            "message": "unable to obtain exclusive access to this record",
            "fields": [],
        }
    ]
    assert outcomes[3].errors()[0]["message"] == (
        "unable to obtain exclusive access to this record or 1 records: 001000000000001AAA"
    )
    assert names(org, outcomes[0].id, outcomes[2].id) == ["Row 0", "Row 2"]
    locked = org.dml.run_batch(items[:2], account_creator(org), all_or_none=True, fault=fault)
    assert [o.rolled_back for o in locked] == [True, False]
    custom = injected_record_error("ENTITY_IS_LOCKED", "the entity is locked for editing", "001x")
    assert (custom.status, custom.error_code, custom.message, custom.fields) == (
        400,
        "ENTITY_IS_LOCKED",
        "the entity is locked for editing",
        [],
    )


async def test_several_external_id_matches_name_every_record(org: Org) -> None:
    error = MultipleMatches(obj(org, "Account"), ["001A", "001B"]).as_error("Ext__c")
    assert (error.error_code, error.message, error.fields) == (
        "DUPLICATE_EXTERNAL_ID",
        "Ext__c: more than one record found for external id field: [001A, 001B]",
        ["Ext__c"],
    )


async def test_string_too_long_quotes_the_whole_value(org: Org) -> None:
    value = "N" * 300  # the old message cut it at 100 characters
    with pytest.raises(SalesforceError) as caught:
        account_creator(org)({"Name": value})
    assert caught.value.message == f"Account Name: data value too large: {value} (max length=255)"
    assert caught.value.fields == ["Name"]
