"""The store without HTTP: compact rows, indexes, the recycle bin, transactions and savepoints."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from simulators.salesforce.models.orgs import Org
from simulators.salesforce.models.schema import ObjectDef
from simulators.salesforce.models.state import SalesforceState
from simulators.salesforce.models.store import Row


def account(org: Org) -> ObjectDef:
    obj = org.schema.get("Account")
    assert obj is not None
    return obj


def create(org: Org, **data: Any) -> Row:
    return org.dml.create(account(org), data, org.first_user().user_id)


async def test_rows_are_mappings_of_canonical_names(sf_state: SalesforceState) -> None:
    org = sf_state.default_org()
    row = create(org, Name="Acme", BillingCity="Paris", BillingCountry="FR")
    assert row["Name"] == "Acme"
    assert row["name"] == "Acme"  # case-insensitive lookup too
    assert row["BillingAddress"]["city"] == "Paris"
    assert row.get("Nope__c") is None
    with pytest.raises(KeyError):
        row["Nope__c"]
    assert list(row)[:3] == ["Id", "IsDeleted", "CreatedDate"]
    assert len(row) == len(account(org).fields())
    assert row["CreatedDate"] == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def test_lookup_uses_indexes_case_insensitively(sf_state: SalesforceState) -> None:
    org = sf_state.default_org()
    row = create(org, Name="Indexed", Billing_Account_Number__c="BAN-Mixed")
    store = org.store
    assert [r.id for r in store.lookup("Account", "billing_account_number__c", ["ban-mixed"]) or []] == [
        row.id
    ]
    assert [r.id for r in store.lookup("Account", "Id", [row.id[:15], "garbage"]) or []] == [row.id]
    # The name field is indexed as in Salesforce; an ordinary text field is not (the engine scans).
    assert [r.id for r in store.lookup("Account", "Name", ["INDEXED"]) or []] == [row.id]
    assert store.lookup("Account", "BillingCity", ["Lyon"]) is None
    assert store.lookup("Nope", "Id", [row.id]) == ()
    assert store.get(row.id.lower()) is row


async def test_reference_index_finds_children(sf_state: SalesforceState) -> None:
    org = sf_state.default_org()
    parent = create(org, Name="Parent")
    contact = org.schema.get("Contact")
    assert contact is not None
    child = org.dml.create(
        contact, {"LastName": "Kid", "AccountId": parent.id[:15]}, org.first_user().user_id
    )
    assert child["AccountId"] == parent.id  # stored in the 18-character form
    assert [r.id for r in org.store.lookup("Contact", "AccountId", [parent.id]) or []] == [child.id]


async def test_recycle_bin_and_cascade(sf_state: SalesforceState) -> None:
    org = sf_state.default_org()
    user = org.first_user().user_id
    parent = create(org, Name="Parent")
    child_account = create(org, Name="Child", ParentId=parent.id)
    contact_obj = org.schema.get("Contact")
    assert contact_obj is not None
    contact = org.dml.create(contact_obj, {"LastName": "Kid", "AccountId": parent.id}, user)
    with org.store.transaction():
        org.dml.delete(parent, user)
    assert parent.is_deleted
    assert contact.is_deleted
    assert not child_account.is_deleted
    assert child_account["ParentId"] is None
    assert org.store.deleted_at(parent) == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert parent.id not in {r.id for r in org.store.scan("Account")}
    assert parent.id in {r.id for r in org.store.scan("Account", include_deleted=True)}
    assert org.store.lookup("Contact", "AccountId", [parent.id]) == []
    assert [
        r.id for r in org.store.lookup("Contact", "AccountId", [parent.id], include_deleted=True) or []
    ] == [contact.id]


async def test_rollback_restores_rows_and_indexes(sf_state: SalesforceState) -> None:
    org = sf_state.default_org()
    store = org.store
    user = org.first_user().user_id
    kept = create(org, Name="Kept", Billing_Account_Number__c="K-1")
    before = store.table("Account").live_count()

    def failing_transaction() -> None:
        with store.transaction():
            create(org, Name="Gone", Billing_Account_Number__c="G-1")
            org.dml.update(account(org), kept, {"Billing_Account_Number__c": "K-2"}, user)
            org.dml.delete(kept, user)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        failing_transaction()
    assert store.table("Account").live_count() == before
    assert not kept.is_deleted
    assert kept["Billing_Account_Number__c"] == "K-1"
    assert [r.id for r in store.lookup("Account", "Billing_Account_Number__c", ["K-1"]) or []] == [kept.id]
    assert store.lookup("Account", "Billing_Account_Number__c", ["K-2"]) == []
    assert store.lookup("Account", "Billing_Account_Number__c", ["G-1"]) == []
    assert not store.in_transaction


async def test_savepoints_undo_part_of_a_transaction(sf_state: SalesforceState) -> None:
    org = sf_state.default_org()
    store = org.store
    with store.transaction():
        first = create(org, Name="First")
        mark = store.savepoint()
        second = create(org, Name="Second")
        store.rollback_to(mark)
    assert store.get(first.id) is first
    assert store.get(second.id) is None


async def test_hard_delete_rolls_back_too(sf_state: SalesforceState) -> None:
    org = sf_state.default_org()
    row = create(org, Name="Hard", Billing_Account_Number__c="H-1")

    def failing_transaction() -> None:
        with org.store.transaction():
            org.dml.hard_delete(row)
            assert org.store.get(row.id) is None
            raise ValueError("undo")

    with pytest.raises(ValueError, match="undo"):
        failing_transaction()
    assert org.store.get(row.id) is row
    assert [r.id for r in org.store.lookup("Account", "Billing_Account_Number__c", ["h-1"]) or []] == [row.id]


async def test_savepoint_outside_a_transaction_is_a_bug(sf_state: SalesforceState) -> None:
    with pytest.raises(RuntimeError, match="outside a transaction"):
        sf_state.default_org().store.savepoint()


async def test_orgs_never_share_records(sf_state: SalesforceState) -> None:
    default, tiny = sf_state.orgs.orgs
    row = create(default, Name="Private")
    assert tiny.store.get(row.id) is None
    assert default.id != tiny.id
    assert {r["Name"] for r in tiny.store.scan("Organization")} == {"Tiny Org"}


async def test_events_are_not_queryable(sf_state: SalesforceState) -> None:
    assert sf_state.default_org().store.describe("Billing_Action__e") is None
    assert sf_state.default_org().store.describe("account") is not None


async def test_prefix_lookup_follows_writes_and_keeps_insertion_order(sf_state: SalesforceState) -> None:
    org = sf_state.default_org()
    store = org.store
    user = org.first_user().user_id
    account = org.schema.get("Account")
    assert account is not None
    zeta = create(org, Name="Prefix Zeta")
    alpha = create(org, Name="prefix alpha")
    create(org, Name="Other")

    def found(prefix: str) -> list[str]:
        return [r.id for r in store.lookup_prefix("Account", "Name", prefix) or []]

    # Case-insensitive, in insertion order (not key order), and the ordered index is built lazily.
    assert found("PREFIX") == [zeta.id, alpha.id]
    # After the first prefix lookup the ordered keys follow every write.
    org.dml.update(account, zeta, {"Name": "Renamed"}, user)
    late = create(org, Name="Prefix late")
    assert found("prefix") == [alpha.id, late.id]
    assert found("Ren") == [zeta.id]
    org.dml.delete(alpha, user)
    assert found("prefix") == [late.id]
    assert [r.id for r in store.lookup_prefix("Account", "Name", "prefix", include_deleted=True) or []] == [
        alpha.id,
        late.id,
    ]
    assert store.lookup_prefix("Account", "BillingCity", "Ly") is None  # not indexed: scan


class _NoPrefixIndex:
    """The same store with its ordered index hidden: the SOQL engine must scan."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.scans = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def lookup_prefix(self, *args: Any, **kwargs: Any) -> None:
        return None

    def scan(self, *args: Any, **kwargs: Any) -> Any:
        self.scans += 1
        return self._store.scan(*args, **kwargs)


