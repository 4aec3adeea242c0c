"""sObject Collections, ``/composite/sobjects`` (salesforce-wire.md §5.1).

Up to 200 records; a well-formed request always answers 200 with one result per record, in
order, errors under ``statusCode``. The batch semantics (a savepoint per record, all-or-none
rollback with ALL_OR_NONE_OPERATION_ROLLED_BACK, the lookups for write) are the model's
(``Dml.run_batch``, ``Dml.row_for_write``); these handlers parse and serialise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simulators.salesforce import catalogue
from simulators.salesforce.api.core import Call, Result, bool_arg, require_dict, require_list
from simulators.salesforce.api.sobjects import selected_fields
from simulators.salesforce.errors import SalesforceError
from simulators.salesforce.models import ids
from simulators.salesforce.models.dml import MultipleMatches, Outcome, not_found
from simulators.salesforce.models.records import record_json
from simulators.salesforce.models.schema import ObjectDef

MAX_RECORDS = 200
MAX_RETRIEVE_IDS = 2000


def too_many(limit: int = MAX_RECORDS) -> SalesforceError:
    return catalogue.EXCEEDED_ID_LIMIT.error(limit=limit)


def _records(body: dict[str, Any]) -> list[Any]:
    records = require_list(body.get("records"), "records")
    if len(records) > MAX_RECORDS:
        raise too_many()
    if not all(isinstance(record, dict) for record in records):
        raise catalogue.JSON_PARSER_ERROR.error(
            detail="Cannot deserialize a record that is not a JSON object"
        )
    return records


def _all_or_none(body: dict[str, Any]) -> bool:
    value = body.get("allOrNone", False)
    if not isinstance(value, bool):
        raise catalogue.JSON_PARSER_ERROR.error(detail="allOrNone must be a boolean")
    return value


def _typed(call: Call, record: Any, *, expected: ObjectDef | None = None) -> tuple[ObjectDef, dict[str, Any]]:
    if not isinstance(record, dict):
        raise catalogue.JSON_PARSER_ERROR.error(detail="Each record must be a JSON object")
    attributes = record.get("attributes")
    type_name = attributes.get("type") if isinstance(attributes, dict) else None
    if expected is not None and type_name is None:
        return expected, record
    if not isinstance(type_name, str):
        raise catalogue.NO_CONCRETE_TYPE.error([])
    obj = call.org.schema.get(type_name)
    if obj is None:
        raise catalogue.UNSUPPORTED_TYPE.error([], name=type_name)
    if expected is not None and obj is not expected:
        raise catalogue.TYPE_MISMATCH.error([], name=obj.name, expected=expected.name)
    return obj, record


def _run(call: Call, items: list[Any], all_or_none: bool, apply: Callable[[Any], Outcome]) -> Result:
    outcomes = call.org.dml.run_batch(
        items, apply, all_or_none=all_or_none, given_id=_given_id, fault=call.ctx.record_faults()
    )
    return Result(200, [_result(outcome) for outcome in outcomes])


def _result(outcome: Outcome) -> dict[str, Any]:
    """The wire form: failures carry the id given (if any), rolled-back upserts ``created: false``."""
    if outcome.rolled_back:
        rolled: dict[str, Any] = {"success": False, "errors": outcome.errors()}
        if outcome.created is not None:
            rolled["created"] = False
        return rolled
    if outcome.error is not None:
        failed: dict[str, Any] = {"success": False, "errors": outcome.errors()}
        return failed if outcome.id is None else {"id": outcome.id, **failed}
    result: dict[str, Any] = {"id": outcome.id, "success": True, "errors": outcome.errors()}
    if outcome.created is not None:
        result["created"] = outcome.created
    return result


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

    def apply(record: Any) -> Outcome:
        obj, data = _typed(call, record)
        if any(key.lower() == "id" for key in data):
            raise catalogue.ID_IN_INSERT.error(["Id"])
        if obj.is_event:
            published = dml.publish(obj, data, user)
            return Outcome(id=published.id, event_uuid=published.event_uuid)
        return Outcome(id=dml.create(obj, data, user).id)

    return _run(call, records, all_or_none, apply)


def update(call: Call) -> Result:
    body = call.json_object()
    records = _records(body)
    all_or_none = _all_or_none(body)
    user = call.ctx.user_id
    dml = call.org.dml

    def apply(record: Any) -> Outcome:
        obj, data = _typed(call, record)
        record_id, fields = _strip_id(data)
        if not isinstance(record_id, str) or not record_id:
            raise catalogue.MISSING_ID.error([])
        row = dml.row_for_write(record_id, obj)
        dml.update(obj, row, fields, user)
        return Outcome(id=row.id)

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

    def apply(record: Any) -> Outcome:
        _, data = _typed(call, record, expected=obj)
        value = data.get(ext.name)
        if value is None:
            value = next((v for k, v in data.items() if k.lower() == ext.lower), None)
        if ext.name == "Id":
            value = value or ""
        elif value is None or value == "":
            raise catalogue.REQUIRED_FIELD_MISSING.error([ext.name], names=ext.name)
        try:
            row, created = dml.upsert(obj, ext.name, str(value), data, user)
        except MultipleMatches as error:
            raise error.as_error(ext.name) from None
        return Outcome(id=row.id, created=created)

    return _run(call, records, all_or_none, apply)


def delete(call: Call) -> Result:
    raw = call.arg("ids")
    if not raw:
        raise catalogue.MISSING_ARGUMENT.error(name="ids")
    record_ids = [part.strip() for part in raw.split(",") if part.strip()]
    if len(record_ids) > MAX_RECORDS:
        raise too_many()
    all_or_none = bool_arg(call, "allOrNone")
    user = call.ctx.user_id
    dml = call.org.dml

    def apply(record_id: Any) -> Outcome:
        row = dml.row_for_write(record_id)
        dml.delete(row, user)
        return Outcome(id=row.id)

    return _run(call, record_ids, all_or_none, apply)


def _retrieve(call: Call, record_ids: list[Any], field_names: list[Any]) -> Result:
    obj = call.org.schema.get(call.params["sobject"])
    if obj is None or obj.is_event:
        raise not_found()
    if len(record_ids) > MAX_RETRIEVE_IDS:
        raise too_many(MAX_RETRIEVE_IDS)
    if not field_names or not all(isinstance(name, str) for name in field_names):
        raise catalogue.MISSING_ARGUMENT.error(name="fields")
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
        raise catalogue.MISSING_ARGUMENT.error(name="ids")
    record_ids = [p.strip() for p in raw_ids.split(",") if p.strip()]
    return _retrieve(call, record_ids, [p.strip() for p in (raw_fields or "").split(",") if p.strip()])


def retrieve_post(call: Call) -> Result:
    body = require_dict(call.json(), "the request")
    record_ids = require_list(body.get("ids"), "ids")
    fields = require_list(body.get("fields"), "fields")
    if not all(isinstance(value, str) for value in (*record_ids, *fields)):
        raise catalogue.JSON_PARSER_ERROR.error(detail="ids and fields must be arrays of strings")
    return _retrieve(call, record_ids, fields)
