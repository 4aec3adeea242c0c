"""Executing a parsed query against a ``DataSource``.

Per execution: bind names to the schema, compile WHERE into closures, ask the index for every
record the filter can match (``DataSource.lookup``) or scan, filter, sort, window, then shape.
Paging is not done here: the API layer pages ``QueryResult.records``, which are complete and in
a deterministic order (insertion order, or ORDER BY, stable on ties).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, TypeVar

from simulators.salesforce.soql import messages
from simulators.salesforce.soql.aggregate import GroupRow, group_rows
from simulators.salesforce.soql.binding import Binder, BoundOperand, Kind, Parents, Scope
from simulators.salesforce.soql.conditions import ConditionCompiler, Filter, Plan, union
from simulators.salesforce.soql.nodes import (
    Condition,
    FieldPath,
    FieldsKind,
    Operand,
    OrderItem,
    Query,
    SelectField,
    SelectFields,
    SelectSubquery,
    SelectTypeOf,
    SemiJoin,
)
from simulators.salesforce.soql.ordering import SortKey, sort_rows
from simulators.salesforce.soql.ports import DataSource, Record
from simulators.salesforce.soql.shaping import RecordShape, Selection, Shaper, aggregate_row

RecordUrl = Callable[[str, str], str]
_Row = TypeVar("_Row")

# GROUP BY refuses these (a real org: "field 'X' can not be grouped in a query call").
_UNGROUPABLE = (Kind.DATETIME, Kind.MULTIPICKLIST, Kind.ADDRESS)
_UNGROUPABLE_TYPES = frozenset({"textarea", "double", "currency", "percent"})


@dataclass
class QueryResult:
    object_name: str
    """Canonical name of the queried object."""
    total_size: int
    """``SELECT COUNT()``: the count; otherwise ``len(records)``."""
    records: list[dict[str, Any]]
    """Shaped rows; dates and datetimes are still Python values."""
    columns: list[str]
    """Flat column names in SELECT order, for Bulk CSV: ``Id``, ``Account.Name``, ``expr0``."""
    is_count_only: bool
    column_paths: list[tuple[str, ...] | None] = field(default_factory=list, repr=False)
    """Where each column sits in a shaped record; None for columns with no flat form."""

    def flat_rows(self) -> list[list[Any]]:
        """One list per record following ``columns`` (parent paths flattened)."""
        if any(path is None for path in self.column_paths):
            raise ValueError("child subqueries, TYPEOF and compound fields have no flat (CSV) form")
        paths = [path for path in self.column_paths if path is not None]
        rows: list[list[Any]] = []
        for record in self.records:
            row: list[Any] = []
            for path in paths:
                value: Any = record
                for part in path:
                    value = value.get(part) if isinstance(value, dict) else None
                row.append(value)
            rows.append(row)
        return rows


@dataclass
class _Compiled:
    """A bound non-aggregate (sub)query."""

    object_name: str
    where: Filter | None
    sort: list[SortKey]
    limit: int | None
    offset: int
    selection: Selection


@dataclass
class _ChildPlan:
    compiled: _Compiled
    reference_field: str
    """The child's field pointing at the parent (``AccountId``)."""


class ScanNeeded(Exception):
    """Raised instead of scanning when the caller asked for index-served work only."""


