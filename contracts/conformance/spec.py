"""The billing adapter contract as the harness reads it: operations, documented responses, and
JSON Schema validators for response bodies and webhook envelopes (``jsonschema_rs``, the same
2020-12 semantics schemathesis uses).

The harness reads the contract shipped with q2c, never the target's own copy: partners are
measured against the contract, not against what their adapter says about itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import jsonschema_rs

from contracts import load_spec, spec_path

CONTRACT = "billing-adapter"
METHODS = ("get", "post", "put", "patch", "delete")
JSON_TYPES = ("application/json", "application/problem+json")


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    #: Documented response keys as written ("200", "4XX", "default").
    responses: tuple[str, ...]
    has_body: bool
    path_params: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    def documents(self, status: int) -> str | None:
        """The documented response key that covers ``status`` (exact first, then ``4XX``)."""
        exact = str(status)
        if exact in self.responses:
            return exact
        family = f"{exact[0]}XX"
        for key in self.responses:
            if key.upper() == family:
                return key
        return "default" if "default" in self.responses else None


def _template_regex(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", path)
    pattern = "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
    return re.compile(f"^{pattern}$")


class Contract:
    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.version = str(document["info"]["version"])
        self.openapi = str(document["openapi"])
        self.operations: dict[str, Operation] = {}
        self._matchers: list[tuple[str, re.Pattern[str], Operation]] = []
        for path, item in document["paths"].items():
            for method in METHODS:
                raw = item.get(method)
                if raw is None:
                    continue
                params = [self.resolve(p) for p in [*item.get("parameters", []), *raw.get("parameters", [])]]
                operation = Operation(
                    operation_id=raw["operationId"],
                    method=method.upper(),
                    path=path,
                    responses=tuple(raw["responses"]),
                    has_body="requestBody" in raw,
                    path_params=tuple(p["name"] for p in params if p["in"] == "path"),
                )
                self.operations[operation.operation_id] = operation
                self._matchers.append((operation.method, _template_regex(path), operation))
        # Literal segments beat parameters: /accounts/{id}/summary must not match /accounts/{id}.
        self._matchers.sort(key=lambda m: (m[2].path.count("{"), -len(m[2].path)))

    def resolve(self, node: Any) -> Any:
        while isinstance(node, Mapping) and "$ref" in node:
            target: Any = self.document
            for part in str(node["$ref"])[2:].split("/"):
                target = target[part]
            node = target
        return node

    def by_label(self, label: str) -> Operation | None:
        method, _, path = label.partition(" ")
        return next(
            (op for op in self.operations.values() if op.method == method.upper() and op.path == path), None
        )

    def match(self, method: str, path: str) -> Operation | None:
        """The operation a concrete request path belongs to (query string ignored)."""
        path = path.split("?", 1)[0]
        for op_method, regex, operation in self._matchers:
            if op_method == method.upper() and regex.match(path):
                return operation
        return None

    def section(self, operation_id: str) -> str:
        """Where the operation is in the contract, as a JSON pointer (``#/paths/~1accounts/post``)."""
        operation = self.operations[operation_id]
        path = operation.path.replace("~", "~0").replace("/", "~1")
        return f"#/paths/{path}/{operation.method.lower()}"

    def where(self, operation_ids: tuple[str, ...], stage: str = "") -> list[str]:
        """A failure card's pointers: each operation, its request and its contract section."""
        found = [
            f"{op} ({self.operations[op].label}; contract {self.section(op)})"
            for op in operation_ids
            if op in self.operations
        ]
        if not found and stage == "webhooks":
            found.append("webhook deliveries (contract #/webhooks and the Events conventions in #/info)")
        return found

    def documented_responses(self) -> set[tuple[str, str]]:
        return {(op.operation_id, key) for op in self.operations.values() for key in op.responses}

    def response(self, operation_id: str, status: int) -> dict[str, Any] | None:
        operation = self.operations[operation_id]
        key = operation.documents(status)
        if key is None:
            return None
        raw = self.document["paths"][operation.path][operation.method.lower()]["responses"][key]
        resolved = self.resolve(raw)
        assert isinstance(resolved, dict)
        return resolved

    def response_validator(
        self, operation_id: str, status: int, media: str
    ) -> jsonschema_rs.Validator | None:
        response = self.response(operation_id, status)
        if response is None:
            return None
        content = response.get("content", {})
        if media not in content:
            return None
        return _validator(self, ("response", operation_id, status, media), content[media]["schema"])

    def schema_validator(self, name: str) -> jsonschema_rs.Validator:
        return _validator(self, ("schema", name), {"$ref": f"#/components/schemas/{name}"})

    def webhook_validator(self, event_type: str) -> jsonschema_rs.Validator | None:
        item = self.document.get("webhooks", {}).get(event_type)
        if item is None:
            return None
        schema = item["post"]["requestBody"]["content"]["application/json"]["schema"]
        return _validator(self, ("webhook", event_type), schema)

    def header_schema(self, operation_id: str, status: int, name: str) -> dict[str, Any] | None:
        response = self.response(operation_id, status) or {}
        for header, spec in response.get("headers", {}).items():
            if header.lower() == name.lower():
                resolved = self.resolve(spec)
                assert isinstance(resolved, dict)
                return resolved
        return None

    def problem_codes(self, response_name: str) -> set[str]:
        """The codes a shared response lists in backticks (``BadRequest`` -> ``missing_field``...)."""
        description = str(self.document["components"]["responses"][response_name]["description"])
        return set(re.findall(r"`([a-z_]+)`", description))


_VALIDATORS: dict[tuple[Any, ...], jsonschema_rs.Validator] = {}


def _validator(
    contract: Contract, key: tuple[Any, ...], schema: Mapping[str, Any]
) -> jsonschema_rs.Validator:
    cache_key = (id(contract), *key)
    found = _VALIDATORS.get(cache_key)
    if found is None:
        root = {**schema, "components": contract.document["components"]}
        found = jsonschema_rs.validator_for(root, validate_formats=True)
        _VALIDATORS[cache_key] = found
    return found


def schema_errors(validator: jsonschema_rs.Validator, instance: Any, limit: int = 3) -> list[str]:
    """Readable validation errors: where, then what."""
    errors = []
    for error in validator.iter_errors(instance):
        where = "/".join(str(part) for part in error.instance_path) or "(body)"
        errors.append(f"{where}: {error.message}")
        if len(errors) >= limit:
            break
    return errors


@cache
def billing_contract() -> Contract:
    return Contract(load_spec(CONTRACT))


def contract_file() -> str:
    return str(spec_path(CONTRACT))


def major(version: str) -> str:
    return version.strip().split(".", 1)[0]
