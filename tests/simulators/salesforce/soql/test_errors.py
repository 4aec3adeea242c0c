"""Error codes and messages, worded as a real org words them."""

from __future__ import annotations

import pytest

from tests.support.soql import Org

NO_SUCH_COLUMN_TAIL = (
    "If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. "
    "Please reference your WSDL or the describe call for the appropriate names."
)


def test_unknown_field_echoes_the_query_with_a_caret(org: Org) -> None:
    error = org.error("SELECT Nope FROM Account")
    assert (error.status, error.error_code) == (400, "INVALID_FIELD")
    assert error.message == (
        "\nSELECT Nope FROM Account\n       ^\nERROR at Row:1:Column:8\n"
        f"No such column 'Nope' on entity 'Account'. {NO_SUCH_COLUMN_TAIL}"
    )


def test_unknown_field_at_the_end_of_a_parent_path_names_the_parent_entity(org: Org) -> None:
    error = org.error("SELECT Id, Account.Nope__c FROM Contact")
    assert error.error_code == "INVALID_FIELD"
    assert error.message.endswith(
        f"ERROR at Row:1:Column:12\nNo such column 'Nope__c' on entity 'Account'. {NO_SUCH_COLUMN_TAIL}"
    )


@pytest.mark.parametrize(
    "soql",
    [
        "SELECT Id FROM Account WHERE Nope = 'x'",
        "SELECT Id FROM Account ORDER BY Nope",
        "SELECT Id, (SELECT Nope FROM Contacts) FROM Account",
        "SELECT COUNT(Nope) FROM Account",
        "SELECT Id FROM Account WHERE Id IN (SELECT Nope FROM Contact)",
    ],
)
def test_unknown_fields_anywhere(org: Org, soql: str) -> None:
    error = org.error(soql)
    assert error.error_code == "INVALID_FIELD"
    assert "No such column 'Nope' on entity" in error.message
    assert f"ERROR at Row:1:Column:{soql.index('Nope') + 1}\n" in error.message


def test_unknown_relationship(org: Org) -> None:
    error = org.error("SELECT Acccount.Name FROM Contact")
    assert error.error_code == "INVALID_FIELD"
    assert error.message.endswith(
        "ERROR at Row:1:Column:8\nDidn't understand relationship 'Acccount' in field path. If you are attempting "
        "to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please "
        "reference your WSDL or the describe call for the appropriate names."
    )


def test_unknown_object(org: Org) -> None:
    error = org.error("SELECT Id FROM Foo")
    assert (error.status, error.error_code) == (400, "INVALID_TYPE")
    assert error.message == (
        "\nSELECT Id FROM Foo\n               ^\nERROR at Row:1:Column:16\n"
        "sObject type 'Foo' is not supported. If you are attempting to use a custom object, be sure to append "
        "the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
    )
    assert (
        org.error("SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Nope__c)").error_code
        == "INVALID_TYPE"
    )


def test_unknown_child_relationship_is_an_invalid_type(org: Org) -> None:
    error = org.error("SELECT Id, (SELECT Id FROM Contact) FROM Account")
    assert error.error_code == "INVALID_TYPE"
    assert "Didn't understand relationship 'Contact' in FROM part of query call." in error.message


@pytest.mark.parametrize(
    ("condition", "detail"),
    [
        (
            "Active__c = 'true'",
            "field 'Active__c' must be of type boolean and should not be enclosed in quotes",
        ),
        (
            "NumberOfEmployees = '5'",
            "field 'NumberOfEmployees' must be of type integer and should not be enclosed in quotes",
        ),
        (
            "Rating__c > 'high'",
            "field 'Rating__c' must be of type double and should not be enclosed in quotes",
        ),
        ("Name = 5", "field 'Name' must be of type string and should be enclosed in quotes"),
        ("Name = true", "field 'Name' must be of type string and should be enclosed in quotes"),
        (
            "First_Invoice_Date__c = '2024-01-01'",
            "field 'First_Invoice_Date__c' must be of type date and should not be enclosed in quotes",
        ),
        (
            "First_Invoice_Date__c = 2024-01-01T00:00:00Z",
            "field 'First_Invoice_Date__c' must be of type date and should not be enclosed in quotes",
        ),
        (
            "CreatedDate > 2024-01-01",
            "field 'CreatedDate' must be of type dateTime and should not be enclosed in quotes",
        ),
        ("Name = TODAY", "field 'Name' must be of type string and should be enclosed in quotes"),
        ("ParentId = 5", "field 'ParentId' must be of type id and should be enclosed in quotes"),
        ("Name LIKE 5", "field 'Name' must be of type string and should be enclosed in quotes"),
    ],
)
def test_value_type_mismatch_is_invalid_field(org: Org, condition: str, detail: str) -> None:
    soql = f"SELECT Id FROM Account WHERE {condition}"
    error = org.error(soql)
    assert error.error_code == "INVALID_FIELD"
    assert error.message.endswith(f"value of filter criterion for {detail}")


