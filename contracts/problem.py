"""RFC 9457 problem details: the one error type of the control plane, the billing contract and the
integration core. Plain Python (no aiohttp), so models may raise it; ``contracts.problem_http``
renders it, in exactly one place."""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from pydantic import ValidationError

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://q2c-sandbox.dev/problems/"


class Problem(Exception):
    """Raise anywhere below a handler; the pipeline renders it as problem+json."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        param: str | None = None,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.param = param
        self.title = title or HTTPStatus(status).phrase
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def body(self, *, instance: str | None = None, request_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if self.param is not None:
            body["param"] = self.param
        if instance is not None:
            body["instance"] = instance
        if request_id is not None:
            body["request_id"] = request_id
        body.update(self.extra)
        return body


def validation_problem(error: ValidationError, *, where: str = "body") -> Problem:
    """The first pydantic error as a 400 naming the offending parameter."""
    first = error.errors()[0]
    location = ".".join(str(part) for part in first["loc"]) or where
    kind = first["type"]
    if kind == "extra_forbidden":
        detail = f"unknown field {location!r} in {where}"
        code = "unknown_field"
    elif kind == "missing":
        detail = f"{location!r} is required in {where}"
        code = "missing_field"
    else:
        detail = f"invalid {location!r} in {where}: {first['msg']}"
        code = "validation_failed"
    return Problem(400, code, detail, param=location)


def parse_json_bytes(raw: bytes) -> Any:
    if not raw.strip():
        raise Problem(400, "invalid_json", "the request body is empty; a JSON document is required")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Problem(400, "invalid_json", f"the request body is not valid JSON: {exc}") from None
