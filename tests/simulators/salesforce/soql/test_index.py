"""Equality on Id and external-id fields is served by DataSource.lookup, not by a scan."""

from __future__ import annotations

from tests.support.soql import Org


def test_external_id_equality_uses_the_index(org: Org) -> None:
    assert org.values("SELECT Name FROM Account WHERE Billing_Account_Number__c = 'ban-001'") == ["Acme"]
    assert org.source.lookups == [("Account", "Billing_Account_Number__c", ("ban-001",))]
    assert not org.source.scans


def test_id_equality_uses_the_index_with_the_canonical_id(org: Org) -> None:
    acme = org.ids["acme"]
    assert org.values(f"SELECT Name FROM Account WHERE Id = '{acme[:15]}'") == ["Acme"]
    assert org.source.lookups == [("Account", "Id", (acme,))]
    assert not org.source.scans


def test_an_indexed_conjunct_serves_the_whole_and(org: Org) -> None:
    query = "SELECT Name FROM Account WHERE Active__c = true AND Billing_Account_Number__c = 'BAN-001'"
    assert org.values(query) == ["Acme"]
    assert (
        org.values(
            "SELECT Name FROM Account WHERE Billing_Account_Number__c = 'BAN-001' AND Active__c = false"
        )
        == []
    )
    assert [lookup[1] for lookup in org.source.lookups] == ["Billing_Account_Number__c"] * 2
    assert not org.source.scans


def test_in_lists_use_one_lookup(org: Org) -> None:
    result = org.values(
        "SELECT Name FROM Account WHERE Billing_Account_Number__c IN ('BAN-002', 'ban-001', 'BAN-999')"
    )
    assert result == ["globex", "Acme"]
    assert org.source.lookups == [("Account", "Billing_Account_Number__c", ("BAN-002", "ban-001", "BAN-999"))]
    assert not org.source.scans


def test_or_of_indexed_branches_unions_lookups(org: Org) -> None:
    query = (
        f"SELECT Name FROM Account WHERE Id = '{org.ids['initech']}' OR Billing_Account_Number__c = 'BAN-002' "
        "OR Billing_Account_Number__c = 'BAN-002'"
    )
    assert org.values(query) == ["Initech", "globex"]
    assert len(org.source.lookups) == 3
    assert not org.source.scans


def test_or_with_an_unindexed_branch_scans(org: Org) -> None:
    query = "SELECT Name FROM Account WHERE Billing_Account_Number__c = 'BAN-002' OR Name = 'Initech'"
    assert org.values(query) == ["globex", "Initech"]
    assert org.source.scans == {"Account": 1}


def test_unindexed_equality_and_negations_scan(org: Org) -> None:
    assert org.values("SELECT Name FROM Account WHERE Name = 'Acme'") == ["Acme"]
    assert org.values("SELECT Name FROM Account WHERE Billing_Account_Number__c != 'BAN-001'") == [
        "globex",
        "Initech",
    ]
    assert org.values("SELECT Name FROM Account WHERE Billing_Account_Number__c NOT IN ('BAN-001')") == [
        "globex",
        "Initech",
    ]
    assert org.source.scans == {"Account": 3}


def test_semi_join_feeds_the_id_index(org: Org) -> None:
    assert org.values("SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact)") == [
        "Acme",
        "globex",
    ]
    assert org.source.scans == {"Contact": 1}
    assert org.source.lookups == [("Account", "Id", tuple(sorted([org.ids["acme"], org.ids["globex"]])))]


def test_semi_join_on_an_external_id_subquery_uses_both_indexes(org: Org) -> None:
    query = (
        "SELECT LastName FROM Contact WHERE AccountId IN "
        "(SELECT Id FROM Account WHERE Billing_Account_Number__c = 'BAN-002')"
    )
    assert org.values(query, "LastName") == ["smith"]
    assert org.source.lookups == [("Account", "Billing_Account_Number__c", ("BAN-002",))]
    assert org.source.scans == {"Contact": 1}  # AccountId carries no index in the fake


def test_index_respects_the_recycle_bin(org: Org) -> None:
    query = "SELECT Name FROM Account WHERE Billing_Account_Number__c = 'BAN-404'"
    assert org.values(query) == []
    assert [record["Name"] for record in org.query(query, include_deleted=True).records] == ["Umbrella"]
    assert not org.source.scans


def test_child_subqueries_read_children_once_per_page(org: Org) -> None:
    org.query("SELECT Name, (SELECT LastName FROM Contacts), (SELECT Name FROM Invoices__r) FROM Account")
    assert org.source.scans == {"Account": 1, "Contact": 1, "Invoice__c": 1}


def test_parent_records_are_fetched_once_per_execution(org: Org) -> None:
    org.query("SELECT LastName, Account.Name, Account.Industry FROM Contact WHERE Account.Name != null")
    assert org.source.gets == 2  # Acme and globex, whatever the number of contacts and paths
