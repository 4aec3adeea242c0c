"""Rendering problem+json over aiohttp, and reading request bodies and queries into models with
problem errors. ``ProblemDialect`` is the pipeline's problem+json renderer."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from contracts.http_limits import HttpLimitError, LimitKind
from contracts.problem import PROBLEM_CONTENT_TYPE, Problem, parse_json_bytes, validation_problem

ModelT = TypeVar("ModelT", bound=BaseModel)


def problem_response(
    problem: Problem, *, instance: str | None = None, request_id: str | None = None
) -> web.Response:
    response = web.json_response(
        problem.body(instance=instance, request_id=request_id),
        status=problem.status,
        content_type=PROBLEM_CONTENT_TYPE,
    )
    response.headers.update(problem.headers)
    return response


def _check_json_content_type(request: web.Request) -> None:
    content_type = request.content_type
    if content_type != "application/json" and not (
        content_type.startswith("application/") and content_type.endswith("+json")
    ):
        raise Problem(
            415,
            "unsupported_media_type",
            f"send the body as application/json, not {content_type or 'nothing'}",
        )


async def read_json(request: web.Request, *, optional: bool = False) -> Any:
    """The JSON body, or a 415/400 problem. An optional body may be absent (returns None)."""
    raw = await request.read()
    if optional and not raw:  # absent; whitespace alone is not JSON (400 below)
        return None
    _check_json_content_type(request)
    return parse_json_bytes(raw)


async def read_model(request: web.Request, model: type[ModelT], *, optional: bool = False) -> ModelT:
    """Validate the raw JSON body against ``model`` (strict JSON mode: no type coercion).

    An optional body may be empty; a JSON ``null`` is still refused (it is not an object)."""
    raw = await request.read()
    if optional and not raw:  # absent; whitespace alone is not JSON (400 below)
        raw = b"{}"
    else:
        _check_json_content_type(request)
        if not raw.strip():
            raise Problem(400, "invalid_json", "the request body is empty; a JSON object is required")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            raise Problem(
                400, "invalid_json", f"the request body is not valid JSON: {first['msg']}"
            ) from None
        if first["type"] == "model_type" and not first["loc"]:
            raise Problem(400, "validation_failed", "the request body must be a JSON object") from None
        raise validation_problem(exc) from None


def query_model(request: web.Request, model: type[ModelT]) -> ModelT:
    """Query parameters validated by a model that forbids unknown names (strings converted)."""
    data: dict[str, str] = {}
    for key, value in request.query.items():
        if key in data:
            raise Problem(400, "validation_failed", f"query parameter {key!r} was given twice", param=key)
        data[key] = value
    try:
        return model.model_validate(data, strict=False)
    except ValidationError as exc:
        raise validation_problem(exc, where="query") from None


#: The stable problem ``code`` of each limit (deep JSON is invalid JSON to a contract client).
LIMIT_CODES: dict[LimitKind, str] = {
    LimitKind.BAD_REQUEST: "bad_request",
    LimitKind.JSON_TOO_DEEP: "invalid_json",
    LimitKind.BODY_TOO_LARGE: "payload_too_large",
    LimitKind.URI_TOO_LONG: "uri_too_long",
    LimitKind.HEADERS_TOO_LARGE: "headers_too_large",
    LimitKind.REQUEST_TIMEOUT: "request_timeout",
}


class ProblemDialect:
    """Renders errors as problem+json (the ``Dialect`` of the pipeline)."""

    vendor_errors: tuple[type[Exception], ...] = (Problem,)

    def render_error(self, request: web.Request, error: Exception, request_id: str) -> web.StreamResponse:
        assert isinstance(error, Problem)
        return problem_response(error, instance=request.path, request_id=request_id)

    def render_http_error(
        self, request: web.Request, error: web.HTTPException, request_id: str
    ) -> web.StreamResponse:
        status = error.status
        if status == 404:
            problem = Problem(404, "not_found", f"no route for {request.method} {request.path}")
        elif status == 405:
            allowed = ", ".join(sorted(getattr(error, "allowed_methods", ()) or ()))
            problem = Problem(
                405,
                "method_not_allowed",
                f"{request.method} is not allowed on {request.path}; allowed: {allowed}",
                headers={"Allow": allowed},
            )
        elif status == 413:
            problem = Problem(413, "payload_too_large", "the request body is too large")
        else:
            problem = Problem(status, "http_error", error.reason or HTTPStatus(status).phrase)
        return problem_response(problem, instance=request.path, request_id=request_id)

    def render_fault(
        self, request: web.Request, status: int, code: str | None, message: str | None, request_id: str
    ) -> web.StreamResponse:
        problem = Problem(
            status, code or "injected_fault", message or f"fault injected by the simulator ({status})"
        )
        return problem_response(problem, instance=request.path, request_id=request_id)

    def render_limit(
        self, request: web.BaseRequest, error: HttpLimitError, request_id: str
    ) -> web.StreamResponse:
        """A request over an HTTP limit (body, JSON depth, URI, headers, read time)."""
        problem = Problem(error.status, LIMIT_CODES[error.kind], error.message)
        return problem_response(problem, instance=request.path, request_id=request_id or None)

    def render_internal_error(self, request: web.Request, request_id: str) -> web.StreamResponse:
        problem = Problem(500, "internal_error", "the simulator failed unexpectedly; see its log")
        return problem_response(problem, instance=request.path, request_id=request_id)
