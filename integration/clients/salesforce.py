"""The core's Salesforce client: the real REST API, so pointing it at a real org is configuration.

- OAuth 2.0 client credentials (Basic auth) or JWT bearer (RS256), refreshed once on a 401
  ``INVALID_SESSION_ID``; URLs pinned to one API version.
- Reads ``Sforce-Limit-Info`` on every response and refuses to spend the org's last calls: when
  fewer than ``reserve`` remain, calls raise ``LimitReserveReached`` (the job queue retries later)
  instead of starving every other integration of the org.
- Backs off (exponential, with jitter) on 503 and on ``UNABLE_TO_LOCK_ROW``, including the
  records of a collection that failed only because of a lock.
- Bulkified: writes through sObject Collections (200 records a call) or, above
  ``bulk_threshold`` records, Bulk API 2.0; reads through SOQL following ``nextRecordsUrl``.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import json
import re
import ssl
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp
import jwt

from integration.clients.http import HttpClient

COLLECTION_SIZE = 200
LOCK_ERROR = "UNABLE_TO_LOCK_ROW"
_LIMIT_INFO = re.compile(r"api-usage=(\d+)/(\d+)")


class SalesforceApiError(Exception):
    """An error answer (``status`` 0: Salesforce could not be reached, ``UNREACHABLE``)."""

    def __init__(
        self, status: int, errors: list[dict[str, Any]], url: str, *, retry_after: int | None = None
    ) -> None:
        first = errors[0] if errors and isinstance(errors[0], dict) else {}
        self.status = status
        self.retry_after = retry_after
        self.error_code = str(first.get("errorCode") or first.get("error") or "UNKNOWN")
        self.message = str(first.get("message") or first.get("error_description") or "")
        self.errors = errors
        super().__init__(f"{status} {self.error_code}: {self.message} ({url})")


class LimitReserveReached(Exception):
    """The org is this close to its daily API limit: stop and retry after the window rolls."""

    def __init__(self, used: int, maximum: int, reserve: int) -> None:
        super().__init__(
            f"Salesforce API usage {used}/{maximum}: keeping the last {reserve} calls in reserve"
        )
        self.used, self.maximum, self.reserve = used, maximum, reserve


@dataclass(frozen=True)
class SalesforceConfig:
    login_url: str  # where /services/oauth2/token lives (the My Domain or login URL)
    client_id: str
    client_secret: str | None = None
    username: str | None = None  # JWT bearer: the user the token is for
    private_key: str | None = None  # JWT bearer: PEM of the connected app's certificate key
    api_version: str = "62.0"
    reserve_fraction: float = 0.05  # keep this share of the daily limit for everything else
    max_retries: int = 5
    backoff_base: float = 0.2
    backoff_cap: float = 10.0
    bulk_threshold: int = 10_000  # write batches at least this large go through Bulk API 2.0
    bulk_poll_interval: float = 0.2
    ca_file: str | None = None
    timeout: float = 120.0
    # Sent as ``Sforce-Call-Options: client=<name>``: change events name it in changeOrigin, so
    # the core recognises (and drops) the echoes of its own writes.
    call_options_client: str | None = None


@dataclass
class RecordResult:
    id: str | None
    success: bool
    errors: list[dict[str, Any]] = field(default_factory=list)
    created: bool | None = None

    @property
    def error_text(self) -> str:
        return "; ".join(f"{e.get('statusCode')}: {e.get('message')}" for e in self.errors)


@dataclass
class ApiUsage:
    used: int = 0
    maximum: int = 0


def soql_quote(value: str) -> str:
    """A SOQL string literal. Escapes per the SOQL reference: backslash, quotes, control chars."""
    escaped = (
        value.replace("\\", "\\\\")
        .replace("'", "\\'")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
        .replace("\b", "\\b")
        .replace("\f", "\\f")
    )
    return f"'{escaped}'"


def soql_in(values: Sequence[str]) -> str:
    return "(" + ",".join(soql_quote(v) for v in values) + ")"


class SalesforceClient(HttpClient):
    def __init__(self, config: SalesforceConfig, **options: Any) -> None:
        super().__init__(**options)
        self.config = config
        self.backoff_base, self.backoff_cap = config.backoff_base, config.backoff_cap
        self._token: str | None = None
        self._instance_url: str | None = None
        self._identity_url = ""  # .../id/<org id>/<user id>, from the token response
        self._token_lock = asyncio.Lock()
        self.usage = ApiUsage()

    def _new_session(self) -> aiohttp.ClientSession:
        ssl_context: ssl.SSLContext | bool = True
        if self.config.ca_file:
            ssl_context = ssl.create_default_context(cafile=self.config.ca_file)
        return aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=ssl_context, limit=32),
            timeout=aiohttp.ClientTimeout(total=self.config.timeout),
        )

    @property
    def base(self) -> str:
        """The versioned REST path (the instance URL comes from the token response)."""
        return f"/services/data/v{self.config.api_version}"

    # -- auth -----------------------------------------------------------------------------------

    async def authenticate(self, *, force: bool = False) -> None:
        async with self._token_lock:
            if self._token is not None and not force:
                return
            url = self.config.login_url.rstrip("/") + "/services/oauth2/token"
            headers: dict[str, str] = {}
            if self.config.private_key and self.config.username:
                claims = {
                    "iss": self.config.client_id,
                    "sub": self.config.username,
                    "aud": self.config.login_url.rstrip("/"),
                    "exp": int(time.time()) + 180,
                }
                assertion = jwt.encode(claims, self.config.private_key, algorithm="RS256")
                form = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
            else:
                secret = self.config.client_secret or ""
                basic = base64.b64encode(f"{self.config.client_id}:{secret}".encode()).decode()
                headers["Authorization"] = f"Basic {basic}"
                form = {"grant_type": "client_credentials"}
            try:
                async with self._http().post(url, data=form, headers=headers) as response:
                    body = await response.json(content_type=None)
                    if response.status != 200:
                        raise SalesforceApiError(
                            response.status, [body] if isinstance(body, dict) else body, url
                        )
            except (aiohttp.ClientConnectionError, TimeoutError) as exc:
                raise _unreachable(exc, url) from exc
            except (aiohttp.ContentTypeError, ValueError) as exc:  # not JSON: a proxy's error page
                raise SalesforceApiError(
                    502, [{"errorCode": "INVALID_RESPONSE", "message": str(exc)}], url
                ) from exc
            self._token = str(body["access_token"])
            self._instance_url = str(body["instance_url"]).rstrip("/")
            self._identity_url = str(body.get("id") or "")

    async def access(self, *, refresh: bool = False) -> tuple[str, str]:
        """(instance URL, access token): what the org's other APIs (Streaming, Pub/Sub) take."""
        await self.authenticate(force=refresh)
        if self._instance_url is None or self._token is None:
            raise AssertionError("authenticate() sets both")
        return self._instance_url, self._token

    async def org_id(self) -> str:
        """The org's id (Pub/Sub's ``tenantid``), from the token response's identity URL."""
        await self.authenticate()
        parts = self._identity_url.rstrip("/").split("/")
        if len(parts) < 3 or parts[-3] != "id":
            raise SalesforceApiError(
                502,
                [{"errorCode": "INVALID_RESPONSE", "message": "no identity URL in the token response"}],
                "",
            )
        return parts[-2]

    # -- the one request path -------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path_or_url: str,
        *,
        body: Any = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        kind: str = "rest",
    ) -> tuple[int, Any, Mapping[str, str]]:
        """One metered call (with auth refresh, lock/503 backoff and the limit reserve)."""
        await self.authenticate()
        refreshed = False
        for attempt in range(self.config.max_retries + 1):
            self._check_reserve()
            url = path_or_url if path_or_url.startswith("http") else f"{self._instance_url}{path_or_url}"
            sent = {"Authorization": f"Bearer {self._token}", **(headers or {})}
            if self.config.call_options_client:
                sent.setdefault("Sforce-Call-Options", f"client={self.config.call_options_client}")
            try:
                async with self._http().request(method, url, json=body, data=data, headers=sent) as response:
                    self._counted(kind)
                    self._read_limit_info(response.headers)
                    text = await response.text()
                    payload = _parse(text, response.content_type)
                    status = response.status
                    response_headers = response.headers
            except (aiohttp.ClientConnectionError, TimeoutError) as exc:
                if attempt >= self.config.max_retries:
                    raise _unreachable(exc, url) from exc
                await self._backoff(attempt)
                continue
            if status == 401 and not refreshed and _code(payload) == "INVALID_SESSION_ID":
                refreshed = True
                await self.authenticate(force=True)
                continue
            if (status == 503 or _code(payload) == LOCK_ERROR) and attempt < self.config.max_retries:
                await self._backoff(attempt)
                continue
            if status >= 300:
                raise SalesforceApiError(
                    status,
                    payload if isinstance(payload, list) else [_as_error(payload)],
                    url,
                    retry_after=_retry_after(response_headers.get("Retry-After")),
                )
            return status, payload, response_headers
        raise AssertionError("unreachable")

    def _read_limit_info(self, headers: Mapping[str, str]) -> None:
        match = _LIMIT_INFO.search(headers.get("Sforce-Limit-Info", ""))
        if match:
            self.usage = ApiUsage(int(match.group(1)), int(match.group(2)))

    def _check_reserve(self) -> None:
        if self.usage.maximum:
            reserve = int(self.usage.maximum * self.config.reserve_fraction)
            if self.usage.maximum - self.usage.used <= reserve:
                raise LimitReserveReached(self.usage.used, self.usage.maximum, reserve)

    # -- reads ----------------------------------------------------------------------------------

    async def query_pages(
        self, soql: str, *, include_deleted: bool = False
    ) -> AsyncIterator[list[dict[str, Any]]]:
        resource = "queryAll" if include_deleted else "query"
        _, page, _ = await self.request("GET", f"{self.base}/{resource}?q={_urlquote(soql)}", kind="query")
        while True:
            yield list(page.get("records", []))
            next_url = page.get("nextRecordsUrl")
            if page.get("done", True) or not next_url:
                return
            _, page, _ = await self.request("GET", str(next_url), kind="query")

    async def query(self, soql: str) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        async for page in self.query_pages(soql):
            records.extend(page)
        return records

    # -- writes ---------------------------------------------------------------------------------

    async def update(self, sobject: str, records: Sequence[Mapping[str, Any]]) -> list[RecordResult]:
        """Update records (each with ``Id``); results in input order."""
        if len(records) >= self.config.bulk_threshold:
            return await self._bulk(sobject, "update", records, None)
        return await self._collections("PATCH", f"{self.base}/composite/sobjects", sobject, records)

    async def upsert(
        self, sobject: str, external_id_field: str, records: Sequence[Mapping[str, Any]]
    ) -> list[RecordResult]:
        """Upsert by an external-id field; results in input order with ``created``."""
        if len(records) >= self.config.bulk_threshold:
            return await self._bulk(sobject, "upsert", records, external_id_field)
        url = f"{self.base}/composite/sobjects/{sobject}/{external_id_field}"
        return await self._collections("PATCH", url, sobject, records)

    async def create(self, sobject: str, records: Sequence[Mapping[str, Any]]) -> list[RecordResult]:
        if len(records) >= self.config.bulk_threshold:
            return await self._bulk(sobject, "insert", records, None)
        return await self._collections("POST", f"{self.base}/composite/sobjects", sobject, records)

    async def _collections(
        self, method: str, url: str, sobject: str, records: Sequence[Mapping[str, Any]]
    ) -> list[RecordResult]:
        results: list[RecordResult] = []
        for start in range(0, len(records), COLLECTION_SIZE):
            chunk = [
                {"attributes": {"type": sobject}, **record}
                for record in records[start : start + COLLECTION_SIZE]
            ]
            results.extend(await self._collection_call(method, url, chunk))
        return results

    async def _collection_call(
        self, method: str, url: str, chunk: list[dict[str, Any]]
    ) -> list[RecordResult]:
        """One collections call; records that failed only on a row lock are retried with backoff."""
        results: list[RecordResult | None] = [None] * len(chunk)
        pending = list(range(len(chunk)))
        for attempt in range(self.config.max_retries + 1):
            _, body, _ = await self.request(
                method,
                url,
                body={"allOrNone": False, "records": [chunk[i] for i in pending]},
                kind="collections",
            )
            locked = []
            for index, item in zip(pending, body, strict=True):
                result = RecordResult(
                    item.get("id"),
                    bool(item.get("success")),
                    list(item.get("errors") or []),
                    item.get("created"),
                )
                results[index] = result
                if not result.success and any(e.get("statusCode") == LOCK_ERROR for e in result.errors):
                    locked.append(index)
            if not locked or attempt == self.config.max_retries:
                break
            pending = locked
            await self._backoff(attempt)
        return [r for r in results if r is not None]

    async def _bulk(
        self,
        sobject: str,
        operation: str,
        records: Sequence[Mapping[str, Any]],
        external_id_field: str | None,
    ) -> list[RecordResult]:
        """Bulk API 2.0 ingest: create, upload CSV, close, wait, read both result files."""
        columns = list(dict.fromkeys(key for record in records for key in record))
        job_spec: dict[str, Any] = {
            "object": sobject,
            "operation": operation,
            "contentType": "CSV",
            "lineEnding": "LF",
        }
        if external_id_field:
            job_spec["externalIdFieldName"] = external_id_field
        _, job, _ = await self.request("POST", f"{self.base}/jobs/ingest", body=job_spec, kind="bulk")
        job_url = f"{self.base}/jobs/ingest/{job['id']}"
        await self.request(
            "PUT",
            f"{job_url}/batches",
            data=_to_csv(columns, records),
            headers={"Content-Type": "text/csv"},
            kind="bulk",
        )
        await self.request("PATCH", job_url, body={"state": "UploadComplete"}, kind="bulk")
        while True:
            _, info, _ = await self.request("GET", job_url, kind="bulk")
            if info["state"] in ("JobComplete", "Failed", "Aborted"):
                break
            await self._sleep(self.config.bulk_poll_interval)
        if info["state"] != "JobComplete":
            raise SalesforceApiError(
                400,
                [{"errorCode": "BULK_JOB_" + info["state"].upper(), "message": info.get("errorMessage", "")}],
                job_url,
            )
        _, good, _ = await self.request("GET", f"{job_url}/successfulResults", kind="bulk")
        _, bad, _ = await self.request("GET", f"{job_url}/failedResults", kind="bulk")
        return _bulk_results(records, external_id_field or "Id", str(good), str(bad))


