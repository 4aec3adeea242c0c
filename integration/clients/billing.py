"""The core's client of the billing adapter contract (contracts/billing-adapter.openapi.yaml).

Every mutation carries an ``Idempotency-Key`` (derived from the intent by the caller, so a
retry after a crash replays instead of duplicating); 429 waits for ``Retry-After``; 5xx and
connection errors are retried with exponential backoff and jitter. Errors are the contract's
problem+json, raised as ``BillingApiError`` with its stable ``code``.

Responses are parsed into the models generated from the contract
(``contracts.generated.billing_models``); a response that does not match its model is a
``BillingApiError`` with code ``invalid_response`` naming the first mismatch, never a KeyError
deep in a flow.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

import aiohttp
from pydantic import BaseModel, ValidationError

from contracts.generated import billing_models as wire
from integration.clients.http import HttpClient

MAX_RETRY_AFTER = 60.0
M = TypeVar("M", bound=BaseModel)


class BillingApiError(Exception):
    def __init__(self, status: int, problem: Mapping[str, Any], url: str) -> None:
        self.status = status
        self.problem = dict(problem)
        self.code = str(problem.get("code") or f"http_{status}")
        self.detail = str(problem.get("detail") or problem.get("title") or "")
        self.param = problem.get("param")
        super().__init__(f"{status} {self.code}: {self.detail} ({url})")


@dataclass(frozen=True)
class BillingConfig:
    base_url: str
    api_key: str
    max_retries: int = 5
    backoff_base: float = 0.1
    backoff_cap: float = 5.0
    timeout: float = 30.0
    concurrency: int = 32


class BillingClient(HttpClient):
    def __init__(self, config: BillingConfig, **options: Any) -> None:
        super().__init__(**options)
        self.config = config
        self.backoff_base, self.backoff_cap = config.backoff_base, config.backoff_cap
        self.limiter = asyncio.Semaphore(config.concurrency)

    def _new_session(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.config.concurrency * 2),
            timeout=aiohttp.ClientTimeout(total=self.config.timeout),
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        operation: str = "call",
        allow: tuple[int, ...] = (),
    ) -> tuple[int, Any]:
        """One contract call with retries. Statuses in ``allow`` are returned, not raised."""
        url = self.config.base_url.rstrip("/") + path
        if query:
            url += "?" + urlencode({k: v for k, v in query.items() if v is not None})
        headers = {"Authorization": f"Bearer {self.config.api_key}", "Accept": "application/json"}
        if method in ("POST", "PATCH", "PUT", "DELETE"):
            headers["Idempotency-Key"] = idempotency_key or f"q2c-{uuid.uuid4()}"
        attempt = 0
        while True:
            try:
                async with (
                    self.limiter,
                    self._http().request(method, url, json=body, headers=headers) as response,
                ):
                    self.calls += 1
                    if self._on_call is not None:
                        self._on_call(operation)
                    status = response.status
                    retry_after = response.headers.get("Retry-After")
                    payload = await response.json(content_type=None) if await response.read() else None
            except (aiohttp.ClientConnectionError, TimeoutError) as exc:
                if attempt >= self.config.max_retries:
                    raise BillingApiError(
                        0, {"code": "upstream_unavailable", "detail": str(exc)}, url
                    ) from exc
                await self._backoff(attempt)
                attempt += 1
                continue
            if status == 429 and attempt < self.config.max_retries:
                await self._sleep(min(_seconds(retry_after), MAX_RETRY_AFTER))
                attempt += 1
                continue
            if status >= 500 and attempt < self.config.max_retries:
                await self._backoff(attempt)
                attempt += 1
                continue
            if status >= 400 and status not in allow:
                raise BillingApiError(status, payload if isinstance(payload, dict) else {}, url)
            return status, payload

    async def pages(
        self, path: str, query: Mapping[str, Any] | None = None, *, limit: int = 100
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Walk a cursor-paginated list (``{data, next_cursor, has_more}``)."""
        params = {**(query or {}), "limit": limit}
        while True:
            _, page = await self.request("GET", path, query=params, operation="list")
            yield list(page["data"])
            if not page.get("has_more") or not page.get("next_cursor"):
                return
            params["cursor"] = page["next_cursor"]

    async def collect(self, path: str, query: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        async for page in self.pages(path, query):
            found.extend(page)
        return found

    # -- the operations the flows use, typed by the contract's models -------------------------------

    async def _get(
        self, model: type[M], path: str, operation: str, query: Mapping[str, Any] | None = None
    ) -> M:
        status, payload = await self.request("GET", path, query=query, operation=operation)
        return parse(model, payload, status=status, url=path)

    async def _send(
        self, model: type[M], method: str, path: str, body: BaseModel, key: str, operation: str
    ) -> M:
        status, payload = await self.request(
            method,
            path,
            # Only the fields set: the contract refuses explicit nulls where it does not allow them.
            body=body.model_dump(mode="json", exclude_unset=True),
            idempotency_key=key,
            operation=operation,
        )
        return parse(model, payload, status=status, url=path)

    async def _all(self, model: type[M], path: str, query: Mapping[str, Any] | None = None) -> list[M]:
        return [parse(model, item, status=200, url=path) for item in await self.collect(path, query)]

    async def bill_cycles(self) -> list[wire.BillCycle]:
        return await self._all(wire.BillCycle, "/bill-cycles")

    async def account_categories(self) -> list[wire.AccountCategory]:
        return await self._all(wire.AccountCategory, "/account-categories")

    async def find_account(
        self, *, external_id: str | None = None, number: str | None = None
    ) -> wire.Account | None:
        query = {"external_id": external_id, "number": number, "limit": 1}
        page = await self._get(wire.AccountList, "/accounts", "find_account", query)
        return page.data[0] if page.data else None

    async def get_account(self, account_id: str) -> wire.Account:
        return await self._get(wire.Account, f"/accounts/{account_id}", "get_account")

    async def create_account(self, body: wire.AccountCreate, *, idempotency_key: str) -> wire.Account:
        return await self._send(wire.Account, "POST", "/accounts", body, idempotency_key, "create_account")

    async def update_account(
        self, account_id: str, body: wire.AccountUpdate, *, idempotency_key: str
    ) -> wire.Account:
        path = f"/accounts/{account_id}"
        return await self._send(wire.Account, "PATCH", path, body, idempotency_key, "update_account")

    async def account_summary(self, account_id: str) -> wire.AccountSummary:
        return await self._get(wire.AccountSummary, f"/accounts/{account_id}/summary", "account_summary")

    async def invoices(self, account_id: str) -> list[wire.Invoice]:
        return await self._all(wire.Invoice, "/invoices", {"account_id": account_id})

    async def events_page(self, after: str | None, *, limit: int = 100) -> wire.EventList:
        return await self._get(wire.EventList, "/events", "events", {"cursor": after, "limit": limit})

    async def capabilities(self) -> wire.Capabilities:
        return await self._get(wire.Capabilities, "/capabilities", "capabilities")

    async def create_accounts_batch(
        self, items: Sequence[tuple[str, wire.AccountCreate]]
    ) -> list[wire.AccountBatchItemResult]:
        """``POST /accounts/batch`` (capability ``batch_account_create``): up to 200 accounts,
        each under its own idempotency key, one result per item in order."""
        body = {
            "items": [
                {"idempotency_key": key, "account": account.model_dump(mode="json", exclude_unset=True)}
                for key, account in items
            ]
        }
        status, payload = await self.request(
            "POST", "/accounts/batch", body=body, operation="create_accounts_batch"
        )
        return parse(wire.AccountBatchResult, payload, status=status, url="/accounts/batch").results

    async def account_summaries(self) -> list[wire.AccountSummary]:
        """Every account's summary by cursor (capability ``account_summaries``)."""
        return await self._all(wire.AccountSummary, "/account-summaries")

    # -- catalog, orders and services (issue 14) ---------------------------------------------------

    async def products(self) -> list[wire.Product]:
        return await self._all(wire.Product, "/products")

    async def get_product(self, product_id: str) -> wire.Product:
        return await self._get(wire.Product, f"/products/{product_id}", "get_product")

    async def services(
        self, *, account_id: str | None = None, status: str | None = None
    ) -> list[wire.Service]:
        query = {k: v for k, v in {"account_id": account_id, "status": status}.items() if v is not None}
        return await self._all(wire.Service, "/services", query)

    async def get_service(self, service_id: str) -> wire.Service:
        return await self._get(wire.Service, f"/services/{service_id}", "get_service")

    async def create_order(self, body: wire.OrderCreate, *, idempotency_key: str) -> wire.Order:
        """``POST /orders``: 201 completed or failed, 202 waiting; a refused order (422, ``param``
        ``items.<i>.<field>``) raises ``BillingApiError``."""
        return await self._send(wire.Order, "POST", "/orders", body, idempotency_key, "create_order")

    async def get_order(self, order_id: str) -> wire.Order:
        return await self._get(wire.Order, f"/orders/{order_id}", "get_order")

    async def orders(self, *, account_id: str | None = None) -> list[wire.Order]:
        return await self._all(wire.Order, "/orders", {"account_id": account_id} if account_id else None)

    async def quote_etl(
        self, service_id: str, body: wire.EtlQuoteRequest, *, idempotency_key: str
    ) -> wire.EtlQuote:
        path = f"/services/{service_id}/etl-quote"
        return await self._send(wire.EtlQuote, "POST", path, body, idempotency_key, "quote_etl")


def parse(model: type[M], payload: Any, *, status: int, url: str) -> M:
    """A billing response as its contract model, or a ``BillingApiError`` naming the mismatch."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        detail = f"the response is not a contract {model.__name__}: {where}: {first['msg']}"
        raise BillingApiError(
            status, {"code": "invalid_response", "detail": detail, "param": where}, url
        ) from None


def _seconds(value: str | None) -> float:
    try:
        return max(float(value), 0.0) if value is not None else 1.0
    except ValueError:
        return 1.0
