"""Records as the REST API shows them: ``attributes`` first, canonical field names, JSON values."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from simulators.salesforce.models.schema import FieldDef
from simulators.salesforce.models.store import Row, address_value
from simulators.salesforce.models.values import to_json


def record_url(version: str, obj_name: str, record_id: str) -> str:
    return f"/services/data/{version}/sobjects/{obj_name}/{record_id}"


_CONVERTED = frozenset({"date", "datetime"})


def record_json(row: Row, version: str, fields: Sequence[FieldDef] | None = None) -> dict[str, Any]:
    obj = row.obj
    values = row.cells
    out: dict[str, Any] = {"attributes": {"type": obj.name, "url": record_url(version, obj.name, values[0])}}
    for fdef in fields if fields is not None else obj.fields():
        index = fdef.index
        if index < 0:
            out[fdef.name] = address_value(row, fdef)
        elif fdef.type in _CONVERTED:
            out[fdef.name] = to_json(values[index])
        else:
            out[fdef.name] = values[index]
    return out
