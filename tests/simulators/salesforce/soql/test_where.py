"""WHERE: operators, types, nulls, dates, ids, joins."""

from __future__ import annotations

import pytest

from tests.support.soql import Org

ACCOUNTS = "SELECT Name FROM Account WHERE "


def names(org: Org, condition: str) -> list[str]:
    return org.values(ACCOUNTS + condition)


# --- text -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("Name = 'ACME'", ["Acme"]),
        ("Name = 'Globex'", ["globex"]),
        ("Name != 'acme'", ["globex", "Initech"]),
        ("Name < 'h'", ["Acme", "globex"]),
        ("Name <= 'GLOBEX'", ["Acme", "globex"]),
        ("Name > 'globex'", ["Initech"]),
        ("Name >= 'Globex'", ["globex", "Initech"]),
        ("Industry = null", ["Initech"]),
        ("Industry != null", ["Acme", "globex"]),
        ("Industry != 'technology'", ["globex", "Initech"]),  # != keeps nulls
        ("Industry < 'Z'", ["Acme", "globex"]),  # ordering drops nulls
        ("Name IN ('acme', 'INITECH', 'nobody')", ["Acme", "Initech"]),
        ("Name NOT IN ('acme')", ["globex", "Initech"]),
        ("Industry NOT IN ('Energy')", ["Acme", "Initech"]),
        ("Industry IN ('Energy', null)", ["globex", "Initech"]),
    ],
)
def test_text_comparisons_are_case_insensitive(org: Org, condition: str, expected: list[str]) -> None:
    assert names(org, condition) == expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("'a%'", ["Acme"]),
        ("'%E%'", ["Acme", "globex", "Initech"]),
        ("'_lobex'", ["globex"]),
        ("'acme'", ["Acme"]),
        ("'ac'", []),
        ("'%x'", ["globex"]),
    ],
)
def test_like(org: Org, pattern: str, expected: list[str]) -> None:
    assert names(org, f"Name LIKE {pattern}") == expected


def test_like_escapes_wildcards(org: Org) -> None:
    assert names(org, r"Description LIKE '50\% off\_%'") == ["Initech"]
    assert names(org, r"Description LIKE '50\%_off%'") == ["Initech"]
    assert names(org, r"Description LIKE '50\_%'") == []


def test_string_escapes_in_equality(org: Org) -> None:
    org.add("quote", "Account", Name="O'Brien \\ Co")
    assert names(org, r"Name = 'o\'brien \\ co'") == ["O'Brien \\ Co"]


# --- numbers, booleans, multi-select picklists ----------------------------------------------


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("NumberOfEmployees = 100", ["Acme"]),
        ("NumberOfEmployees != 100", ["globex", "Initech"]),
        ("NumberOfEmployees > 50", ["Acme"]),
        ("NumberOfEmployees >= 50", ["Acme", "globex"]),
        ("NumberOfEmployees < 100", ["globex"]),
        ("NumberOfEmployees <= 100.0", ["Acme", "globex"]),
        ("AnnualRevenue = 1000.5", ["Acme"]),
        ("AnnualRevenue > 200", ["Acme"]),
        ("Rating__c IN (3, 4.5)", ["Acme", "globex"]),
        ("Rating__c > -1", ["Acme", "globex"]),
        ("Active__c = true", ["Acme"]),
        ("Active__c = FALSE", ["globex", "Initech"]),
        ("Active__c != true", ["globex", "Initech"]),
        ("Services__c = 'support;hosting'", ["Acme"]),
        ("Services__c INCLUDES ('Support')", ["Acme", "globex"]),
        ("Services__c INCLUDES ('Hosting;Support')", ["Acme"]),
        ("Services__c INCLUDES ('Hosting;Training', 'support')", ["Acme", "globex"]),
        ("Services__c EXCLUDES ('Hosting')", ["globex", "Initech"]),
    ],
)
def test_numbers_booleans_and_multipicklists(org: Org, condition: str, expected: list[str]) -> None:
    assert names(org, condition) == expected


