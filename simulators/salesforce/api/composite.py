"""``/composite``, ``/composite/batch`` and ``/composite/tree`` (salesforce-wire.md §5.2–5.4).

Subrequests run through the same route table and operations as HTTP requests (``dispatch``),
synchronously, so ``allOrNone`` is one store transaction: a failure rolls every earlier
subrequest back for real and the others report PROCESSING_HALTED.
"""

from __future__ import annotations

import re
from typing import Any

from simulators.salesforce import catalogue
from simulators.salesforce.api.core import Call, Result, require_dict, require_list
from simulators.salesforce.errors import SalesforceError
from simulators.salesforce.models.dml import Outcome
from simulators.salesforce.models.records import record_url
from simulators.salesforce.models.schema import ObjectDef

METHODS = frozenset({"GET", "POST", "PATCH", "PUT", "DELETE", "HEAD"})
MAX_SUBREQUESTS = 25
MAX_QUERY_OR_COLLECTION = 5
MAX_TREE_RECORDS = 200
MAX_TREE_TYPES = 5
MAX_TREE_DEPTH = 5
_REFERENCE_ID = re.compile(r"^[A-Za-z0-9_]{1,80}$")
_REFERENCE = re.compile(r"@\{([A-Za-z0-9_]+)\.([^}]+)\}")
_URL_VERSION = re.compile(r"^/services/data/(v\d+\.0)/")
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
COMPOSITE_ROUTES = frozenset(
    {
        "sf_sobject",
        "sf_sobject_describe",
        "sf_record",
        "sf_record_by_external_id",
        "sf_updated",
        "sf_deleted",
        "sf_query",
        "sf_query_more",
        "sf_query_all",
        "sf_query_all_more",
        "sf_collections",
        "sf_collections_object",
        "sf_collections_upsert",
    }
)
QUERY_OR_COLLECTION = frozenset(
    {"sf_query", "sf_query_all", "sf_collections", "sf_collections_object", "sf_collections_upsert"}
)
HALTED = catalogue.PROCESSING_HALTED.template


def _limit_error(message: str) -> SalesforceError:
    return catalogue.LIMIT_EXCEEDED.error(detail=message)


class UnresolvedReference(Exception):
    pass


def _walk(value: Any, path: str) -> Any:
    for name, index in _PATH_PART.findall(path):
        if name:
            if not isinstance(value, dict):
                raise UnresolvedReference(path)
            key = next((k for k in value if k.lower() == name.lower()), None)
            if key is None:
                raise UnresolvedReference(path)
            value = value[key]
        else:
            if not isinstance(value, list) or int(index) >= len(value):
                raise UnresolvedReference(path)
            value = value[int(index)]
    return value


def substitute(value: Any, bodies: dict[str, Any]) -> Any:
    """``@{ref.path}`` in strings (a whole-string reference keeps the referenced JSON type)."""
    if isinstance(value, str):
        whole = _REFERENCE.fullmatch(value)
        if whole:
            return _lookup(whole.group(1), whole.group(2), bodies)
        return _REFERENCE.sub(lambda m: str(_lookup(m.group(1), m.group(2), bodies)), value)
    if isinstance(value, dict):
        return {k: substitute(v, bodies) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, bodies) for v in value]
    return value


def _lookup(reference: str, path: str, bodies: dict[str, Any]) -> Any:
    if reference not in bodies:
        raise UnresolvedReference(f"{reference}.{path}")
    try:
        return _walk(bodies[reference], path)
    except UnresolvedReference:
        raise UnresolvedReference(f"{reference}.{path}") from None


def _invalid_reference(reference: str) -> list[dict[str, Any]]:
    return catalogue.INVALID_REFERENCE.error(reference=reference, name=reference.split(".", 1)[0]).items()


def _sub_headers(raw: Any, present: bool) -> dict[str, str]:
    if not present:
        return {}
    headers = require_dict(raw, "httpHeaders")
    if not all(isinstance(v, str) for v in headers.values()):
        raise catalogue.JSON_PARSER_ERROR.error(detail="httpHeaders values must be strings")
    return {str(k).lower(): v for k, v in headers.items()}


