"""Bulk API 2.0 jobs and query locators without HTTP: CSV rules, the state machine, the pace."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from simulators.salesforce.api.query import bulk_query_rows
from simulators.salesforce.errors import SalesforceError
from simulators.salesforce.models.bulk import (
    BulkPace,
    BulkWorker,
    Job,
    locator_for,
    offset_of,
    parse_csv,
    render_csv,
)
from simulators.salesforce.models.locators import Locators, batch_size
from simulators.salesforce.models.state import SalesforceState


def ingest(state: SalesforceState, operation: str, text: str, **extra: str) -> Job:
    org = state.default_org()
    job = Job(
        id=org.minter.mint("750"),
        kind="ingest",
        operation=operation,
        object="Account",
        created_by=org.first_user().user_id,
        created=state.clock.now(),
        api_version="v59.0",
        **extra,  # type: ignore[arg-type]
    )
    job.uploads.append(text)
    job.state = "UploadComplete"
    org.bulk.add(job)
    return job


async def run(worker: BulkWorker, state: SalesforceState, job: Job) -> None:
    await worker.process(state.default_org(), job)


def test_csv_line_endings_and_delimiters() -> None:
    job = Job(
        "750",
        "ingest",
        "insert",
        "Account",
        "005",
        None,
        "v59.0",
        line_ending="CRLF",
        column_delimiter="PIPE",
    )  # type: ignore[arg-type]
    assert parse_csv(job, 'Name|Phone\r\n"A|B"|1\r\n') == (["Name", "Phone"], [["A|B", "1"]])
    with pytest.raises(
        ValueError, match=r"LineEnding is invalid on user data\. Current LineEnding setting is CRLF"
    ):
        parse_csv(job, "Name|Phone\nA|1\n")
    lf = Job("750", "ingest", "insert", "Account", "005", None, "v59.0")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Current LineEnding setting is LF"):
        parse_csv(lf, "Name\r\nA\r\n")
    with pytest.raises(ValueError, match="Field names must be unique"):
        parse_csv(lf, "Name,name\nA,B\n")
    with pytest.raises(ValueError, match="CSV could not be parsed"):
        parse_csv(lf, 'Name\n"unterminated\n')
    text = render_csv(lf, ["sf__Id", "sf__Created", "Name"], [["001", "true", 'Say "hi"']], system=2)
    assert text == '"sf__Id","sf__Created",Name\n"001","true","Say ""hi"""\n'


def test_locators_are_base64_offsets() -> None:
    assert locator_for(10000) == "MTAwMDA"
    assert offset_of("MTAwMDA") == 10000
    with pytest.raises(SalesforceError) as caught:
        offset_of("!!")
    assert (caught.value.error_code, caught.value.message) == ("INVALIDLOCATOR", "Invalid locator: !!")


async def test_ingest_results_by_row(sf_state: SalesforceState) -> None:
    worker = BulkWorker(sf_state.clock, BulkPace(), bulk_query_rows)
    job = ingest(
        sf_state,
        "insert",
        "Name,Billing_Account_Number__c,Industry\nGood,B-1,\n,B-2,#N/A\nAlso good,B-1,Energy\n",
    )
    await run(worker, sf_state, job)
    assert job.state == "JobComplete"
    assert (job.processed, job.failed) == (3, 2)
    assert [row[1:] for row in job.successes] == [["true", "Good", "B-1", ""]]
    errors = [row[1] for row in job.failures]
    assert errors[0] == "REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name"
    assert errors[1].startswith("DUPLICATE_VALUE:duplicate value found: Billing_Account_Number__c")
    assert errors[1].endswith(":--")


async def test_update_delete_and_hard_delete(sf_state: SalesforceState) -> None:
    worker = BulkWorker(sf_state.clock, BulkPace(), bulk_query_rows)
    org = sf_state.default_org()
    first, second = list(org.store.scan("Account"))[:2]
    update = ingest(sf_state, "update", f"Id,Name\n{first.id},Renamed\n001000000000000AAA,Ghost\nbad,Bad\n")
    await run(worker, sf_state, update)
    assert first["Name"] == "Renamed"
    assert [row[1] for row in update.failures] == [
        "INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--",
        "MALFORMED_ID:malformed id bad:Id",
    ]
    delete = ingest(sf_state, "delete", f"Id\n{first.id}\n")
    await run(worker, sf_state, delete)
    assert first.is_deleted
    hard = ingest(sf_state, "hardDelete", f"Id\n{second.id}\n{first.id}\n")
    await run(worker, sf_state, hard)
    assert org.store.get(second.id) is None
    assert org.store.get(first.id) is None
    wrong_header = ingest(sf_state, "delete", "Id,Name\n001,x\n")
    await run(worker, sf_state, wrong_header)
    assert (wrong_header.state, wrong_header.error_message) == (
        "Failed",
        "InvalidBatch : The 'delete' batch must contain only ids",
    )


