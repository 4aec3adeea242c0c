"""ORDER BY, LIMIT, OFFSET and COUNT()."""

from __future__ import annotations

import pytest

from tests.support.soql import Org


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("Name", ["Acme", "globex", "Initech"]),  # case-insensitive
        ("Name ASC", ["Acme", "globex", "Initech"]),
        ("Name DESC", ["Initech", "globex", "Acme"]),
        ("Industry", ["Initech", "globex", "Acme"]),  # nulls first by default
        ("Industry DESC", ["Initech", "Acme", "globex"]),  # ...whatever the direction
        ("Industry NULLS LAST", ["globex", "Acme", "Initech"]),
        ("Industry DESC NULLS LAST", ["Acme", "globex", "Initech"]),
        ("Industry ASC NULLS FIRST", ["Initech", "globex", "Acme"]),
        ("NumberOfEmployees DESC", ["Initech", "Acme", "globex"]),
        ("Active__c DESC, Name DESC", ["Acme", "Initech", "globex"]),
        ("Active__c, Name", ["globex", "Initech", "Acme"]),
        ("CreatedDate", ["Initech", "globex", "Acme"]),
        ("First_Invoice_Date__c DESC NULLS LAST", ["Acme", "globex", "Initech"]),
        ("Owner.Name DESC", ["Initech", "globex", "Acme"]),
        ("Owner.Name DESC NULLS LAST", ["globex", "Acme", "Initech"]),
    ],
)
def test_order_by(org: Org, order: str, expected: list[str]) -> None:
    assert org.values(f"SELECT Name FROM Account ORDER BY {order}") == expected


def test_limit_and_offset(org: Org) -> None:
    query = "SELECT Name FROM Account ORDER BY Name"
    assert org.values(f"{query} LIMIT 2") == ["Acme", "globex"]
    assert org.values(f"{query} LIMIT 2 OFFSET 1") == ["globex", "Initech"]
    assert org.values(f"{query} OFFSET 2") == ["Initech"]
    assert org.values(f"{query} LIMIT 0") == []
    assert org.values(f"{query} OFFSET 2000") == []
    assert org.values("SELECT Name FROM Account LIMIT 1") == ["Acme"]
    assert org.query("SELECT Name FROM Account LIMIT 2").total_size == 2


def test_offset_above_2000_is_out_of_range(org: Org) -> None:
    error = org.error("SELECT Name FROM Account OFFSET 2001")
    assert (error.status, error.error_code, error.message) == (
        400,
        "NUMBER_OUTSIDE_VALID_RANGE",
        "Maximum SOQL offset allowed is 2000",
    )


def test_count_only(org: Org) -> None:
    result = org.query("SELECT COUNT() FROM Contact")
    assert (result.total_size, result.records, result.is_count_only) == (4, [], True)
    assert result.flat_rows() == []
    assert org.query("SELECT COUNT() FROM Contact WHERE Account.Name = 'Acme'").total_size == 2
    assert org.query("SELECT COUNT() FROM Contact LIMIT 3").total_size == 3
    assert org.query("SELECT COUNT() FROM Account", include_deleted=True).total_size == 4
    assert org.query("SELECT COUNT() FROM Contact GROUP BY AccountId").total_size == 3


def test_organization_row_for_is_sandbox(org: Org) -> None:
    result = org.query("SELECT IsSandbox FROM Organization LIMIT 1")
    assert [record["IsSandbox"] for record in result.records] == [True]