class Executor:
    def __init__(
        self,
        source: DataSource,
        text: str,
        *,
        include_deleted: bool,
        record_url: RecordUrl,
        indexed_only: bool = False,
    ) -> None:
        self.source = source
        #: Refuse (ScanNeeded) rather than scan the queried object: the API then runs the query
        #: off the event loop, and index-served queries stay inline (no thread hand-off).
        self.indexed_only = indexed_only
        self.text = text
        self.include_deleted = include_deleted
        self.parents = Parents(source)
        self.binder = Binder(source, text, self.parents)
        self.shaper = Shaper(self.parents, record_url)

    def run(self, query: Query) -> QueryResult:
        if len(query.source.parts) > 1:
            raise messages.unsupported_type(self.text, query.source.position, ".".join(query.source.parts))
        info = self.binder.object(query.source.name, query.source.position)
        scope = Scope(info, query.source.alias)
        _check_window(query)
        if query.is_count_only:
            if len(query.select) != 1:
                raise messages.malformed(
                    self.text, query.select[1].position, "COUNT() must be the only element in the SELECT list"
                )
            if not query.group_by:
                return self._count(query, scope)
        if query.is_aggregate:
            return self._aggregate(query, scope)
        if query.having is not None:
            raise messages.malformed(
                self.text, query.position, "HAVING can only be used with GROUP BY or aggregates"
            )
        compiled = self._compile(query, scope)
        rows = self._rows(compiled)
        selection = compiled.selection
        self._fill_children(selection, rows)
        records = [self.shaper.record(row, selection.shape, info.name) for row in rows]
        return QueryResult(info.name, len(records), records, selection.columns, False, selection.column_paths)

    # --- plain queries ----------------------------------------------------------------------

    def _compile(self, query: Query, scope: Scope) -> _Compiled:
        selection = self._selection(query, scope)
        where = self._where(query.where, scope, semi_joins=True)
        sort = [self._record_sort_key(scope, item) for item in query.order_by]
        return _Compiled(scope.info.name, where, sort, query.limit, query.offset or 0, selection)

    def _rows(self, compiled: _Compiled) -> list[Record]:
        stop = None
        if not compiled.sort and compiled.limit is not None:
            stop = compiled.offset + compiled.limit  # no ORDER BY: stop reading early
        rows = self._matching(compiled.object_name, compiled.where, stop)
        if compiled.sort:
            sort_rows(rows, compiled.sort)
        return _window(rows, compiled.offset, compiled.limit)

    def _matching(self, object_name: str, where: Filter | None, stop: int | None) -> list[Record]:
        candidates: Iterable[Record] | None = None
        if where is not None and where.plans:
            candidates = self._probe(object_name, where.plans)
        if candidates is None:
            if self.indexed_only:
                raise ScanNeeded(object_name)
            candidates = self.source.scan(object_name, include_deleted=self.include_deleted)
        if where is not None:
            candidates = filter(where.test, candidates)
        if stop is not None:
            return list(islice(candidates, stop))
        return list(candidates)

    def _probe(self, object_name: str, plans: tuple[Plan, ...]) -> list[Record] | None:
        """Records from the first plan whose every lookup is indexed; None means scan."""
        for plan in plans:
            batches: list[Iterable[Record]] = []
            for probe in plan:
                if probe.prefix is not None:
                    hits = self.source.lookup_prefix(
                        object_name, probe.field, probe.prefix, include_deleted=self.include_deleted
                    )
                else:
                    hits = self.source.lookup(
                        object_name, probe.field, probe.values, include_deleted=self.include_deleted
                    )
                if hits is None:
                    break
                batches.append(hits)
            else:
                return list(batches[0]) if len(batches) == 1 else union(batches)
        return None

    def _selection(self, query: Query, scope: Scope) -> Selection:
        selection = Selection()
        for item in query.select:
            if isinstance(item, SelectField):
                if item.alias is not None:
                    raise messages.malformed(
                        self.text, item.position, "Only aggregate expressions use field aliasing"
                    )
                operand = self.binder.operand(scope, item.operand)
                if operand.function is not None:
                    raise messages.malformed(
                        self.text,
                        item.position,
                        f"{operand.function} can only be used in a query with a GROUP BY clause",
                    )
                selection.add_field(operand)
            elif isinstance(item, SelectFields):
                self._fields(query, scope, item, selection)
            elif isinstance(item, SelectSubquery):
                self._child(item.query, scope, selection)
            else:
                self._type_of(item, scope, selection)
        return selection

    def _fields(self, query: Query, scope: Scope, item: SelectFields, selection: Selection) -> None:
        if item.kind is not FieldsKind.STANDARD and (
            query.limit is None or query.limit > messages.FIELDS_MAX_LIMIT
        ):
            raise messages.malformed(
                self.text,
                item.position,
                f"The SOQL FIELDS function must have a LIMIT of at most {messages.FIELDS_MAX_LIMIT}",
            )
        for info in scope.info.fields():
            custom = info.name.lower().endswith("__c")
            if item.kind is FieldsKind.ALL or (item.kind is FieldsKind.CUSTOM) == custom:
                selection.add_field(self.binder.path(scope, FieldPath((info.name,), item.position)))

    def _child(self, sub: Query, scope: Scope, selection: Selection) -> None:
        parts = sub.source.parts
        if len(parts) == 2 and parts[0].lower() in scope.names:
            parts = parts[1:]
        relationship = scope.info.child_relationship(parts[0]) if len(parts) == 1 else None
        if relationship is None:
            raise messages.unknown_relationship(
                self.text, sub.source.position, ".".join(parts), where="FROM part of query call"
            )
        if sub.is_aggregate:
            raise messages.malformed(
                self.text, sub.position, "Aggregate queries are not supported in subqueries"
            )
        _check_window(sub)
        info = self.binder.object(relationship.child_object, sub.source.position)
        compiled = self._compile(sub, Scope(info, sub.source.alias))
        selection.add_child(relationship.relationship_name, _ChildPlan(compiled, relationship.field))

    def _type_of(self, item: SelectTypeOf, scope: Scope, selection: Selection) -> None:
        reference = scope.info.parent_relationship(item.relationship)
        if reference is None:
            raise messages.unknown_relationship(self.text, item.position, item.relationship)
        targets = {target.lower() for target in reference.reference_to}
        shapes: dict[str, RecordShape] = {}
        for branch in item.branches:
            if branch.object_name.lower() not in targets:
                raise messages.malformed(
                    self.text,
                    branch.position,
                    f"TYPEOF WHEN type '{branch.object_name}' is not a type of '{item.relationship}'",
                )
            info = self.binder.object(branch.object_name, branch.position)
            shapes[info.name.lower()] = self._shape_of(Scope(info), branch.fields)
        if item.else_fields:
            for target in reference.reference_to:
                if target.lower() not in shapes:
                    info = self.binder.object(target, item.position)
                    shapes[target.lower()] = self._shape_of(Scope(info), item.else_fields)
        selection.add_type_of(reference.relationship_name or item.relationship, reference, shapes)

    def _shape_of(self, scope: Scope, paths: tuple[FieldPath, ...]) -> RecordShape:
        selection = Selection()
        for path in paths:
            selection.add_field(self.binder.path(scope, path))
        return selection.shape

    def _fill_children(self, selection: Selection, rows: list[Record]) -> None:
        """Runs each child subquery once for the whole page of parents."""
        if not selection.children or not rows:
            return
        parent_ids = [row["Id"] for row in rows]
        for entry, plan in selection.children:
            compiled: _Compiled = plan.compiled
            reference = plan.reference_field
            hits = self.source.lookup(
                compiled.object_name, reference, parent_ids, include_deleted=self.include_deleted
            )
            if hits is None:
                wanted = set(parent_ids)
                scan = self.source.scan(compiled.object_name, include_deleted=self.include_deleted)
                hits = (record for record in scan if record.get(reference) in wanted)
            test = compiled.where.test if compiled.where is not None else None
            by_parent: dict[str, list[Record]] = {}
            for record in hits:
                if test is None or test(record):
                    by_parent.setdefault(record[reference], []).append(record)
            for parent_id, children in by_parent.items():
                if compiled.sort:
                    sort_rows(children, compiled.sort)
                by_parent[parent_id] = _window(children, compiled.offset, compiled.limit)
            self._fill_children(compiled.selection, [row for group in by_parent.values() for row in group])
            entry.results.clear()
            for parent_id, children in by_parent.items():
                if children:
                    entry.results[parent_id] = {
                        "totalSize": len(children),
                        "done": True,
                        "records": [
                            self.shaper.record(child, compiled.selection.shape, compiled.object_name)
                            for child in children
                        ],
                    }

    def _record_sort_key(self, scope: Scope, item: OrderItem) -> SortKey:
        operand = self.binder.operand(scope, item.operand)
        if operand.is_aggregate:
            raise messages.malformed(
                self.text, item.position, "Aggregate functions can only be ordered in an aggregate query"
            )
        return self._sort_key(operand, item)

    def _sort_key(self, operand: BoundOperand, item: OrderItem) -> SortKey:
        if operand.kind in (Kind.MULTIPICKLIST, Kind.ADDRESS):
            raise messages.invalid_field(
                self.text, item.position, f"field '{operand.key}' can not be sorted in a query call"
            )
        return SortKey(operand.get, operand.kind, item.descending, item.nulls_last)

    # --- WHERE and semi-joins ---------------------------------------------------------------

    def _where(self, condition: Condition | None, scope: Scope, *, semi_joins: bool) -> Filter | None:
        if condition is None:
            return None

        def bind(node: Operand) -> BoundOperand:
            operand = self.binder.operand(scope, node)
            if operand.is_aggregate:
                raise messages.malformed(
                    self.text, operand.position, "Aggregate functions are not allowed in a WHERE clause"
                )
            return operand

        compiler = ConditionCompiler(
            self.text, self.source.today(), bind, self._semi_join if semi_joins else None
        )
        return compiler.compile(condition)

    def _semi_join(self, node: SemiJoin) -> frozenset[str]:
        sub = node.query
        if len(sub.source.parts) > 1:
            raise messages.unsupported_type(self.text, sub.source.position, ".".join(sub.source.parts))
        info = self.binder.object(sub.source.name, sub.source.position)
        scope = Scope(info, sub.source.alias)
        item = sub.select[0]
        if (
            len(sub.select) != 1
            or not isinstance(item, SelectField)
            or not isinstance(item.operand, FieldPath)
            or item.alias is not None
            or sub.group_by
        ):
            raise messages.malformed(
                self.text, sub.position, "A semi join sub-select must select exactly one id field"
            )
        operand = self.binder.path(scope, item.operand)
        if operand.kind is not Kind.ID:
            raise messages.invalid_field(
                self.text,
                item.position,
                f"The selected field '{operand.key}' in a semi join must be an id field",
            )
        where = self._where(sub.where, scope, semi_joins=False)
        get = operand.get
        values = (get(record) for record in self._matching(info.name, where, None))
        return frozenset(value for value in values if value is not None)

    # --- aggregates -------------------------------------------------------------------------

    def _count(self, query: Query, scope: Scope) -> QueryResult:
        compiled = _Compiled(
            scope.info.name,
            self._where(query.where, scope, semi_joins=True),
            [],
            query.limit,
            query.offset or 0,
            Selection(),
        )
        count = len(self._rows(compiled))
        return QueryResult(scope.info.name, count, [], [], True, [])

    def _aggregate(self, query: Query, scope: Scope) -> QueryResult:
        groups: list[BoundOperand] = []
        for node in query.group_by:
            operand = self.binder.operand(scope, node)
            ungroupable = (
                operand.function is None
                and operand.field is not None
                and (operand.kind in _UNGROUPABLE or operand.field.type.lower() in _UNGROUPABLE_TYPES)
            )
            if operand.is_aggregate or ungroupable:
                raise messages.invalid_field(
                    self.text, operand.position, f"field '{operand.key}' can not be grouped in a query call"
                )
            groups.append(operand)
        grouped = {operand.key.lower(): operand for operand in groups}
        aggregates: dict[str, BoundOperand] = {}

        def group_column(node: Operand) -> BoundOperand:
            operand = self.binder.operand(scope, node)
            if operand.is_aggregate:
                aggregates.setdefault(operand.key, operand)
                key = operand.key
            elif operand.key.lower() in grouped:
                key = grouped[operand.key.lower()].key
            else:
                name = operand.field.name if operand.field is not None else operand.key
                raise messages.malformed(
                    self.text, operand.position, f"Field must be grouped or aggregated: {name}"
                )
            return BoundOperand(
                key=key,
                kind=operand.kind,
                get=_column(key),
                position=operand.position,
                field=operand.field,
                function=operand.function,
                argument=operand.argument,
            )

        outputs: list[tuple[str, str]] = []
        unnamed = 0
        for item in query.select:
            if not isinstance(item, SelectField):
                raise messages.malformed(
                    self.text,
                    item.position,
                    "Only fields and aggregate functions can be selected in an aggregate query",
                )
            column = group_column(item.operand)
            if item.alias is not None:
                name = item.alias
            elif column.function is None and column.field is not None:
                name = column.field.name
            else:
                name = f"expr{unnamed}"
                unnamed += 1
            outputs.append((name, column.key))
        having = None
        if query.having is not None:
            having = ConditionCompiler(self.text, self.source.today(), group_column, None).compile(
                query.having
            )
        sort = [self._sort_key(group_column(item.operand), item) for item in query.order_by]

        where = self._where(query.where, scope, semi_joins=True)
        rows: list[GroupRow] = group_rows(
            self._matching(scope.info.name, where, None), groups, list(aggregates.values())
        )
        if having is not None:
            rows = [row for row in rows if having.test(row)]
        if sort:
            sort_rows(rows, sort)
        rows = _window(rows, query.offset or 0, query.limit)
        if query.is_count_only:
            return QueryResult(scope.info.name, len(rows), [], [], True, [])
        records = [aggregate_row(row, outputs) for row in rows]
        names = [name for name, _ in outputs]
        return QueryResult(scope.info.name, len(records), records, names, False, [(name,) for name in names])


def _column(key: str) -> Callable[[Any], Any]:
    def get(row: Any) -> Any:
        return row.get(key)

    return get


def _window(rows: list[_Row], offset: int, limit: int | None) -> list[_Row]:
    if offset:
        rows = rows[offset:]
    if limit is not None:
        rows = rows[:limit]
    return rows


def _check_window(query: Query) -> None:
    if query.offset is not None and query.offset > messages.MAX_OFFSET:
        raise messages.offset_too_large()
