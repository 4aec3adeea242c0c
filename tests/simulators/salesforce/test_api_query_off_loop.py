"""/query over a large object runs off the event loop, and never answers from a torn read."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import quote

import pytest

from simulators.salesforce.api import query as query_api
from tests.support.salesforce import SfClient


@pytest.fixture
def off_loop_from_ten_rows(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Every object with 10 rows or more counts as large; records (thread, store version) of each
    evaluation that may scan (the index-only attempt before it is not recorded)."""
    monkeypatch.setattr(query_api, "OFF_LOOP_ROWS", 10)
    runs: list[tuple[int, int]] = []
    execute = query_api._execute

    def recorded(call: Any, parsed: Any, query_all: bool, *, indexed_only: bool = False) -> Any:
        if not indexed_only:
            runs.append((threading.get_ident(), call.org.store.version))
        return execute(call, parsed, query_all, indexed_only=indexed_only)

    monkeypatch.setattr(query_api, "_execute", recorded)
    return runs


async def test_a_large_scan_runs_on_a_worker_thread(sf: SfClient, off_loop_from_ten_rows: list[Any]) -> None:
    soql = quote("SELECT Id, LastName FROM Contact WHERE LastName LIKE '%a%' ORDER BY Id")
    page = await sf.json("GET", f"/query?q={soql}", 200)
    assert page["totalSize"] > 0
    assert all("a" in r["LastName"].lower() for r in page["records"])
    assert [ident for ident, _ in off_loop_from_ten_rows] != [threading.get_ident()]
    assert len(off_loop_from_ten_rows) == 1
    # A small object (the seeded org has one user) is still queried on the loop.
    off_loop_from_ten_rows.clear()
    await sf.json("GET", f"/query?q={quote('SELECT Id FROM User')}", 200)
    assert [ident for ident, _ in off_loop_from_ten_rows] == [threading.get_ident()]


async def test_an_index_served_query_on_a_large_object_stays_on_the_loop(
    sf: SfClient, off_loop_from_ten_rows: list[Any]
) -> None:
    contact = (await sf.json("GET", f"/query?q={quote('SELECT Id FROM Contact LIMIT 1')}", 200))["records"][0]
    off_loop_from_ten_rows.clear()
    by_id = quote("SELECT Id FROM Contact WHERE Id = '" + contact["Id"] + "'")
    page = await sf.json("GET", f"/query?q={by_id}", 200)
    assert [r["Id"] for r in page["records"]] == [contact["Id"]]
    assert off_loop_from_ten_rows == []  # answered by the index-only attempt, no scan anywhere


async def test_a_write_during_the_scan_makes_it_run_again(
    sf: SfClient, off_loop_from_ten_rows: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded = query_api._execute
    writes: list[str] = []

    def racing(call: Any, parsed: Any, query_all: bool, *, indexed_only: bool = False) -> Any:
        result = recorded(call, parsed, query_all, indexed_only=indexed_only)
        if not writes:  # a write lands on the loop while the first evaluation runs
            org = call.org
            contact = org.schema.get("Contact")
            row = org.dml.create(contact, {"LastName": "Arrived mid-scan"}, org.first_user().user_id)
            writes.append(row.id)
        return result

    monkeypatch.setattr(query_api, "_execute", racing)
    soql = quote("SELECT Id FROM Contact WHERE LastName LIKE 'Arrived%'")
    page = await sf.json("GET", f"/query?q={soql}", 200)
    # The first answer was thrown away (the store changed under it); the second sees the write.
    assert [r["Id"] for r in page["records"]] == writes
    versions = [version for _, version in off_loop_from_ten_rows]
    assert len(versions) == 2
    assert versions[1] > versions[0]


async def test_bad_queries_still_fail_in_the_salesforce_dialect(
    sf: SfClient, off_loop_from_ten_rows: list[Any]
) -> None:
    errors = await sf.json("GET", f"/query?q={quote('SELECT Id FROM Contact WHERE Nope = 1')}", 400)
    assert errors[0]["errorCode"] == "INVALID_FIELD"
    assert "No such column 'Nope' on entity 'Contact'" in errors[0]["message"]
