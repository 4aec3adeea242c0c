"""``/query`` and ``/queryAll`` with ``nextRecordsUrl`` paging over a stable snapshot
(salesforce-wire.md §4.1). Parsing and evaluation are the SOQL engine's (``soql.execute``)."""

from __future__ import annotations

import asyncio
from typing import Any

from simulators.salesforce import catalogue, soql
from simulators.salesforce.api.core import Call, Result, bool_arg
from simulators.salesforce.api.recent import marks_view
from simulators.salesforce.models.locators import batch_size
from simulators.salesforce.models.orgs import Org
from simulators.salesforce.models.records import record_url
from simulators.salesforce.models.values import to_csv
from simulators.salesforce.soql.columns import column_metadata

#: Objects with at least this many rows (deleted included) are queried off the event loop.
OFF_LOOP_ROWS = 20_000


def _text(call: Call) -> str:
    text = call.arg("q")
    if text is None or not text.strip():
        raise catalogue.NO_QUERY.error()
    return text


def _execute(
    call: Call, query: str | soql.Query, query_all: bool, *, indexed_only: bool = False
) -> soql.QueryResult:
    version = call.version
    return soql.execute(
        query,
        call.org.store,
        include_deleted=query_all,
        record_url=lambda object_name, record_id: record_url(version, object_name, record_id),
        indexed_only=indexed_only,
    )


def _run(call: Call, *, query_all: bool) -> Result:
    text = _text(call)
    return _respond(call, text, _execute(call, text, query_all), query_all=query_all)


def _respond(call: Call, text: str, result: soql.QueryResult, *, query_all: bool) -> Result:
    org = call.org
    if bool_arg(call, "columns"):  # the query's column metadata (sf data query), not its rows
        return Result(200, column_metadata(soql.parse(text), org.store))
    if marks_view(text):  # FOR VIEW / FOR REFERENCE feed the user's recent items
        org.recent.mark(call.ctx.user_id, [r["Id"] for r in result.records if isinstance(r.get("Id"), str)])
    if result.is_count_only:
        return Result(200, {"totalSize": result.total_size, "done": True, "records": []})
    page = org.locators.first_page(
        result.records,
        result.total_size,
        batch=batch_size(call.header("Sforce-Query-Options")),
        owner=call.ctx.user_id,
        query_all=query_all,
        now=org.store.now(),
        minter=org.minter,
    )
    return Result(200, _page_body(call.version, query_all, page.total_size, page.records, page.next_locator))


async def run_off_loop(call: Call, *, query_all: bool) -> Result:
    """``/query`` over a large object: evaluated on a worker thread so the event loop keeps
    serving other requests meanwhile (a 100k-row scan takes tens of milliseconds in Python).

    The worker only reads. Its result is used when the store's seqlock shows no write happened
    during the evaluation (so it saw one committed state); otherwise the query runs again, and
    after a second conflict it runs on the loop as a small object's query does. Paging, recent
    items and ids (the parts that write) always run on the loop."""
    text = _text(call)
    store = call.org.store
    try:
        parsed = soql.parse(text)
    except catalogue.SalesforceError:
        return _run(call, query_all=query_all)
    if store.row_count(parsed.source.name) < OFF_LOOP_ROWS:
        return _respond(call, text, _execute(call, parsed, query_all), query_all=query_all)
    try:  # served from an index: inline, no thread hand-off
        return _respond(call, text, _execute(call, parsed, query_all, indexed_only=True), query_all=query_all)
    except soql.ScanNeeded:
        pass
    for _ in range(2):
        version = store.version
        if not store.quiescent(version):
            break
        try:
            result = await asyncio.to_thread(_execute, call, parsed, query_all)
        except Exception:
            if store.quiescent(version):
                raise
            continue  # a torn read of a structure a write was changing: run again
        if store.quiescent(version):
            return _respond(call, text, result, query_all=query_all)
    return _respond(call, text, _execute(call, parsed, query_all), query_all=query_all)


def _page_body(
    version: str, query_all: bool, total: int, records: list[Any], next_locator: str | None
) -> dict[str, Any]:
    body: dict[str, Any] = {"totalSize": total, "done": next_locator is None}
    if next_locator is not None:
        body["nextRecordsUrl"] = (
            f"/services/data/{version}/{'queryAll' if query_all else 'query'}/{next_locator}"
        )
    body["records"] = records
    return body


def _more(call: Call, *, query_all: bool) -> Result:
    org = call.org
    page = org.locators.next_page(
        call.params["locator"], owner=call.ctx.user_id, query_all=query_all, now=org.store.now()
    )
    return Result(200, _page_body(call.version, query_all, page.total_size, page.records, page.next_locator))


def query(call: Call) -> Result:
    return _run(call, query_all=False)


def query_all(call: Call) -> Result:
    return _run(call, query_all=True)


def query_more(call: Call) -> Result:
    return _more(call, query_all=False)


def query_all_more(call: Call) -> Result:
    return _more(call, query_all=True)


def bulk_query_rows(org: Org, text: str, include_deleted: bool) -> tuple[list[str], list[list[str]]]:
    """A Bulk API 2.0 query job's result: column names in SELECT order and CSV cells."""
    soql.check_bulk_query(text, org.store)
    result = soql.execute(text, org.store, include_deleted=include_deleted, record_url=lambda o, i: "")
    rows = [[to_csv(value) for value in row] for row in result.flat_rows()]
    return result.columns, rows
