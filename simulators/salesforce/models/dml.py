"""DML on one org: create, update, upsert by external id, delete (recycle bin), hard delete,
retrieve, and platform event publishing. Every write is validated, stamped on the virtual clock
and goes through the store's primitives, so an enclosing transaction can roll it back.

Committed work goes to the org's event bus (``Dml.sink``: Change Data Capture for the record
changes, the platform events published in the unit) and to ``Dml.commit_hooks``; rolled-back
work reaches neither. Batch DML lives here too, shared by every API that writes (REST, sObject
Collections, composite, tree, Bulk API 2.0): ``Dml.transaction()`` opens a ``UnitOfWork`` (commit or
rollback as a whole, savepoints inside, the record changes it made), ``Dml.run_batch`` runs
records each in its own savepoint with all-or-none rollback, and ``Dml.row_for_write`` is the
one lookup that answers MALFORMED_ID / INVALID_CROSS_REFERENCE_KEY / ENTITY_IS_DELETED.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from simulators.salesforce import catalogue
from simulators.salesforce.catalogue import SalesforceError
from simulators.salesforce.events.bus import PublishLimitExceeded
from simulators.salesforce.events.changes import (
    Change,
    ChangeKind,
    EventSink,
    Origin,
    PendingEvent,
    PublishResult,
    current_origin,
)
from simulators.salesforce.models import ids, order_rules
from simulators.salesforce.models.ids import IdMinter
from simulators.salesforce.models.schema import FieldDef, ObjectDef, Schema
from simulators.salesforce.models.snapshots import changed_fields, event_value, snapshot
from simulators.salesforce.models.store import OrgStore, Row
from simulators.salesforce.models.validation import (
    check_record,
    check_rules,
    invalid_field,
    normalize_references,
    parse_input,
)
from simulators.salesforce.models.values import coerce

Item = TypeVar("Item")
__all__ = [
    "Change",
    "ChangeKind",
    "Dml",
    "EventSink",
    "Outcome",
    "PendingEvent",
    "PublishResult",
    "UnitOfWork",
]
#: A platform event message may hold at most 1 MB (salesforce-events.md §2.4), its JSON measured.
MAX_EVENT_BYTES = 1_048_576
#: Injected per-record failures: ``(index, given id) -> the error``, or None to run the record.
RecordFaults = Callable[[int, "str | None"], "SalesforceError | None"]


class MultipleMatches(Exception):
    """An external id matched several records (REST answers 300 with their URLs)."""

    def __init__(self, obj: ObjectDef, record_ids: list[str]) -> None:
        super().__init__(f"{len(record_ids)} {obj.name} records match")
        self.obj = obj
        self.ids = record_ids

    def as_error(self, field_name: str) -> SalesforceError:
        """What batch APIs (collections, Bulk) report for the record instead of a 300."""
        return catalogue.DUPLICATE_EXTERNAL_ID.error([field_name], field=field_name, ids=", ".join(self.ids))


def not_found() -> SalesforceError:
    return catalogue.NOT_FOUND.error()


def entity_is_deleted() -> SalesforceError:
    return catalogue.ENTITY_IS_DELETED_ROW.error([])


@dataclass(frozen=True)
class Savepoint:
    store: int
    changes: int
    events: int


class UnitOfWork:
    """One DML transaction: savepoints, rollback to one, and the changes made so far.

    ``Dml.transaction()`` opens it; a nested ``transaction()`` is a savepoint of the same unit.
    On commit (the outermost block ends normally) the event bus gets the changes and the
    platform events published, then every ``Dml.commit_hooks`` callable gets the changes, in
    order; on rollback they are dropped with the rows, so neither sees uncommitted work.
    """

    def __init__(self, dml: Dml) -> None:
        self.dml = dml
        self.changes: list[Change] = []
        self.events: list[PendingEvent] = []

    def savepoint(self) -> Savepoint:
        return Savepoint(self.dml.store.savepoint(), len(self.changes), len(self.events))

    def rollback_to(self, savepoint: Savepoint) -> None:
        self.dml.store.rollback_to(savepoint.store)
        del self.changes[savepoint.changes :]
        del self.events[savepoint.events :]


@dataclass(frozen=True)
class Outcome:
    """One record's result in a batch: its id and ``created``, or the error that failed it."""

    id: str | None = None
    created: bool | None = None
    error: SalesforceError | None = None
    #: Succeeded, then undone because another record failed under all-or-none.
    rolled_back: bool = False
    #: Not attempted (a tree child whose parent failed); never reported.
    skipped: bool = False
    #: A platform event publish: its EventUuid (reported as OPERATION_ENQUEUED on success).
    event_uuid: str | None = None

    @property
    def success(self) -> bool:
        return self.error is None and not self.rolled_back and not self.skipped

    def errors(self) -> list[dict[str, Any]]:
        """Per-record ``statusCode`` errors (the rolled-back marker for collateral records)."""
        if self.rolled_back:
            return catalogue.ALL_OR_NONE_OPERATION_ROLLED_BACK.error([]).record_errors()
        if self.error is None and self.event_uuid is not None:
            return enqueued(self.event_uuid)
        return [] if self.error is None else self.error.record_errors()


