"""simple-salesforce's SOSL, recent-items and Tooling calls against the simulator over HTTPS (the
rest of simple-salesforce is in ``test_simple_salesforce.py``): ``search``, ``quick_search``,
``restful('recent')`` and ``toolingexecute``, all 404 before issue 11."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from tests.support.salesforce import LiveSalesforce

pytestmark = pytest.mark.slow


@pytest.fixture
def sf(live_sf: LiveSalesforce) -> Iterator[Salesforce]:
    live_sf.reset()
    yield Salesforce(session_id=live_sf.token(), instance_url=live_sf.url, session=live_sf.session())
    live_sf.close_sessions()


def test_search_and_quick_search(sf: Salesforce) -> None:
    sf.Contact.create({"FirstName": "Wendy", "LastName": "Plimbottle"})
    found = sf.search("FIND {Plimbottle} IN NAME FIELDS RETURNING Contact(FirstName, LastName)")
    assert [(r["FirstName"], r["LastName"]) for r in found["searchRecords"]] == [("Wendy", "Plimbottle")]
    quick = sf.quick_search("Plimbott*")
    assert [r["attributes"]["type"] for r in quick["searchRecords"]] == ["Contact"]
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.search("FIND Plimbottle")
    assert caught.value.status == 400
    assert caught.value.content[0]["errorCode"] == "MALFORMED_SEARCH"
    assert caught.value.content[0]["message"] == (
        "No search term found. The search term must be enclosed in braces."
    )


def test_recent_and_tooling(sf: Salesforce) -> None:
    viewed = sf.query("SELECT Id, Name FROM Account ORDER BY Name LIMIT 1 FOR VIEW")["records"][0]
    recent = sf.restful("recent", params={"limit": 1})
    assert [(r["Id"], r["Name"]) for r in recent] == [(viewed["Id"], viewed["Name"])]
    tooling = sf.toolingexecute("query/?q=SELECT+Id,Status+FROM+SandboxProcess")
    assert (tooling["totalSize"], tooling["done"], tooling["records"]) == (0, True, [])
