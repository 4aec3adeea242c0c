"""Request validation driven by the contract itself: no second copy of any schema.

The billing contract (``contracts/billing-adapter.openapi.yaml``) is the only description of what
a request may contain. At start-up each request body and parameter schema is compiled into a
checker for the subset of JSON Schema 2020-12 the contract uses; a keyword outside that subset is
a start-up error, so the contract cannot silently outgrow its validator.

The semantics follow JSON Schema as schemathesis (and ``jsonschema_rs``) read it, because that is
what clients and the contract tests generate against:

- ``integer`` accepts ``72.0`` (a number with a zero fraction) and never ``true``;
- ``pattern`` is a search, and ``$`` matches only at the very end of the string (ECMA-262, not
  Python's "before a final newline");
- ``format`` is asserted for ``date`` and ``date-time`` (the only formats the contract uses);
- string lengths count code points.

The first violation found is reported as a ``Violation`` naming the offending parameter with a
dotted path (``items.0.product_id``) and a stable code: ``unknown_field``, ``missing_field``,
``invalid_type``, ``invalid_format``, ``invalid_value``, ``out_of_range`` or ``duplicate_item``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

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


class SchemaError(ValueError):
    """The contract uses a schema construct this validator does not implement."""


ANNOTATIONS = frozenset(
    {
        "description",
        "title",
        "example",
        "examples",
        "default",
        "readOnly",
        "writeOnly",
        "deprecated",
        "$comment",
    }
)
SUPPORTED = frozenset(
    {
        "$ref",
        "type",
        "properties",
        "required",
        "additionalProperties",
        "minProperties",
        "maxProperties",
        "items",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "enum",
        "const",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "oneOf",
        "anyOf",
        "allOf",
        "not",
        "if",
        "then",
        "else",
    }
)
FORMATS = frozenset({"date", "date-time"})
# Regex constructs whose meaning differs between Python and ECMA-262 (Unicode-aware classes, and
# ``$`` anywhere but at the end): the contract avoids them, and this guard keeps it that way.
_UNSAFE_PATTERN = re.compile(r"\\[dDwWsSbB]|\$(?!$)")

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_DATE_TIME = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})\Z"
)
_TYPE_NAMES = {
    "null": "null",
    "boolean": "a boolean",
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "array": "an array",
    "object": "an object",
}


def json_type_matches(kind: str, value: Any) -> bool:
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    raise SchemaError(f"unknown JSON type {kind!r}")


def is_valid_date(text: str) -> bool:
    if _DATE.match(text) is None:
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def is_valid_date_time(text: str) -> bool:
    if _DATE_TIME.match(text) is None:
        return False
    try:
        datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


_FORMAT_CHECKS: dict[str, Callable[[str], bool]] = {"date": is_valid_date, "date-time": is_valid_date_time}


def ecma_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a contract pattern so Python reads it as ECMA-262 does (for the subset we allow)."""
    if _UNSAFE_PATTERN.search(pattern):
        raise SchemaError(
            f"pattern {pattern!r} uses \\d, \\w, \\s, \\b or a '$' before the end; spell classes out "
            "([0-9], [A-Za-z]) so every JSON Schema implementation reads it the same way"
        )
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but true != 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and bool(a == b)


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def param_name(path: Path) -> str:
    """``("items", 0, "product_id")`` -> ``items.0.product_id`` (the contract's spelling)."""
    return ".".join(str(part) for part in path)


def _name(path: Path, where: str) -> str:
    return param_name(path) if path else where


