"""sObject REST operations: describe, create, retrieve, update, delete, upsert and retrieve by
external id, updated/ and deleted/ windows (salesforce-wire.md §3)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus

from simulators.salesforce import catalogue
from simulators.salesforce.api.core import Call, Result, bool_arg, version_number
from simulators.salesforce.errors import SalesforceError
from simulators.salesforce.models import ids
from simulators.salesforce.models.describe import basic_info, global_describe, object_describe
from simulators.salesforce.models.dml import MultipleMatches, enqueued, not_found
from simulators.salesforce.models.records import record_json, record_url
from simulators.salesforce.models.schema import FieldDef, ObjectDef
from simulators.salesforce.models.store import Row
from simulators.salesforce.models.values import format_datetime, parse_datetime

UPSERT_200_FROM = 46  # before v46.0 an upsert that updates answers 204 with no body


def sobject(call: Call, *, data_only: bool = False) -> ObjectDef:
    obj = call.org.schema.get(call.params["sobject"])
    if obj is None or (data_only and obj.is_event):
        raise not_found()
    return obj


def _soql_invalid_field(name: str, obj: ObjectDef) -> SalesforceError:
    return catalogue.INVALID_FIELD_SOQL.error(name=name, entity=obj.name)


def selected_fields(obj: ObjectDef, text: str | None) -> list[FieldDef] | None:
    if text is None:
        return None
    chosen: list[FieldDef] = []
    for name in (part.strip() for part in text.split(",")):
        if not name:
            continue
        fdef = obj.field(name)
        if fdef is None:
            raise _soql_invalid_field(name, obj)
        if fdef not in chosen:
            chosen.append(fdef)
    return chosen


def write_result(record_id: str, *, created: bool | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"id": record_id, "success": True, "errors": []}
    if created is not None:
        body["created"] = created
    return body


def multiple_choices(call: Call, error: MultipleMatches) -> Result:
    return Result(300, [record_url(call.version, error.obj.name, record_id) for record_id in error.ids])


# -- describe -----------------------------------------------------------------------------------


def describe_global(call: Call) -> Result:
    return Result(200, global_describe(call.org.schema, call.version))


def describe_object(call: Call) -> Result:
    obj = sobject(call)
    return Result(200, object_describe(call.org.schema, obj, call.version))


def object_info(call: Call) -> Result:
    obj = sobject(call)
    recent: list[dict[str, Any]] = []
    if not obj.is_event:
        table = call.org.store.table(obj)
        name_field = obj.field(obj.name_field) if obj.name_field else None
        fields = [f for f in (obj.field("Id"), name_field) if f is not None]
        for row in reversed(table.rows.values()):
            if len(recent) >= 5:
                break
            if not row.is_deleted:
                recent.append(record_json(row, call.version, fields))
    return Result(200, basic_info(obj, call.version, recent))


# -- create -------------------------------------------------------------------------------------


def create(call: Call) -> Result:
    obj = sobject(call)
    data = call.json_object()
    org = call.org
    if obj.is_event:
        with org.dml.transaction():
            published = org.dml.publish(obj, data, call.ctx.user_id)
        return Result(201, {**write_result(published.id), "errors": enqueued(published.event_uuid)})
    with org.dml.transaction():
        row = org.dml.create(obj, data, call.ctx.user_id)
    return Result(201, write_result(row.id))


# -- one record -----------------------------------------------------------------------------------


def _row(call: Call, obj: ObjectDef) -> Row:
    segment = call.params["record_id"]
    canonical = ids.normalize(segment)
    if canonical is None:
        raise catalogue.EXTERNAL_ID_FIELD_NOT_FOUND.error(field=segment)
    return call.org.dml.find(obj, canonical)


def get_record(call: Call) -> Result:
    obj = sobject(call, data_only=True)
    fields = selected_fields(obj, call.arg("fields"))
    row = _row(call, obj)
    return Result(200, record_json(row, call.version, fields))


def update_record(call: Call) -> Result:
    obj = sobject(call, data_only=True)
    data = call.json_object()
    row = _row(call, obj)
    with call.org.dml.transaction():
        call.org.dml.update(obj, row, data, call.ctx.user_id)
    return Result(204)


def delete_record(call: Call) -> Result:
    obj = sobject(call, data_only=True)
    row = _row(call, obj)
    with call.org.dml.transaction():
        call.org.dml.delete(row, call.ctx.user_id)
    return Result(204)


def create_with_id(call: Call) -> Result:
    """``POST /sobjects/{X}/Id`` (v37.0+): an upsert on Id with a null value, i.e. a create."""
    if call.params["record_id"].lower() != "id":
        allowed = "DELETE,GET,HEAD,PATCH"
        raise catalogue.METHOD_NOT_ALLOWED.error(headers={"Allow": allowed}, method="POST", allowed=allowed)
    obj = sobject(call, data_only=True)
    data = call.json_object()
    with call.org.dml.transaction():
        row = call.org.dml.create(obj, data, call.ctx.user_id)
    return Result(201, write_result(row.id, created=True))


# -- by external id -------------------------------------------------------------------------------


def external_value(call: Call) -> str:
    """The value segment: ``%20`` and ``+`` both decode to a space (simple-salesforce quote_plus)."""
    return unquote_plus(call.params["raw_value"])


def get_by_external_id(call: Call) -> Result:
    obj = sobject(call, data_only=True)
    fields = selected_fields(obj, call.arg("fields"))
    matches = call.org.dml.by_external_id(obj, call.params["field"], external_value(call))
    if not matches:
        raise not_found()
    if len(matches) > 1:
        return multiple_choices(call, MultipleMatches(obj, [row.id for row in matches]))
    return Result(200, record_json(matches[0], call.version, fields))


def upsert(call: Call) -> Result:
    obj = sobject(call, data_only=True)
    data = call.json_object()
    update_only = bool_arg(call, "updateOnly")
    try:
        with call.org.dml.transaction():
            row, created = call.org.dml.upsert(
                obj,
                call.params["field"],
                external_value(call),
                data,
                call.ctx.user_id,
                update_only=update_only,
            )
    except MultipleMatches as error:
        return multiple_choices(call, error)
    modern = version_number(call.version) >= UPSERT_200_FROM
    if created:
        return Result(201, write_result(row.id, created=True if modern else None))
    if modern:
        return Result(200, write_result(row.id, created=False))
    return Result(204)


def delete_by_external_id(call: Call) -> Result:
    obj = sobject(call, data_only=True)
    matches = call.org.dml.by_external_id(obj, call.params["field"], external_value(call))
    if not matches:
        raise not_found()
    if len(matches) > 1:
        return multiple_choices(call, MultipleMatches(obj, [row.id for row in matches]))
    with call.org.dml.transaction():
        call.org.dml.delete(matches[0], call.ctx.user_id)
    return Result(204)


# -- replication: updated/ and deleted/ ---------------------------------------------------------


def _window(call: Call) -> tuple[datetime, datetime]:
    found: list[datetime] = []
    for name in ("start", "end"):
        text = call.arg(name)
        if text is None:
            raise catalogue.MISSING_DATE_ARGUMENT.error(name=name)
        value = parse_datetime(text.strip())
        if value is None:
            raise catalogue.INVALID_REPLICATION_DATE.error(
                detail=f"{name}: unable to parse '{text}' as an ISO 8601 date-time"
            )
        found.append(value)
    start, end = found
    now = call.org.store.now()
    if end - start < timedelta(minutes=1):
        raise catalogue.INVALID_REPLICATION_DATE.error(
            detail="startDate must chronologically precede endDate by more than one minute"
        )
    if start < now - timedelta(days=30):
        raise catalogue.INVALID_REPLICATION_DATE.error(detail="startDate cannot be more than 30 days ago")
    return start, min(end, now).replace(second=0, microsecond=0)


def updated(call: Call) -> Result:
    obj = sobject(call, data_only=True)
    start, end = _window(call)
    table = call.org.store.table(obj)
    slot = obj.slot["SystemModstamp"]
    changed = [row.id for row in table.rows.values() if not row.is_deleted and start <= row.cells[slot] < end]
    return Result(200, {"ids": changed, "latestDateCovered": format_datetime(end)})


def deleted(call: Call) -> Result:
    obj = sobject(call, data_only=True)
    start, end = _window(call)
    table = call.org.store.table(obj)
    records = [
        {"id": record_id, "deletedDate": format_datetime(when)}
        for record_id, when in table.deleted_at.items()
        if start <= when < end
    ]
    earliest = min(table.deleted_at.values(), default=end)
    return Result(
        200,
        {
            "deletedRecords": records,
            "earliestDateAvailable": format_datetime(earliest),
            "latestDateCovered": format_datetime(end),
        },
    )
