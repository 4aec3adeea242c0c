"""SELECT lists and result shaping."""

from __future__ import annotations

import pytest

from tests.support.soql import Org
from tests.support.soql_fakes import record_url


def url(object_name: str, record_id: str) -> str:
    return record_url(object_name, record_id)


def test_records_carry_attributes_then_selected_fields_in_select_order_with_canonical_casing(
    org: Org,
) -> None:
    result = org.query("select name, ID, numberofemployees from ACCOUNT where name = 'acme'")
    assert result.object_name == "Account"
    assert result.records == [
        {
            "attributes": {"type": "Account", "url": url("Account", org.ids["acme"])},
            "Name": "Acme",
            "Id": org.ids["acme"],
            "NumberOfEmployees": 100,
        }
    ]
    assert list(result.records[0]) == ["attributes", "Name", "Id", "NumberOfEmployees"]
    assert result.total_size == 1
    assert result.columns == ["Name", "Id", "NumberOfEmployees"]
    assert not result.is_count_only


def test_id_appears_only_when_selected(org: Org) -> None:
    record = org.query("SELECT Name FROM Account LIMIT 1").records[0]
    assert set(record) == {"attributes", "Name"}


def test_deleted_records_only_with_include_deleted(org: Org) -> None:
    assert "Umbrella" not in org.values("SELECT Name FROM Account")
    everything = org.query("SELECT Name, IsDeleted FROM Account", include_deleted=True)
    assert [(record["Name"], record["IsDeleted"]) for record in everything.records] == [
        ("Acme", False),
        ("globex", False),
        ("Initech", False),
        ("Umbrella", True),
    ]


def test_parent_paths_nest_and_merge(org: Org) -> None:
    result = org.query("SELECT LastName, Account.Name, Account.Owner.Email, Account.Industry FROM Contact")
    doe, _roe, smith, loner = result.records
    assert doe == {
        "attributes": {"type": "Contact", "url": url("Contact", org.ids["doe"])},
        "LastName": "Doe",
        "Account": {
            "attributes": {"type": "Account", "url": url("Account", org.ids["acme"])},
            "Name": "Acme",
            "Owner": {
                "attributes": {"type": "User", "url": url("User", org.ids["ada"])},
                "Email": "ada@example.com",
            },
            "Industry": "Technology",
        },
    }
    assert smith["Account"]["Owner"]["Email"] == "bob@example.com"
    assert loner["Account"] is None
    assert result.columns == ["LastName", "Account.Name", "Account.Owner.Email", "Account.Industry"]


def test_empty_parent_lookup_is_null_even_deeper_down(org: Org) -> None:
    records = org.query("SELECT Name, Parent.Name, Parent.Owner.Name FROM Account ORDER BY Name").records
    assert [(record["Name"], record["Parent"]) for record in records if record["Name"] != "globex"] == [
        ("Acme", None),
        ("Initech", None),
    ]
    globex = next(record for record in records if record["Name"] == "globex")
    assert globex["Parent"]["Name"] == "Acme"
    assert globex["Parent"]["Owner"]["Name"] == "Ada Lovelace"


def test_object_name_and_alias_prefixes(org: Org) -> None:
    assert (
        org.query("SELECT Account.Name FROM Account WHERE Account.Name = 'Acme'").records[0]["Name"] == "Acme"
    )
    result = org.query("SELECT a.Name, a.Owner.Name FROM Account a WHERE a.Name = 'globex'")
    assert result.records[0]["Name"] == "globex"
    assert result.records[0]["Owner"]["Name"] == "Bob"
    assert result.columns == ["Name", "Owner.Name"]


def test_child_subquery_shapes_and_nulls(org: Org) -> None:
    result = org.query(
        "SELECT Name, (SELECT LastName, Account.Name FROM Contacts ORDER BY LastName DESC) FROM Account "
        "ORDER BY Name"
    )
    acme, globex, initech = result.records
    assert acme["Contacts"] == {
        "totalSize": 2,
        "done": True,
        "records": [
            {
                "attributes": {"type": "Contact", "url": url("Contact", org.ids["roe"])},
                "LastName": "Roe",
                "Account": {
                    "attributes": {"type": "Account", "url": url("Account", org.ids["acme"])},
                    "Name": "Acme",
                },
            },
            {
                "attributes": {"type": "Contact", "url": url("Contact", org.ids["doe"])},
                "LastName": "Doe",
                "Account": {
                    "attributes": {"type": "Account", "url": url("Account", org.ids["acme"])},
                    "Name": "Acme",
                },
            },
        ],
    }
    assert [record["LastName"] for record in globex["Contacts"]["records"]] == ["smith"]
    assert initech["Contacts"] is None
    assert result.columns == ["Name", "Contacts"]


def test_child_subquery_where_limit_and_qualified_name(org: Org) -> None:
    records = org.query(
        "SELECT Name, (SELECT Name, Amount__c FROM a.Invoices__r WHERE Status__c = 'open' LIMIT 1) "
        "FROM Account a WHERE Name IN ('Acme', 'globex')"
    ).records
    assert records[0]["Invoices__r"]["records"] == [
        {
            "attributes": {"type": "Invoice__c", "url": url("Invoice__c", org.ids["inv2"])},
            "Name": "INV-2",
            "Amount__c": 50.0,
        }
    ]
    assert records[0]["Invoices__r"]["totalSize"] == 1
    assert records[1]["Invoices__r"]["records"][0]["Name"] == "INV-3"


