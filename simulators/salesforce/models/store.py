"""One org's records: compact rows, indexes, the recycle bin and transactions with savepoints.

A ``Row`` is a fixed-width list of values in schema slot order behind a read-only ``Mapping``
(canonical field name -> value, compound addresses computed from their components), so 100,000
Accounts cost a list each, not a dict. Each table indexes its Id (the table's own key) and its
unique, external-id and reference fields, so equality lookups never scan.

Every change goes through three primitives (``_put``, ``_swap``, ``_drop``) that also keep the
indexes right and append to an undo log while a transaction is open. ``rollback_to(savepoint)``
replays that log backwards through the same primitives: all-or-none is a real rollback, not
hand-written compensation. This class implements the SOQL engine's ``DataSource`` port.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from sortedcontainers import SortedList

from simulators.salesforce.models import ids
from simulators.salesforce.models.schema import FieldDef, ObjectDef, Schema

IndexEntry = str | dict[str, None]


class Row(Mapping[str, Any]):
    """A record: canonical field name -> Python value. ``cells`` are in schema slot order."""

    __slots__ = ("cells", "obj")

    def __init__(self, obj: ObjectDef, cells: list[Any]) -> None:
        self.obj = obj
        self.cells = cells

    @property
    def id(self) -> str:
        value: str = self.cells[0]
        return value

    @property
    def is_deleted(self) -> bool:
        return bool(self.cells[1])

    def __getitem__(self, key: str) -> Any:
        slot = self.obj.slot.get(key)
        if slot is not None:
            return self.cells[slot]
        fdef = self.obj.field(key)
        if fdef is None:
            raise KeyError(key)
        if fdef.stored:
            return self.cells[fdef.index]
        return address_value(self, fdef)

    def get(self, key: str, default: Any = None) -> Any:
        slot = self.obj.slot.get(key)
        if slot is not None:
            return self.cells[slot]
        try:
            return self[key]
        except KeyError:
            return default

    def __iter__(self) -> Iterator[str]:
        return (f.name for f in self.obj.fields())

    def __len__(self) -> int:
        return len(self.obj.fields())

    def __repr__(self) -> str:
        return f"Row({self.obj.name}, {self.cells[0]!r})"


def address_value(row: Row, fdef: FieldDef) -> dict[str, Any] | None:
    parts = [row.cells[row.obj.slot[name]] for name in fdef.components]
    if all(part is None for part in parts):
        return None
    street, city, state, postal, country = parts
    return {
        "city": city,
        "country": country,
        "geocodeAccuracy": None,
        "latitude": None,
        "longitude": None,
        "postalCode": postal,
        "state": state,
        "street": street,
    }


def index_key(fdef: FieldDef, value: Any) -> Any:
    if isinstance(value, str) and not fdef.case_sensitive and fdef.type not in ("id", "reference"):
        return value.lower()
    return value


_TEXT_INDEXED = frozenset({"string", "email", "phone", "url", "picklist", "textarea"})


def _minted_order(row: Row) -> str:
    return row.id[:15]


class Table:
    __slots__ = ("deleted_at", "indexes", "obj", "rows", "sorted_keys")

    def __init__(self, obj: ObjectDef) -> None:
        self.obj = obj
        self.rows: dict[str, Row] = {}
        self.deleted_at: dict[str, datetime] = {}
        self.indexes: dict[int, dict[Any, IndexEntry]] = {
            f.index: {} for f in obj.indexed_fields if not f.system
        }
        #: The keys of a text index in order, for ``LIKE 'prefix%'``: built on the first prefix
        #: lookup of that field, then kept up to date by every index write.
        self.sorted_keys: dict[int, SortedList[Any]] = {}

    def _add_entry(self, slot: int, value: Any, record_id: str) -> None:
        index = self.indexes[slot]
        key = index_key(self.obj.stored[slot], value)
        entry = index.get(key)
        if entry is None:
            index[key] = record_id
            ordered = self.sorted_keys.get(slot)
            if ordered is not None:
                ordered.add(key)
        elif isinstance(entry, str):
            index[key] = {entry: None, record_id: None}
        else:
            entry[record_id] = None

    def _remove_entry(self, slot: int, value: Any, record_id: str) -> None:
        index = self.indexes[slot]
        key = index_key(self.obj.stored[slot], value)
        entry = index.get(key)
        if entry is None:
            return
        if isinstance(entry, str):
            if entry == record_id:
                del index[key]
                ordered = self.sorted_keys.get(slot)
                if ordered is not None:
                    ordered.remove(key)
        else:
            entry.pop(record_id, None)
            if len(entry) == 1:
                index[key] = next(iter(entry))

    def _index_add(self, row: Row) -> None:
        values = row.cells
        for slot in self.indexes:
            if values[slot] is not None:
                self._add_entry(slot, values[slot], values[0])

    def _index_remove(self, row: Row) -> None:
        values = row.cells
        for slot in self.indexes:
            if values[slot] is not None:
                self._remove_entry(slot, values[slot], values[0])

    def _reindex(self, old: list[Any], new: list[Any]) -> None:
        """Only the indexed values that changed move (most updates move none)."""
        record_id = new[0]
        for slot in self.indexes:
            before, after = old[slot], new[slot]
            if before == after:
                continue
            if before is not None:
                self._remove_entry(slot, before, record_id)
            if after is not None:
                self._add_entry(slot, after, record_id)

    def ids_for(self, fdef: FieldDef, value: Any) -> list[str]:
        """Ids (live and deleted) whose indexed ``fdef`` equals ``value``."""
        index = self.indexes.get(fdef.index)
        if index is None:
            raise KeyError(f"{self.obj.name}.{fdef.name} is not indexed")
        entry = index.get(index_key(fdef, value))
        if entry is None:
            return []
        return [entry] if isinstance(entry, str) else list(entry)

    def ids_with_prefix(self, fdef: FieldDef, prefix: str) -> list[str] | None:
        """Ids (live and deleted) whose indexed text ``fdef`` starts with ``prefix`` (folded as the
        index folds it); None when the field has no text index."""
        index = self.indexes.get(fdef.index)
        if index is None or fdef.type not in _TEXT_INDEXED or fdef.case_sensitive:
            return None  # LIKE ignores case: a case-sensitive index cannot serve it
        ordered = self.sorted_keys.get(fdef.index)
        if ordered is None:
            ordered = SortedList(list(index))  # the store keeps it (OrgStore.lookup_prefix)
        start = index_key(fdef, prefix)
        found: list[str] = []
        for key in ordered.irange(start, start + "\U0010ffff", inclusive=(True, False)):
            entry = index[key]
            if isinstance(entry, str):
                found.append(entry)
            else:
                found.extend(entry)
        return found

    def live_count(self) -> int:
        return len(self.rows) - len(self.deleted_at)


class OrgStore:
    """The records of one org (implements ``soql.ports.DataSource``)."""

    def __init__(self, schema: Schema, now: Callable[[], datetime]) -> None:
        self.schema = schema
        self._now = now
        self._tables: dict[str, Table] = {}
        self._by_prefix: dict[str, Table] = {}
        for obj in schema.objects():
            table = Table(obj)
            self._tables[obj.name] = table
            if obj.key_prefix:
                self._by_prefix[obj.key_prefix] = table
        self._undo: list[tuple[Any, ...]] | None = None
        self._depth = 0
        #: A seqlock for readers on another thread (large SOQL scans): odd while a primitive
        #: write is under way, and changed by every write.
        self.version = 0

    # -- tables and reads ---------------------------------------------------------------------

    def table(self, obj: ObjectDef | str) -> Table:
        name = obj if isinstance(obj, str) else obj.name
        table = self._tables.get(name)
        if table is None:
            definition = self.schema.get(name)
            if definition is None:
                raise KeyError(name)
            table = self._tables[definition.name]
        return table

    def row_count(self, object_name: str) -> int:
        """Rows of the object, deleted ones included (0 for an unknown name)."""
        obj = self.schema.get(object_name)
        return 0 if obj is None else len(self._tables[obj.name].rows)

    def tables(self) -> list[Table]:
        return list(self._tables.values())

    def row(self, record_id: str) -> Row | None:
        """By canonical 18-character id (normalise first), deleted rows included."""
        table = self._by_prefix.get(record_id[:3])
        return None if table is None else table.rows.get(record_id)

    # -- DataSource -----------------------------------------------------------------------------

    def describe(self, object_name: str) -> ObjectDef | None:
        obj = self.schema.get(object_name)
        return None if obj is None or not obj.queryable else obj  # platform events: not queryable

    def scan(self, object_name: str, *, include_deleted: bool = False) -> Iterable[Row]:
        obj = self.schema.get(object_name)
        if obj is None:
            return ()
        rows = self._tables[obj.name].rows.values()
        if include_deleted:
            return list(rows)
        return [row for row in rows if not row.cells[1]]

    def lookup(
        self, object_name: str, field: str, values: Collection[Any], *, include_deleted: bool = False
    ) -> Iterable[Row] | None:
        obj = self.schema.get(object_name)
        if obj is None:
            return ()
        fdef = obj.field(field)
        if fdef is None or not fdef.stored:
            return None
        table = self._tables[obj.name]
        found: dict[str, Row] = {}
        if fdef.name == "Id" or fdef.type == "reference":
            wanted = [ids.normalize(v) if isinstance(v, str) else None for v in values]
            if fdef.name == "Id":
                for record_id in wanted:
                    row = table.rows.get(record_id) if record_id else None
                    if row is not None:
                        found[record_id] = row  # type: ignore[index]
                return self._live(found.values(), include_deleted)
            values = [v for v in wanted if v is not None]
        if fdef.index not in table.indexes:
            return None
        for value in values:
            if value is None:
                continue
            for record_id in table.ids_for(fdef, value):
                found[record_id] = table.rows[record_id]
        return self._live(found.values(), include_deleted)

    def lookup_prefix(
        self, object_name: str, field: str, prefix: str, *, include_deleted: bool = False
    ) -> Iterable[Row] | None:
        obj = self.schema.get(object_name)
        fdef = None if obj is None else obj.field(field)
        if obj is None or fdef is None or not fdef.stored:
            return None
        table = self._tables[obj.name]
        index = table.indexes.get(fdef.index)
        if index is not None and fdef.index not in table.sorted_keys:
            # Built once, then kept by every index write. A reader on another thread may build
            # it while the loop writes: kept only if no write ran meanwhile.
            version = self.version
            ordered = SortedList(list(index))
            if version == self.version and not version % 2:
                table.sorted_keys[fdef.index] = ordered
        found = table.ids_with_prefix(fdef, prefix)
        if found is None:
            return None
        # Insertion order, as a scan gives it (the SOQL engine's order without ORDER BY): ids are
        # minted in order and their 15-character form sorts that way (fixed-width base 62).
        rows = sorted((table.rows[record_id] for record_id in found), key=_minted_order)
        return self._live(rows, include_deleted)

    @staticmethod
    def _live(rows: Iterable[Row], include_deleted: bool) -> list[Row]:
        return list(rows) if include_deleted else [row for row in rows if not row.cells[1]]

    def get(self, record_id: str) -> Row | None:
        canonical = ids.normalize(record_id)
        return None if canonical is None else self.row(canonical)

    def now(self) -> datetime:
        return self._now()

    def today(self) -> date:
        return self._now().date()

    # -- primitives (the only writers) --------------------------------------------------------

    def quiescent(self, version: int) -> bool:
        """True when no write happened since ``version`` was read, none is under way, and no
        transaction is open: what a reader on another thread saw is a committed state."""
        return version == self.version and not version % 2 and self._undo is None

    def _put(self, table: Table, row: Row) -> None:
        self.version += 1
        table.rows[row.cells[0]] = row
        table._index_add(row)
        if self._undo is not None:
            self._undo.append(("put", table, row.cells[0]))
        self.version += 1

    def _swap(self, table: Table, row: Row, values: list[Any], deleted_at: datetime | None) -> None:
        """Replace a row's values (and recycle-bin date) in place, keeping indexes right."""
        self.version += 1
        if self._undo is not None:
            self._undo.append(("swap", table, row, row.cells, table.deleted_at.get(row.cells[0])))
        table._reindex(row.cells, values)
        row.cells = values
        if deleted_at is None:
            table.deleted_at.pop(values[0], None)
        else:
            table.deleted_at[values[0]] = deleted_at
        self.version += 1

    def _drop(self, table: Table, row: Row) -> None:
        self.version += 1
        record_id = row.cells[0]
        if self._undo is not None:
            self._undo.append(("drop", table, row, table.deleted_at.get(record_id)))
        table._index_remove(row)
        del table.rows[record_id]
        table.deleted_at.pop(record_id, None)
        self.version += 1

    # -- writes ---------------------------------------------------------------------------------

    def insert(self, obj: ObjectDef, values: list[Any]) -> Row:
        row = Row(obj, values)
        self._put(self._tables[obj.name], row)
        return row

    def replace(self, row: Row, values: list[Any]) -> None:
        table = self._tables[row.obj.name]
        self._swap(table, row, values, table.deleted_at.get(row.cells[0]))

    def soft_delete(self, row: Row, when: datetime, values: list[Any]) -> None:
        """Move to the recycle bin: ``values`` carry IsDeleted=true and the new audit stamps."""
        self._swap(self._tables[row.obj.name], row, values, when)

    def undelete(self, row: Row, values: list[Any]) -> None:
        self._swap(self._tables[row.obj.name], row, values, None)

    def hard_delete(self, row: Row) -> None:
        self._drop(self._tables[row.obj.name], row)

    def deleted_at(self, row: Row) -> datetime | None:
        return self._tables[row.obj.name].deleted_at.get(row.cells[0])

    # -- transactions ---------------------------------------------------------------------------

    def savepoint(self) -> int:
        if self._undo is None:
            raise RuntimeError("savepoint outside a transaction")
        return len(self._undo)

    def rollback_to(self, savepoint: int) -> None:
        undo = self._undo
        if undo is None:
            raise RuntimeError("rollback outside a transaction")
        self._undo = None  # the primitives below must not log their own undo
        try:
            while len(undo) > savepoint:
                entry = undo.pop()
                kind, table = entry[0], entry[1]
                if kind == "put":
                    self._drop(table, table.rows[entry[2]])
                elif kind == "swap":
                    _, _, row, values, deleted_at = entry
                    self._swap(table, row, values, deleted_at)
                else:
                    _, _, row, deleted_at = entry
                    self._put(table, row)
                    if deleted_at is not None:
                        table.deleted_at[row.cells[0]] = deleted_at
        finally:
            self._undo = undo

    @contextmanager
    def transaction(self) -> Iterator[OrgStore]:
        """Commit on normal exit, roll back on an exception. Nested calls are savepoints."""
        outer = self._undo is None
        if outer:
            self._undo = []
        savepoint = len(self._undo) if self._undo is not None else 0
        self._depth += 1
        try:
            yield self
        except BaseException:
            self.rollback_to(savepoint)
            raise
        finally:
            self._depth -= 1
            if outer:
                self._undo = None

    @property
    def in_transaction(self) -> bool:
        return self._undo is not None
