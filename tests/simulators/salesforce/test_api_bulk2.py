"""Bulk API 2.0 over HTTP: job lifecycle, uploads, result CSVs, query results paging, errors.

Completion is awaited through the worker's own notification (``BulkWorker.wait_for``), not polled.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.support.salesforce import SfClient

CSV = {"Content-Type": "text/csv"}


async def new_job(sf: SfClient, **body: Any) -> dict[str, Any]:
    payload = {"object": "Account", "operation": "insert", "contentType": "CSV", "lineEnding": "LF", **body}
    job: dict[str, Any] = await sf.json("POST", "/jobs/ingest/", 200, json=payload)
    return job


async def finished(sf: SfClient, job_id: str, kind: str = "ingest") -> dict[str, Any]:
    worker = sf.state.worker
    assert worker is not None
    org = sf.state.default_org()
    await worker.wait_for(lambda: org.bulk.jobs[job_id].state in ("JobComplete", "Failed", "Aborted"))
    info: dict[str, Any] = await sf.json("GET", f"/jobs/{kind}/{job_id}", 200)
    return info


async def test_ingest_lifecycle_and_results(sf: SfClient) -> None:
    job = await new_job(sf)
    assert job["state"] == "Open"
    assert job["jobType"] == "V2Ingest"
    assert job["apiVersion"] == 59.0
    assert job["contentUrl"] == f"services/data/v59.0/jobs/ingest/{job['id']}/batches"
    assert job["id"].startswith("750")
    upload = await sf.call(
        "PUT", f"/jobs/ingest/{job['id']}/batches", data="Name,Phone\nA,1\n,2\nC,3\n", headers=CSV
    )
    assert upload.status == 201
    assert await upload.read() == b""
    closed = await sf.json("PATCH", f"/jobs/ingest/{job['id']}", 200, json={"state": "UploadComplete"})
    assert closed["state"] == "UploadComplete"
    info = await finished(sf, job["id"])
    assert (info["state"], info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (
        "JobComplete",
        3,
        1,
    )
    ok = await sf.call("GET", f"/jobs/ingest/{job['id']}/successfulResults/")
    assert ok.headers["Content-Type"] == "text/csv;charset=UTF-8"
    ok_text = await ok.text()
    assert ok_text.startswith('"sf__Id","sf__Created",Name,Phone\n')
    assert [row["Name"] for row in csv.DictReader(io.StringIO(ok_text))] == ["A", "C"]
    failed = await (await sf.call("GET", f"/jobs/ingest/{job['id']}/failedResults")).text()
    assert list(csv.DictReader(io.StringIO(failed))) == [
        {
            "sf__Id": "",
            "sf__Error": "REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name",
            "Name": "",
            "Phone": "2",
        }
    ]
    for spelling in ("unprocessedrecords", "unprocessedRecords"):
        unprocessed = await sf.call("GET", f"/jobs/ingest/{job['id']}/{spelling}")
        assert unprocessed.status == 200
        assert await unprocessed.text() == "Name,Phone\n"
    listing = await sf.json("GET", "/jobs/ingest", 200)
    assert [j["id"] for j in listing["records"]] == [job["id"]]
    assert listing["done"] is True
    assert await sf.json("DELETE", f"/jobs/ingest/{job['id']}", 204) is None
    assert (await sf.error("GET", f"/jobs/ingest/{job['id']}", 404))["errorCode"] == "NOT_FOUND"


async def test_upsert_job_with_tab_delimiter_and_crlf(sf: SfClient) -> None:
    job = await new_job(
        sf,
        operation="upsert",
        externalIdFieldName="billing_account_number__c",
        columnDelimiter="TAB",
        lineEnding="CRLF",
    )
    assert job["externalIdFieldName"] == "Billing_Account_Number__c"
    data = "Billing_Account_Number__c\tName\r\nT-1\tFirst\r\nT-1\tSecond\r\n"
    assert (await sf.call("PUT", f"/jobs/ingest/{job['id']}/batches", data=data, headers=CSV)).status == 201
    await sf.json("PATCH", f"/jobs/ingest/{job['id']}", 200, json={"state": "UploadComplete"})
    info = await finished(sf, job["id"])
    assert info["numberRecordsFailed"] == 0
    text = await (await sf.call("GET", f"/jobs/ingest/{job['id']}/successfulResults")).text()
    assert [line.split("\t")[1] for line in text.split("\r\n")[1:3]] == ['"true"', '"false"']


async def test_a_bad_header_fails_the_job(sf: SfClient) -> None:
    job = await new_job(sf, operation="update")
    await sf.call("PUT", f"/jobs/ingest/{job['id']}/batches", data="Id,Name\r\nx,y\r\n", headers=CSV)
    await sf.json("PATCH", f"/jobs/ingest/{job['id']}", 200, json={"state": "UploadComplete"})
    info = await finished(sf, job["id"])
    assert info["state"] == "Failed"
    assert (
        info["errorMessage"]
        == "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF"
    )


async def test_job_errors(sf: SfClient) -> None:
    bad_object = await sf.error("POST", "/jobs/ingest", 400, json={"object": "Nope", "operation": "insert"})
    assert bad_object == {"message": "InvalidJob : Invalid object type: Nope", "errorCode": "INVALIDJOB"}
    no_ext = await sf.error("POST", "/jobs/ingest", 400, json={"object": "Account", "operation": "upsert"})
    assert (
        no_ext["message"]
        == "InvalidJob : External ID was blank for Account. An External ID must be specified for upsert."
    )
    bad_op = await sf.error("POST", "/jobs/ingest", 400, json={"object": "Account", "operation": "merge"})
    assert bad_op["message"] == "InvalidJob : Invalid operation: merge"
    unknown_key = await sf.error(
        "POST", "/jobs/ingest", 400, json={"object": "Account", "operation": "insert", "x": 1}
    )
    assert unknown_key["errorCode"] == "JSON_PARSER_ERROR"
    bad_delimiter = await sf.error(
        "POST",
        "/jobs/ingest",
        400,
        json={"object": "Account", "operation": "insert", "columnDelimiter": "SPACE"},
    )
    assert bad_delimiter["message"] == "InvalidJob : Invalid column delimiter: SPACE"
    job = await new_job(sf)
    wrong_type = await sf.error("PUT", f"/jobs/ingest/{job['id']}/batches", 415, json={"Name": "x"})
    assert wrong_type["errorCode"] == "UNSUPPORTED_MEDIA_TYPE"
    empty = await sf.error("PUT", f"/jobs/ingest/{job['id']}/batches", 400, data="  ", headers=CSV)
    assert empty == {"message": "InvalidBatch : The uploaded CSV is empty", "errorCode": "INVALIDBATCH"}
    latin1 = await sf.error(
        "PUT", f"/jobs/ingest/{job['id']}/batches", 400, data="Name\nCaf\xe9\n".encode("latin-1"), headers=CSV
    )
    assert latin1 == {
        "message": "InvalidBatch : The uploaded data is not valid UTF-8",
        "errorCode": "INVALIDBATCH",
    }
    not_done = await sf.error("GET", f"/jobs/ingest/{job['id']}/successfulResults", 409)
    assert not_done["errorCode"] == "INVALIDJOBSTATE"
    open_delete = await sf.error("DELETE", f"/jobs/ingest/{job['id']}", 409)
    assert open_delete["message"] == f"Job {job['id']} cannot be deleted while Open"
    bad_state = await sf.error("PATCH", f"/jobs/ingest/{job['id']}", 400, json={"state": "JobComplete"})
    assert bad_state["errorCode"] == "INVALIDJOBSTATE"
    aborted = await sf.json("PATCH", f"/jobs/ingest/{job['id']}", 200, json={"state": "Aborted"})
    assert aborted["state"] == "Aborted"
    late = await sf.error("PUT", f"/jobs/ingest/{job['id']}/batches", 409, data="Name\nx\n", headers=CSV)
    assert late["errorCode"] == "INVALIDJOBSTATE"
    again = await sf.error("PATCH", f"/jobs/ingest/{job['id']}", 409, json={"state": "Aborted"})
    assert again["message"] == f"Job {job['id']} is already Aborted"
    assert await sf.json("DELETE", f"/jobs/ingest/{job['id']}", 204) is None


async def test_query_job_pages_with_locators(sf: SfClient) -> None:
    job = await sf.json(
        "POST",
        "/jobs/query",
        200,
        json={"operation": "query", "query": "SELECT Id, Name FROM Account ORDER BY Name"},
    )
    assert job["state"] == "UploadComplete"
    assert job["jobType"] == "V2Query"
    info = await finished(sf, job["id"], "query")
    assert info["numberRecordsProcessed"] == 50
    names: list[str] = []
    locator = None
    pages = 0
    while True:
        suffix = f"&locator={locator}" if locator else ""
        response = await sf.call("GET", f"/jobs/query/{job['id']}/results?maxRecords=20{suffix}")
        assert response.status == 200
        text = await response.text()
        rows = list(csv.DictReader(io.StringIO(text)))
        assert int(response.headers["Sforce-NumberOfRecords"]) == len(rows)
        names.extend(row["Name"] for row in rows)
        pages += 1
        locator = response.headers["Sforce-Locator"]
        if locator == "null":
            break
    assert pages == 3
    assert len(names) == 50
    assert names == sorted(names, key=str.lower)
    assert text.startswith('"Id","Name"\n')
    bad = await sf.error("GET", f"/jobs/query/{job['id']}/results?maxRecords=0", 400)
    assert bad["errorCode"] == "INVALIDPARAMETER"
    listing = await sf.json("GET", "/jobs/query/", 200)
    assert [j["id"] for j in listing["records"]] == [job["id"]]
    assert await sf.json("DELETE", f"/jobs/query/{job['id']}", 204) is None


async def test_query_job_refuses_what_bulk_query_refuses(sf: SfClient) -> None:
    refused = await sf.error(
        "POST",
        "/jobs/query",
        400,
        json={"operation": "query", "query": "SELECT Id, (SELECT Id FROM Contacts) FROM Account"},
    )
    assert refused["errorCode"] == "FEATURE_NOT_ENABLED"
    assert "Aggregate Relationships not supported in Bulk Query" in refused["message"]
    malformed = await sf.error(
        "POST", "/jobs/query", 400, json={"operation": "query", "query": "SELECT FROM"}
    )
    assert malformed["errorCode"] == "MALFORMED_QUERY"
    bad_op = await sf.error(
        "POST", "/jobs/query", 400, json={"operation": "delete", "query": "SELECT Id FROM Account"}
    )
    assert bad_op["errorCode"] == "INVALIDJOB"


async def test_query_results_before_completion_are_refused(make_client: Any) -> None:
    from datetime import timedelta

    from simulators.salesforce.models.bulk import BulkPace

    slow: SfClient = await make_client(bulk_pace=BulkPace(pause=timedelta(minutes=1)))
    job = await slow.json(
        "POST", "/jobs/query", 200, json={"operation": "queryAll", "query": "SELECT Id FROM Contact"}
    )
    worker = slow.state.worker
    assert worker is not None
    await worker.wait_for(lambda: slow.state.clock.pending_sleepers() >= 1)
    early = await slow.error("GET", f"/jobs/query/{job['id']}/results", 412)
    assert early == {
        "message": f"Job {job['id']} is not complete (it is InProgress)",
        "errorCode": "JOB_NOT_COMPLETE",
    }
    await slow.client.post("/__sim/clock", json={"advance_by": "PT1M"})
    info = await finished(slow, job["id"], "query")
    assert info["state"] == "JobComplete"
