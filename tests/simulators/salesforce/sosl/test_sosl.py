"""SOSL: the statement's clauses, Salesforce's search semantics over the org's text fields, and
``GET /search`` / ``GET|POST /parameterizedSearch`` with their errors (404 on the old code)."""

from __future__ import annotations

from typing import Any

import pytest

from simulators.salesforce.errors import SalesforceError
from simulators.salesforce.sosl import ReturningSpec, parse_search
from tests.support.salesforce import SfClient

PEOPLE = [
    {"FirstName": "Ada", "LastName": "Zyxwander", "Email": "ada@zyx.example", "Phone": "(415) 555-0199"},
    {"FirstName": "Bob", "LastName": "Zyxwander", "Email": "bob@example.org"},
    {
        "FirstName": "Cy",
        "LastName": "Quorvath",
        "Email": "cy.zyxwander@example.org",
        "Title": "Zyxwander fan",
    },
    {"FirstName": "Dee", "LastName": "Zyxwanders"},
]


def test_parse_clauses() -> None:
    statement = parse_search(
        "FIND {Acme AND \"big deal\"} IN NAME FIELDS RETURNING Account(Name, Phone WHERE Industry = 'Retail' "
        "ORDER BY Name DESC LIMIT 5), Contact LIMIT 20"
    )
    assert statement.terms == 'Acme AND "big deal"'
    assert statement.scope == "NAME"
    assert statement.returning == (
        ReturningSpec("Account", ("Name", "Phone"), "Industry = 'Retail'", "Name DESC", 5),
        ReturningSpec("Contact", ("Id",)),
    )
    assert statement.limit == 20


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        (
            "FIND Acme",
            "MALFORMED_SEARCH",
            "No search term found. The search term must be enclosed in braces.",
        ),
        ("SELECT Id FROM Account", "MALFORMED_SEARCH", "unexpected token: 'SELECT'"),
        ("FIND {Acme} IN BOGUS FIELDS", "MALFORMED_SEARCH", "unexpected token: 'BOGUS'"),
        ("FIND {Acme} RETURNING Account(Name) GARBAGE", "MALFORMED_SEARCH", "unexpected token: 'GARBAGE'"),
        ("FIND {" + "x" * 10_001 + "}", "INVALID_SEARCH", "search term must be at most 10000 characters"),
    ],
)
def test_parse_errors(text: str, code: str, message: str) -> None:
    with pytest.raises(SalesforceError) as caught:
        parse_search(text)
    assert (caught.value.status, caught.value.error_code, caught.value.message) == (400, code, message)


@pytest.fixture
async def people(sf: SfClient) -> SfClient:
    result = await sf.json(
        "POST",
        "/composite/sobjects",
        200,
        json={"allOrNone": True, "records": [{"attributes": {"type": "Contact"}, **p} for p in PEOPLE]},
    )
    assert all(r["success"] for r in result)
    return sf


async def found(sf: SfClient, sosl: str) -> list[Any]:
    body = await sf.json("GET", "/search", 200, params={"q": sosl})
    return [r.get("FirstName", r["attributes"]["type"]) for r in body["searchRecords"]]


RETURN = " RETURNING Contact(FirstName ORDER BY FirstName)"


@pytest.mark.parametrize(
    ("terms", "scope", "expected"),
    [
        ("Zyxwander", "ALL", ["Ada", "Bob", "Cy"]),  # whole words only: not "Zyxwanders"
        ("Zyxwander", "NAME", ["Ada", "Bob"]),
        ("zyxWANDER*", "NAME", ["Ada", "Bob", "Dee"]),
        ("Zyxwande?", "NAME", ["Ada", "Bob"]),
        ("Zyxwand?", "NAME", []),  # ? is exactly one character
        ("Zyxwander?", "NAME", ["Dee"]),
        ("Zyxwander AND Bob", "ALL", ["Bob"]),
        ("Zyxwander Bob", "ALL", ["Bob"]),
        ("Quorvath OR Bob", "ALL", ["Bob", "Cy"]),
        ("Zyxwander AND NOT Ada", "NAME", ["Bob"]),
        ('"Zyxwander fan"', "ALL", ["Cy"]),
        ("bob@example.org", "EMAIL", ["Bob"]),
        ("Zyxwander", "EMAIL", ["Cy"]),
        ("4155550199", "PHONE", ["Ada"]),
    ],
)
async def test_search_semantics(people: SfClient, terms: str, scope: str, expected: list[str]) -> None:
    assert await found(people, f"FIND {{{terms}}} IN {scope} FIELDS{RETURN}") == expected


