"""COUNT, COUNT_DISTINCT, SUM, AVG, MIN, MAX, GROUP BY, HAVING."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.support.soql import Org

AGGREGATE = {"type": "AggregateResult"}


def rows(org: Org, soql: str) -> list[dict[str, Any]]:
    records = org.query(soql).records
    for record in records:
        assert record.pop("attributes") == AGGREGATE
    return records


def test_aggregates_without_group_by_answer_one_row(org: Org) -> None:
    result = org.query("SELECT COUNT(Id) FROM Contact")
    assert result.records == [{"attributes": AGGREGATE, "expr0": 4}]
    assert result.total_size == 1
    assert result.columns == ["expr0"]
    assert result.flat_rows() == [[4]]


def test_count_field_and_count_distinct_skip_nulls(org: Org) -> None:
    assert rows(org, "SELECT COUNT(AccountId) c, COUNT_DISTINCT(AccountId) FROM Contact") == [
        {"c": 3, "expr0": 2}
    ]


def test_sum_avg_min_max(org: Org) -> None:
    assert rows(
        org, "SELECT SUM(Amount__c), AVG(Amount__c), MIN(Amount__c), MAX(Amount__c) FROM Invoice__c"
    ) == [{"expr0": 225.75, "expr1": 75.25, "expr2": 50.0, "expr3": 100.25}]
    assert rows(org, "SELECT AVG(NumberOfEmployees), SUM(NumberOfEmployees) FROM Account") == [
        {"expr0": 75.0, "expr1": 150}
    ]


def test_min_max_of_text_and_dates(org: Org) -> None:
    assert rows(org, "SELECT MIN(Name), MAX(Name) FROM Account") == [{"expr0": "Acme", "expr1": "Initech"}]
    assert rows(org, "SELECT MIN(Invoice_Date__c) earliest, MAX(Invoice_Date__c) latest FROM Invoice__c") == [
        {"earliest": date(2023, 12, 31), "latest": date(2024, 5, 2)}
    ]


def test_aggregates_over_no_rows(org: Org) -> None:
    assert rows(
        org, "SELECT COUNT(Id), SUM(Amount__c), MAX(Name) FROM Invoice__c WHERE Status__c = 'Void'"
    ) == [{"expr0": 0, "expr1": None, "expr2": None}]


def test_group_by_with_aliases_and_expr_names(org: Org) -> None:
    result = org.query(
        "SELECT Status__c, COUNT(Id) n, SUM(Amount__c) FROM Invoice__c GROUP BY Status__c ORDER BY Status__c"
    )
    assert result.records == [
        {"attributes": AGGREGATE, "Status__c": "Open", "n": 2, "expr0": 125.5},
        {"attributes": AGGREGATE, "Status__c": "Paid", "n": 1, "expr0": 100.25},
    ]
    assert result.columns == ["Status__c", "n", "expr0"]
    assert result.flat_rows() == [["Open", 2, 125.5], ["Paid", 1, 100.25]]


def test_text_groups_are_case_insensitive(org: Org) -> None:
    org.add("inv4", "Invoice__c", Name="INV-4", Status__c="OPEN", Amount__c=1.0)
    assert rows(org, "SELECT Status__c, COUNT(Id) FROM Invoice__c GROUP BY Status__c") == [
        {"Status__c": "Paid", "expr0": 1},
        {"Status__c": "Open", "expr0": 3},
    ]


def test_group_by_parent_path_uses_the_field_name(org: Org) -> None:
    assert rows(
        org,
        "SELECT Account.Name, COUNT(Id) FROM Contact GROUP BY Account.Name ORDER BY Account.Name NULLS LAST",
    ) == [{"Name": "Acme", "expr0": 2}, {"Name": "globex", "expr0": 1}, {"Name": None, "expr0": 1}]


def test_having_on_aggregates_and_grouped_fields(org: Org) -> None:
    assert rows(org, "SELECT AccountId, COUNT(Id) FROM Contact GROUP BY AccountId HAVING COUNT(Id) > 1") == [
        {"AccountId": org.ids["acme"], "expr0": 2}
    ]
    assert rows(
        org,
        "SELECT Status__c FROM Invoice__c GROUP BY Status__c HAVING Status__c = 'open' AND SUM(Amount__c) > 100",
    ) == [{"Status__c": "Open"}]
    assert rows(org, "SELECT Status__c FROM Invoice__c GROUP BY Status__c HAVING MAX(Amount__c) < 100") == [
        {"Status__c": "Open"}
    ]


def test_order_limit_offset_on_groups(org: Org) -> None:
    query = "SELECT Account__c, SUM(Amount__c) total FROM Invoice__c GROUP BY Account__c ORDER BY SUM(Amount__c) DESC"
    assert [row["total"] for row in rows(org, query)] == [150.25, 75.5]
    assert [row["total"] for row in rows(org, query + " LIMIT 1 OFFSET 1")] == [75.5]


def test_group_by_date_function(org: Org) -> None:
    assert rows(
        org,
        "SELECT CALENDAR_YEAR(Invoice_Date__c), COUNT(Id) FROM Invoice__c "
        "GROUP BY CALENDAR_YEAR(Invoice_Date__c) ORDER BY CALENDAR_YEAR(Invoice_Date__c)",
    ) == [{"expr0": 2023, "expr1": 1}, {"expr0": 2024, "expr1": 2}]
    assert rows(
        org,
        "SELECT DAY_ONLY(CreatedDate) day, COUNT(Id) FROM Account GROUP BY DAY_ONLY(CreatedDate) ORDER BY DAY_ONLY(CreatedDate) DESC",
    ) == [
        {"day": date(2024, 5, 15), "expr0": 1},
        {"day": date(2024, 5, 14), "expr0": 1},
        {"day": date(2024, 1, 2), "expr0": 1},
    ]


@pytest.mark.parametrize(
    ("soql", "code", "detail"),
    [
        (
            "SELECT Name, COUNT(Id) FROM Account",
            "MALFORMED_QUERY",
            "Field must be grouped or aggregated: Name",
        ),
        (
            "SELECT Industry, COUNT(Id) FROM Account GROUP BY Name",
            "MALFORMED_QUERY",
            "Field must be grouped or aggregated: Industry",
        ),
        (
            "SELECT Name FROM Account GROUP BY Name HAVING Industry = 'x'",
            "MALFORMED_QUERY",
            "Field must be grouped or aggregated: Industry",
        ),
        (
            "SELECT SUM(Name) FROM Account",
            "INVALID_FIELD",
            "field Name does not support aggregate operator SUM",
        ),
        (
            "SELECT CreatedDate FROM Account GROUP BY CreatedDate",
            "INVALID_FIELD",
            "field 'CreatedDate' can not be grouped in a query call",
        ),
        (
            "SELECT Name, (SELECT Id FROM Contacts) FROM Account GROUP BY Name",
            "MALFORMED_QUERY",
            "Only fields and aggregate functions",
        ),
        (
            "SELECT Name FROM Account WHERE COUNT(Id) > 1",
            "MALFORMED_QUERY",
            "Aggregate functions are not allowed in a WHERE clause",
        ),
        (
            "SELECT COUNT(), Name FROM Account",
            "MALFORMED_QUERY",
            "COUNT() must be the only element in the SELECT list",
        ),
        (
            "SELECT Name, COUNT() FROM Account GROUP BY Name",
            "MALFORMED_QUERY",
            "COUNT() must be the only element in the SELECT list",
        ),
        (
            "SELECT Name FROM Account HAVING Name = 'x'",
            "MALFORMED_QUERY",
            "HAVING can only be used with GROUP BY",
        ),
    ],
)
def test_aggregate_errors(org: Org, soql: str, code: str, detail: str) -> None:
    error = org.error(soql)
    assert error.error_code == code
    assert detail in error.message
