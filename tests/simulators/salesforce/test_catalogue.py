"""The Salesforce error catalogue: every entry renders, every entry is used, and no module builds
a Salesforce error by hand (codes and message templates change in one place)."""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any

import pytest

from simulators.salesforce import catalogue
from simulators.salesforce.catalogue import ENTRIES, Entry

PACKAGE = Path(catalogue.__file__).parent
# Builds its errors from its own SOQL catalogue (positional caret messages).
OWN_CATALOGUES = {"catalogue.py", "soql/messages.py"}
# New endpoints written while the catalogue landed; they move onto it next (see the H3 report).
NOT_YET_MIGRATED = {
    "api/recent.py",
    "api/search.py",
    "api/tooling.py",
    "sosl/parser.py",
    "sosl/search.py",
}
_INLINE = re.compile(r'SalesforceError\(\s*\d{3}\s*,\s*["A-Z]')


def placeholders(entry: Entry) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(entry.template) if name]


def sources() -> dict[str, str]:
    return {
        path.relative_to(PACKAGE).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(PACKAGE.rglob("*.py"))
    }


@pytest.mark.parametrize("entry", list(ENTRIES.values()), ids=list(ENTRIES))
def test_every_entry_renders(entry: Entry) -> None:
    values: dict[str, Any] = {name: f"<{name}>" for name in placeholders(entry)}
    error = entry.error(["Field__c"], **values)
    assert (error.status, error.error_code, error.fields) == (entry.status, entry.code, ["Field__c"])
    assert error.message == entry.template.format(**values)
    assert "{" not in error.message.replace("{<", "").replace("<", "")
    for value in values.values():
        assert value in error.message
    assert error.record_errors() == [
        {"statusCode": entry.code, "message": error.message, "fields": ["Field__c"]}
    ]
    bare = entry.error(**values)
    assert bare.items() == [{"message": error.message, "errorCode": entry.code}]  # no fields key
    assert 400 <= entry.status <= 599


def test_a_missing_value_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        catalogue.STRING_TOO_LONG.error(["Name"], label="Account Name", value="x")


def test_every_entry_is_used() -> None:
    used: set[str] = set()
    for name, text in sources().items():
        if name != "catalogue.py":
            used.update(re.findall(r"catalogue\.([A-Z_]+)\b", text))
    assert sorted(set(ENTRIES) - used) == []


def test_no_module_builds_a_salesforce_error_by_hand() -> None:
    inline = {
        name: len(_INLINE.findall(text))
        for name, text in sources().items()
        if name not in OWN_CATALOGUES | NOT_YET_MIGRATED and _INLINE.search(text)
    }
    assert inline == {}


def test_verbatim_messages() -> None:
    """Spot checks against salesforce-wire.md §8.3 (the texts real orgs send)."""
    assert catalogue.STRING_TOO_LONG.message(label="Account Phone", value="1" * 150, length=40) == (
        f"Account Phone: data value too large: {'1' * 150} (max length=40)"
    )
    assert catalogue.INVALID_SESSION_ID.message() == "Session expired or invalid"
    assert catalogue.MALFORMED_ID.message(id="001xx") == "malformed id 001xx"
    assert catalogue.ID_OF_WRONG_TYPE.message(label="Account ID", id="003x") == (
        "Account ID: id value of incorrect type: 003x"
    )
    assert catalogue.INVALID_CROSS_REFERENCE_KEY.message() == "invalid cross reference id"
    assert catalogue.ENTITY_IS_DELETED.message() == "entity is deleted"
    assert catalogue.REQUIRED_FIELD_MISSING.message(names="Name") == "Required fields are missing: [Name]"
    assert catalogue.METHOD_NOT_ALLOWED.message(method="PUT", allowed="GET,HEAD") == (
        "HTTP Method 'PUT' not allowed. Allowed are GET,HEAD"
    )
    assert catalogue.EXCEEDED_ID_LIMIT.message(limit=200) == (
        "record limit reached. cannot submit more than 200 records into this call"
    )
    assert catalogue.UNABLE_TO_LOCK_ROW.message(count=1, ids="001A") == (
        "unable to obtain exclusive access to this record or 1 records: 001A"
    )
