"""Salesforce's error dialect: the one renderer of its errors.

REST errors are a JSON *array* of ``{"message", "errorCode", "fields"}``; per-record results use
``statusCode`` (``SalesforceError.record_errors()``). The exception types live in ``catalogue``
(no aiohttp: models raise them, rule 1) with the catalogue of codes, statuses and message
templates; this module renders them for HTTP.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from contracts.http_limits import MIB, HttpLimitError, HttpLimits

# The exception types live in the aiohttp-free catalogue (models raise them); re-exported here.
from simulators.salesforce import catalogue
from simulators.salesforce.catalogue import OAuthError, SalesforceError, SoapFault

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["OAuthError", "SalesforceDialect", "SalesforceError", "SoapFault", "error_response"]

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


#: HTTP limits as Salesforce documents them: REST URIs up to 16,384 bytes, Bulk API 2.0 uploads up
#: to 150 MB; other bodies (JSON, forms, SOAP) get the shared small limit. Handlers read bodies
#: themselves (a request counts in flight while its body arrives; ``parse_json`` bounds nesting).
SALESFORCE_HTTP_LIMITS = HttpLimits(
    max_uri=16_384, route_bodies={"sf_ingest_batches": 150 * MIB}, prefetch=False
)

# Errors refused by the HTTP layer, by ``LimitKind`` value. Salesforce documents the 414 and 431
# statuses but not their bodies; we assume its usual JSON error array with these codes.
LIMIT_ERRORS: dict[str, tuple[str, str]] = {
    "bad_request": ("BAD_REQUEST", "The request is malformed: {detail}"),
    "json_too_deep": ("JSON_PARSER_ERROR", "Malformed JSON: {detail}"),
    "body_too_large": ("REQUEST_ENTITY_TOO_LARGE", "The request body is too large."),
    "uri_too_long": ("URI_TOO_LONG", "The request URI is too long: {detail}"),
    "headers_too_large": ("REQUEST_HEADER_FIELDS_TOO_LARGE", "Request header fields too large: {detail}"),
    "request_timeout": ("REQUEST_TIMEOUT", "The request timed out: {detail}"),
}


class SalesforceDialect:
    vendor_errors: tuple[type[Exception], ...] = (SalesforceError, OAuthError, SoapFault)
    http_limits: HttpLimits = SALESFORCE_HTTP_LIMITS

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
                catalogue.METHOD_NOT_ALLOWED.error(
                    headers={"Allow": allowed}, method=request.method, allowed=allowed
                )
            )
        if error.status == 413:
            return error_response(catalogue.REQUEST_ENTITY_TOO_LARGE.error())
        if error.status == 404:
            return error_response(catalogue.NOT_FOUND.error())
        code, message = FAULT_DEFAULTS.get(error.status, ("UNKNOWN_EXCEPTION", error.reason or "error"))
        return error_response(SalesforceError(error.status, code, message))

    def render_fault(
        self, request: web.Request, status: int, code: str | None, message: str | None, request_id: str
    ) -> web.StreamResponse:
        default_code, default_message = FAULT_DEFAULTS.get(status, ("UNKNOWN_EXCEPTION", "Injected fault."))
        return error_response(SalesforceError(status, code or default_code, message or default_message))

    def render_limit(
        self, request: web.BaseRequest, error: HttpLimitError, request_id: str
    ) -> web.StreamResponse:
        code, template = LIMIT_ERRORS[error.kind]
        return error_response(SalesforceError(error.status, code, template.format(detail=error.message)))

    def render_internal_error(self, request: web.Request, request_id: str) -> web.StreamResponse:
        return error_response(catalogue.UNKNOWN_EXCEPTION.error(request_id=request_id))
