"""Request validation: jsonschema-rs validators built from the contract, and a mapper from their
errors to the contract's problem ``code``, ``param`` and a precise message.

The billing contract (``contracts/billing-adapter.openapi.yaml``) is the only description of what
a request may contain. Each body and parameter schema is compiled once, at start-up, into a
``jsonschema_rs`` validator (JSON Schema 2020-12, formats asserted): the same reading of the
contract schemathesis and partners' tools use. When a value fails, every error is collected and
the first one in the order a reader checks a document (the object's own type, its required
fields, unknown fields, then its properties in the order they were sent, then the combined
rules) becomes a ``Violation``: a dotted ``param`` path (``items.0.product_id``) and a stable
code: ``unknown_field``, ``missing_field``, ``invalid_type``, ``invalid_format``,
``invalid_value``, ``out_of_range`` or ``duplicate_item``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Violation:
    path: Path
    code: str
    message: str

    @property
    def param(self) -> str:
        return param_name(self.path)


Check = Callable[[Any, Path], Violation | None]

_TYPE_NAMES = {
    "null": "null",
    "boolean": "a boolean",
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "array": "an array",
    "object": "an object",
}
_FORMAT_SHAPES = {"date": "YYYY-MM-DD", "date-time": "an RFC 3339 timestamp like 2026-01-31T12:00:00Z"}
_BOUNDS = {
    "minimum": "at least",
    "maximum": "at most",
    "exclusiveMinimum": "greater than",
    "exclusiveMaximum": "less than",
}
# The order a reader checks one schema in (the order the first error is chosen by): the value's
# own shape, then an object's required and unknown fields, its properties, the combined rules.
_KEYWORD_ORDER = {
    keyword: rank
    for rank, group in enumerate(
        [
            ("$ref",),
            ("type",),
            ("const",),
            ("enum",),
            ("minLength", "maxLength"),
            ("pattern",),
            ("format",),
            tuple(_BOUNDS),
            ("minItems", "maxItems"),
            ("items",),
            ("uniqueItems",),
            ("required",),
            ("additionalProperties",),
            ("minProperties", "maxProperties"),
            ("properties",),
            ("allOf",),
            ("anyOf",),
            ("oneOf",),
            ("not",),
            ("if", "then", "else"),
        ]
    )
    for keyword in group
}


def param_name(path: Sequence[str | int]) -> str:
    """``("items", 0, "product_id")`` -> ``items.0.product_id`` (the contract's spelling)."""
    return ".".join(str(part) for part in path)


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


#: Finds the first duplicate of an array the way JSON Schema compares items (1 == 1.0, true != 1).
_UNIQUE = jsonschema_rs.validator_for({"uniqueItems": True})


_END = object()


def _order(error: jsonschema_rs.ValidationError, sent: Any) -> tuple[tuple[int, int], ...]:
    """Where an error comes in the reading order: its evaluation path as (keyword rank, position)
    pairs; a field's position is its place in the object as sent, an item's its index."""
    key: list[tuple[int, int]] = []
    instance: Any = sent
    steps = iter(error.instance_path)
    segments: list[Any] = list(error.evaluation_path)
    i = 0
    while i < len(segments):
        keyword = segments[i]
        rank, position = _KEYWORD_ORDER.get(keyword, len(_KEYWORD_ORDER)), 0
        last = i + 1 == len(segments)
        if keyword in ("properties", "items") or (keyword == "additionalProperties" and not last):
            step: Any = next(steps, _END)
            if step is _END:
                # jsonschema-rs leaves an empty property name ("") out of the instance path.
                if not (isinstance(instance, dict) and "" in instance):
                    key.append((rank, position))
                    break
                step = ""
            if isinstance(instance, dict):  # known and extra fields alike, in the order sent
                rank, position = _KEYWORD_ORDER["properties"], list(instance).index(step)
            else:
                position = step
            instance = instance[step]
            i += keyword == "properties"  # past the field's name
        elif keyword in ("allOf", "anyOf", "oneOf") and not last:
            i += 1
            position = segments[i]
        key.append((rank, position))
        i += 1
    return tuple(key)


#: The URI the contract document is registered under; its ``#/components/...`` refs resolve there.
DOCUMENT_URI = "urn:q2c:billing-adapter"


def registry_for(document: Mapping[str, Any]) -> jsonschema_rs.Registry:
    """The contract as a jsonschema-rs registry: each schema compiles only what it refers to."""
    return jsonschema_rs.Registry([(DOCUMENT_URI, dict(document))])


def _rebase(node: Any) -> Any:
    """An inline schema whose local ``$ref``s point into the registered document."""
    if isinstance(node, Mapping):
        return {
            key: DOCUMENT_URI + value
            if key == "$ref" and isinstance(value, str) and value.startswith("#")
            else _rebase(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rebase(item) for item in node]
    return node


_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_surrogates(value: Any) -> Any:
    """Lone surrogates (undecodable header bytes, JSON escapes such as "\\ud800") are no UTF-8,
    which jsonschema-rs needs: each becomes U+FFFD, so lengths stay and ASCII patterns still fail."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {_without_surrogates(key): _without_surrogates(item) for key, item in value.items()}
    return value


def _at(value: Any, path: Sequence[Any]) -> Any:
    for step in path:
        value = value[step]
    return value


class SchemaCheck:
    """One schema of the contract, compiled once into a jsonschema-rs validator; called with a
    value, it returns the first violation (or None)."""

    def __init__(
        self, schema: Mapping[str, Any] | bool, registry: jsonschema_rs.Registry, where: str
    ) -> None:
        root = {"allOf": [schema]} if isinstance(schema, bool) else _rebase(schema)
        self._validator = jsonschema_rs.validator_for(root, validate_formats=True, registry=registry)
        self._where = where

    def __call__(self, value: Any, path: Path = ()) -> Violation | None:
        try:
            return self._check(value, path)
        except UnicodeEncodeError:
            return self._check(_without_surrogates(value), path)

    def _check(self, value: Any, path: Path) -> Violation | None:
        if self._validator.is_valid(value):
            return None
        return self._first(list(self._validator.iter_errors(value)), value, path)

    def _first(
        self, errors: list[jsonschema_rs.ValidationError], value: Any, prefix: Path
    ) -> Violation | None:
        if not errors:
            return None
        first = min(errors, key=lambda error: _order(error, value))
        return self._violation(first, value, prefix)

    def _name(self, path: Path) -> str:
        return param_name(path) if path else self._where

    def _violation(self, error: jsonschema_rs.ValidationError, root: Any, prefix: Path) -> Violation:
        """One jsonschema-rs error as the contract's code and a message naming the field."""
        path: Path = (*prefix, *error.instance_path)
        kind = error.kind
        name = self._name(path)
        value = error.instance
        if isinstance(kind, jsonschema_rs.ValidationErrorKind.Type):
            if value is None:
                return Violation(path, "invalid_type", f"{name!r} cannot be null; leave it out instead")
            expected = " or ".join(_TYPE_NAMES.get(t, t) for t in kind.types)
            return Violation(path, "invalid_type", f"{name!r} must be {expected}")
        if isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
            missing = (*path, kind.property)
            return Violation(
                missing, "missing_field", f"{self._name(missing)!r} is required in {self._where}"
            )
        if isinstance(kind, jsonschema_rs.ValidationErrorKind.AdditionalProperties):
            unknown = (*path, kind.unexpected[0])
            return Violation(
                unknown, "unknown_field", f"unknown field {self._name(unknown)!r} in {self._where}"
            )
        if isinstance(kind, jsonschema_rs.ValidationErrorKind.FalseSchema):
            if error.evaluation_path[-1:] == ["additionalProperties"]:
                # An object that takes no fields at all: jsonschema-rs reports the value of the
                # first field sent, at the object's path; name that field.
                holder = _at(root, error.instance_path)
                if isinstance(holder, dict) and holder:
                    unknown = (*path, next(iter(holder)))
                    return Violation(
                        unknown, "unknown_field", f"unknown field {self._name(unknown)!r} in {self._where}"
                    )
            return Violation(path, "unknown_field", f"{name!r} is not allowed")
        if isinstance(
            kind, jsonschema_rs.ValidationErrorKind.AnyOf | jsonschema_rs.ValidationErrorKind.OneOfNotValid
        ):
            return self._no_shape(kind.context, root, path, prefix)
        if isinstance(kind, jsonschema_rs.ValidationErrorKind.OneOfMultipleValid):
            return Violation(path, "invalid_value", f"{name!r} matches more than one allowed shape")
        if isinstance(kind, jsonschema_rs.ValidationErrorKind.Not):
            return Violation(
                path, "invalid_value", f"{name!r} has a combination of fields that is not allowed"
            )
        return self._value_violation(error, path, name)

    def _value_violation(self, error: jsonschema_rs.ValidationError, path: Path, name: str) -> Violation:
        """Errors about a value's content: constants, lengths, patterns, formats, bounds, counts."""
        kind = error.kind
        value: Any = error.instance
        keyword = kind.name
        details = kind.as_dict()
        if keyword == "const":
            return Violation(path, "invalid_value", f"{name!r} must be {details['expected_value']!r}")
        if keyword == "enum":
            shown = ", ".join(repr(option) for option in details["options"])
            return Violation(
                path, "invalid_value", f"{name!r} must be one of {shown}; got {_describe(value)}"
            )
        if keyword in ("minLength", "maxLength"):
            words = "at least" if keyword == "minLength" else "at most"
            return Violation(
                path, "out_of_range", f"{name!r} must be {words} {details['limit']} characters long"
            )
        if keyword == "pattern":
            return Violation(
                path, "invalid_format", f"{name!r} must match {details['pattern']}; got {_describe(value)}"
            )
        if keyword == "format":
            fmt = details["format"]
            shape = _FORMAT_SHAPES.get(fmt, fmt)
            return Violation(
                path, "invalid_format", f"{name!r} must be a valid {fmt} ({shape}); got {_describe(value)}"
            )
        if keyword in _BOUNDS:
            return Violation(
                path,
                "out_of_range",
                f"{name!r} must be {_BOUNDS[keyword]} {details['limit']:g}; got {_describe(value)}",
            )
        if keyword in ("minItems", "maxItems"):
            words = "needs at least" if keyword == "minItems" else "takes at most"
            return Violation(path, "out_of_range", f"{name!r} {words} {details['limit']} item(s)")
        if keyword in ("minProperties", "maxProperties"):
            words = "needs at least" if keyword == "minProperties" else "takes at most"
            return Violation(path, "out_of_range", f"{name!r} {words} {details['limit']} field(s)")
        if keyword == "uniqueItems":
            index = next(j for j in range(1, len(value)) if not _UNIQUE.is_valid(value[: j + 1]))
            return Violation(
                (*path, index), "duplicate_item", f"{name!r} has a duplicate item at index {index}"
            )
        # A keyword the contract does not use today: still a 400 naming the field, never a 500.
        return Violation(path, "invalid_value", f"{name!r} is not valid: {error.message}")

    def _no_shape(
        self,
        branches: list[list[jsonschema_rs.ValidationError]],
        root: Any,
        path: Path,
        prefix: Path,
    ) -> Violation:
        """The most useful report when no alternative matched: the single deeper failure if only
        one alternative got past the shape of the value itself, else a general one."""
        failures = [found for branch in branches if (found := self._first(branch, root, prefix))]
        if len(failures) == 1:
            return failures[0]
        if failures and all(f.code == "missing_field" for f in failures):
            names = " or ".join(repr(f.param) for f in failures)
            return Violation(failures[0].path, "missing_field", f"{names} is required in {self._where}")
        deeper = [f for f in failures if f.path != path]
        if len(deeper) == 1:
            return deeper[0]
        return Violation(
            path, "invalid_value", f"{self._name(path)!r} does not match any of the allowed shapes"
        )


def compile_schema(
    schema: Mapping[str, Any] | bool, registry: jsonschema_rs.Registry, *, where: str = "body"
) -> Check:
    """A check for one schema of the contract registered in ``registry`` (see ``registry_for``)."""
    return SchemaCheck(schema, registry, where)
