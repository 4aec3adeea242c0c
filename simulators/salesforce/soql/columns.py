"""Column metadata of a SOQL query: what ``GET /query?q=...&columns=true`` answers.

The Salesforce CLI (``sf data query``) asks for it to lay out its table, JSON and CSV output.
The resource is undocumented; its shape here is the one real orgs send, as the CLI's
``retrieveColumns`` reads it (plugin-data ``commands/data/query.js``)::

    {"columnMetadata": [...], "entityName": "Contact", "groupBy": false, "idSelected": true,
     "keyPrefix": "003"}

Each column: ``aggregate, apexType, booleanType, columnName, custom, displayName,
foreignKeyName, insertable, joinColumns, numberType, textType, updatable``. A parent path
(``Account.Owner.Name``) is a column per relationship with ``joinColumns`` nesting the rest; a
child subquery is an ``aggregate`` column named after the relationship whose ``joinColumns`` are
the subquery's columns; an aggregate function is an ``aggregate`` column named by its alias or
``exprN`` with the function as written for ``displayName``.

Assumptions where nothing is documented: parent paths sharing a relationship merge into one
column (the record nests them once); an aggregate query keeps its FROM object as ``entityName``
with ``keyPrefix`` null; ``TYPEOF`` is one column named after the relationship.
"""

from __future__ import annotations

from typing import Any

from simulators.salesforce.soql.binding import Binder, Parents, Scope
from simulators.salesforce.soql.nodes import (
    FieldPath,
    FieldsKind,
    FunctionCall,
    Query,
    SelectField,
    SelectFields,
    SelectSubquery,
    SelectTypeOf,
)
from simulators.salesforce.soql.ports import DataSource, FieldInfo, ObjectInfo

_APEX_TYPES = {
    "id": "Id",
    "reference": "Id",
    "boolean": "Boolean",
    "int": "Integer",
    "long": "Long",
    "double": "Double",
    "percent": "Double",
    "currency": "Decimal",
    "date": "Date",
    "datetime": "Datetime",
    "address": "Address",
}
_NUMBER_TYPES = frozenset({"int", "long", "double", "percent", "currency"})
_TEXT_TYPES = frozenset(
    {"string", "textarea", "picklist", "multipicklist", "email", "phone", "url", "combobox"}
)


def column_metadata(query: Query, source: DataSource) -> dict[str, Any]:
    """The ``columns=true`` body; SalesforceError (as ``execute`` raises) for unknown names."""
    binder = Binder(source, query.text, Parents(source))
    info = binder.object(query.source.name, query.source.position)
    scope = Scope(info, query.source.alias)
    columns = _columns(binder, scope, query)
    aggregate = query.is_aggregate
    return {
        "columnMetadata": columns,
        "entityName": info.name,
        "groupBy": bool(query.group_by),
        "idSelected": any(c["columnName"] == "Id" and not c["joinColumns"] for c in columns),
        "keyPrefix": None if aggregate else getattr(info, "key_prefix", None),
    }


def _columns(binder: Binder, scope: Scope, query: Query) -> list[dict[str, Any]]:
    columns: list[dict[str, Any]] = []
    unnamed = 0
    for item in query.select:
        if isinstance(item, SelectField) and isinstance(item.operand, FunctionCall):
            operand = binder.operand(scope, item.operand)
            if operand.is_aggregate or item.alias is not None or query.is_aggregate:
                name = item.alias
                if name is None:
                    name = f"expr{unnamed}"
                    unnamed += 1
                argument = item.operand.argument
                shown = f"{item.operand.written}({argument.text if argument else ''})"
                columns.append(_function_column(name, shown, operand.field, item.operand.name))
            elif operand.argument is not None:  # toLabel(Status), FORMAT(Amount): the field's column
                _add_path(columns, binder, scope, operand.argument.path)
        elif isinstance(item, SelectField):
            assert isinstance(item.operand, FieldPath)
            _add_path(columns, binder, scope, binder.path(scope, item.operand).path)
        elif isinstance(item, SelectFields):
            for field in scope.info.fields():
                custom = field.name.lower().endswith("__c")
                if item.kind is FieldsKind.ALL or (item.kind is FieldsKind.CUSTOM) == custom:
                    columns.append(_column(field.name, field.name, field))
        elif isinstance(item, SelectSubquery):
            columns.append(_child_column(binder, scope, item.query))
        else:
            columns.append(_type_of_column(scope.info, item))
    return columns


