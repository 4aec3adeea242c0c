"""``GET /recent``: the user's recently viewed records (``models/recent.py``), newest first, each
as ``attributes`` + ``Id`` + the object's name field, which is what jsforce's ``recent()`` and
simple-salesforce's ``recent()`` read. ``limit`` caps the list (at most 200)."""

from __future__ import annotations

from typing import Any

from simulators.salesforce.api.core import Call, Result
from simulators.salesforce.catalogue import SalesforceError
from simulators.salesforce.models.recent import MAX_RECENT
from simulators.salesforce.models.records import record_url
from simulators.salesforce.soql.lexer import TokenKind, tokenize


def marks_view(text: str) -> bool:
    """True when the statement ends in ``FOR VIEW`` or ``FOR REFERENCE`` (outside subqueries)."""
    depth = 0
    previous = ""
    for token in tokenize(text):
        if token.kind is TokenKind.LPAREN:
            depth += 1
        elif token.kind is TokenKind.RPAREN:
            depth -= 1
        elif depth == 0 and token.kind is TokenKind.IDENT:
            word = str(token.value).upper()
            if previous == "FOR" and word in ("VIEW", "REFERENCE"):
                return True
            previous = word
    return False


def recent(call: Call) -> Result:
    raw = call.arg("limit")
    limit = MAX_RECENT
    if raw is not None:
        if not raw.isdigit() or int(raw) < 1:
            raise SalesforceError(
                400, "INVALID_QUERY_PARAMETER_VALUE", f"Invalid value for parameter limit: {raw}"
            )
        limit = min(int(raw), MAX_RECENT)
    store = call.org.store
    items: list[dict[str, Any]] = []
    for record_id in call.org.recent.newest(call.ctx.user_id):
        row = store.row(record_id)
        if row is None or row.is_deleted:
            continue
        obj = row.obj
        item: dict[str, Any] = {
            "attributes": {"type": obj.name, "url": record_url(call.version, obj.name, row.id)},
            "Id": row.id,
        }
        if obj.name_field and obj.field(obj.name_field) is not None:
            item[obj.name_field] = row[obj.name_field]
        items.append(item)
        if len(items) >= limit:
            break
    return Result(200, items)
