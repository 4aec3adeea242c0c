"""The other components, over their public HTTP APIs only: each call either answers or says which
component is down (with its URL) or what it refused, so a page can show the rest."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import aiohttp
from aiohttp import web

from web.settings import WebSettings

T = TypeVar("T")
SALESFORCE_API = "/services/data/v62.0"
#: Readiness of each component (DESIGN.md): the simulators' control plane, the core's /health.
READY_PATHS = {"salesforce": "/__sim/ready", "billing": "/__sim/ready", "core": "/health"}


class UpstreamError(Exception):
    """A component answered, but not with success: ``status`` and its own error message."""

    def __init__(self, component: str, url: str, status: int, message: str, param: str | None = None):
        super().__init__(f"{component} answered {status}: {message}")
        self.component, self.url, self.status, self.message, self.param = (
            component,
            url,
            status,
            message,
            param,
        )


class ComponentDown(Exception):
    """A component did not answer at all (refused, reset, timed out)."""

    def __init__(self, component: str, url: str, reason: str) -> None:
        super().__init__(f"{component} is down at {url}: {reason}")
        self.component, self.url, self.reason = component, url, reason


@dataclass
class Part(Generic[T]):
    """One section of a page: its data, or why it has none (the rest of the page still renders)."""

    value: T | None = None
    down: ComponentDown | None = None
    error: UpstreamError | None = None

    @property
    def ok(self) -> bool:
        return self.down is None and self.error is None


async def part(call: Awaitable[T]) -> Part[T]:
    try:
        return Part(await call)
    except ComponentDown as exc:
        return Part(down=exc)
    except UpstreamError as exc:
        return Part(error=exc)


def _message(body: Any, text: str) -> tuple[str, str | None]:
    """The component's own message: problem+json ``detail``/``title`` (and ``param``), or
    Salesforce's error array."""
    if isinstance(body, dict):
        detail = body.get("detail") or body.get("title") or body.get("message") or text
        param = body.get("param")
        return str(detail), str(param) if param else None
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return str(body[0].get("message") or body[0].get("errorCode") or text).strip(), None
    return text[:300] or "no message", None


class Upstreams:
    """HTTP clients of the three components, sharing one connection pool."""

    def __init__(self, settings: WebSettings, session: aiohttp.ClientSession) -> None:
        self.settings = settings
        self.session = session
        self.urls = settings.urls()
        self._sf_token: str | None = None
        self._sf_lock = asyncio.Lock()
        self._ssl: ssl.SSLContext | None = None
        if settings.salesforce_ca_file:
            self._ssl = ssl.create_default_context(cafile=settings.salesforce_ca_file)

    def _headers(self, component: str) -> dict[str, str]:
        token = {
            "billing": self.settings.billing_api_key,
            "core": self.settings.core_token,
            "salesforce": self._sf_token,
        }[component]
        return {"Authorization": f"Bearer {token}"} if token else {}

    async def call(
        self,
        component: str,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        data: dict[str, str] | None = None,
        auth: bool = True,
        headers: dict[str, str] | None = None,
    ) -> Any:
        base = self.urls[component]
        clean = {k: str(v) for k, v in (params or {}).items() if v not in (None, "")}
        try:
            async with self.session.request(
                method,
                base + path,
                params=clean,
                json=json,
                data=data,
                headers={**(self._headers(component) if auth else {}), **(headers or {})},
                ssl=self._ssl if component == "salesforce" and self._ssl else True,
                timeout=aiohttp.ClientTimeout(total=self.settings.timeout),
            ) as response:
                text = await response.text()
                try:
                    body: Any = await response.json(content_type=None) if text.strip() else None
                except ValueError:
                    body = None
                if response.status >= 400:
                    message, param = _message(body, text)
                    raise UpstreamError(component, base, response.status, message, param)
                return body
        except (aiohttp.ClientConnectionError, TimeoutError, OSError) as exc:
            raise ComponentDown(component, base, str(exc) or type(exc).__name__) from None

    # -- readiness ------------------------------------------------------------------------------

    async def ready(self, component: str) -> bool:
        await self.call(component, "GET", READY_PATHS[component], auth=False)
        return True

    # -- Salesforce (OAuth username-password flow, then REST) ----------------------------------

    async def _login(self) -> None:
        s = self.settings
        body = await self.call(
            "salesforce",
            "POST",
            "/services/oauth2/token",
            data={
                "grant_type": "password",
                "client_id": s.salesforce_client_id,
                "client_secret": s.salesforce_client_secret,
                "username": s.salesforce_username,
                "password": s.salesforce_password,
            },
            auth=False,
        )
        self._sf_token = str(body["access_token"])

    async def salesforce(self, method: str, path: str, **kwargs: Any) -> Any:
        """A Salesforce REST call under ``/services/data/vXX.X``; signs in (again) when needed."""
        async with self._sf_lock:
            if self._sf_token is None:
                await self._login()
        try:
            return await self.call("salesforce", method, SALESFORCE_API + path, **kwargs)
        except UpstreamError as exc:
            if exc.status != 401:
                raise
            async with self._sf_lock:
                await self._login()
            return await self.call("salesforce", method, SALESFORCE_API + path, **kwargs)

    async def query(self, soql: str, *, max_records: int = 2000) -> list[dict[str, Any]]:
        page = await self.salesforce("GET", "/query", params={"q": soql})
        records: list[dict[str, Any]] = list(page["records"])
        while not page.get("done", True) and len(records) < max_records:
            next_url = str(page["nextRecordsUrl"]).removeprefix(SALESFORCE_API)
            page = await self.salesforce("GET", next_url)
            records.extend(page["records"])
        return records

    async def count(self, sobject: str) -> int:
        page = await self.salesforce("GET", "/query", params={"q": f"SELECT COUNT() FROM {sobject}"})
        return int(page["totalSize"])

    # -- billing contract ------------------------------------------------------------------------

    async def billing(self, method: str, path: str, **kwargs: Any) -> Any:
        return await self.call("billing", method, path, **kwargs)

    async def billing_list(
        self, path: str, *, params: dict[str, Any] | None = None, pages: int = 20
    ) -> list[Any]:
        """Every item of a cursor-paged list (bounded: ``pages`` pages of 100)."""
        items: list[Any] = []
        cursor: str | None = None
        for _ in range(pages):
            page = await self.billing("GET", path, params={**(params or {}), "limit": 100, "cursor": cursor})
            items.extend(page["data"])
            if not page.get("has_more"):
                break
            cursor = page["next_cursor"]
        return items

    async def billing_account_by_number(self, number: str) -> dict[str, Any] | None:
        page = await self.billing("GET", "/accounts", params={"number": number})
        data: list[dict[str, Any]] = page["data"]
        return data[0] if data else None

    # -- the core's actions API ------------------------------------------------------------------

    async def core(self, method: str, path: str, json: Any = None) -> Any:
        return await self.call("core", method, path, json=json)


def soql_literal(value: str) -> str:
    """A string literal for SOQL (quotes and backslashes escaped)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def path_segment(value: str) -> str:
    return quote(value, safe="")


SETTINGS = web.AppKey("web_settings", WebSettings)
UPSTREAMS = web.AppKey("web_upstreams", Upstreams)


def upstreams(request: web.Request) -> Upstreams:
    return request.app[UPSTREAMS]
