"""SOQL for the Salesforce simulator: a hand-written parser and an evaluator over ``ports.DataSource``.

    result = execute("SELECT Id, Account.Name FROM Contact WHERE LastName = 'Doe'", source,
                     record_url=lambda object_name, record_id: f"/services/data/v59.0/sobjects/...")

``parse`` caches parsed statements by their exact text; binding to the schema happens on every
``execute`` (the schema may grow at run time), which is cheap next to reading records.
"""

from __future__ import annotations

import functools

from simulators.salesforce.soql import messages
from simulators.salesforce.soql.binding import Binder, Kind, Parents, Scope
from simulators.salesforce.soql.evaluate import Executor, QueryResult, RecordUrl, ScanNeeded
from simulators.salesforce.soql.nodes import (
    FieldPath,
    Query,
    SelectField,
    SelectFields,
    SelectSubquery,
    SelectTypeOf,
)
from simulators.salesforce.soql.parser import parse_query
from simulators.salesforce.soql.ports import DataSource

__all__ = ["Query", "QueryResult", "ScanNeeded", "check_bulk_query", "execute", "parse"]

PARSE_CACHE_SIZE = 4096


@functools.lru_cache(maxsize=PARSE_CACHE_SIZE)
def parse(text: str) -> Query:
    """The syntax tree of a SOQL statement; raises a MALFORMED_QUERY ``SalesforceError`` when malformed."""
    return parse_query(text)


def execute(
    text_or_query: str | Query,
    source: DataSource,
    *,
    include_deleted: bool = False,
    record_url: RecordUrl,
    indexed_only: bool = False,
) -> QueryResult:
    """Runs a query (``include_deleted`` for queryAll). Raises SalesforceError for bad queries;
    with ``indexed_only``, ``ScanNeeded`` when the queried object would have to be scanned."""
    query = parse(text_or_query) if isinstance(text_or_query, str) else text_or_query
    executor = Executor(
        source, query.text, include_deleted=include_deleted, record_url=record_url, indexed_only=indexed_only
    )
    return executor.run(query)


def check_bulk_query(query: str | Query, source: DataSource | None = None) -> None:
    """Refuses what Bulk API 2.0 query jobs refuse, as FEATURE_NOT_ENABLED: child subqueries,
    aggregates and GROUP BY, OFFSET, FIELDS(), TYPEOF; with ``source``, compound fields too.

    Assumption: only the child-subquery message is documented; the others are worded alike.
    """
    parsed = parse(query) if isinstance(query, str) else query
    for item in parsed.select:
        if isinstance(item, SelectSubquery):
            raise messages.not_in_bulk(
                "Aggregate Relationships not supported in Bulk Query with CSV content type"
            )
        if isinstance(item, SelectFields):
            raise messages.not_in_bulk("FIELDS() is not supported in Bulk Query")
        if isinstance(item, SelectTypeOf):
            raise messages.not_in_bulk("TYPEOF is not supported in Bulk Query")
    if parsed.is_aggregate or parsed.group_by:
        raise messages.not_in_bulk("Aggregate queries are not supported in Bulk Query")
    if parsed.offset is not None:
        raise messages.not_in_bulk("OFFSET is not supported in Bulk Query")
    if source is not None:
        _check_compound_fields(parsed, source)


def _check_compound_fields(query: Query, source: DataSource) -> None:
    binder = Binder(source, query.text, Parents(source))
    info = binder.object(query.source.name, query.source.position)
    scope = Scope(info, query.source.alias)
    for item in query.select:
        if (
            isinstance(item, SelectField)
            and isinstance(item.operand, FieldPath)
            and binder.path(scope, item.operand).kind is Kind.ADDRESS
        ):
            raise messages.not_in_bulk(
                "Compound fields are not supported in Bulk Query with CSV content type"
            )
