"""The SOSL statement, split into its clauses (no evaluation here).

Errors are Salesforce's ``MALFORMED_SEARCH`` (HTTP 400). Salesforce documents the clauses but
not every message; the texts below follow the ones real orgs return for the common mistakes
(assumption where undocumented: a missing brace and an unknown clause word read as below).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from simulators.salesforce.catalogue import SalesforceError

MALFORMED_SEARCH = "MALFORMED_SEARCH"
MAX_TERM_LENGTH = 10_000  # SOSL: a search term longer than 10,000 characters is refused
SCOPES = {"ALL": "ALL", "NAME": "NAME", "EMAIL": "EMAIL", "PHONE": "PHONE", "SIDEBAR": "ALL"}
_SCOPE = re.compile(r"\s*IN\s+(\w+)\s+FIELDS\b", re.IGNORECASE)
_RETURNING = re.compile(r"\s*RETURNING\b", re.IGNORECASE)
_LIMIT = re.compile(r"\s*LIMIT\s+(\d+)\s*$", re.IGNORECASE)
_NAME = re.compile(r"\s*([A-Za-z][A-Za-z0-9_]*)")
_CLAUSE = re.compile(r"\b(WHERE|ORDER\s+BY|LIMIT|OFFSET)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ReturningSpec:
    object_name: str
    fields: tuple[str, ...]
    where: str | None = None
    order_by: str | None = None
    limit: int | None = None


@dataclass(frozen=True)
class SearchStatement:
    terms: str
    scope: str
    returning: tuple[ReturningSpec, ...]
    limit: int | None
    text: str = ""
    """The statement as written, for caret messages."""


def malformed(message: str) -> SalesforceError:
    return SalesforceError(400, MALFORMED_SEARCH, message)


def parse_search(text: str) -> SearchStatement:
    match = re.match(r"\s*FIND\s*", text, re.IGNORECASE)
    if match is None:
        first = text.strip().split(" ", 1)[0] if text.strip() else "EOF"
        raise malformed(f"unexpected token: '{first}'")
    rest = text[match.end() :]
    terms, rest = _braced(rest)
    if len(terms) > MAX_TERM_LENGTH:
        raise SalesforceError(
            400, "INVALID_SEARCH", f"search term must be at most {MAX_TERM_LENGTH} characters"
        )
    scope = "ALL"
    found = _SCOPE.match(rest)
    if found:
        word = found.group(1).upper()
        if word not in SCOPES:
            raise malformed(f"unexpected token: '{found.group(1)}'")
        scope = SCOPES[word]
        rest = rest[found.end() :]
    returning: list[ReturningSpec] = []
    if _RETURNING.match(rest):
        rest = rest[_RETURNING.match(rest).end() :]  # type: ignore[union-attr]
        returning, rest = _returning(rest)
    limit = None
    found_limit = _LIMIT.match(rest)
    if found_limit:
        limit = int(found_limit.group(1))
        rest = rest[found_limit.end() :]
    if rest.strip():
        raise malformed(f"unexpected token: '{rest.strip().split()[0]}'")
    return SearchStatement(terms, scope, tuple(returning), limit, text)


def _braced(rest: str) -> tuple[str, str]:
    if not rest.startswith("{"):
        raise malformed("No search term found. The search term must be enclosed in braces.")
    depth, index = 0, 0
    while index < len(rest):
        char = rest[index]
        if char == "\\":
            index += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return rest[1:index], rest[index + 1 :]
        index += 1
    raise malformed("No search term found. The search term must be enclosed in braces.")


def _returning(rest: str) -> tuple[list[ReturningSpec], str]:
    specs: list[ReturningSpec] = []
    while True:
        name = _NAME.match(rest)
        if name is None:
            raise malformed("unexpected token: RETURNING needs an object name")
        rest = rest[name.end() :]
        fields: tuple[str, ...] = ("Id",)
        where = order_by = None
        limit = None
        stripped = rest.lstrip()
        if stripped.startswith("("):
            close = _closing(stripped)
            inner = stripped[1:close]
            rest = stripped[close + 1 :]
            fields, where, order_by, limit = _object_clause(inner)
        specs.append(ReturningSpec(name.group(1), fields, where, order_by, limit))
        stripped = rest.lstrip()
        if not stripped.startswith(","):
            return specs, rest
        rest = stripped[1:]


def _closing(text: str) -> int:
    depth, quoted = 0, False
    for index, char in enumerate(text):
        if char == "'" and (index == 0 or text[index - 1] != "\\"):
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
            if depth == 0:
                return index
    raise malformed("unexpected token: missing ')' in RETURNING")


def _object_clause(inner: str) -> tuple[tuple[str, ...], str | None, str | None, int | None]:
    """``Name, Phone WHERE ... ORDER BY ... LIMIT n`` (clauses in that order, as SOSL requires)."""
    parts = _CLAUSE.split(inner)
    field_text = parts[0]
    fields = tuple(f.strip() for f in field_text.split(",") if f.strip()) or ("Id",)
    where = order_by = None
    limit = None
    for keyword, body in zip(parts[1::2], parts[2::2], strict=True):
        word = " ".join(keyword.upper().split())
        if word == "WHERE":
            where = body.strip()
        elif word == "ORDER BY":
            order_by = body.strip()
        elif word == "LIMIT":
            if not body.strip().isdigit():
                raise malformed(f"unexpected token: '{body.strip()}'")
            limit = int(body.strip())
        else:
            raise malformed(f"unexpected token: '{keyword}'")
    return fields, where, order_by, limit
