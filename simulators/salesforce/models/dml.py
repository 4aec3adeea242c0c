"""DML on one org: create, update, upsert by external id, delete (recycle bin), hard delete,
retrieve, and platform event publishing. Every write is validated, stamped on the virtual clock
and goes through the store's primitives, so an enclosing transaction can roll it back."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from simulators.salesforce.errors import SalesforceError
from simulators.salesforce.models import ids
from simulators.salesforce.models.ids import IdMinter
from simulators.salesforce.models.schema import FieldDef, ObjectDef, Schema
from simulators.salesforce.models.store import OrgStore, Row
from simulators.salesforce.models.validation import (
    check_record,
    check_rules,
    invalid_field,
    normalize_references,
    parse_input,
)
from simulators.salesforce.models.values import coerce

NOT_FOUND_MESSAGE = "The requested resource does not exist"


class MultipleMatches(Exception):
    """An external id matched several records (REST answers 300 with their URLs)."""

    def __init__(self, obj: ObjectDef, record_ids: list[str]) -> None:
        super().__init__(f"{len(record_ids)} {obj.name} records match")
        self.obj = obj
        self.ids = record_ids


def not_found(message: str = NOT_FOUND_MESSAGE) -> SalesforceError:
    return SalesforceError(404, "NOT_FOUND", message)


def entity_is_deleted() -> SalesforceError:
    return SalesforceError(404, "ENTITY_IS_DELETED", "entity is deleted", [])


class Dml:
    def __init__(
        self, schema: Schema, store: OrgStore, minter: IdMinter, now: Callable[[], datetime]
    ) -> None:
        self.schema = schema
        self.store = store
        self.minter = minter
        self._now = now
        self._auto_numbers: dict[tuple[str, str], int] = {}
        self._defaults: dict[str, list[Any]] = {}
        self.events: list[dict[str, Any]] = []

    def stamp(self) -> datetime:
        """Audit timestamps have second precision (``…:SS.000+0000``)."""
        now = self._now()
        return now.replace(microsecond=0) if now.microsecond else now

    # -- reads ------------------------------------------------------------------------------------

    def find(self, obj: ObjectDef, record_id: str, *, deleted_ok: bool = False) -> Row:
        """The row for a REST row URL: 404 NOT_FOUND or ENTITY_IS_DELETED like a real org."""
        canonical = ids.normalize(record_id)
        row = self.store.row(canonical) if canonical else None
        if row is None or row.obj is not obj:
            raise not_found()
        if row.is_deleted and not deleted_ok:
            raise entity_is_deleted()
        return row

    def by_external_id(self, obj: ObjectDef, field_name: str, value: str) -> list[Row]:
        fdef = self.external_id_field(obj, field_name)
        if fdef.name == "Id":
            canonical = ids.normalize(value)
            row = self.store.row(canonical) if canonical else None
            return [row] if row is not None and row.obj is obj and not row.is_deleted else []
        table = self.store.table(obj)
        rows = table.rows
        return [
            row for row in (rows[i] for i in table.ids_for(fdef, coerce(fdef, value))) if not row.cells[1]
        ]

    def external_id_field(self, obj: ObjectDef, field_name: str) -> FieldDef:
        fdef = obj.field(field_name)
        if fdef is None:
            raise not_found(f"Provided external ID field does not exist or is not accessible: {field_name}")
        if fdef.name != "Id" and not (fdef.external_id or fdef.unique):
            # Real orgs phrase this one as below; the code is not documented (INVALID_FIELD chosen).
            raise SalesforceError(
                400,
                "INVALID_FIELD",
                f"Field name provided, {fdef.name} is not an External ID or indexed field for {obj.name}",
                [fdef.name],
            )
        return fdef

    # -- writes -----------------------------------------------------------------------------------

    def create(self, obj: ObjectDef, data: Mapping[str, Any], user_id: str) -> Row:
        if not obj.createable or obj.is_event:
            raise SalesforceError(
                400, "INVALID_TYPE_FOR_OPERATION", f"entity type cannot be inserted: {obj.name}"
            )
        touched = parse_input(obj, data, creating=True, resolve_parent=self._resolve_parent)
        values = list(self._defaults_for(obj))
        normalize_references(touched)
        for fdef, value in touched.items():
            values[fdef.index] = value
        values[0] = self.minter.mint(obj.key_prefix or "000")
        self._stamp(obj, values, user_id, created=True)
        self._derive(obj, values, creating=True)
        self._validate(obj, values, touched, exclude=None)
        return self.store.insert(obj, values)

    def update(self, obj: ObjectDef, row: Row, data: Mapping[str, Any], user_id: str) -> Row:
        if not obj.updateable:
            raise SalesforceError(
                400, "INVALID_TYPE_FOR_OPERATION", f"entity type cannot be updated: {obj.name}"
            )
        if row.is_deleted:
            raise entity_is_deleted()
        touched = parse_input(obj, data, creating=False, resolve_parent=self._resolve_parent)
        normalize_references(touched)
        values = list(row.cells)
        for fdef, value in touched.items():
            values[fdef.index] = value
        self._stamp(obj, values, user_id, created=False)
        self._derive(obj, values, creating=False)
        self._validate(obj, values, touched, exclude=row.id)
        self.store.replace(row, values)
        return row

    def upsert(
        self,
        obj: ObjectDef,
        field_name: str,
        value: str,
        data: Mapping[str, Any],
        user_id: str,
        *,
        update_only: bool = False,
    ) -> tuple[Row, bool]:
        """``(row, created)``; raises MultipleMatches when several records carry the value."""
        fdef = self.external_id_field(obj, field_name)
        body_value = None
        rest: dict[str, Any] = {}
        for key, item in data.items():
            if key == fdef.name or key.lower() == fdef.lower:
                body_value = item
            else:
                rest[key] = item
        if body_value is not None and str(body_value).lower() != value.lower():
            # Not documented precisely: a conflicting value in the body is refused.
            raise SalesforceError(
                400,
                "INVALID_FIELD",
                f"The value of the external ID field in the URL ({value}) and in the body ({body_value}) differ",
                [fdef.name],
            )
        if fdef.name == "Id" and value.strip() == "":
            return self.create(obj, data, user_id), True
        matches = self.by_external_id(obj, fdef.name, value)
        if len(matches) > 1:
            raise MultipleMatches(obj, [row.id for row in matches])
        if matches:
            return self.update(obj, matches[0], rest, user_id), False
        if update_only or fdef.name == "Id":
            raise not_found()
        return self.create(obj, {**data, fdef.name: value}, user_id), True

    def delete(self, row: Row, user_id: str) -> None:
        obj = row.obj
        if not obj.deletable:
            raise SalesforceError(
                400, "INVALID_TYPE_FOR_OPERATION", f"entity type cannot be deleted: {obj.name}"
            )
        if row.is_deleted:
            raise entity_is_deleted()
        when = self.stamp()
        self._delete_tree(row, user_id, when)

    def _delete_tree(self, row: Row, user_id: str, when: datetime) -> None:
        values = list(row.cells)
        values[1] = True
        self._stamp(row.obj, values, user_id, created=False)
        self.store.soft_delete(row, when, values)
        for rel in row.obj.child_relationships():
            child_obj = self.schema.get(rel.child_object)
            assert child_obj is not None
            children = self.store.lookup(child_obj.name, rel.field, [row.id]) or []
            for child in list(children):
                if rel.cascade_delete:
                    self._delete_tree(child, user_id, when)
                else:
                    cleared = list(child.cells)
                    fdef = child_obj.field(rel.field)
                    assert fdef is not None
                    cleared[fdef.index] = None
                    self._stamp(child_obj, cleared, user_id, created=False)
                    self.store.replace(child, cleared)

    def hard_delete(self, row: Row) -> None:
        if not row.obj.deletable:
            raise SalesforceError(
                400, "INVALID_TYPE_FOR_OPERATION", f"entity type cannot be deleted: {row.obj.name}"
            )
        self.store.hard_delete(row)

    def publish(self, obj: ObjectDef, data: Mapping[str, Any], user_id: str) -> str:
        """A platform event: validated like a record, kept in the org's event log, never stored."""
        touched = parse_input(obj, data, creating=True)
        values = list(self._defaults_for(obj))
        for fdef, value in touched.items():
            values[fdef.index] = value
        check_record(obj, values, touched, self.schema, self._exists)
        event_id = self.minter.mint(ids.EVENT_PUBLISH_PREFIX)
        payload = {
            f.name: values[f.index] for f in obj.stored if values[f.index] is not None and not f.system
        }
        replay_id = len(self.events) + 1
        self.events.append(
            {
                "id": event_id,
                "object": obj.name,
                "replayId": replay_id,
                "createdDate": self.stamp(),
                "createdById": user_id,
                "payload": payload,
            }
        )
        return event_id

    # -- helpers ----------------------------------------------------------------------------------

    def _defaults_for(self, obj: ObjectDef) -> list[Any]:
        defaults = self._defaults.get(obj.name)
        if defaults is None:
            defaults = [None] * len(obj.stored)
            for fdef in obj.stored:
                if fdef.default is not None:
                    defaults[fdef.index] = coerce(fdef, fdef.default)
                elif fdef.type == "boolean":
                    defaults[fdef.index] = False
            self._defaults[obj.name] = defaults
        return defaults

    def _stamp(self, obj: ObjectDef, values: list[Any], user_id: str, *, created: bool) -> None:
        now = self.stamp()
        slot = obj.slot
        if created:
            values[slot["CreatedDate"]] = now
            values[slot["CreatedById"]] = user_id
            for fdef in obj.owner_fields:
                if values[fdef.index] is None:
                    values[fdef.index] = user_id
        if "LastModifiedDate" in slot:
            values[slot["LastModifiedDate"]] = now
            values[slot["LastModifiedById"]] = user_id
            values[slot["SystemModstamp"]] = now

    def _derive(self, obj: ObjectDef, values: list[Any], *, creating: bool) -> None:
        for fdef in obj.computed_fields:
            if creating and fdef.auto_number:
                key = (obj.name, fdef.name)
                number = self._auto_numbers.get(key, 0) + 1
                self._auto_numbers[key] = number
                width = fdef.auto_number.count("0") or 8
                values[fdef.index] = str(number).zfill(width)
            rule = fdef.derived
            if rule is None:
                continue
            if "concat" in rule:
                parts = [values[obj.slot[name]] for name in rule["concat"]]
                values[fdef.index] = " ".join(str(p) for p in parts if p) or None
            elif "product" in rule:
                left, right = (values[obj.slot[name]] for name in rule["product"])
                values[fdef.index] = (
                    None if left is None or right is None else round(float(left) * float(right), fdef.scale)
                )
            elif "parent" in rule:
                parent_id = values[obj.slot[rule["parent"]]]
                parent = (
                    self.store.row(ids.normalize(parent_id) or "") if isinstance(parent_id, str) else None
                )
                values[fdef.index] = None if parent is None else parent.get(rule["field"])

    def _exists(self, record_id: str) -> bool:
        row = self.store.row(record_id)
        return row is not None and not row.is_deleted

    def _validate(
        self, obj: ObjectDef, values: list[Any], touched: dict[FieldDef, Any], exclude: str | None
    ) -> None:
        check_record(obj, values, touched, self.schema, self._exists)
        if any(rule.active for rule in obj.rules):
            check_rules(obj, Row(obj, values))
        table = self.store.table(obj)
        for fdef in obj.unique_fields:
            value = values[fdef.index]
            if value is None:
                continue
            for other in table.ids_for(fdef, value):
                if other != exclude and not table.rows[other].is_deleted:
                    raise SalesforceError(
                        400,
                        "DUPLICATE_VALUE",
                        f"duplicate value found: {fdef.name} duplicates value on record with id: {other}",
                        [],
                    )

    def _resolve_parent(self, fdef: FieldDef, reference: Mapping[str, Any]) -> str:
        """``"Account": {"Ext__c": "A-1"}`` -> the parent's id (the one external id given)."""
        target = self.schema.get(fdef.reference_to[0])
        assert target is not None
        pairs = [(k, v) for k, v in reference.items() if k != "attributes"]
        if len(pairs) != 1:
            raise SalesforceError(
                400,
                "INVALID_FIELD",
                f"The relationship {fdef.relationship_name} must name exactly one external ID field",
                [fdef.name],
            )
        key, value = pairs[0]
        ext = target.field(key)
        if ext is None:
            raise invalid_field(target, key)
        matches = self.by_external_id(target, ext.name, str(value))
        if not matches:
            raise SalesforceError(
                400,
                "INVALID_FIELD",
                f"Foreign key external ID: {value} not found for field {ext.name} in entity {target.name}",
                [],
            )
        if len(matches) > 1:
            raise SalesforceError(
                400,
                "INVALID_FIELD",
                f"Foreign key external ID: {value} matches more than one record for field {ext.name} "
                f"in entity {target.name}",
                [],
            )
        return matches[0].id
