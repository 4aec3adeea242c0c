"""What Bulk API 2.0 query jobs refuse, and the flat CSV form of what they accept."""

from __future__ import annotations

import pytest

from simulators.salesforce.errors import SalesforceError
from simulators.salesforce.soql import check_bulk_query, parse
from tests.support.soql import Org


@pytest.mark.parametrize(
    ("soql", "message"),
    [
        (
            "SELECT Name, (SELECT LastName FROM Contacts) FROM Account",
            "Aggregate Relationships not supported in Bulk Query with CSV content type",
        ),
        ("SELECT COUNT() FROM Account", "Aggregate queries are not supported in Bulk Query"),
        ("SELECT COUNT(Id) FROM Account", "Aggregate queries are not supported in Bulk Query"),
        (
            "SELECT Industry FROM Account GROUP BY Industry",
            "Aggregate queries are not supported in Bulk Query",
        ),
        ("SELECT Name FROM Account OFFSET 5", "OFFSET is not supported in Bulk Query"),
        ("SELECT FIELDS(STANDARD) FROM Account", "FIELDS() is not supported in Bulk Query"),
        ("SELECT TYPEOF What WHEN Account THEN Name END FROM Task", "TYPEOF is not supported in Bulk Query"),
    ],
)
def test_refused_constructs(soql: str, message: str) -> None:
    with pytest.raises(SalesforceError) as caught:
        check_bulk_query(soql)
    assert (caught.value.status, caught.value.error_code, caught.value.message) == (
        400,
        "FEATURE_NOT_ENABLED",
        message,
    )
    with pytest.raises(SalesforceError):
        check_bulk_query(parse(soql))


def test_compound_fields_are_refused_when_the_schema_is_at_hand(org: Org) -> None:
    soql = "SELECT Name, BillingAddress FROM Account"
    check_bulk_query(soql)  # syntax alone cannot tell
    with pytest.raises(SalesforceError) as caught:
        check_bulk_query(soql, org.source)
    assert caught.value.error_code == "FEATURE_NOT_ENABLED"


def test_accepted_query_flattens_to_csv_columns(org: Org) -> None:
    soql = (
        "SELECT Id, LastName, Account.Name, Account.Owner.Email FROM Contact "
        "WHERE Account.Name != null ORDER BY LastName LIMIT 10"
    )
    check_bulk_query(soql, org.source)
    result = org.query(soql)
    assert result.columns == ["Id", "LastName", "Account.Name", "Account.Owner.Email"]
    assert result.flat_rows() == [
        [org.ids["doe"], "Doe", "Acme", "ada@example.com"],
        [org.ids["roe"], "Roe", "Acme", "ada@example.com"],
        [org.ids["smith"], "smith", "globex", "bob@example.com"],
    ]
