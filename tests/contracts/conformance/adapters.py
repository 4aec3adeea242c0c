"""Deliberately broken billing adapters: aiohttp proxies in front of the billing simulator that
each break one rule of the contract, on the HTTP API or on the webhooks.

Webhooks go through the proxy too: when a client registers an endpoint, the proxy registers its
own ``/__proxy/hooks/<n>`` URL with the simulator instead (the client still sees its own URL) and
keeps the secret the simulator returns, then forwards every delivery to the client's URL,
possibly altered, and hands the client's answer back to the simulator, so retries are real.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from contracts.signing import sign, webhook_headers

HOP_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "content-encoding", "keep-alive"}
VALID_KEY = "q2c-billing-key"
WRONG_SECRET = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVowMTIzNDU="


@dataclass
class Forward:
    """A request on its way to the simulator."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None


@dataclass
class Answer:
    """The simulator's answer on its way back."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    def set_json(self, value: Any) -> None:
        self.body = json.dumps(value, ensure_ascii=False).encode()


@dataclass
class Hook:
    """A webhook delivery on its way to the client's endpoint."""

    headers: dict[str, str]
    body: bytes
    secret: str

    def resign(self, webhook_id: str) -> None:
        stamp = int(self.headers["webhook-timestamp"])
        self.headers.update(webhook_headers([self.secret], webhook_id, stamp, self.body))


@dataclass
class HookTarget:
    url: str
    secret: str = ""


SESSION = web.AppKey("proxy_session", aiohttp.ClientSession)


@dataclass
class Adapter:
    """A transparent proxy; subclasses override one hook to break one rule."""

    upstream: str
    name: str = "unbroken"
    hooks: list[HookTarget] = field(default_factory=list)

    def on_request(self, forward: Forward) -> web.Response | None:
        return None

    def on_response(self, forward: Forward, answer: Answer) -> None:
        return None

    def on_webhook(self, hook: Hook) -> None:
        return None

    # -- machinery -------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()

        async def session(app: web.Application) -> AsyncIterator[None]:
            app[SESSION] = aiohttp.ClientSession(auto_decompress=False)
            yield
            await app[SESSION].close()

        app.cleanup_ctx.append(session)
        app.router.add_post("/__proxy/hooks/{n}", self._deliver)
        app.router.add_route("*", "/{tail:.*}", self._proxy)
        return app

    async def _proxy(self, request: web.Request) -> web.StreamResponse:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
        forward = Forward(request.method, request.path, request.query_string, headers, await request.read())
        short = self.on_request(forward)
        if short is not None:
            return short
        registering = forward.method == "POST" and forward.path == "/webhook-endpoints"
        if registering:
            self._swap_hook_url(forward, f"http://{request.host}")
        url = self.upstream + forward.path + (f"?{forward.query}" if forward.query else "")
        async with request.app[SESSION].request(
            forward.method, url, headers=forward.headers, data=forward.body or None, allow_redirects=False
        ) as upstream:
            answer = Answer(
                upstream.status,
                {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_HEADERS},
                await upstream.read(),
            )
        if registering and answer.status == 201:
            self.hooks[-1].secret = str((answer.json() or {}).get("secret", ""))
        for n, target in enumerate(self.hooks):
            mine = f"http://{request.host}/__proxy/hooks/{n}".encode()
            answer.body = answer.body.replace(mine, target.url.encode())
        self.on_response(forward, answer)
        return web.Response(status=answer.status, headers=answer.headers, body=answer.body)

    def _swap_hook_url(self, forward: Forward, origin: str) -> None:
        body = forward.json()
        if not isinstance(body, dict) or not isinstance(body.get("url"), str):
            return
        self.hooks.append(HookTarget(body["url"]))
        body["url"] = f"{origin}/__proxy/hooks/{len(self.hooks) - 1}"
        forward.body = json.dumps(body).encode()

    async def _deliver(self, request: web.Request) -> web.Response:
        target = self.hooks[int(request.match_info["n"])]
        headers = {k.lower(): v for k, v in request.headers.items() if k.lower().startswith("webhook-")}
        hook = Hook(headers, await request.read(), target.secret)
        self.on_webhook(hook)
        sent = {**hook.headers, "Content-Type": "application/json"}
        async with request.app[SESSION].post(target.url, data=hook.body, headers=sent) as answer:
            await answer.read()
            return web.Response(status=answer.status)


def problem(status: int, code: str, detail: str) -> web.Response:
    body = {
        "type": f"https://example.test/{code}",
        "title": "Error",
        "status": status,
        "detail": detail,
        "code": code,
    }
    return web.json_response(body, status=status, content_type="application/problem+json")