def enqueued(event_uuid: str) -> list[dict[str, Any]]:
    """A high-volume platform event publish's ``errors`` even though it succeeded (reference
    §0.11): ``OPERATION_ENQUEUED`` whose message is the EventUuid subscribers will see."""
    return [{"statusCode": "OPERATION_ENQUEUED", "message": event_uuid, "fields": []}]


def row_lock_error(record_id: str | None) -> SalesforceError:
    """Row-lock contention on one record (an insert has no id to name)."""
    if record_id is None:
        return catalogue.UNABLE_TO_LOCK_NEW_ROW.error([])
    return catalogue.UNABLE_TO_LOCK_ROW.error([], count=1, ids=record_id)


def injected_record_error(code: str, message: str, record_id: str | None) -> SalesforceError:
    """A fault rule's record error: UNABLE_TO_LOCK_ROW with Salesforce's own message (naming the
    record) unless the rule words its own; any other code as the rule says."""
    if code == catalogue.UNABLE_TO_LOCK_ROW.code and message.startswith(
        catalogue.UNABLE_TO_LOCK_NEW_ROW.template
    ):
        return row_lock_error(record_id)
    return SalesforceError(400, code, message, [])


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
        self._unit: UnitOfWork | None = None
        #: The org's event bus: gets each committed unit's changes and platform events.
        self.sink: EventSink | None = None
        #: Called with the changes of each committed unit of work (writes outside one commit alone).
        self.commit_hooks: list[Callable[[Sequence[Change]], None]] = []
        self._unobserved = False
        self._last_origin: tuple[Origin | None, str | None, Origin] | None = None

    def stamp(self) -> datetime:
        """Audit timestamps have second precision (``…:SS.000+0000``)."""
        now = self._now()
        return now.replace(microsecond=0) if now.microsecond else now

    # -- transactions and batches -------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[UnitOfWork]:
        """A unit of work: commits when the block ends, rolls back (and re-raises) on an error.

        Nested, it is a savepoint of the enclosing unit: an error rolls back only its own writes.
        """
        outer = self._unit is None
        unit = self._unit if self._unit is not None else UnitOfWork(self)
        self._unit = unit
        mark, events_mark = len(unit.changes), len(unit.events)
        try:
            with self.store.transaction():
                try:
                    yield unit
                except BaseException:
                    del unit.changes[mark:]
                    del unit.events[events_mark:]
                    raise
        finally:
            if outer:
                self._unit = None
        if outer:
            self._commit(unit.changes, unit.events)

    def _commit(self, changes: Sequence[Change], events: Sequence[PendingEvent] = ()) -> None:
        if self.sink is not None and (changes or events):
            self.sink.commit(list(changes), list(events))
        if changes:
            for hook in self.commit_hooks:
                hook(list(changes))

    def _changed(
        self, kind: ChangeKind, row: Row, user_id: str | None = None, before: Sequence[Any] | None = None
    ) -> None:
        """Record a change with the row's field values after it and, for an update, the fields
        whose value changed (``before`` is the row's values before the write)."""
        if self._unobserved:
            return
        obj = row.obj
        changed: tuple[str, ...] = ()
        nulled: tuple[str, ...] = ()
        if kind == "update" and before is not None:
            changed, nulled = changed_fields(obj, before, row.cells)
        origin = self._origin(user_id)
        # A hard delete of a record already in the recycle bin carries no fields: its DELETE
        # event went out with the soft delete.
        fields = {} if kind == "hard_delete" and row.is_deleted else snapshot(obj, row.cells)
        change = Change(kind, obj.name, row.id, fields, changed, nulled, origin)
        if self._unit is not None:
            self._unit.changes.append(change)
        else:
            self._commit([change])

    def _origin(self, user_id: str | None) -> Origin:
        """The request's origin (the contextvar) with the acting user; reused while unchanged,
        as every record of a batch shares it."""
        found = current_origin()
        cached = self._last_origin
        if cached is not None and cached[0] is found and cached[1] == user_id:
            return cached[2]
        origin = Origin() if found is None else found
        if user_id is not None and origin.user_id is None:
            origin = replace(origin, user_id=user_id)
        self._last_origin = (found, user_id, origin)
        return origin

    @contextmanager
    def unobserved(self) -> Iterator[None]:
        """Writes nobody sees: no change events, no commit hooks (the seed's records existed
        before anyone listened; also far cheaper for a big seed)."""
        self._unobserved = True
        try:
            yield
        finally:
            self._unobserved = False

    def run_batch(
        self,
        items: Sequence[Item],
        apply: Callable[[Item], Outcome],
        *,
        all_or_none: bool,
        given_id: Callable[[Item], str | None] = lambda item: None,
        fault: RecordFaults | None = None,
    ) -> list[Outcome]:
        """Each item in its own savepoint, results in order, in one unit of work.

        A failing item is rolled back alone; with ``all_or_none`` any failure rolls the whole
        batch back and the items that had succeeded report ALL_OR_NONE_OPERATION_ROLLED_BACK.
        ``fault(index, id)`` (injected record errors, e.g. row-lock contention) fails the items
        it picks before they run; the rest of the batch proceeds unless all-or-none.
        """
        outcomes: list[Outcome] = []
        with self.transaction() as unit:
            start = unit.savepoint()
            for index, item in enumerate(items):
                mark = unit.savepoint()
                try:
                    injected = None if fault is None else fault(index, given_id(item))
                    if injected is not None:
                        raise injected
                    outcomes.append(apply(item))
                except SalesforceError as error:
                    unit.rollback_to(mark)
                    outcomes.append(Outcome(id=given_id(item), error=error))
            if all_or_none and any(outcome.error is not None for outcome in outcomes):
                unit.rollback_to(start)
                outcomes = [
                    replace(outcome, rolled_back=True) if outcome.error is None else outcome
                    for outcome in outcomes
                ]
        return outcomes

    def row_for_write(
        self,
        record_id: Any,
        obj: ObjectDef | None = None,
        *,
        deleted_ok: bool = False,
        id_fields: Sequence[str] = (),
    ) -> Row:
        """The record a batch update or delete names (400s, unlike a REST row URL's 404s)."""
        canonical = ids.normalize(record_id) if isinstance(record_id, str) else None
        if canonical is None:
            raise catalogue.MALFORMED_ID.error(list(id_fields), id=record_id)
        row = self.store.row(canonical)
        if row is None or (obj is not None and row.obj is not obj):
            raise catalogue.INVALID_CROSS_REFERENCE_KEY.error([])
        if row.is_deleted and not deleted_ok:
            raise catalogue.ENTITY_IS_DELETED.error([])
        return row

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
            raise catalogue.EXTERNAL_ID_FIELD_NOT_FOUND.error(field=field_name)
        if fdef.name != "Id" and not (fdef.external_id or fdef.unique):
            # Real orgs phrase this one as below; the code is not documented (INVALID_FIELD chosen).
            raise catalogue.NOT_AN_EXTERNAL_ID.error([fdef.name], field=fdef.name, entity=obj.name)
        return fdef

    # -- writes -----------------------------------------------------------------------------------

    def create(self, obj: ObjectDef, data: Mapping[str, Any], user_id: str) -> Row:
        if not obj.createable or obj.is_event:
            raise catalogue.INVALID_TYPE_FOR_OPERATION.error(verb="inserted", entity=obj.name)
        touched = parse_input(obj, data, creating=True, resolve_parent=self._resolve_parent)
        values = list(self._defaults_for(obj))
        normalize_references(touched)
        for fdef, value in touched.items():
            values[fdef.index] = value
        values[0] = self.minter.mint(obj.key_prefix or "000")
        self._stamp(obj, values, user_id, created=True)
        self._derive(obj, values, creating=True)
        self._validate(obj, values, touched, exclude=None)
        order_rules.check_save(self.store, obj, None, values, touched)
        row = self.store.insert(obj, values)
        self._changed("create", row, user_id)
        return row

    def update(self, obj: ObjectDef, row: Row, data: Mapping[str, Any], user_id: str) -> Row:
        if not obj.updateable:
            raise catalogue.INVALID_TYPE_FOR_OPERATION.error(verb="updated", entity=obj.name)
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
        order_rules.check_save(self.store, obj, row, values, touched)
        before = row.cells
        self.store.replace(row, values)
        self._changed("update", row, user_id, before)
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
            raise catalogue.EXTERNAL_ID_MISMATCH.error([fdef.name], url_value=value, body_value=body_value)
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
            raise catalogue.INVALID_TYPE_FOR_OPERATION.error(verb="deleted", entity=obj.name)
        if row.is_deleted:
            raise entity_is_deleted()
        order_rules.check_delete(self.store, row)
        when = self.stamp()
        self._delete_tree(row, user_id, when)

    def _delete_tree(self, row: Row, user_id: str, when: datetime) -> None:
        values = list(row.cells)
        values[1] = True
        self._stamp(row.obj, values, user_id, created=False)
        self.store.soft_delete(row, when, values)
        self._changed("delete", row, user_id)
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
                    before = child.cells
                    self.store.replace(child, cleared)
                    self._changed("update", child, user_id, before)

    def hard_delete(self, row: Row) -> None:
        if not row.obj.deletable:
            raise catalogue.INVALID_TYPE_FOR_OPERATION.error(verb="deleted", entity=row.obj.name)
        self.store.hard_delete(row)
        self._changed("hard_delete", row)

    def undelete(self, row: Row, user_id: str) -> Row:
        """Out of the recycle bin, with the children its delete cascaded to (same deletion time)."""
        if not row.obj.deletable:
            raise catalogue.INVALID_TYPE_FOR_OPERATION.error(verb="undeleted", entity=row.obj.name)
        when = self.store.deleted_at(row)
        if not row.is_deleted or when is None:
            raise catalogue.UNDELETE_FAILED.error([])
        self._undelete_tree(row, user_id, when)
        return row

    def _undelete_tree(self, row: Row, user_id: str, when: datetime) -> None:
        values = list(row.cells)
        values[1] = False
        self._stamp(row.obj, values, user_id, created=False)
        self.store.undelete(row, values)
        self._changed("undelete", row, user_id)
        for rel in row.obj.child_relationships():
            child_obj = self.schema.get(rel.child_object)
            if child_obj is None or not rel.cascade_delete:
                continue
            for child in list(self.store.scan(child_obj.name, include_deleted=True)):
                if (
                    child.is_deleted
                    and child.get(rel.field) == row.id
                    and self.store.deleted_at(child) == when
                ):
                    self._undelete_tree(child, user_id, when)

    def publish(self, obj: ObjectDef, data: Mapping[str, Any], user_id: str) -> PublishResult:
        """A platform event: validated like a record, never stored, handed to the bus when the
        unit of work commits (Publish After Commit: nothing of a rolled-back unit is published)."""
        touched = parse_input(obj, data, creating=True)
        values = list(self._defaults_for(obj))
        for fdef, value in touched.items():
            values[fdef.index] = value
        check_record(obj, values, touched, self.schema, self._exists)
        fields = {f.name: event_value(values[f.index]) for f in obj.stored if not f.system}
        if len(json.dumps(fields, default=str).encode()) > MAX_EVENT_BYTES:
            raise catalogue.EVENT_TOO_LARGE.error([], limit=MAX_EVENT_BYTES)
        sink = self.sink
        if sink is not None:
            try:
                sink.check_publish(1 + (len(self._unit.events) if self._unit is not None else 0))
            except PublishLimitExceeded:
                raise catalogue.PUBLISH_LIMIT_EXCEEDED.error([]) from None
        event_uuid = sink.new_event_uuid() if sink is not None else ""
        found = current_origin()
        origin = replace(found or Origin(), user_id=user_id)
        pending = PendingEvent(obj.name, fields, event_uuid, user_id, origin)
        if self._unit is not None:
            self._unit.events.append(pending)
        else:
            self._commit([], [pending])
        return PublishResult(self.minter.mint(ids.EVENT_PUBLISH_PREFIX), event_uuid)

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
                    raise catalogue.DUPLICATE_VALUE.error([], field=fdef.name, id=other)

    def _resolve_parent(self, fdef: FieldDef, reference: Mapping[str, Any]) -> str:
        """``"Account": {"Ext__c": "A-1"}`` -> the parent's id (the one external id given)."""
        target = self.schema.get(fdef.reference_to[0])
        assert target is not None
        pairs = [(k, v) for k, v in reference.items() if k != "attributes"]
        if len(pairs) != 1:
            raise catalogue.ONE_FOREIGN_KEY.error([fdef.name], relationship=fdef.relationship_name)
        key, value = pairs[0]
        ext = target.field(key)
        if ext is None:
            raise invalid_field(target, key)
        matches = self.by_external_id(target, ext.name, str(value))
        if not matches:
            raise catalogue.FOREIGN_KEY_NOT_FOUND.error([], value=value, field=ext.name, entity=target.name)
        if len(matches) > 1:
            raise catalogue.FOREIGN_KEY_AMBIGUOUS.error([], value=value, field=ext.name, entity=target.name)
        return matches[0].id
