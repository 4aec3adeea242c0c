"""Running a SOSL statement over one org's records.

Search semantics (Salesforce's, simplified where noted): the expression is split into terms
(words, or "quoted phrases"), joined by AND, OR and AND NOT, with AND binding tighter than OR
and juxtaposition meaning AND. A term matches a field when it equals a whole word of the value,
case-insensitively; ``*`` matches any run of word characters and ``?`` exactly one; a phrase
matches its words in sequence. Phone scope compares digits only. Each term needs two
characters or more besides wildcards. Not modelled: stemming, synonyms and relevance ranking
(results keep the RETURNING order, then the ORDER BY or insertion order).

Scopes: ALL FIELDS (every text field), NAME FIELDS (the name field, plus FirstName/LastName),
EMAIL FIELDS, PHONE FIELDS. Without RETURNING every searchable object is searched and each hit
is returned as ``attributes`` + ``Id``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from simulators.salesforce import catalogue, soql
from simulators.salesforce.catalogue import SalesforceError
from simulators.salesforce.soql import messages
from simulators.salesforce.soql.ports import DataSource, FieldInfo
from simulators.salesforce.sosl.parser import ReturningSpec, SearchStatement, malformed

DEFAULT_LIMIT = 2000
_TEXT = frozenset({"string", "textarea", "email", "phone", "url", "picklist", "multipicklist"})
_WORD = re.compile(r'"[^"]*"|\(|\)|[^\s()"]+')
Matcher = Callable[[dict[str, str]], bool]


def run_search(
    statement: SearchStatement,
    source: DataSource,
    searchable: list[str],
    record_url: Callable[[str, str], str],
) -> list[dict[str, Any]]:
    matcher = _compile(statement.terms)
    specs = statement.returning or tuple(ReturningSpec(name, ("Id",)) for name in searchable)
    overall = statement.limit if statement.limit is not None else DEFAULT_LIMIT
    found: list[dict[str, Any]] = []
    for spec in specs:
        info = source.describe(spec.object_name)
        if info is None:
            raise catalogue.UNSUPPORTED_TYPE.error(name=spec.object_name)
        fields = _scope_fields(info.fields(), statement.scope, getattr(info, "name_field", None))
        ids = [
            str(record["Id"])
            for record in source.scan(info.name)
            if matcher({f.name: _text(record.get(f.name), f.type) for f in fields})
        ]
        if statement.returning:
            try:
                records = _select(spec, info.name, ids, source, record_url)
            except SalesforceError as error:
                raise _relocated(error, statement.text) from None
        else:  # no RETURNING: each hit as attributes + Id, nothing to validate
            records = [
                {"attributes": {"type": info.name, "url": record_url(info.name, i)}, "Id": i} for i in ids
            ]
        found.extend(records[: max(0, overall - len(found))])
        if len(found) >= overall:
            break
    return found


def _select(
    spec: ReturningSpec, name: str, ids: list[str], source: DataSource, record_url: Callable[[str, str], str]
) -> list[dict[str, Any]]:
    # The SOQL engine validates the fields, WHERE and ORDER BY (its own INVALID_FIELD messages).
    id_list = ", ".join(f"'{i}'" for i in ids) or "'000000000000000AAA'"
    text = f"SELECT {', '.join(spec.fields)} FROM {name} WHERE Id IN ({id_list})"
    if spec.where:
        text += f" AND ({spec.where})"
    if spec.order_by:
        text += f" ORDER BY {spec.order_by}"
    if spec.limit is not None:
        text += f" LIMIT {spec.limit}"
    return (
        soql.execute(text, source, record_url=record_url).records
        if ids or spec.where
        else _validate(text, source)
    )


def _relocated(error: SalesforceError, text: str) -> SalesforceError:
    """A SOQL caret message about a RETURNING spec, pointed at the same name in the SOSL text
    (real orgs quote the search statement, not a query)."""
    lines = error.message.split("\n")
    if not text or len(lines) < 5 or not lines[3].startswith("ERROR at Row:"):
        return error
    column = len(lines[2]) - 1
    word = re.match(r"[\w.]+", lines[1][column:])
    start = text.upper().find("RETURNING")
    position = text.find(word.group(), start) if word and start >= 0 else -1
    if position < 0:
        return error
    return messages.located(error.error_code, text, position, "\n".join(lines[4:]))


def _validate(text: str, source: DataSource) -> list[dict[str, Any]]:
    soql.execute(text, source, record_url=lambda o, i: "")
    return []


def _scope_fields(fields: Any, scope: str, name_field: str | None) -> list[FieldInfo]:
    text = [f for f in fields if f.type.lower() in _TEXT]
    if scope == "NAME":
        names = {n.lower() for n in (name_field, "FirstName", "LastName") if n}
        return [f for f in text if f.name.lower() in names]
    if scope == "EMAIL":
        return [f for f in text if f.type.lower() == "email"]
    if scope == "PHONE":
        return [f for f in text if f.type.lower() == "phone"]
    return text


def _text(value: Any, field_type: str) -> str:
    if value is None:
        return ""
    text = str(value).lower()
    return re.sub(r"\D", "", text) if field_type.lower() == "phone" else text


# -- the search expression --------------------------------------------------------------------


def _compile(expression: str) -> Matcher:
    words = [w for w in _WORD.findall(expression) if w not in ("(", ")")]
    if not words:
        raise malformed("No search term found. The search term must be enclosed in braces.")
    groups: list[list[tuple[re.Pattern[str], re.Pattern[str], bool]]] = [[]]
    negate = False
    for word in words:
        upper = word.upper()
        if upper == "OR":
            groups.append([])
            continue
        if upper == "AND":
            continue
        if upper == "NOT":
            negate = True
            continue
        groups[-1].append((*_patterns(word), negate))
        negate = False
    if any(not group for group in groups):
        raise malformed("search term must not end with an operator")

    def matches(values: dict[str, str]) -> bool:
        joined = "\n".join(values.values())
        return any(
            all(
                bool(text_re.search(joined) or phone_re.search(joined)) != negated
                for text_re, phone_re, negated in group
            )
            for group in groups
        )

    return matches


def _patterns(term: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    phrase = term.startswith('"') and term.endswith('"') and len(term) >= 2
    body = term[1:-1] if phrase else term
    body = body.replace("\\", "")
    if len(re.sub(r"[*?\s]", "", body)) < 2:
        raise SalesforceError(400, "INVALID_SEARCH", "search term must be longer than one character")
    parts = [_wildcards(word) for word in body.lower().split()]
    text_re = re.compile(r"(?<!\w)" + r"\W+".join(parts) + r"(?!\w)")
    digits = re.sub(r"\D", "", body)
    phone_re = re.compile(r"(?<!\d)" + digits + r"(?!\d)") if len(digits) >= 4 else re.compile(r"(?!x)x")
    return text_re, phone_re


def _wildcards(word: str) -> str:
    return "".join(r"\w*" if c == "*" else r"\w" if c == "?" else re.escape(c) for c in word)
