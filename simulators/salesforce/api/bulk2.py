"""Bulk API 2.0 over REST: ingest and query jobs (salesforce-wire.md §6). The state machine and
the processing live in ``models.bulk``; this module parses requests and serialises job info."""

from __future__ import annotations

import math
from typing import Any

from simulators.salesforce import catalogue, soql
from simulators.salesforce.api.core import Call, Result
from simulators.salesforce.errors import SalesforceError
from simulators.salesforce.events.changes import current_origin
from simulators.salesforce.models.bulk import (
    DELIMITERS,
    INGEST_OPERATIONS,
    LINE_ENDINGS,
    QUERY_OPERATIONS,
    TERMINAL,
    Job,
    invalid_state,
    locator_for,
    offset_of,
    render_csv,
)
from simulators.salesforce.models.values import format_datetime

CSV_TYPE = "text/csv"
RECORDS_PER_BATCH = 10_000
INGEST_KEYS = frozenset(
    {
        "object",
        "operation",
        "externalIdFieldName",
        "contentType",
        "lineEnding",
        "columnDelimiter",
        "assignmentRuleId",
    }
)
QUERY_KEYS = frozenset({"operation", "query", "contentType", "lineEnding", "columnDelimiter"})
RESULT_KINDS = {
    "successfulresults": "successful",
    "failedresults": "failed",
    "unprocessedrecords": "unprocessed",
}


def invalid_job(detail: str) -> SalesforceError:
    return catalogue.INVALID_JOB.error(detail=detail)


def _info(job: Job) -> dict[str, Any]:
    return job.info(format_datetime)


def _options(call: Call, allowed: frozenset[str]) -> dict[str, Any]:
    body = call.json_object()
    for key in body:
        if key not in allowed:
            raise catalogue.UNRECOGNIZED_FIELD.error(name=key)
    for key, value in body.items():
        if not isinstance(value, str):
            raise catalogue.JSON_PARSER_ERROR.error(detail=f"{key} must be a string")
    if body.get("contentType", "CSV") != "CSV":
        raise invalid_job(f"Unsupported content type: {body['contentType']}")
    if body.get("lineEnding", "LF") not in LINE_ENDINGS:
        raise invalid_job(f"Invalid line ending: {body['lineEnding']}")
    if body.get("columnDelimiter", "COMMA") not in DELIMITERS:
        raise invalid_job(f"Invalid column delimiter: {body['columnDelimiter']}")
    return body


def _new_job(call: Call, kind: str, operation: str, **extra: Any) -> Job:
    org = call.org
    return Job(
        id=org.minter.mint("750"),
        kind=kind,
        operation=operation,
        created_by=call.ctx.user_id,
        created=org.store.now().replace(microsecond=0),
        api_version=call.version,
        origin=current_origin(),
        **extra,
    )


# -- ingest ---------------------------------------------------------------------------------------


def create_ingest(call: Call) -> Result:
    body = _options(call, INGEST_KEYS)
    operation = body.get("operation")
    if operation not in INGEST_OPERATIONS:
        raise invalid_job(f"Invalid operation: {operation}")
    object_name = body.get("object")
    obj = call.org.schema.get(object_name) if isinstance(object_name, str) else None
    if obj is None or obj.is_event:
        raise invalid_job(f"Invalid object type: {object_name}")
    external = body.get("externalIdFieldName")
    if operation == "upsert":
        if not isinstance(external, str) or not external:
            raise invalid_job(
                f"External ID was blank for {obj.name}. An External ID must be specified for upsert."
            )
        fdef = obj.field(external)
        if fdef is None or not (fdef.name == "Id" or fdef.external_id or fdef.unique):
            raise invalid_job(
                f"Field name provided, {external} is not an External ID or indexed field for {obj.name}"
            )
        external = fdef.name
    elif external is not None:
        raise invalid_job("externalIdFieldName is only valid for upsert jobs")
    job = _new_job(
        call,
        "ingest",
        operation,
        object=obj.name,
        external_id_field=external,
        line_ending=body.get("lineEnding", "LF"),
        column_delimiter=body.get("columnDelimiter", "COMMA"),
    )
    call.org.bulk.add(job)
    return Result(200, _info(job))


def upload(call: Call) -> Result:
    job = call.org.bulk.find(call.params["job_id"], "ingest")
    media = call.content_type.split(";")[0].strip().lower()
    if media != CSV_TYPE:
        raise catalogue.UNSUPPORTED_MEDIA_TYPE.error(media=media or "none", detail=": send text/csv")
    if job.state != "Open":
        raise invalid_state(f"Job {job.id} is not in the Open state; data can only be uploaded to open jobs")
    try:
        text = (call.body or b"").decode("utf-8-sig")
    except UnicodeDecodeError:
        raise catalogue.INVALID_BATCH.error(detail="The uploaded data is not valid UTF-8") from None
    if not text.strip():
        raise catalogue.INVALID_BATCH.error(detail="The uploaded CSV is empty")
    job.uploads.append(text)
    return Result(201, text="", content_type="text/plain")