class _Counting(_NoPrefixIndex):
    def lookup_prefix(self, *args: Any, **kwargs: Any) -> Any:
        return self._store.lookup_prefix(*args, **kwargs)


async def test_like_prefix_from_the_index_matches_a_scan(sf_state: SalesforceState) -> None:
    import random

    from simulators.salesforce import soql

    org = sf_state.default_org()
    rng = random.Random(5)
    for number in range(600):
        letters = "".join(rng.choice("abAB_%") for _ in range(3))
        create(org, Name=f"{letters} {number}")
    queries = [
        "SELECT Id, Name FROM Account WHERE Name LIKE 'ab%'",
        "SELECT Id FROM Account WHERE Name LIKE 'AB%' LIMIT 7",
        "SELECT Id FROM Account WHERE Name LIKE 'b%' AND Name LIKE '%1%' LIMIT 5 OFFSET 2",
        "SELECT Id FROM Account WHERE Name LIKE 'a\\_%' ORDER BY Name DESC",
        "SELECT Id FROM Account WHERE Name LIKE 'ba%' OR Name LIKE 'zz%'",
        "SELECT COUNT() FROM Account WHERE Name LIKE 'a%'",
    ]
    url = "/services/data/v59.0/sobjects/{}/{}".format
    for text in queries:
        indexed = _Counting(org.store)
        scanned = _NoPrefixIndex(org.store)
        by_index = soql.execute(text, indexed, record_url=url)
        by_scan = soql.execute(text, scanned, record_url=url)
        assert by_index.records == by_scan.records, text
        assert by_index.total_size == by_scan.total_size > 0, text
        assert scanned.scans >= 1, text
        # An escaped '_' is not a plain prefix: that query (only) may scan.
        assert indexed.scans == ("\\_" in text), text