def _to_csv(columns: list[str], records: Sequence[Mapping[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow(
            ["#N/A" if record.get(c) is None and c in record else _csv_value(record.get(c)) for c in columns]
        )
    return buffer.getvalue().encode()


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _bulk_results(records: Sequence[Mapping[str, Any]], key: str, good: str, bad: str) -> list[RecordResult]:
    """Map result rows back to input order by the key column (result order is not guaranteed)."""
    by_key: dict[str, RecordResult] = {}
    for row in csv.DictReader(io.StringIO(good)):
        by_key[row.get(key, "")] = RecordResult(row.get("sf__Id"), True, [], row.get("sf__Created") == "true")
    for row in csv.DictReader(io.StringIO(bad)):
        code, _, rest = (row.get("sf__Error") or "").partition(":")
        message, _, fields = rest.rpartition(":")
        errors = [
            {
                "statusCode": code,
                "message": message or rest,
                "fields": [f for f in fields.split(",") if f and f != "--"],
            }
        ]
        by_key[row.get(key, "")] = RecordResult(row.get("sf__Id") or None, False, errors)
    missing = RecordResult(
        None, False, [{"statusCode": "UNPROCESSED", "message": "not in the job results", "fields": []}]
    )
    return [by_key.get(str(record.get(key, "")), missing) for record in records]


def _parse(text: str, content_type: str) -> Any:
    if not text:
        return None
    if "json" in content_type:
        try:
            return json.loads(text)
        except ValueError:  # a proxy's error page labelled JSON: keep it as text
            return text
    return text


def _as_error(payload: Any) -> dict[str, Any]:
    if isinstance(payload, dict):
        return payload
    return {"errorCode": "UNKNOWN", "message": str(payload or "")[:500]}


def _unreachable(exc: BaseException, url: str) -> SalesforceApiError:
    message = str(exc) or type(exc).__name__
    return SalesforceApiError(0, [{"errorCode": "UNREACHABLE", "message": message}], url)


def _retry_after(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def _code(body: Any) -> str | None:
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return str(body[0].get("errorCode"))
    return None


def _urlquote(value: str) -> str:
    return quote(value, safe="")
