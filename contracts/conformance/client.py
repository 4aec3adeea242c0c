"""The harness's HTTP client: every request is recorded as an ``Exchange`` (for curl
reproductions and the conformance index) and attributed to its contract operation.

It behaves like a well-mannered adapter client: a 429 is honoured by waiting its Retry-After
(bounded) and trying again, so a rate-limited adapter is measured on its answers, not on the
harness's pace. The rate-limit check itself turns that off to see the 429s.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import aiohttp

from contracts.conformance.results import Coverage, Exchange, curl, refused
from contracts.conformance.spec import Contract

USER_AGENT = "q2c-verify/1"
MAX_RETRY_AFTER = 10.0
MAX_429_RETRIES = 4


def encode_json(body: Any) -> bytes:
    """UTF-8 JSON as a real client sends it (non-ASCII characters are not escaped)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


class TargetClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        contract: Contract,
        *,
        timeout: float = 30.0,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.contract = contract
        self.coverage = Coverage()
        self.exchanges: list[Exchange] = []
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session = session
        self._owns_session = session is None

    async def __aenter__(self) -> TargetClient:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout, headers={"User-Agent": USER_AGENT}, auto_decompress=True
            )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    def url(self, path: str, query: Mapping[str, Any] | None = None) -> str:
        url = self.base_url + path
        if query:
            url += "?" + urlencode({k: v for k, v in query.items() if v is not None})
        return url

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        raw_body: bytes | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: str | None = "token",
        retry_429: bool = True,
    ) -> Exchange:
        """``auth``: ``"token"`` (the API key), ``None`` (no Authorization) or a literal header value."""
        sent: dict[str, str] = {}
        if auth == "token":
            sent["Authorization"] = f"Bearer {self.token}"
        elif auth is not None:
            sent["Authorization"] = auth
        body = raw_body if raw_body is not None else (None if json_body is None else encode_json(json_body))
        if body is not None:
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        url = self.url(path, query)
        operation = self.contract.match(method, path)
        attempt = 0
        while True:
            exchange = await self._send(method, url, sent, body)
            exchange.operation_id = operation.operation_id if operation else None
            self.exchanges.append(exchange)
            if auth == "token":
                # A probe without the key (auth.enforced) reaches no operation's behaviour: it
                # counts for neither the index nor the operations exercised.
                self.coverage.add(exchange.operation_id, exchange.status)
                if exchange.operation_id is not None and refused(exchange):
                    self.coverage.refused.setdefault(exchange.operation_id, curl(exchange, self.token))
            if exchange.status != 429 or not retry_429 or attempt >= MAX_429_RETRIES:
                return exchange
            attempt += 1
            await asyncio.sleep(retry_after_seconds(exchange))

    async def _send(self, method: str, url: str, headers: dict[str, str], body: bytes | None) -> Exchange:
        assert self._session is not None, "use TargetClient as an async context manager"
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, allow_redirects=False
            ) as response:
                content = await response.read()
                return Exchange(method, url, headers, body, response.status, dict(response.headers), content)
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = f"{type(exc).__name__}: {exc}".rstrip(": ")
            return Exchange(method, url, headers, body, 0, {}, b"", error=error)


def retry_after_seconds(exchange: Exchange) -> float:
    raw = exchange.header("Retry-After") or "1"
    try:
        return min(max(float(raw), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        return 1.0
