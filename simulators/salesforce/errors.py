"""Salesforce's error dialect: the one exception type and its one renderer.

REST errors are a JSON *array* of ``{"message", "errorCode", "fields"}`` (``fields`` absent for
session, limit and not-found errors). Per-record results (collections, tree, bulk) use
``statusCode`` instead: ``SalesforceError.record_errors()`` gives that form, so models raise the
same exception everywhere and each surface picks its shape.

``SalesforceError`` itself needs no aiohttp: models raise it (rule 1: no aiohttp in models); only
the rendering functions below touch aiohttp, imported where they run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    """One Salesforce error (plus, rarely, sibling errors reported in the same array)."""

    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        fields: Sequence[str] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        more: Sequence[SalesforceError] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = list(fields) if fields is not None else None
        self.headers = dict(headers or {})
        self.more = list(more)

    def item(self) -> dict[str, Any]:
        item: dict[str, Any] = {"message": self.message, "errorCode": self.error_code}
        if self.fields is not None:
            item["fields"] = self.fields
        return item

    def items(self) -> list[dict[str, Any]]:
        """The REST body: every error, ``errorCode`` form."""
        return [error.item() for error in (self, *self.more)]

    def record_errors(self) -> list[dict[str, Any]]:
        """The per-record form (collections, tree, composite upsert results): ``statusCode``."""
        return [
            {"statusCode": error.error_code, "message": error.message, "fields": error.fields or []}
            for error in (self, *self.more)
        ]

    def csv_error(self) -> str:
        """Bulk API 2.0 ``sf__Error``: ``CODE:message:fields`` (``--`` when no field)."""
        fields = ",".join(self.fields or []) or "--"
        return f"{self.error_code}:{self.message}:{fields}"


class OAuthError(Exception):
    """An OAuth 2.0 token-endpoint error: RFC 6749 ``{"error", "error_description"}``, HTTP 400."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


class SoapFault(Exception):
    """A SOAP partner API fault. Real orgs answer these with HTTP 500 and an ``sf:`` detail."""

    def __init__(self, code: str, message: str, *, fault_code: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fault_code = fault_code or f"sf:{code}"


def soap_fault_xml(fault: SoapFault) -> str:
    from xml.sax.saxutils import escape

    detail = ""
    if fault.fault_code.startswith("sf:"):
        detail = (
            '<detail><sf:LoginFault xsi:type="sf:LoginFault">'
            f"<sf:exceptionCode>{escape(fault.code)}</sf:exceptionCode>"
            f"<sf:exceptionMessage>{escape(fault.message)}</sf:exceptionMessage>"
            "</sf:LoginFault></detail>"
        )
    prefix = f"{fault.code}: " if fault.fault_code.startswith("sf:") else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<soapenv:Body><soapenv:Fault><faultcode>{escape(fault.fault_code)}</faultcode>"
        f"<faultstring>{escape(prefix + fault.message)}</faultstring>{detail}"
        "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )


def error_body(error: SalesforceError) -> bytes:
    return json.dumps(error.items()).encode()


def error_response(error: SalesforceError) -> web.Response:
    from aiohttp import web

    response = web.Response(
        body=error_body(error), status=error.status, content_type=JSON_CONTENT_TYPE, charset="UTF-8"
    )
    response.headers.update(error.headers)
    return response


class SalesforceDialect:
    vendor_errors: tuple[type[Exception], ...] = (SalesforceError, OAuthError, SoapFault)

    def render_error(self, request: web.Request, error: Exception, request_id: str) -> web.StreamResponse:
        from aiohttp import web

        if isinstance(error, OAuthError):
            return web.json_response(
                {"error": error.error, "error_description": error.description}, status=error.status
            )
        if isinstance(error, SoapFault):
            return web.Response(
                text=soap_fault_xml(error), status=500, content_type="text/xml", charset="UTF-8"
            )
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
