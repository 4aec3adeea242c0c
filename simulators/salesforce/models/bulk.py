"""Bulk API 2.0 jobs: ingest (insert, update, upsert, delete, hardDelete) and query.

State machine: ``Open -> UploadComplete -> InProgress -> JobComplete | Failed``, and ``Aborted``
from Open, UploadComplete or InProgress. Jobs are processed by ``BulkWorker.run``, an owned
background task (the app's cleanup_ctx), at a configurable pace on the virtual clock: a chunk
of records, then a pause. With a frozen clock and a pause, a test steps a job by advancing time.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from simulators.salesforce import catalogue
from simulators.salesforce.catalogue import SalesforceError
from simulators.salesforce.events.changes import Origin, origin
from simulators.salesforce.models.ingest import IngestRun

if TYPE_CHECKING:
    from simulators.kit.clock import Clock
    from simulators.salesforce.models.orgs import Org

log = logging.getLogger(__name__)

DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^", "BACKQUOTE": "`"}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
INGEST_OPERATIONS = ("insert", "update", "upsert", "delete", "hardDelete")
QUERY_OPERATIONS = ("query", "queryAll")
TERMINAL = frozenset({"JobComplete", "Failed", "Aborted"})

# (org, soql, query_all) -> (columns, rows of CSV cells)
QueryRunner = Callable[["Org", str, bool], tuple[list[str], list[list[str]]]]


@dataclass(frozen=True)
class BulkPace:
    """Records handled per step and the virtual-time pause between steps (0 = as fast as possible)."""

    chunk_size: int = 2000
    pause: timedelta = timedelta(0)


@dataclass
class Job:
    id: str
    kind: str  # ingest | query
    operation: str
    object: str | None
    created_by: str
    created: datetime
    api_version: str
    line_ending: str = "LF"
    column_delimiter: str = "COMMA"
    external_id_field: str | None = None
    query: str | None = None
    state: str = "Open"
    modified: datetime | None = None
    error_message: str | None = None
    uploads: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    successes: list[list[str]] = field(default_factory=list)
    failures: list[list[str]] = field(default_factory=list)
    unprocessed: list[list[str]] = field(default_factory=list)
    processed: int = 0
    failed: int = 0
    result_columns: list[str] = field(default_factory=list)
    result_rows: list[list[str]] = field(default_factory=list)
    started: bool = False
    #: Who created the job (client id, user): its rows' change events name them, api "bulkapi".
    origin: Origin | None = None

    @property
    def delimiter(self) -> str:
        return DELIMITERS[self.column_delimiter]

    @property
    def newline(self) -> str:
        return LINE_ENDINGS[self.line_ending]

    def info(self, stamp: Callable[[datetime], str]) -> dict[str, Any]:
        base = f"services/data/{self.api_version}/jobs/{self.kind}/{self.id}"
        info: dict[str, Any] = {
            "id": self.id,
            "operation": self.operation,
            "object": self.object,
            "createdById": self.created_by,
            "createdDate": stamp(self.created),
            "systemModstamp": stamp(self.modified or self.created),
            "state": self.state,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(self.api_version.lstrip("v")),
            "jobType": "V2Ingest" if self.kind == "ingest" else "V2Query",
            "lineEnding": self.line_ending,
            "columnDelimiter": self.column_delimiter,
        }
        if self.kind == "ingest":
            info["contentUrl"] = f"{base}/batches"
            if self.external_id_field:
                info["externalIdFieldName"] = self.external_id_field
        else:
            info["query"] = self.query
        if self.started:
            info.update(
                numberRecordsProcessed=self.processed,
                retries=0,
                totalProcessingTime=0,
                apiActiveProcessingTime=0,
                apexProcessingTime=0,
            )
            if self.kind == "ingest":
                info["numberRecordsFailed"] = self.failed
        if self.error_message:
            info["errorMessage"] = self.error_message
        return info


class BulkJobs:
    """One org's jobs, in creation order."""

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}

    def add(self, job: Job) -> None:
        self.jobs[job.id] = job

    def find(self, job_id: str, kind: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None or job.kind != kind:
            raise catalogue.NOT_FOUND.error()
        return job

    def remove(self, job: Job) -> None:
        self.jobs.pop(job.id, None)

    def listing(self, kind: str) -> list[Job]:
        return [job for job in self.jobs.values() if job.kind == kind]


def invalid_state(message: str) -> SalesforceError:
    return catalogue.INVALID_JOB_STATE.error(detail=message)


def parse_csv(job: Job, text: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows; raises ValueError with the job-level error message on bad data."""
    if job.line_ending == "LF" and "\r\n" in text:
        raise ValueError(
            "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF"
        )
    if job.line_ending == "CRLF" and "\n" in text.replace("\r\n", ""):
        raise ValueError(
            "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is CRLF"
        )
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=job.delimiter, strict=True)
        rows = [row for row in reader if row]
    except csv.Error as exc:
        raise ValueError(f"ClientInputError : CSV could not be parsed: {exc}") from None
    if not rows:
        raise ValueError("ClientInputError : No data in the uploaded CSV")
    header = [name.strip() for name in rows[0]]
    if any(not name for name in header) or len({h.lower() for h in header}) != len(header):
        raise ValueError("InvalidBatch : Field names must be unique and non-empty")
    return header, rows[1:]


def render_csv(job: Job, header: list[str], rows: list[list[str]], *, system: int = 0) -> str:
    """Result CSV: the ``system`` leading header cells quoted, data cells all quoted."""
    out = io.StringIO()
    cells = [
        f'"{name}"' if i < system else _quote_if_needed(name, job.delimiter) for i, name in enumerate(header)
    ]
    out.write(job.delimiter.join(cells) + job.newline)
    writer = csv.writer(out, delimiter=job.delimiter, lineterminator=job.newline, quoting=csv.QUOTE_ALL)
    writer.writerows(rows)
    return out.getvalue()


def _quote_if_needed(name: str, delimiter: str) -> str:
    return f'"{name}"' if delimiter in name or '"' in name else name


def locator_for(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def offset_of(locator: str) -> int:
    try:
        padded = locator + "=" * (-len(locator) % 4)
        value = int(base64.b64decode(padded.encode(), validate=True).decode())
    except (ValueError, UnicodeDecodeError):
        raise catalogue.INVALID_LOCATOR.error(locator=locator) from None
    if value < 0:
        raise catalogue.INVALID_LOCATOR.error(locator=locator)
    return value


class BulkWorker:
    """Processes closed jobs in order, one step at a time. Owned by the app's cleanup_ctx."""

    def __init__(self, clock: Clock, pace: BulkPace, run_query: QueryRunner) -> None:
        self.clock = clock
        self.pace = pace
        self.run_query = run_query
        self.queue: asyncio.Queue[tuple[Org, Job]] = asyncio.Queue()
        self.idle = asyncio.Event()
        self.idle.set()
        self._changed = asyncio.Condition()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Until ``predicate()`` holds, re-checked after every step a job takes (no polling)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    def submit(self, org: Org, job: Job) -> None:
        self.idle.clear()
        self.queue.put_nowait((org, job))

    def clear(self) -> None:
        while not self.queue.empty():
            self.queue.get_nowait()
            self.queue.task_done()

    async def run(self) -> None:
        while True:
            org, job = await self.queue.get()
            try:
                await self.process(org, job)
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug must fail the job, never kill the worker
                log.exception("bulk job %s crashed", job.id)
                job.state = "Failed"
                job.error_message = "UNKNOWN_EXCEPTION : An unexpected error occurred"
            finally:
                self.queue.task_done()
                if self.queue.empty():
                    self.idle.set()
                await self._notify()

    async def process(self, org: Org, job: Job) -> None:
        if job.state != "UploadComplete":
            return
        job.state = "InProgress"
        job.started = True
        job.modified = self.clock.now()
        await self._notify()
        if job.kind == "query":
            await self._pause()
            if job.state != "Aborted":
                self._run_query_job(org, job)
            await self._notify()
            return
        try:
            header, rows = self._ingest_rows(job)
        except ValueError as exc:
            job.state = "Failed"
            job.error_message = str(exc)
            job.modified = self.clock.now()
            await self._notify()
            return
        job.header = header
        run = IngestRun(org, job, header)
        for chunk in _chunks(rows, self.pace.chunk_size):
            if job.state != "Aborted":
                await self._pause()
            if job.state == "Aborted":
                job.unprocessed.extend(chunk)
                continue
            client = job.origin.client if job.origin is not None else None
            with origin(Origin("bulkapi", job.api_version, client, job.created_by)):
                run.process(chunk)
            await self._notify()
        if job.state != "Aborted":
            job.state = "JobComplete"
        job.modified = self.clock.now()
        await self._notify()

    def _ingest_rows(self, job: Job) -> tuple[list[str], list[list[str]]]:
        header: list[str] = []
        rows: list[list[str]] = []
        for text in job.uploads:
            this_header, these_rows = parse_csv(job, text)
            if header and [h.lower() for h in this_header] != [h.lower() for h in header]:
                raise ValueError("InvalidBatch : Every upload of a job must have the same header")
            header = this_header
            rows.extend(these_rows)
        if not header:
            raise ValueError("InvalidBatch : No data was uploaded for this job")
        if job.operation in ("delete", "hardDelete") and [h.lower() for h in header] != ["id"]:
            raise ValueError(f"InvalidBatch : The '{job.operation}' batch must contain only ids")
        return header, rows

    def _run_query_job(self, org: Org, job: Job) -> None:
        try:
            assert job.query is not None
            columns, rows = self.run_query(org, job.query, job.operation == "queryAll")
        except SalesforceError as exc:
            job.state = "Failed"
            job.error_message = f"{exc.error_code}: {exc.message}"
        else:
            job.result_columns = columns
            job.result_rows = rows
            job.processed = len(rows)
            job.state = "JobComplete"
        job.modified = self.clock.now()

    async def _pause(self) -> None:
        if self.pace.pause > timedelta(0):
            # Register the timer before telling waiters, so "paused" is observable and an
            # advance() right after it wakes this step.
            wake = self.clock.timer(self.clock.now() + self.pace.pause)
            await self._notify()
            await wake
        else:
            await asyncio.sleep(0)


def _chunks(rows: list[list[str]], size: int) -> Iterator[list[list[str]]]:
    size = max(1, size)
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