def composite(call: Call) -> Result:
    router = call.ctx.router
    body = call.json_object()
    requests = require_list(body.get("compositeRequest"), "compositeRequest")
    all_or_none = body.get("allOrNone", False)
    if not isinstance(all_or_none, bool) or not isinstance(body.get("collateSubrequests", True), bool):
        raise catalogue.JSON_PARSER_ERROR.error(detail="allOrNone and collateSubrequests must be booleans")
    if not requests:
        raise catalogue.INVALID_API_INPUT.error(detail="compositeRequest must hold at least one subrequest")
    if len(requests) > MAX_SUBREQUESTS:
        raise _limit_error(f"Exceeded max limit of subrequests allowed: {MAX_SUBREQUESTS}")
    plan: list[dict[str, Any]] = []
    seen: set[str] = set()
    heavy = 0
    for item in requests:
        sub = require_dict(item, "a subrequest")
        method, url, reference = sub.get("method"), sub.get("url"), sub.get("referenceId")
        if not isinstance(method, str) or method.upper() not in METHODS:
            raise catalogue.JSON_PARSER_ERROR.error(detail="Each subrequest needs an HTTP method")
        if not isinstance(url, str) or not url.startswith("/services/data/"):
            raise catalogue.JSON_PARSER_ERROR.error(
                detail="Each subrequest url must start with /services/data/"
            )
        if not isinstance(reference, str) or not _REFERENCE_ID.match(reference):
            raise catalogue.JSON_PARSER_ERROR.error(
                detail="Each subrequest needs a referenceId of letters, digits and _"
            )
        if reference in seen:
            raise catalogue.DUPLICATE_REFERENCE_ID.error(reference=reference)
        seen.add(reference)
        if router.route_name(method.upper(), url.split("?", 1)[0]) in QUERY_OR_COLLECTION:
            heavy += 1
        plan.append(
            {
                **sub,
                "method": method.upper(),
                "headers": _sub_headers(sub.get("httpHeaders"), "httpHeaders" in sub),
            }
        )
    if heavy > MAX_QUERY_OR_COLLECTION:
        raise _limit_error(f"Exceeded max limit of {MAX_QUERY_OR_COLLECTION} query or collection subrequests")
    responses: list[dict[str, Any]] = []
    bodies: dict[str, Any] = {}
    with call.org.dml.transaction() as unit:
        start = unit.savepoint()
        failed_at: int | None = None
        for index, sub in enumerate(plan):
            try:
                url = substitute(sub["url"], bodies)
                payload = substitute(sub.get("body"), bodies)
            except UnresolvedReference as missing:
                result = Result(400, _invalid_reference(str(missing)))
            else:
                result = router.dispatch(
                    call.ctx, sub["method"], url, payload, sub["headers"], allowed=COMPOSITE_ROUTES
                )
            if result.status < 400:
                bodies[sub["referenceId"]] = result.body
            responses.append(_entry(call, sub, result))
            if result.status >= 400 and all_or_none:
                failed_at = index
                break
        if failed_at is not None:
            unit.rollback_to(start)
            halted = {
                "httpHeaders": {},
                "httpStatusCode": catalogue.PROCESSING_HALTED.status,
                "body": catalogue.PROCESSING_HALTED.error().items(),
            }
            responses = [
                responses[i] if i == failed_at else {**halted, "referenceId": sub["referenceId"]}
                for i, sub in enumerate(plan)
            ]
    return Result(200, {"compositeResponse": responses})


def _entry(call: Call, sub: dict[str, Any], result: Result) -> dict[str, Any]:
    headers: dict[str, str] = {}
    if result.status == 201 and isinstance(result.body, dict) and "id" in result.body:
        location = result.headers.get("Location")
        if location is None:
            obj = call.org.schema.by_prefix(str(result.body["id"])[:3])
            version = _URL_VERSION.match(str(sub["url"]))
            if obj is not None:
                location = record_url(
                    version.group(1) if version else call.version, obj.name, str(result.body["id"])
                )
        if location:
            headers["Location"] = location
    return {
        "body": result.body if result.text is None else result.text,
        "httpHeaders": headers,
        "httpStatusCode": result.status,
        "referenceId": sub["referenceId"],
    }