@pytest.mark.parametrize(
    ("condition", "detail"),
    [
        ("Id = 'nope'", "invalid ID field: nope"),
        ("ParentId IN ('001', null)", "invalid ID field: 001"),
        ("Services__c LIKE 'A%'", "invalid operator on multipicklist field"),
        ("NumberOfEmployees LIKE '1%'", "invalid operator on int field"),
        ("Active__c > false", "invalid operator on boolean field"),
        ("Name INCLUDES ('a')", "includes or excludes operator only valid on multipicklist field"),
    ],
)
def test_bad_filter_operators(org: Org, condition: str, detail: str) -> None:
    error = org.error(f"SELECT Id FROM Account WHERE {condition}")
    assert error.error_code == "INVALID_QUERY_FILTER_OPERATOR"
    assert error.message.endswith(f"\n{detail}")


def test_invalid_id_caret_points_at_the_literal(org: Org) -> None:
    error = org.error("SELECT Id FROM Account WHERE Id = 'x'")
    assert error.message == (
        "\nSELECT Id FROM Account WHERE Id = 'x'\n"
        + " " * 34
        + "^\nERROR at Row:1:Column:35\ninvalid ID field: x"
    )


@pytest.mark.parametrize(
    ("soql", "code", "detail"),
    [
        (
            "SELECT FIELDS(ALL) FROM Account",
            "MALFORMED_QUERY",
            "The SOQL FIELDS function must have a LIMIT of at most 200",
        ),
        (
            "SELECT FIELDS(CUSTOM) FROM Account LIMIT 201",
            "MALFORMED_QUERY",
            "must have a LIMIT of at most 200",
        ),
        ("SELECT Name n FROM Account", "MALFORMED_QUERY", "Only aggregate expressions use field aliasing"),
        ("SELECT Id, id FROM Account", "INVALID_FIELD", "duplicate field selected: Id"),
        ("SELECT Id, FIELDS(STANDARD) FROM Account", "INVALID_FIELD", "duplicate field selected: Id"),
        (
            "SELECT Owner.Name, owner.name FROM Account",
            "INVALID_FIELD",
            "duplicate field selected: Owner.Name",
        ),
        (
            "SELECT Id FROM Account ORDER BY Services__c",
            "INVALID_FIELD",
            "field 'Services__c' can not be sorted in a query call",
        ),
        (
            "SELECT Id FROM Account WHERE BillingAddress = null",
            "INVALID_FIELD",
            "field 'BillingAddress' can not be filtered in query call",
        ),
        (
            "SELECT CALENDAR_YEAR(CreatedDate) FROM Account",
            "MALFORMED_QUERY",
            "can only be used in a query with a GROUP BY clause",
        ),
        (
            "SELECT Id FROM Account WHERE CALENDAR_YEAR(Name) = 2024",
            "MALFORMED_QUERY",
            "date or datetime required",
        ),
        (
            "SELECT Id FROM Account WHERE Id IN (SELECT Id FROM Contact WHERE AccountId IN (SELECT Id FROM Account))",
            "MALFORMED_QUERY",
            "Nesting of semi join sub-selects is not supported",
        ),
        (
            "SELECT Id FROM Account WHERE Id IN (SELECT Id, Name FROM Contact)",
            "MALFORMED_QUERY",
            "exactly one id field",
        ),
        (
            "SELECT Id FROM Account WHERE Name IN (SELECT LastName FROM Contact)",
            "INVALID_FIELD",
            "semi join must be an id or reference field",
        ),
        (
            "SELECT Id FROM Account WHERE Id IN (SELECT LastName FROM Contact)",
            "INVALID_FIELD",
            "must be an id field",
        ),
        (
            "SELECT Id, (SELECT COUNT(Id) FROM Contacts) FROM Account",
            "MALFORMED_QUERY",
            "not supported in subqueries",
        ),
        (
            "SELECT TYPEOF What WHEN Contact THEN Name END FROM Task",
            "MALFORMED_QUERY",
            "is not a type of 'What'",
        ),
        (
            "SELECT TYPEOF Nope WHEN Account THEN Name END FROM Task",
            "INVALID_FIELD",
            "Didn't understand relationship 'Nope'",
        ),
        (
            "SELECT Id FROM Account.Contacts",
            "INVALID_TYPE",
            "sObject type 'Account.Contacts' is not supported",
        ),
        (
            "SELECT Id FROM Account ORDER BY COUNT(Id)",
            "MALFORMED_QUERY",
            "only be ordered in an aggregate query",
        ),
    ],
)
def test_semantic_errors(org: Org, soql: str, code: str, detail: str) -> None:
    error = org.error(soql)
    assert error.error_code == code
    assert detail in error.message


def test_offset_limit_in_child_subqueries_is_checked(org: Org) -> None:
    assert org.error("SELECT Id, (SELECT Id FROM Contacts OFFSET 2001) FROM Account").error_code == (
        "NUMBER_OUTSIDE_VALID_RANGE"
    )