def _add_path(columns: list[dict[str, Any]], binder: Binder, scope: Scope, path: tuple[str, ...]) -> None:
    """``("Account", "Owner", "Name")``: nested columns, merged with an existing relationship."""
    info: ObjectInfo = scope.info
    level = columns
    shown: list[str] = []
    for relationship in path[:-1]:
        shown.append(relationship)
        reference = info.parent_relationship(relationship)
        assert reference is not None  # bound already
        assert reference.reference_to
        existing = next(
            (c for c in level if c["columnName"] == relationship and c["foreignKeyName"] is not None), None
        )
        if existing is None:
            existing = _column(relationship, ".".join(shown), None)
            existing["foreignKeyName"] = reference.name
            level.append(existing)
        level = existing["joinColumns"]
        info = binder.object(reference.reference_to[0], 0)
    final = info.field(path[-1])
    shown.append(path[-1])
    if not any(c["columnName"] == path[-1] and not c["joinColumns"] for c in level):
        level.append(_column(path[-1], ".".join(shown), final))


def _child_column(binder: Binder, scope: Scope, sub: Query) -> dict[str, Any]:
    parts = sub.source.parts
    if len(parts) == 2 and parts[0].lower() in scope.names:
        parts = parts[1:]
    relationship = scope.info.child_relationship(parts[0])
    assert relationship is not None  # execute() refused an unknown relationship already
    child = binder.object(relationship.child_object, sub.source.position)
    column = _column(relationship.relationship_name, relationship.relationship_name, None)
    column["aggregate"] = True
    column["joinColumns"] = _columns(binder, Scope(child, sub.source.alias), sub)
    return column


def _type_of_column(info: ObjectInfo, item: SelectTypeOf) -> dict[str, Any]:
    reference = info.parent_relationship(item.relationship)
    name = (
        reference.relationship_name
        if reference is not None and reference.relationship_name
        else item.relationship
    )
    return _column(name, name, None)


def _column(name: str, shown: str, field: FieldInfo | None) -> dict[str, Any]:
    ftype = field.type.lower() if field is not None else ""
    return {
        "aggregate": False,
        "apexType": _APEX_TYPES.get(ftype, "String") if field is not None else None,
        "booleanType": ftype == "boolean",
        "columnName": name,
        "custom": name.lower().endswith("__c") or name.lower().endswith("__r"),
        "displayName": shown,
        "foreignKeyName": None,
        "insertable": bool(getattr(field, "createable", False)) if field is not None else False,
        "joinColumns": [],
        "numberType": ftype in _NUMBER_TYPES,
        "textType": ftype in _TEXT_TYPES,
        "updatable": bool(getattr(field, "updateable", False)) if field is not None else False,
    }


def _function_column(name: str, shown: str, field: FieldInfo | None, function: str) -> dict[str, Any]:
    column = _column(name, shown, field)
    column["aggregate"] = True
    column["insertable"] = column["updatable"] = False
    if function in ("COUNT", "COUNT_DISTINCT"):
        column.update(apexType="Integer", numberType=True, textType=False, booleanType=False)
    elif function in ("SUM", "AVG"):
        column.update(apexType="Double" if function == "AVG" else column["apexType"], numberType=True)
    elif function not in ("MIN", "MAX"):  # date functions: CALENDAR_YEAR(CreatedDate) and friends
        column.update(apexType="Integer", numberType=True, textType=False, booleanType=False)
    return column