def test_child_subqueries_nest(org: Org) -> None:
    records = org.query(
        "SELECT Name, (SELECT Name, (SELECT Subject FROM Tasks) FROM Invoices__r ORDER BY Name) FROM Account "
        "WHERE Name = 'Acme'"
    ).records
    invoices = records[0]["Invoices__r"]["records"]
    assert [invoice["Name"] for invoice in invoices] == ["INV-1", "INV-2"]
    assert invoices[0]["Tasks"] is None
    assert [task["Subject"] for task in invoices[1]["Tasks"]["records"]] == ["Chase"]


def test_fields_standard_custom_all(org: Org) -> None:
    standard = org.query("SELECT FIELDS(STANDARD) FROM Contact WHERE LastName = 'Doe'")
    assert standard.columns == [
        "Id",
        "IsDeleted",
        "CreatedDate",
        "SystemModstamp",
        "FirstName",
        "LastName",
        "Email",
        "Birthdate",
        "AccountId",
    ]
    custom = org.query("SELECT FIELDS(CUSTOM) FROM Account LIMIT 200")
    assert custom.columns == [
        "Rating__c",
        "Active__c",
        "Billing_Account_Number__c",
        "Services__c",
        "First_Invoice_Date__c",
    ]
    everything = org.query("SELECT FIELDS(ALL) FROM Invoice__c LIMIT 1")
    assert everything.records[0]["Status__c"] == "Paid"
    assert len(everything.columns) == 9


def test_compound_address_is_assembled_from_components(org: Org) -> None:
    records = org.query("SELECT Name, BillingAddress FROM Account ORDER BY Name").records
    assert records[0]["BillingAddress"] == {
        "city": "Paris",
        "country": "FR",
        "geocodeAccuracy": None,
        "latitude": None,
        "longitude": None,
        "postalCode": None,
        "state": None,
        "street": "1 Rue de Rivoli",
    }
    assert records[1]["BillingAddress"] is None


def test_typeof_picks_fields_by_the_parent_type(org: Org) -> None:
    records = org.query(
        "SELECT Subject, TYPEOF What WHEN Account THEN Name, Industry WHEN Invoice__c THEN Name, Amount__c END "
        "FROM Task"
    ).records
    call, chase, orphan = records
    assert call["What"] == {
        "attributes": {"type": "Account", "url": url("Account", org.ids["acme"])},
        "Name": "Acme",
        "Industry": "Technology",
    }
    assert chase["What"] == {
        "attributes": {"type": "Invoice__c", "url": url("Invoice__c", org.ids["inv2"])},
        "Name": "INV-2",
        "Amount__c": 50.0,
    }
    assert orphan["What"] is None


def test_typeof_else_branch(org: Org) -> None:
    records = org.query(
        "SELECT TYPEOF What WHEN Account THEN Industry ELSE Name END FROM Task WHERE Subject = 'Chase'"
    )
    assert records.records[0]["What"]["Name"] == "INV-2"
    assert "Industry" not in records.records[0]["What"]


def test_polymorphic_parent_path_reports_the_real_type(org: Org) -> None:
    records = org.query("SELECT Subject, What.Name FROM Task ORDER BY Subject").records
    assert [
        (record["Subject"], record["What"] and record["What"]["attributes"]["type"]) for record in records
    ] == [
        ("Call", "Account"),
        ("Chase", "Invoice__c"),
        ("Orphan", None),
    ]
    assert records[1]["What"]["Name"] == "INV-2"


def test_pass_through_functions_keep_the_field_name(org: Org) -> None:
    record = org.query(
        "SELECT toLabel(Industry), convertCurrency(AnnualRevenue) FROM Account LIMIT 1"
    ).records[0]
    assert record == {
        "attributes": {"type": "Account", "url": url("Account", org.ids["acme"])},
        "Industry": "Technology",
        "AnnualRevenue": 1000.5,
    }


def test_flat_rows_follow_columns(org: Org) -> None:
    result = org.query("SELECT Id, LastName, Account.Name, Account.Owner.Name FROM Contact ORDER BY LastName")
    assert result.columns == ["Id", "LastName", "Account.Name", "Account.Owner.Name"]
    assert result.flat_rows() == [
        [org.ids["doe"], "Doe", "Acme", "Ada Lovelace"],
        [org.ids["roe"], "Roe", "Acme", "Ada Lovelace"],
        [org.ids["smith"], "smith", "globex", "Bob"],
        [org.ids["loner"], "Wolf", None, None],
    ]


def test_flat_rows_refuse_child_subqueries(org: Org) -> None:
    result = org.query("SELECT Name, (SELECT Id FROM Contacts) FROM Account")
    with pytest.raises(ValueError, match="no flat"):
        result.flat_rows()


def test_results_do_not_depend_on_paging(org: Org) -> None:
    """Same query, same rows, same order: the API layer can page through them in any batch size."""
    for _ in range(3):
        org.add("x", "Contact", LastName="Doe", FirstName="Another")
    text = "SELECT Id, LastName FROM Contact ORDER BY LastName"
    first = org.query(text).records
    second = org.query(text).records
    assert first == second
    does = [record["Id"] for record in first if record["LastName"] == "Doe"]
    assert does[0] == org.ids["doe"]  # ties keep insertion order: stable across executions
    assert len(does) == 4
