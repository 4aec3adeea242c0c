"""Record values as events carry them: a record's snapshot (every field, compound addresses
nested) and the changed and nulled fields of an update (salesforce-events.md §1.6)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from simulators.salesforce.events.bus import iso_ms
from simulators.salesforce.models.schema import FieldDef, ObjectDef

#: Never in a change event's body nor in ``changedFields`` (salesforce-events.md §1.6).
_HIDDEN = frozenset({"IsDeleted", "SystemModstamp"})


def event_value(value: Any) -> Any:
    """Event field values: datetimes as ``…T…:SS.sssZ`` (CometD's format), dates ISO."""
    if isinstance(value, datetime):
        return iso_ms(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _compound_key(fdef: FieldDef) -> str:
    """``BillingCity`` (a component of BillingAddress) -> ``City``."""
    assert fdef.compound_of is not None
    return fdef.name[len(fdef.compound_of.removesuffix("Address")) :]


#: Per object (by identity; schemas are immutable once loaded): the plain fields as
#: ``(index, name, converts)`` and the compound ones as ``(compound, [(index, key, converts)])``.
_Plan = tuple[list[tuple[int, str, bool]], list[tuple[str, list[tuple[int, str, bool]]]]]
_PLANS: dict[int, tuple[ObjectDef, _Plan]] = {}
_CONVERTED = frozenset({"date", "datetime"})


def _plan(obj: ObjectDef) -> _Plan:
    cached = _PLANS.get(id(obj))
    if cached is not None and cached[0] is obj:
        return cached[1]
    plain: list[tuple[int, str, bool]] = []
    compounds: dict[str, list[tuple[int, str, bool]]] = {}
    for fdef in obj.stored:
        if fdef.name in _HIDDEN:
            continue
        converts = fdef.type in _CONVERTED
        if fdef.compound_of is None:
            plain.append((fdef.index, fdef.name, converts))
        else:
            compounds.setdefault(fdef.compound_of, []).append((fdef.index, _compound_key(fdef), converts))
    plan: _Plan = (plain, list(compounds.items()))
    _PLANS[id(obj)] = (obj, plan)
    return plan


def snapshot(obj: ObjectDef, cells: Sequence[Any]) -> dict[str, Any]:
    """Every field value of a record as a change event carries it: compound addresses nested
    (``BillingAddress: {Street, City, ...}``; null when every part is), components not repeated
    at the top level. Planned once per object: this runs for every change of every record."""
    plain, compounds = _plan(obj)
    out: dict[str, Any] = {
        name: event_value(cells[index]) if converts else cells[index] for index, name, converts in plain
    }
    for compound, parts in compounds:
        nested = {
            key: event_value(cells[index]) if converts else cells[index] for index, key, converts in parts
        }
        out[compound] = nested if any(v is not None for v in nested.values()) else None
    return out


def changed_fields(
    obj: ObjectDef, before: Sequence[Any], after: Sequence[Any]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(changedFields, nulledFields) of an update: only fields whose value changed, compound
    components as ``BillingAddress.City``; LastModifiedDate always (as Salesforce lists it)."""
    changed: list[str] = []
    nulled: list[str] = []
    for fdef in obj.stored:
        if fdef.name in _HIDDEN:
            continue
        old, new = before[fdef.index], after[fdef.index]
        if old == new and fdef.name != "LastModifiedDate":
            continue
        name = fdef.name if fdef.compound_of is None else f"{fdef.compound_of}.{_compound_key(fdef)}"
        changed.append(name)
        if new is None:
            nulled.append(name)
    return tuple(changed), tuple(nulled)