async def test_returning_where_limit_and_overall_limit(people: SfClient) -> None:
    assert await found(
        people,
        "FIND {Zyxwander} RETURNING Contact(FirstName WHERE Email LIKE '%example.org' ORDER BY FirstName)",
    ) == ["Bob", "Cy"]
    assert await found(
        people, "FIND {Zyxwander} RETURNING Contact(FirstName ORDER BY FirstName LIMIT 1)"
    ) == ["Ada"]
    assert await found(
        people, "FIND {Zyxwander} RETURNING Contact(FirstName ORDER BY FirstName) LIMIT 2"
    ) == [
        "Ada",
        "Bob",
    ]
    everything = await people.json("GET", "/search", 200, params={"q": "FIND {Zyxwander}"})
    assert {r["attributes"]["type"] for r in everything["searchRecords"]} == {"Contact"}
    assert all(set(r) == {"attributes", "Id"} for r in everything["searchRecords"])


@pytest.mark.parametrize(
    ("sosl", "code", "message_start"),
    [
        (
            "FIND {Zyxwander} RETURNING Nope__c(Name)",
            "INVALID_TYPE",
            "sObject type 'Nope__c' is not supported.",
        ),
        ("FIND {Z}", "INVALID_SEARCH", "search term must be longer than one character"),
        ("FIND {Zyxwander OR}", "MALFORMED_SEARCH", "search term must not end with an operator"),
        ("FIND Zyxwander", "MALFORMED_SEARCH", "No search term found."),
    ],
)
async def test_search_errors(people: SfClient, sosl: str, code: str, message_start: str) -> None:
    error = await people.error("GET", "/search", 400, params={"q": sosl})
    assert error["errorCode"] == code
    assert error["message"].startswith(message_start)


async def test_returning_field_errors_quote_the_search(people: SfClient) -> None:
    sosl = "FIND {Zyxwander} RETURNING Contact(FirstName, Bogus)"
    error = await people.error("GET", "/search", 400, params={"q": sosl})
    column = sosl.index("Bogus") + 1
    assert error == {
        "errorCode": "INVALID_FIELD",
        "message": f"\n{sosl}\n{' ' * (column - 1)}^\nERROR at Row:1:Column:{column}\n"
        "No such column 'Bogus' on entity 'Contact'. If you are attempting to use a custom field, be sure "
        "to append the '__c' after the custom field name. Please reference your WSDL or the describe call "
        "for the appropriate names.",
    }


async def test_parameterized_search_get_and_post(people: SfClient) -> None:
    got = await people.json(
        "GET",
        "/parameterizedSearch",
        200,
        params={"q": "Zyxwander", "sobject": "Contact", "Contact.fields": "FirstName,LastName", "in": "NAME"},
    )
    assert sorted(r["FirstName"] for r in got["searchRecords"]) == ["Ada", "Bob"]
    posted = await people.json(
        "POST",
        "/parameterizedSearch",
        200,
        json={
            "q": "Zyxwander",
            "in": "ALL",
            "fields": ["FirstName"],
            "sobjects": [{"name": "Contact", "limit": 2}],
            "overallLimit": 10,
        },
    )
    assert len(posted["searchRecords"]) == 2
    missing = await people.error("GET", "/parameterizedSearch", 400, params={"sobject": "Contact"})
    assert missing == {"errorCode": "MISSING_ARGUMENT", "message": "Missing required parameter: q"}
    bad = await people.error("POST", "/parameterizedSearch", 400, json={"q": "Zyx", "overallLimit": "many"})
    assert bad == {
        "errorCode": "INVALID_QUERY_PARAMETER_VALUE",
        "message": "Invalid value for parameter overallLimit: many",
    }
    item = await people.error("POST", "/parameterizedSearch", 400, json={"q": "Zyx", "sobjects": [[None]]})
    assert item == {"errorCode": "JSON_PARSER_ERROR", "message": "Expected a JSON object for sobjects[0]"}