class Compiler:
    """Compiles schemas of one OpenAPI document (``$ref`` resolves inside it)."""

    def __init__(self, document: Mapping[str, Any], *, where: str = "body") -> None:
        self._document = document
        self._where = where
        self._refs: dict[str, Check] = {}

    def compile(self, schema: Mapping[str, Any] | bool) -> Check:
        if schema is True:
            return _always
        if schema is False:
            return lambda value, path: Violation(
                path, "unknown_field", f"{_name(path, self._where)!r} is not allowed"
            )
        if not isinstance(schema, Mapping):
            raise SchemaError(f"a schema must be an object or a boolean, got {schema!r}")
        unknown = [
            k for k in schema if k not in SUPPORTED and k not in ANNOTATIONS and not k.startswith("x-")
        ]
        if unknown:
            raise SchemaError(f"unsupported schema keyword(s) {unknown} in {dict(schema)!r}")
        checks: list[Check] = []
        if "$ref" in schema:
            checks.append(self._ref(schema["$ref"]))
        if "type" in schema:
            checks.append(self._type(schema["type"]))
        if "const" in schema:
            checks.append(self._const(schema["const"]))
        if "enum" in schema:
            checks.append(self._enum(schema["enum"]))
        string_checks = self._string(schema)
        if string_checks:
            checks.append(_only_for(str, string_checks))
        number_checks = self._number(schema)
        if number_checks:
            checks.append(_only_numbers(number_checks))
        array_checks = self._array(schema)
        if array_checks:
            checks.append(_only_for(list, array_checks))
        object_checks = self._object(schema)
        if object_checks:
            checks.append(_only_for(dict, object_checks))
        if "allOf" in schema:
            checks.extend(self.compile(sub) for sub in schema["allOf"])
        if "anyOf" in schema:
            checks.append(self._any_of([self.compile(sub) for sub in schema["anyOf"]]))
        if "oneOf" in schema:
            checks.append(self._one_of([self.compile(sub) for sub in schema["oneOf"]]))
        if "not" in schema:
            checks.append(self._not(self.compile(schema["not"])))
        if "if" in schema:
            condition = self.compile(schema["if"])
            then = self.compile(schema["then"]) if "then" in schema else _always
            otherwise = self.compile(schema["else"]) if "else" in schema else _always
            checks.append(
                lambda value, path: (then if condition(value, path) is None else otherwise)(value, path)
            )
        if not checks:
            return _always
        if len(checks) == 1:
            return checks[0]
        return _all(checks)

    # -- keywords ---------------------------------------------------------------------------------

    def _ref(self, ref: str) -> Check:
        if not ref.startswith("#/"):
            raise SchemaError(f"only local $refs are supported, got {ref!r}")
        if ref not in self._refs:
            target: Any = self._document
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                try:
                    target = target[part]
                except (KeyError, TypeError):
                    raise SchemaError(f"unresolvable $ref {ref!r}") from None
            holder: list[Check] = []
            self._refs[ref] = lambda value, path: holder[0](value, path)  # recursion-safe
            holder.append(self.compile(target))
            self._refs[ref] = holder[0]
        return self._refs[ref]

    def _type(self, kind: str | Sequence[str]) -> Check:
        kinds = [kind] if isinstance(kind, str) else list(kind)
        for k in kinds:
            json_type_matches(k, None)  # raises on an unknown name
        expected = " or ".join(_TYPE_NAMES[k] for k in kinds)
        where = self._where

        def check(value: Any, path: Path) -> Violation | None:
            if any(json_type_matches(k, value) for k in kinds):
                return None
            if value is None:
                return Violation(
                    path, "invalid_type", f"{_name(path, where)!r} cannot be null; leave it out instead"
                )
            return Violation(path, "invalid_type", f"{_name(path, where)!r} must be {expected}")

        return check

    def _const(self, expected: Any) -> Check:
        where = self._where

        def check(value: Any, path: Path) -> Violation | None:
            if _equal(value, expected):
                return None
            return Violation(path, "invalid_value", f"{_name(path, where)!r} must be {expected!r}")

        return check

    def _enum(self, options: Sequence[Any]) -> Check:
        where = self._where
        shown = ", ".join(repr(o) for o in options)

        def check(value: Any, path: Path) -> Violation | None:
            if any(_equal(value, option) for option in options):
                return None
            return Violation(
                path,
                "invalid_value",
                f"{_name(path, where)!r} must be one of {shown}; got {_describe(value)}",
            )

        return check

    def _string(self, schema: Mapping[str, Any]) -> list[Check]:
        where = self._where
        checks: list[Check] = []
        min_length, max_length = schema.get("minLength"), schema.get("maxLength")
        if min_length is not None or max_length is not None:

            def lengths(value: str, path: Path) -> Violation | None:
                if min_length is not None and len(value) < min_length:
                    return Violation(
                        path,
                        "out_of_range",
                        f"{_name(path, where)!r} must be at least {min_length} characters long",
                    )
                if max_length is not None and len(value) > max_length:
                    return Violation(
                        path,
                        "out_of_range",
                        f"{_name(path, where)!r} must be at most {max_length} characters long",
                    )
                return None

            checks.append(lengths)
        if "pattern" in schema:
            source = schema["pattern"]
            compiled = ecma_pattern(source)

            def pattern(value: str, path: Path) -> Violation | None:
                if compiled.search(value):
                    return None
                return Violation(
                    path,
                    "invalid_format",
                    f"{_name(path, where)!r} must match {source}; got {_describe(value)}",
                )

            checks.append(pattern)
        if "format" in schema:
            name = schema["format"]
            if name not in FORMATS:
                raise SchemaError(f"unsupported format {name!r}; the contract uses only {sorted(FORMATS)}")
            is_valid = _FORMAT_CHECKS[name]
            shape = "YYYY-MM-DD" if name == "date" else "an RFC 3339 timestamp like 2026-01-31T12:00:00Z"

            def fmt(value: str, path: Path) -> Violation | None:
                if is_valid(value):
                    return None
                return Violation(
                    path,
                    "invalid_format",
                    f"{_name(path, where)!r} must be a valid {name} ({shape}); got {_describe(value)}",
                )

            checks.append(fmt)
        return checks

    def _number(self, schema: Mapping[str, Any]) -> list[Check]:
        where = self._where
        checks: list[Check] = []
        for keyword, fails, words in (
            ("minimum", lambda v, b: v < b, "at least"),
            ("maximum", lambda v, b: v > b, "at most"),
            ("exclusiveMinimum", lambda v, b: v <= b, "greater than"),
            ("exclusiveMaximum", lambda v, b: v >= b, "less than"),
        ):
            if keyword in schema:
                bound = schema[keyword]
                if isinstance(bound, bool) or not isinstance(bound, int | float):
                    raise SchemaError(f"{keyword} must be a number (OpenAPI 3.1), got {bound!r}")
                checks.append(_bound(bound, fails, words, where))
        return checks

    def _array(self, schema: Mapping[str, Any]) -> list[Check]:
        where = self._where
        checks: list[Check] = []
        min_items, max_items = schema.get("minItems"), schema.get("maxItems")
        if min_items is not None or max_items is not None:

            def counts(value: list[Any], path: Path) -> Violation | None:
                if min_items is not None and len(value) < min_items:
                    return Violation(
                        path, "out_of_range", f"{_name(path, where)!r} needs at least {min_items} item(s)"
                    )
                if max_items is not None and len(value) > max_items:
                    return Violation(
                        path, "out_of_range", f"{_name(path, where)!r} takes at most {max_items} item(s)"
                    )
                return None

            checks.append(counts)
        if "items" in schema:
            item = self.compile(schema["items"])

            def items(value: list[Any], path: Path) -> Violation | None:
                for index, element in enumerate(value):
                    found = item(element, (*path, index))
                    if found is not None:
                        return found
                return None

            checks.append(items)
        if schema.get("uniqueItems"):

            def unique(value: list[Any], path: Path) -> Violation | None:
                for i, first in enumerate(value):
                    for j in range(i + 1, len(value)):
                        if _equal(first, value[j]):
                            return Violation(
                                (*path, j),
                                "duplicate_item",
                                f"{_name(path, where)!r} has a duplicate item at index {j}",
                            )
                return None

            checks.append(unique)
        return checks

    def _object(self, schema: Mapping[str, Any]) -> list[Check]:
        where = self._where
        checks: list[Check] = []
        properties = {name: self.compile(sub) for name, sub in (schema.get("properties") or {}).items()}
        required = list(schema.get("required") or [])
        additional = schema.get("additionalProperties", True)
        extra: Check | None = (
            None if additional is True else self.compile(additional) if additional is not False else None
        )
        closed = additional is False
        min_props, max_props = schema.get("minProperties"), schema.get("maxProperties")

        def check(value: dict[str, Any], path: Path) -> Violation | None:
            for name in required:
                if name not in value:
                    return Violation(
                        (*path, name),
                        "missing_field",
                        f"{_name((*path, name), where)!r} is required in {where}",
                    )
            if closed:
                for name in value:
                    if name not in properties:
                        return Violation(
                            (*path, name),
                            "unknown_field",
                            f"unknown field {_name((*path, name), where)!r} in {where}",
                        )
            if min_props is not None and len(value) < min_props:
                return Violation(
                    path, "out_of_range", f"{_name(path, where)!r} needs at least {min_props} field(s)"
                )
            if max_props is not None and len(value) > max_props:
                return Violation(
                    path, "out_of_range", f"{_name(path, where)!r} takes at most {max_props} field(s)"
                )
            for name, element in value.items():
                sub = properties.get(name, extra)
                if sub is None:
                    continue
                found = sub(element, (*path, name))
                if found is not None:
                    return found
            return None

        if properties or required or additional is not True or min_props is not None or max_props is not None:
            checks.append(check)
        return checks

    def _any_of(self, options: list[Check]) -> Check:
        where = self._where

        def check(value: Any, path: Path) -> Violation | None:
            failures: list[Violation] = []
            for option in options:
                found = option(value, path)
                if found is None:
                    return None
                failures.append(found)
            return _no_shape(failures, path, where)

        return check

    def _not(self, inner: Check) -> Check:
        where = self._where

        def check(value: Any, path: Path) -> Violation | None:
            if inner(value, path) is None:
                return Violation(
                    path,
                    "invalid_value",
                    f"{_name(path, where)!r} has a combination of fields that is not allowed",
                )
            return None

        return check

    def _one_of(self, options: list[Check]) -> Check:
        where = self._where

        def check(value: Any, path: Path) -> Violation | None:
            failures = [option(value, path) for option in options]
            passed = sum(1 for failure in failures if failure is None)
            if passed == 1:
                return None
            if passed > 1:
                return Violation(
                    path, "invalid_value", f"{_name(path, where)!r} matches more than one allowed shape"
                )
            return _no_shape([f for f in failures if f is not None], path, where)

        return check


