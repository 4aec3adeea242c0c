"""Salesforce's error dialect: the one exception type and its one renderer.

REST errors are a JSON *array* of ``{"message", "errorCode", "fields"}`` (``fields`` absent for
session, limit and not-found errors). Per-record results (collections, tree, bulk) use
``statusCode`` instead; those are built by the models, not here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web

JSON_CONTENT_TYPE = "application/json"

# Defaults for injected faults, by status: what a real org sends for that status.
FAULT_DEFAULTS: dict[int, tuple[str, str]] = {
    400: ("UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record or 1 records"),
    401: ("INVALID_SESSION_ID", "Session expired or invalid"),
    403: ("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
    404: ("NOT_FOUND", "The requested resource does not exist"),
    429: ("REQUEST_LIMIT_EXCEEDED", "Too many requests."),
    500: (
        "UNKNOWN_EXCEPTION",
        "An unexpected error occurred. Please include this ErrorId if you contact support.",
    ),
    502: ("SERVER_UNAVAILABLE", "Bad gateway."),
    503: ("SERVER_UNAVAILABLE", "Server is temporarily unavailable. Please try again later."),
}


class SalesforceError(Exception):
    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        fields: Sequence[str] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = list(fields) if fields is not None else None
        self.headers = dict(headers or {})

    def item(self) -> dict[str, Any]:
        item: dict[str, Any] = {"message": self.message, "errorCode": self.error_code}
        if self.fields is not None:
            item["fields"] = self.fields
        return item


def error_response(error: SalesforceError) -> web.Response:
    response = web.json_response([error.item()], status=error.status, content_type=JSON_CONTENT_TYPE)
    response.headers.update(error.headers)
    return response


class SalesforceDialect:
    vendor_errors: tuple[type[Exception], ...] = (SalesforceError,)

    def render_error(self, request: web.Request, error: Exception, request_id: str) -> web.StreamResponse:
        assert isinstance(error, SalesforceError)
        return error_response(error)

    def render_http_error(
        self, request: web.Request, error: web.HTTPException, request_id: str
    ) -> web.StreamResponse:
        if error.status == 405:
            allowed = ",".join(sorted(getattr(error, "allowed_methods", ()) or ()))
            return error_response(
                SalesforceError(
                    405,
                    "METHOD_NOT_ALLOWED",
                    f"HTTP Method '{request.method}' not allowed. Allowed are {allowed}",
                    headers={"Allow": allowed},
                )
            )
        if error.status == 413:
            return error_response(
                SalesforceError(413, "REQUEST_ENTITY_TOO_LARGE", "The request body is too large.")
            )
        if error.status == 404:
            return error_response(SalesforceError(404, "NOT_FOUND", "The requested resource does not exist"))
        code, message = FAULT_DEFAULTS.get(error.status, ("UNKNOWN_EXCEPTION", error.reason or "error"))
        return error_response(SalesforceError(error.status, code, message))

    def render_fault(
        self, request: web.Request, status: int, code: str | None, message: str | None, request_id: str
    ) -> web.StreamResponse:
        default_code, default_message = FAULT_DEFAULTS.get(status, ("UNKNOWN_EXCEPTION", "Injected fault."))
        return error_response(SalesforceError(status, code or default_code, message or default_message))

    def render_internal_error(self, request: web.Request, request_id: str) -> web.StreamResponse:
        return error_response(
            SalesforceError(
                500,
                "UNKNOWN_EXCEPTION",
                f"An unexpected error occurred. Please include this ErrorId if you contact support: {request_id}",
            )
        )
