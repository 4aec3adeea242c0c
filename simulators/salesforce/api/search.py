"""SOSL over REST: ``GET /search?q=FIND ...`` and ``GET|POST /parameterizedSearch``.

Both answer ``{"searchRecords": [...]}`` (the v37.0+ shape jsforce and simple-salesforce read).
Parameterized search builds the equivalent SOSL: ``q`` (the terms, braces added), ``in``,
``sobject`` / ``sobjects`` with per-object ``fields``, ``limit`` / ``overallLimit``, then runs it
through the same engine (``simulators/salesforce/sosl``).
"""

from __future__ import annotations

from simulators.salesforce import sosl
from simulators.salesforce.api.core import Call, Result, require_dict, require_list
from simulators.salesforce.catalogue import SalesforceError
from simulators.salesforce.models.records import record_url

# Objects a FIND without RETURNING searches (Salesforce: the searchable standard and custom ones).
_NOT_SEARCHED = frozenset({"organization"})


def _run(call: Call, text: str) -> Result:
    statement = sosl.parse_search(text)
    store = call.org.store
    searchable = [
        obj.name
        for obj in call.org.schema.objects()
        if not obj.is_event and obj.name.lower() not in _NOT_SEARCHED
    ]
    records = sosl.run_search(statement, store, searchable, lambda o, i: record_url(call.version, o, i))
    return Result(200, {"searchRecords": records})


def search(call: Call) -> Result:
    text = call.arg("q")
    if text is None or not text.strip():
        raise SalesforceError(
            400, "MALFORMED_SEARCH", "No search term found. The search term must be enclosed in braces."
        )
    return _run(call, text)


def _escape(term: str) -> str:
    return "".join("\\" + c if c in "{}\\" else c for c in term)


def parameterized(call: Call) -> Result:
    if call.method == "POST":
        body = call.json_object()
        # Present keys are checked strictly (null is not a list, a name or a number).
        term = body.get("q")
        scope = _text(body["in"], "in") if "in" in body else "ALL"
        overall = _int(body["overallLimit"], "overallLimit") if "overallLimit" in body else None
        default_fields = _names(body["fields"], "fields") if "fields" in body else []
        objects = []
        for index, item in enumerate(require_list(body.get("sobjects", []), "sobjects")):
            spec = require_dict(item, f"sobjects[{index}]")
            where = f"sobjects[{index}]"
            fields = _names(spec["fields"], f"{where}.fields") if "fields" in spec else default_fields
            limit = _int(spec["limit"], f"{where}.limit") if "limit" in spec else None
            objects.append((_text(spec.get("name"), f"{where}.name"), fields, limit))
    else:
        term = call.arg("q")
        scope = call.arg("in") or "ALL"
        raw_overall = call.arg("overallLimit")
        overall = None if raw_overall is None else _int(raw_overall, "overallLimit")
        default_fields = [f for f in (call.arg("fields") or "").split(",") if f]
        names = [n for n in (call.arg("sobject") or "").split(",") if n]
        objects = [
            (
                name,
                [f for f in (call.arg(f"{name}.fields") or "").split(",") if f] or default_fields,
                _optional_int(call.arg(f"{name}.limit"), f"{name}.limit"),
            )
            for name in names
        ]
    if not isinstance(term, str) or not term.strip():
        raise SalesforceError(400, "MISSING_ARGUMENT", "Missing required parameter: q")
    text = f"FIND {{{_escape(term)}}} IN {scope.upper()} FIELDS"
    if objects:
        specs = []
        for name, fields, limit in objects:
            clause = ", ".join(fields or ["Id"])
            if limit is not None:
                clause += f" LIMIT {limit}"
            specs.append(f"{name}({clause})")
        text += " RETURNING " + ", ".join(specs)
    if overall is not None:
        text += f" LIMIT {overall}"
    return _run(call, text)


def _optional_int(value: str | None, name: str) -> int | None:
    return None if value is None else _int(value, name)


def _int(value: object, name: str) -> int:
    """A limit: 0..2000 (SOSL returns at most 2,000 records)."""
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 2000:
        return value
    raise SalesforceError(
        400, "INVALID_QUERY_PARAMETER_VALUE", f"Invalid value for parameter {name}: {value}"
    )


def _text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise SalesforceError(400, "JSON_PARSER_ERROR", f"Expected a non-empty JSON string for {name}")
    return value


def _names(value: object, name: str) -> list[str]:
    return [_text(item, name) for item in require_list(value, name)]