# --- logic ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("Name = 'Acme' OR Name = 'Initech'", ["Acme", "Initech"]),
        ("Active__c = false AND NumberOfEmployees = null", ["Initech"]),
        ("NOT Name = 'Acme'", ["globex", "Initech"]),
        ("NOT (Name = 'Acme' OR Industry = null)", ["globex"]),
        ("(Name = 'Acme' OR Name = 'globex') AND (Active__c = false)", ["globex"]),
        ("Active__c = false AND (Industry = 'Energy' OR Description != null)", ["globex", "Initech"]),
    ],
)
def test_and_or_not_parentheses(org: Org, condition: str, expected: list[str]) -> None:
    assert names(org, condition) == expected


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("First_Invoice_Date__c = 2024-05-01", ["Acme"]),
        ("First_Invoice_Date__c < 2024-05-01", ["globex"]),
        ("First_Invoice_Date__c >= 2024-04-10", ["Acme", "globex"]),
        ("First_Invoice_Date__c = THIS_MONTH", ["Acme"]),
        ("First_Invoice_Date__c = LAST_MONTH", ["globex"]),
        ("First_Invoice_Date__c < THIS_MONTH", ["globex"]),
        ("First_Invoice_Date__c > LAST_MONTH", ["Acme"]),
        ("First_Invoice_Date__c <= LAST_MONTH", ["globex"]),
        ("First_Invoice_Date__c >= LAST_MONTH", ["Acme", "globex"]),
        ("First_Invoice_Date__c != THIS_MONTH", ["globex", "Initech"]),
        ("First_Invoice_Date__c = LAST_N_DAYS:14", ["Acme"]),
        ("First_Invoice_Date__c = LAST_N_DAYS:35", ["Acme", "globex"]),
        ("First_Invoice_Date__c IN (THIS_MONTH, LAST_MONTH)", ["Acme", "globex"]),
        ("First_Invoice_Date__c = THIS_QUARTER", ["Acme", "globex"]),
        ("First_Invoice_Date__c = NEXT_YEAR", []),
    ],
)
def test_date_fields(org: Org, condition: str, expected: list[str]) -> None:
    assert names(org, condition) == expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("CreatedDate = TODAY", ["Acme"]),
        ("CreatedDate = YESTERDAY", ["globex"]),
        ("CreatedDate = LAST_N_DAYS:1", ["Acme", "globex"]),
        ("CreatedDate < TODAY", ["globex", "Initech"]),
        ("CreatedDate > YESTERDAY", ["Acme"]),
        ("CreatedDate >= THIS_YEAR", ["Acme", "globex", "Initech"]),
        ("CreatedDate < THIS_WEEK", ["Initech"]),
        ("CreatedDate > 2024-05-14T23:59:58Z", ["Acme", "globex"]),
        ("CreatedDate > 2024-05-15T01:00:00+02:00", ["Acme", "globex"]),
        ("CreatedDate = 2024-01-02T00:00:00Z", ["Initech"]),
        ("CreatedDate = 2024-01-02T01:00:00+01:00", ["Initech"]),
    ],
)
def test_datetime_fields_and_day_ranges(org: Org, condition: str, expected: list[str]) -> None:
    assert names(org, condition) == expected


def test_date_functions_in_where(org: Org) -> None:
    assert names(org, "CALENDAR_MONTH(CreatedDate) = 5") == ["Acme", "globex"]
    assert names(org, "DAY_IN_WEEK(CreatedDate) = 4") == ["Acme"]  # Wednesday (1 = Sunday)
    assert names(org, "DAY_ONLY(CreatedDate) = 2024-05-14") == ["globex"]
    assert names(org, "CALENDAR_YEAR(First_Invoice_Date__c) = 2024") == ["Acme", "globex"]


# --- ids ------------------------------------------------------------------------------------


def test_ids_match_in_15_and_18_character_forms(org: Org) -> None:
    acme = org.ids["acme"]
    assert names(org, f"Id = '{acme}'") == ["Acme"]
    assert names(org, f"Id = '{acme[:15]}'") == ["Acme"]
    assert names(org, f"Id = '{acme.lower()}'") == ["Acme"]  # 18 characters: case-insensitive
    assert names(org, f"Id = '{acme[:15].lower()}'") == []  # 15 characters: case-sensitive
    assert names(org, f"ParentId = '{acme[:15]}'") == ["globex"]
    assert names(org, f"Id IN ('{acme.upper()}', '{org.ids['initech']}')") == ["Acme", "Initech"]
    assert names(org, f"Id != '{acme}'") == ["globex", "Initech"]


# --- joins ----------------------------------------------------------------------------------


def test_semi_join_and_anti_join(org: Org) -> None:
    assert names(org, "Id IN (SELECT AccountId FROM Contact)") == ["Acme", "globex"]
    assert names(org, "Id IN (SELECT AccountId FROM Contact WHERE FirstName = 'jane')") == ["Acme"]
    assert names(org, "Id NOT IN (SELECT AccountId FROM Contact)") == ["Initech"]
    assert names(
        org, "Id IN (SELECT Account__c FROM Invoice__c WHERE Status__c = 'Open') AND Active__c = false"
    ) == ["globex"]
    contacts = org.values(
        "SELECT LastName FROM Contact WHERE AccountId NOT IN (SELECT Id FROM Account WHERE Active__c = true)",
        "LastName",
    )
    assert contacts == ["smith", "Wolf"]  # a null lookup is "not in" too


def test_parent_fields_in_where(org: Org) -> None:
    assert org.values("SELECT LastName FROM Contact WHERE Account.Name = 'acme'", "LastName") == [
        "Doe",
        "Roe",
    ]
    assert org.values("SELECT LastName FROM Contact WHERE Account.Owner.Email LIKE 'bob@%'", "LastName") == [
        "smith"
    ]
    assert org.values("SELECT LastName FROM Contact WHERE Account.Name = null", "LastName") == ["Wolf"]


def test_accepted_and_ignored_clauses_do_not_change_results(org: Org) -> None:
    assert org.values("SELECT Name FROM Account WHERE Name = 'Acme' WITH SECURITY_ENFORCED") == ["Acme"]
    assert org.values("SELECT Name FROM Account USING SCOPE Everything WHERE Active__c = true FOR VIEW") == [
        "Acme"
    ]