class WrongStatus(Adapter):
    """Bill-now answers 200 instead of the documented 201."""

    def on_response(self, forward: Forward, answer: Answer) -> None:
        if forward.method == "POST" and forward.path.endswith("/bill-now") and answer.status == 201:
            answer.status = 200


class MissingField(Adapter):
    """Accounts come back without their required `number` (the BAN)."""

    def on_response(self, forward: Forward, answer: Answer) -> None:
        if not forward.path.startswith("/accounts"):
            return
        body = answer.json()
        items = body.get("data") if isinstance(body, dict) and "data" in body else [body]
        for item in items or []:
            if isinstance(item, dict) and "external_id" in item:
                item.pop("number", None)
        answer.set_json(body)


class IgnoredAuth(Adapter):
    """Any caller is let in: a missing or unknown key is replaced by a valid one."""

    def on_request(self, forward: Forward) -> web.Response | None:
        forward.headers = {k: v for k, v in forward.headers.items() if k.lower() != "authorization"}
        forward.headers["Authorization"] = f"Bearer {VALID_KEY}"
        return None


class IgnoredIdempotency(Adapter):
    """Idempotency-Key is dropped before the backend sees it."""

    def on_request(self, forward: Forward) -> web.Response | None:
        forward.headers = {k: v for k, v in forward.headers.items() if k.lower() != "idempotency-key"}
        return None


class BadSignature(Adapter):
    """Deliveries are signed with the wrong secret."""

    def on_webhook(self, hook: Hook) -> None:
        stamp = int(hook.headers["webhook-timestamp"])
        hook.headers["webhook-signature"] = sign(WRONG_SECRET, hook.headers["webhook-id"], stamp, hook.body)


class MissingSignature(Adapter):
    """Deliveries carry no webhook-signature header."""

    def on_webhook(self, hook: Hook) -> None:
        hook.headers.pop("webhook-signature", None)


class SkippingPagination(Adapter):
    """Every page that has a next one loses its last record (the cursor still moves past it)."""

    def on_response(self, forward: Forward, answer: Answer) -> None:
        body = answer.json()
        if forward.method == "GET" and isinstance(body, dict) and body.get("has_more") and body.get("data"):
            body["data"] = body["data"][:-1]
            answer.set_json(body)


class NonAsciiCrash(Adapter):
    """The backend fails with 500 on any non-ASCII string in a request body."""

    def on_request(self, forward: Forward) -> web.Response | None:
        if any(ord(ch) > 127 for ch in json.dumps(forward.json(), ensure_ascii=False)):
            return problem(500, "internal_error", "the backend failed to encode the request")
        return None


class RetryChangesId(Adapter):
    """A retried delivery gets a new event id (header and body), properly signed."""

    seen: dict[str, int]

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream, name="retry_changes_id")
        self.seen = {}

    def on_webhook(self, hook: Hook) -> None:
        original = hook.headers["webhook-id"]
        count = self.seen.get(original, 0)
        self.seen[original] = count + 1
        if count == 0:
            return
        fresh = f"{original}r{count}"
        payload = json.loads(hook.body)
        payload["id"] = fresh
        hook.body = json.dumps(payload, separators=(",", ":")).encode()
        hook.resign(fresh)


class SummaryDisagrees(Adapter):
    """The account summary's total_billed is one unit off its invoices."""

    def on_response(self, forward: Forward, answer: Answer) -> None:
        body = answer.json()
        if answer.status != 200 or not isinstance(body, dict):
            return
        if forward.path.endswith("/summary"):
            _one_unit_more(body)
        elif forward.path == "/account-summaries":  # the listing says the same, consistently
            for summary in body["data"]:
                _one_unit_more(summary)
        else:
            return
        answer.set_json(body)


def _one_unit_more(summary: dict[str, Any]) -> None:
    total = summary["total_billed"]
    whole, _, cents = total["amount"].partition(".")
    total["amount"] = f"{int(whole) + 1}.{cents}" if cents else str(int(whole) + 1)


BROKEN: dict[str, type[Adapter]] = {
    "wrong_status": WrongStatus,
    "missing_field": MissingField,
    "ignored_auth": IgnoredAuth,
    "ignored_idempotency": IgnoredIdempotency,
    "bad_signature": BadSignature,
    "missing_signature": MissingSignature,
    "skipping_pagination": SkippingPagination,
    "non_ascii_500": NonAsciiCrash,
    "retry_changes_id": RetryChangesId,
    "summary_disagrees": SummaryDisagrees,
}