def _set_state(call: Call, kind: str) -> Result:
    org = call.org
    job = org.bulk.find(call.params["job_id"], kind)
    body = call.json_object()
    wanted = body.get("state")
    if set(body) - {"state"} or not isinstance(wanted, str):
        raise catalogue.JSON_PARSER_ERROR.error(
            detail='The body must be {"state": "UploadComplete"} or {"state": "Aborted"}'
        )
    if wanted == "Aborted":
        if job.state in TERMINAL:
            raise invalid_state(f"Job {job.id} is already {job.state}")
        job.state = "Aborted"
    elif wanted == "UploadComplete" and kind == "ingest":
        if job.state != "Open":
            raise invalid_state(f"Job {job.id} is not Open (it is {job.state})")
        job.state = "UploadComplete"
        rows = sum(max(text.count("\n") - 1, 0) for text in job.uploads)
        call.ctx.state.record(
            org, "DailyBulkApiBatches", max(1, math.ceil(rows / RECORDS_PER_BATCH)), call.ctx.session.caller
        )
        call.ctx.state.submit(org, job)
    else:
        raise catalogue.INVALID_JOB_STATE_CHANGE.error(kind=kind, state=wanted)
    job.modified = org.store.now()
    return Result(200, _info(job))


def ingest_state(call: Call) -> Result:
    return _set_state(call, "ingest")


def get_ingest(call: Call) -> Result:
    return Result(200, _info(call.org.bulk.find(call.params["job_id"], "ingest")))


def _delete(call: Call, kind: str) -> Result:
    job = call.org.bulk.find(call.params["job_id"], kind)
    if job.state in ("Open", "InProgress") or (kind == "query" and job.state == "UploadComplete"):
        raise invalid_state(f"Job {job.id} cannot be deleted while {job.state}")
    call.org.bulk.remove(job)
    return Result(204)


def delete_ingest(call: Call) -> Result:
    return _delete(call, "ingest")


def _listing(call: Call, kind: str) -> Result:
    jobs = call.org.bulk.listing(kind)
    return Result(200, {"done": True, "records": [_info(job) for job in jobs], "nextRecordsUrl": None})


def list_ingest(call: Call) -> Result:
    return _listing(call, "ingest")


def ingest_results(call: Call) -> Result:
    job = call.org.bulk.find(call.params["job_id"], "ingest")
    kind = RESULT_KINDS.get(call.params["result"].lower())
    if kind is None:
        raise catalogue.NOT_FOUND.error()
    if job.state not in TERMINAL:
        raise invalid_state(f"Job {job.id} has not finished (it is {job.state})")
    if kind == "successful":
        text = render_csv(job, ["sf__Id", "sf__Created", *job.header], job.successes, system=2)
    elif kind == "failed":
        text = render_csv(job, ["sf__Id", "sf__Error", *job.header], job.failures, system=2)
    else:
        text = render_csv(job, job.header, job.unprocessed) if job.header else ""
    return Result(200, text=text, content_type=CSV_TYPE)


# -- query ----------------------------------------------------------------------------------------


def create_query(call: Call) -> Result:
    body = _options(call, QUERY_KEYS)
    operation = body.get("operation", "query")
    if operation not in QUERY_OPERATIONS:
        raise invalid_job(f"Invalid operation: {operation}")
    text = body.get("query")
    if not isinstance(text, str) or not text.strip():
        raise invalid_job("A query is required")
    soql.check_bulk_query(text, call.org.store)
    query = soql.parse(text)
    obj = call.org.store.describe(query.source.name)
    if obj is None:
        raise catalogue.UNSUPPORTED_TYPE.error(name=query.source.name)
    job = _new_job(
        call,
        "query",
        operation,
        object=obj.name,
        query=text,
        line_ending=body.get("lineEnding", "LF"),
        column_delimiter=body.get("columnDelimiter", "COMMA"),
    )
    job.state = "UploadComplete"
    call.org.bulk.add(job)
    call.ctx.state.record(call.org, "DailyBulkV2QueryJobs", 1, call.ctx.session.caller)
    call.ctx.state.submit(call.org, job)
    return Result(200, _info(job))


def get_query(call: Call) -> Result:
    return Result(200, _info(call.org.bulk.find(call.params["job_id"], "query")))


def query_state(call: Call) -> Result:
    return _set_state(call, "query")


def delete_query(call: Call) -> Result:
    return _delete(call, "query")


def list_query(call: Call) -> Result:
    return _listing(call, "query")


def query_results(call: Call) -> Result:
    job = call.org.bulk.find(call.params["job_id"], "query")
    if job.state != "JobComplete":
        raise catalogue.JOB_NOT_COMPLETE.error(id=job.id, state=job.state)
    locator = call.arg("locator")
    start = offset_of(locator) if locator and locator != "null" else 0
    max_text = call.arg("maxRecords")
    total = len(job.result_rows)
    if max_text is None:
        size = max(total - start, 1)
    else:
        try:
            number = float(max_text)
            size = int(number) if number.is_integer() else 0
        except (ValueError, OverflowError):
            size = 0
        if size < 1:
            raise catalogue.INVALID_PARAMETER.error(value=max_text)
    if start > total:
        raise catalogue.INVALID_LOCATOR.error(locator=locator)
    page = job.result_rows[start : start + size]
    end = start + len(page)
    headers = {
        "Sforce-NumberOfRecords": str(len(page)),
        "Sforce-Locator": locator_for(end) if end < total else "null",
    }
    text = render_csv(job, job.result_columns, page, system=len(job.result_columns))
    return Result(200, text=text, content_type=CSV_TYPE, headers=headers)