def batch(call: Call) -> Result:
    body = call.json_object()
    requests = require_list(body.get("batchRequests"), "batchRequests")
    halt = body.get("haltOnError", False)
    if not isinstance(halt, bool):
        raise catalogue.JSON_PARSER_ERROR.error(detail="haltOnError must be a boolean")
    if not requests:
        raise catalogue.INVALID_API_INPUT.error(detail="batchRequests must hold at least one subrequest")
    if len(requests) > MAX_SUBREQUESTS:
        raise _limit_error(f"A batch cannot contain more than {MAX_SUBREQUESTS} requests")
    plan = []
    for item in requests:
        sub = require_dict(item, "a batch request")
        method, url = sub.get("method"), sub.get("url")
        if (
            not isinstance(method, str)
            or method.upper() not in METHODS
            or not isinstance(url, str)
            or not url
        ):
            raise catalogue.JSON_PARSER_ERROR.error(
                detail="Each batch request needs an HTTP method and a url"
            )
        plan.append(
            (
                method.upper(),
                url if url.startswith("/services/data/") else "/services/data/" + url.lstrip("/"),
                sub,
            )
        )
    results: list[dict[str, Any]] = []
    has_errors = False
    halted = False
    for method, url, sub in plan:
        if halted:
            halted_error = catalogue.BATCH_PROCESSING_HALTED.error()
            results.append({"statusCode": halted_error.status, "result": halted_error.items()})
            continue
        try:
            call.ctx.charge(1)  # each subrequest is an API call (unlike /composite)
        except SalesforceError as refused:
            result = Result.error(refused)
        else:
            result = call.ctx.router.dispatch(call.ctx, method, url, sub.get("richInput"), {}, allowed=None)
        if result.status >= 400:
            has_errors = True
            halted = halt
        results.append(
            {"statusCode": result.status, "result": result.body if result.text is None else result.text}
        )
    return Result(200, {"hasErrors": has_errors, "results": results})


def tree(call: Call) -> Result:
    root = call.org.schema.get(call.params["sobject"])
    if root is None or root.is_event:
        raise catalogue.NOT_FOUND.error()
    body = call.json_object()
    records = require_list(body.get("records"), "records")
    flat: list[tuple[ObjectDef, str, dict[str, Any], tuple[str, str] | None]] = []
    types: set[str] = set()
    references: set[str] = set()

    def collect(items: list[Any], obj: ObjectDef, parent: tuple[str, str] | None, depth: int) -> None:
        if depth > MAX_TREE_DEPTH:
            raise catalogue.INVALID_BATCH_REQUEST.error(
                detail=f"A tree can be at most {MAX_TREE_DEPTH} levels deep"
            )
        for item in items:
            record = require_dict(item, "a record")
            attributes = require_dict(record.get("attributes"), "attributes")
            ref = attributes.get("referenceId")
            type_name = attributes.get("type")
            if not isinstance(ref, str) or not _REFERENCE_ID.match(ref) or ref in references:
                raise catalogue.INVALID_INPUT.error(detail=f"Missing or duplicate referenceId: {ref}")
            if not isinstance(type_name, str) or type_name.lower() != obj.name.lower():
                raise catalogue.INVALID_INPUT.error(detail=f"Record {ref} must have type {obj.name}")
            references.add(ref)
            types.add(obj.name)
            fields: dict[str, Any] = {}
            children: list[tuple[ObjectDef, str, list[Any]]] = []
            for key, value in record.items():
                if key == "attributes":
                    continue
                rel = obj.child_relationship(key)
                if rel is not None and isinstance(value, dict):
                    child_obj = call.org.schema.get(rel.child_object)
                    assert child_obj is not None
                    children.append((child_obj, rel.field, require_list(value.get("records"), key)))
                else:
                    fields[key] = value
            flat.append((obj, ref, fields, parent))
            for child_obj, field_name, child_items in children:
                collect(child_items, child_obj, (ref, field_name), depth + 1)

    collect(records, root, None, 1)
    if len(flat) > MAX_TREE_RECORDS:
        raise catalogue.EXCEEDED_ID_LIMIT.error(limit=MAX_TREE_RECORDS)
    if len(types) > MAX_TREE_TYPES:
        raise catalogue.INVALID_BATCH_REQUEST.error(detail=f"A tree can hold at most {MAX_TREE_TYPES} types")
    created: dict[str, str] = {}
    dml = call.org.dml

    def apply(entry: tuple[ObjectDef, str, dict[str, Any], tuple[str, str] | None]) -> Outcome:
        obj, ref, fields, parent = entry
        data = dict(fields)
        if parent is not None:
            if parent[0] not in created:
                return Outcome(skipped=True)  # its parent failed: only failing references are listed
            data[parent[1]] = created[parent[0]]
        created[ref] = dml.create(obj, data, call.ctx.user_id).id
        return Outcome(id=created[ref], created=True)

    # A tree is all-or-none: any failure rolls every record back.
    outcomes = dml.run_batch(flat, apply, all_or_none=True)
    failures = [
        {"referenceId": entry[1], "errors": outcome.errors()}
        for entry, outcome in zip(flat, outcomes, strict=True)
        if outcome.error is not None
    ]
    if failures:
        return Result(400, {"hasErrors": True, "results": failures})
    return Result(
        201,
        {"hasErrors": False, "results": [{"referenceId": ref, "id": created[ref]} for _, ref, _, _ in flat]},
    )
