"""The billing adapter contract, compiled once into per-operation request checkers.

Each ``OperationSpec`` knows, from the contract alone, the query parameters, headers and body an
operation accepts. ``parse_query``, ``parse_headers`` and ``parse_body`` turn a request into plain
values or raise a 400 ``Problem`` naming the offending parameter. The route table is checked
against the same document (every contract operation routed, nothing routed outside it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from contracts import load_spec, spec_text
from contracts.problem import Problem
from simulators.billing.api.validation import Check, Violation, compile_schema, registry_for

CONTRACT = "billing-adapter"
METHODS = ("get", "post", "put", "patch", "delete")
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_INTEGER = re.compile(r"^-?[0-9]+(\.0+)?$")


@dataclass(frozen=True)
class ParamSpec:
    name: str
    location: str
    required: bool
    kind: str
    check: Check
    default: Any = None


@dataclass(frozen=True)
class OperationSpec:
    operation_id: str
    method: str
    path: str
    query: Mapping[str, ParamSpec]
    headers: Mapping[str, ParamSpec]
    path_params: Mapping[str, ParamSpec]
    body: Check | None
    body_required: bool
    statuses: frozenset[str]
    secured: bool
    idempotent: bool = field(default=False)

    @property
    def mutating(self) -> bool:
        return self.method in MUTATING


class Contract:
    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self._registry = registry_for(document)
        self.operations: dict[str, OperationSpec] = {}
        default_security = bool(document.get("security"))
        for path, item in document["paths"].items():
            shared = item.get("parameters", [])
            for method in METHODS:
                operation = item.get(method)
                if operation is None:
                    continue
                spec = self._operation(path, method.upper(), operation, shared, default_security)
                self.operations[spec.operation_id] = spec
        # capability -> the operations it gates (`x-q2c-conformance`).
        declared = document.get("x-q2c-conformance", {}).get("capabilities", {})
        self.capability_operations: dict[str, frozenset[str]] = {
            name: frozenset(entry.get("operations", ())) for name, entry in declared.items()
        }

    def resolve(self, node: Any) -> Any:
        while isinstance(node, Mapping) and "$ref" in node:
            target: Any = self.document
            for part in node["$ref"][2:].split("/"):
                target = target[part]
            node = target
        return node

    def _operation(
        self, path: str, method: str, operation: Mapping[str, Any], shared: list[Any], default_security: bool
    ) -> OperationSpec:
        params: dict[tuple[str, str], ParamSpec] = {}
        for raw in [*shared, *operation.get("parameters", [])]:
            param = self.resolve(raw)
            spec = self._param(param)
            params[(spec.location, spec.name)] = spec
        body: Check | None = None
        body_required = False
        if "requestBody" in operation:
            request_body = self.resolve(operation["requestBody"])
            media = request_body["content"].get("application/json")
            if media is None:
                raise ValueError(f"{operation['operationId']}: only application/json bodies are supported")
            body = compile_schema(media["schema"], self._registry)
            body_required = bool(request_body.get("required", False))
        security = operation.get("security")
        secured = default_security if security is None else bool(security)
        headers = {name.lower(): p for (loc, name), p in params.items() if loc == "header"}
        return OperationSpec(
            operation_id=operation["operationId"],
            method=method,
            path=path,
            query={name: p for (loc, name), p in params.items() if loc == "query"},
            headers=headers,
            path_params={name: p for (loc, name), p in params.items() if loc == "path"},
            body=body,
            body_required=body_required,
            statuses=frozenset(str(code) for code in operation["responses"]),
            secured=secured,
            idempotent="idempotency-key" in headers,
        )

    def _param(self, param: Mapping[str, Any]) -> ParamSpec:
        schema = param.get("schema", {})
        resolved = self.resolve(schema)
        kind = resolved.get("type", "string")
        if kind not in ("string", "integer", "boolean"):
            raise ValueError(
                f"parameter {param['name']!r}: only string, integer and boolean parameters are supported"
            )
        return ParamSpec(
            name=param["name"],
            location=param["in"],
            required=bool(param.get("required", False)),
            kind=kind,
            check=compile_schema(schema, self._registry, where=param["name"]),
            default=resolved.get("default"),
        )


@cache
def contract() -> Contract:
    return Contract(load_spec(CONTRACT))


@cache
def contract_text() -> str:
    return spec_text(CONTRACT)


# -- request parsing ------------------------------------------------------------------------------


def _bad(violation: Violation, *, param: str | None = None) -> Problem:
    return Problem(400, violation.code, violation.message, param=param or violation.param)


def convert(spec: ParamSpec, raw: str) -> Any:
    """A parameter string as the JSON value its schema describes (or a 400)."""
    if spec.kind == "integer":
        if not _INTEGER.match(raw):
            raise Problem(
                400, "invalid_type", f"{spec.name!r} must be an integer; got {raw!r}", param=spec.name
            )
        return int(raw.split(".", 1)[0])
    if spec.kind == "boolean":
        if raw not in ("true", "false"):
            raise Problem(
                400, "invalid_type", f"{spec.name!r} must be true or false; got {raw!r}", param=spec.name
            )
        return raw == "true"
    return raw


def _checked(spec: ParamSpec, raw: str) -> Any:
    value = convert(spec, raw)
    violation = spec.check(value, ())
    if violation is not None:
        raise Problem(400, violation.code, violation.message, param=spec.name)
    return value


def parse_query(op: OperationSpec, query: Mapping[str, str], items: list[tuple[str, str]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, raw in items:
        spec = op.query.get(name)
        if spec is None:
            known = ", ".join(sorted(op.query)) or "none"
            raise Problem(
                400, "unknown_parameter", f"unknown query parameter {name!r} (known: {known})", param=name
            )
        if name in values:
            raise Problem(400, "invalid_value", f"query parameter {name!r} was given twice", param=name)
        values[name] = _checked(spec, raw)
    for name, spec in op.query.items():
        if name not in values:
            if spec.required:
                raise Problem(400, "missing_field", f"query parameter {name!r} is required", param=name)
            if spec.default is not None:
                values[name] = spec.default
    return values


def parse_headers(op: OperationSpec, headers: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for lowered, spec in op.headers.items():
        raw = headers.get(spec.name)
        if raw is None:
            if spec.required:
                raise Problem(400, "missing_field", f"header {spec.name!r} is required", param=spec.name)
            continue
        values[lowered] = _checked(spec, raw)
    return values


def check_path(op: OperationSpec, match_info: Mapping[str, str]) -> dict[str, str]:
    """Path parameters; one that cannot be an id names nothing that exists (404)."""
    values: dict[str, str] = {}
    for name, spec in op.path_params.items():
        raw = match_info[name]
        if spec.check(raw, ()) is not None:
            raise Problem(404, "not_found", f"no object with {name} {raw!r}", param=name)
        values[name] = raw
    return values


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not valid JSON")


def parse_body(op: OperationSpec, raw: bytes, content_type: str) -> Any:
    """The JSON body checked against the contract; None when the operation takes none."""
    empty = not raw.strip()
    if op.body is None:
        if not empty:
            raise Problem(400, "unknown_field", f"{op.method} {op.path} takes no request body", param="body")
        return None
    if empty:
        if op.body_required:
            raise Problem(
                400, "invalid_json", "the request body is empty; a JSON object is required", param="body"
            )
        return None
    if content_type != "application/json" and not (
        content_type.startswith("application/") and content_type.endswith("+json")
    ):
        raise Problem(
            415,
            "unsupported_media_type",
            f"send the body as application/json, not {content_type or 'nothing'}",
        )
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise Problem(
            400, "invalid_json", f"the request body is not valid JSON: {exc}", param="body"
        ) from None
    violation = op.body(data, ())
    if violation is not None:
        raise _bad(violation, param=violation.param or "body")
    return data