def _no_shape(failures: list[Violation], path: Path, where: str) -> Violation:
    """The most useful report when no alternative matched: the single deeper failure if only one
    alternative got past the shape of the value itself, else a general one."""
    if len(failures) == 1:
        return failures[0]
    if all(f.code == "missing_field" for f in failures):
        names = " or ".join(repr(param_name(f.path)) for f in failures)
        return Violation(failures[0].path, "missing_field", f"{names} is required in {where}")
    deeper = [f for f in failures if f.path != path]
    if len(deeper) == 1:
        return deeper[0]
    return Violation(
        path, "invalid_value", f"{_name(path, where)!r} does not match any of the allowed shapes"
    )


def _always(value: Any, path: Path) -> Violation | None:
    return None


def _all(checks: list[Check]) -> Check:
    def check(value: Any, path: Path) -> Violation | None:
        for one in checks:
            found = one(value, path)
            if found is not None:
                return found
        return None

    return check


def _only_for(kind: type, checks: list[Check]) -> Check:
    inner = _all(checks)

    def check(value: Any, path: Path) -> Violation | None:
        return inner(value, path) if isinstance(value, kind) else None

    return check


def _only_numbers(checks: list[Check]) -> Check:
    inner = _all(checks)

    def check(value: Any, path: Path) -> Violation | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return inner(value, path)

    return check


def _bound(bound: float, fails: Callable[[float, float], bool], words: str, where: str) -> Check:
    def check(value: float, path: Path) -> Violation | None:
        if fails(value, bound):
            return Violation(
                path,
                "out_of_range",
                f"{_name(path, where)!r} must be {words} {bound:g}; got {_describe(value)}",
            )
        return None

    return check
