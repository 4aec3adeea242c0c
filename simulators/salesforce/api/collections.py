"""sObject Collections, ``/composite/sobjects`` (salesforce-wire.md §5.1).

Up to 200 records; a well-formed request always answers 200 with one result per record, in
order, errors under ``statusCode``. Each record runs in its own savepoint; with ``allOrNone``
the whole request is rolled back when any record fails and the records that would have
succeeded report ALL_OR_NONE_OPERATION_ROLLED_BACK.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simulators.salesforce.api.core import Call, Result, bool_arg, require_dict, require_list
from simulators.salesforce.api.sobjects import selected_fields
from simulators.salesforce.errors import SalesforceError
from simulators.salesforce.models import ids
from simulators.salesforce.models.dml import MultipleMatches, not_found
from simulators.salesforce.models.records import record_json
from simulators.salesforce.models.schema import ObjectDef

MAX_RECORDS = 200
MAX_RETRIEVE_IDS = 2000
ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the request was using AllOrNone header",
    "fields": [],
}


def too_many(limit: int = MAX_RECORDS) -> SalesforceError:
    return SalesforceError(
        400,
        "EXCEEDED_ID_LIMIT",
        f"record limit reached. cannot submit more than {limit} records into this call",
    )


def _records(body: dict[str, Any]) -> list[Any]:
    records = require_list(body.get("records"), "records")
    if len(records) > MAX_RECORDS:
        raise too_many()
    if not all(isinstance(record, dict) for record in records):
        raise SalesforceError(
            400, "JSON_PARSER_ERROR", "Cannot deserialize a record that is not a JSON object"
        )
    return records


def _all_or_none(body: dict[str, Any]) -> bool:
    value = body.get("allOrNone", False)
    if not isinstance(value, bool):
        raise SalesforceError(400, "JSON_PARSER_ERROR", "allOrNone must be a boolean")
    return value


def _typed(call: Call, record: Any, *, expected: ObjectDef | None = None) -> tuple[ObjectDef, dict[str, Any]]:
    if not isinstance(record, dict):
        raise SalesforceError(400, "JSON_PARSER_ERROR", "Each record must be a JSON object")
    attributes = record.get("attributes")
    type_name = attributes.get("type") if isinstance(attributes, dict) else None
    if expected is not None and type_name is None:
        return expected, record
    if not isinstance(type_name, str):
        raise SalesforceError(400, "INVALID_TYPE", "Must send a concrete entity type.", [])
    obj = call.org.schema.get(type_name)
    if obj is None:
        raise SalesforceError(400, "INVALID_TYPE", f"sObject type '{type_name}' is not supported.", [])
    if expected is not None and obj is not expected:
        raise SalesforceError(
            400, "INVALID_TYPE", f"Record type {obj.name} does not match {expected.name}", []
        )
    return obj, record


def _run(call: Call, items: list[Any], all_or_none: bool, apply: Callable[[Any], dict[str, Any]]) -> Result:
    """Apply each item in its own savepoint; all-or-none rolls the whole request back."""
    store = call.org.store
    results: list[dict[str, Any]] = []
    failed = False
    with store.transaction():
        start = store.savepoint()
        for item in items:
            mark = store.savepoint()
            try:
                results.append(apply(item))
            except SalesforceError as error:
                store.rollback_to(mark)
                failed = True
                results.append(_failure(item, error))
        if all_or_none and failed:
            store.rollback_to(start)
            results = [_rolled_back(r) if r["success"] else r for r in results]
    return Result(200, results)


def _failure(item: Any, error: SalesforceError) -> dict[str, Any]:
    result: dict[str, Any] = {"success": False, "errors": error.record_errors()}
    record_id = _given_id(item)
    if record_id is not None:
        result = {"id": record_id, **result}
    return result


def _rolled_back(result: dict[str, Any]) -> dict[str, Any]:
    rolled: dict[str, Any] = {"success": False, "errors": [dict(ROLLED_BACK)]}
    if "created" in result:
        rolled["created"] = False
    return rolled


def _given_id(item: Any) -> str | None:
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        value = item.get("id", item.get("Id"))
        return value if isinstance(value, str) else None
    return None


def _strip_id(record: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    record_id = None
    data: dict[str, Any] = {}
    for key, value in record.items():
        if key.lower() == "id":
            record_id = value
        else:
            data[key] = value
    return record_id, data


# -- operations ----------------------------------------------------------------------------------


def create(call: Call) -> Result:
    body = call.json_object()
    records = _records(body)
    all_or_none = _all_or_none(body)
    user = call.ctx.user_id
    dml = call.org.dml

    def apply(record: Any) -> dict[str, Any]:
        obj, data = _typed(call, record)
        if any(key.lower() == "id" for key in data):
            raise SalesforceError(400, "INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
        if obj.is_event:
            return {"id": dml.publish(obj, data, user), "success": True, "errors": []}
        return {"id": dml.create(obj, data, user).id, "success": True, "errors": []}

    return _run(call, records, all_or_none, apply)


def update(call: Call) -> Result:
    body = call.json_object()
    records = _records(body)
    all_or_none = _all_or_none(body)
    user = call.ctx.user_id
    dml = call.org.dml

    def apply(record: Any) -> dict[str, Any]:
        obj, data = _typed(call, record)
        record_id, fields = _strip_id(data)
        if not isinstance(record_id, str) or not record_id:
            raise SalesforceError(400, "MISSING_ARGUMENT", "Id not specified in an update call", [])
        row = _existing(call, obj, record_id)
        dml.update(obj, row, fields, user)
        return {"id": row.id, "success": True, "errors": []}

    return _run(call, records, all_or_none, apply)


def upsert(call: Call) -> Result:
    obj = call.org.schema.get(call.params["sobject"])
    if obj is None or obj.is_event:
        raise not_found()
    field_name = call.params["field"]
    ext = call.org.dml.external_id_field(obj, field_name)
    body = call.json_object()
    records = _records(body)
    all_or_none = _all_or_none(body)
    user = call.ctx.user_id
    dml = call.org.dml

    def apply(record: Any) -> dict[str, Any]:
        _, data = _typed(call, record, expected=obj)
        value = data.get(ext.name)
        if value is None:
            value = next((v for k, v in data.items() if k.lower() == ext.lower), None)
        if ext.name == "Id":
            value = value or ""
        elif value is None or value == "":
            raise SalesforceError(
                400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{ext.name}]", [ext.name]
            )
        try:
            row, created = dml.upsert(obj, ext.name, str(value), data, user)
        except MultipleMatches as error:
            raise SalesforceError(
                400,
                "DUPLICATE_EXTERNAL_ID",
                f"{ext.name}: more than one record found for external id field: {error.ids}",
                [ext.name],
            ) from None
        return {"id": row.id, "success": True, "errors": [], "created": created}

    return _run(call, records, all_or_none, apply)


def delete(call: Call) -> Result:
    raw = call.arg("ids")
    if not raw:
        raise SalesforceError(400, "MISSING_ARGUMENT", "ids: required parameter missing")
    record_ids = [part.strip() for part in raw.split(",") if part.strip()]
    if len(record_ids) > MAX_RECORDS:
        raise too_many()
    all_or_none = bool_arg(call, "allOrNone")
    user = call.ctx.user_id
    dml = call.org.dml
    store = call.org.store

    def apply(record_id: Any) -> dict[str, Any]:
        canonical = ids.normalize(record_id)
        if canonical is None:
            raise SalesforceError(400, "MALFORMED_ID", f"malformed id {record_id}", [])
        row = store.row(canonical)
        if row is None:
            raise SalesforceError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [])
        if row.is_deleted:
            raise SalesforceError(400, "ENTITY_IS_DELETED", "entity is deleted", [])
        dml.delete(row, user)
        return {"id": row.id, "success": True, "errors": []}

    return _run(call, record_ids, all_or_none, apply)


def _existing(call: Call, obj: ObjectDef, record_id: str) -> Any:
    canonical = ids.normalize(record_id)
    if canonical is None:
        raise SalesforceError(400, "MALFORMED_ID", f"malformed id {record_id}", [])
    row = call.org.store.row(canonical)
    if row is None or row.obj is not obj:
        raise SalesforceError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [])
    if row.is_deleted:
        raise SalesforceError(400, "ENTITY_IS_DELETED", "entity is deleted", [])
    return row


def _retrieve(call: Call, record_ids: list[Any], field_names: list[Any]) -> Result:
    obj = call.org.schema.get(call.params["sobject"])
    if obj is None or obj.is_event:
        raise not_found()
    if len(record_ids) > MAX_RETRIEVE_IDS:
        raise too_many(MAX_RETRIEVE_IDS)
    if not field_names or not all(isinstance(name, str) for name in field_names):
        raise SalesforceError(400, "MISSING_ARGUMENT", "fields: required parameter missing")
    fields = selected_fields(obj, ",".join(field_names))
    out: list[dict[str, Any] | None] = []
    for record_id in record_ids:
        canonical = ids.normalize(record_id) if isinstance(record_id, str) else None
        row = call.org.store.row(canonical) if canonical else None
        out.append(
            record_json(row, call.version, fields) if row and row.obj is obj and not row.is_deleted else None
        )
    return Result(200, out)


def retrieve(call: Call) -> Result:
    raw_ids = call.arg("ids")
    raw_fields = call.arg("fields")
    if not raw_ids:
        raise SalesforceError(400, "MISSING_ARGUMENT", "ids: required parameter missing")
    record_ids = [p.strip() for p in raw_ids.split(",") if p.strip()]
    return _retrieve(call, record_ids, [p.strip() for p in (raw_fields or "").split(",") if p.strip()])


def retrieve_post(call: Call) -> Result:
    body = require_dict(call.json(), "the request")
    record_ids = require_list(body.get("ids"), "ids")
    fields = require_list(body.get("fields"), "fields")
    if not all(isinstance(value, str) for value in (*record_ids, *fields)):
        raise SalesforceError(400, "JSON_PARSER_ERROR", "ids and fields must be arrays of strings")
    return _retrieve(call, record_ids, fields)