async def test_upsert_with_parent_external_ids(sf_state: SalesforceState) -> None:
    worker = BulkWorker(sf_state.clock, BulkPace(), bulk_query_rows)
    org = sf_state.default_org()
    parent = org.dml.create(org.schema.get("Account"), {"Name": "P", "Billing_Account_Number__c": "P-1"}, "")  # type: ignore[arg-type]
    job = ingest(
        sf_state,
        "upsert",
        "Billing_Account_Number__c,Name,Parent.Billing_Account_Number__c\nC-1,Child,P-1\n",
        external_id_field="Billing_Account_Number__c",
    )
    await run(worker, sf_state, job)
    assert job.failures == []
    child = org.dml.by_external_id(parent.obj, "Billing_Account_Number__c", "C-1")[0]
    assert child["ParentId"] == parent.id


async def test_a_paced_job_steps_with_the_virtual_clock(sf_state: SalesforceState) -> None:
    worker = BulkWorker(sf_state.clock, BulkPace(chunk_size=2, pause=timedelta(seconds=10)), bulk_query_rows)
    job = ingest(sf_state, "insert", "Name\nA\nB\nC\nD\nE\n")
    task = asyncio.create_task(run(worker, sf_state, job))
    await worker.wait_for(lambda: sf_state.clock.pending_sleepers() == 1)  # paused before chunk 1
    assert (job.state, job.processed) == ("InProgress", 0)
    await sf_state.clock.advance(timedelta(seconds=10))
    await worker.wait_for(lambda: job.processed == 2 and sf_state.clock.pending_sleepers() == 1)
    assert job.state == "InProgress"
    job.state = "Aborted"  # what PATCH {"state": "Aborted"} does
    await sf_state.clock.advance(timedelta(seconds=10))
    await task
    assert (job.state, job.processed) == ("Aborted", 2)
    assert job.unprocessed == [["C"], ["D"], ["E"]]


async def test_query_job(sf_state: SalesforceState) -> None:
    worker = BulkWorker(sf_state.clock, BulkPace(), bulk_query_rows)
    org = sf_state.default_org()
    job = Job(
        org.minter.mint("750"),
        "query",
        "query",
        "Contact",
        org.first_user().user_id,
        sf_state.clock.now(),
        "v59.0",
        query="SELECT Id, Account.Name FROM Contact ORDER BY Id LIMIT 2",
        state="UploadComplete",
    )
    await worker.process(org, job)
    assert job.state == "JobComplete"
    assert job.result_columns == ["Id", "Account.Name"]
    assert len(job.result_rows) == 2
    bad = Job(
        org.minter.mint("750"),
        "query",
        "query",
        "Contact",
        "",
        sf_state.clock.now(),
        "v59.0",
        query="SELECT COUNT() FROM Contact",
        state="UploadComplete",
    )
    await worker.process(org, bad)
    assert bad.state == "Failed"
    assert bad.error_message is not None
    assert bad.error_message.startswith("FEATURE_NOT_ENABLED")


def test_batch_size_header() -> None:
    assert batch_size(None) == 2000
    assert batch_size("batchSize=500") == 500
    assert batch_size("batchSize=5") == 200
    assert batch_size("batchSize=99999") == 2000
    for bad in ("batchSize=lots", "", "pageSize=10"):
        with pytest.raises(SalesforceError) as caught:
            batch_size(bad)
        assert caught.value.error_code == "INVALID_HEADER_TYPE"


async def test_locators_page_a_snapshot_and_expire(sf_state: SalesforceState) -> None:
    org = sf_state.default_org()
    locators = Locators()
    now = sf_state.clock.now()
    records = list(range(450))
    page = locators.first_page(
        records, 450, batch=200, owner="u", query_all=False, now=now, minter=org.minter
    )
    assert page.records == list(range(200))
    assert page.next_locator is not None
    records.clear()  # the snapshot is the locator's own list slice
    second = locators.next_page(page.next_locator, owner="u", query_all=False, now=now)
    assert second.records == list(range(200, 400))
    with pytest.raises(SalesforceError) as other_user:
        locators.next_page(page.next_locator, owner="someone", query_all=False, now=now)
    assert other_user.value.error_code == "INVALID_QUERY_LOCATOR"
    assert second.next_locator is not None
    later = now + timedelta(minutes=15)
    with pytest.raises(SalesforceError) as expired:
        locators.next_page(second.next_locator, owner="u", query_all=False, now=later)
    assert (expired.value.status, expired.value.message) == (400, "invalid query locator")


async def test_at_most_ten_locators_per_user(sf_state: SalesforceState) -> None:
    org = sf_state.default_org()
    locators = Locators()
    now = sf_state.clock.now()
    pages = [
        locators.first_page(
            list(range(300)), 300, batch=200, owner="u", query_all=False, now=now, minter=org.minter
        )
        for _ in range(11)
    ]
    assert len(locators) == 10
    with pytest.raises(SalesforceError):
        locators.next_page(pages[0].next_locator or "", owner="u", query_all=False, now=now)
    assert locators.next_page(
        pages[-1].next_locator or "", owner="u", query_all=False, now=now
    ).records == list(range(200, 300))
