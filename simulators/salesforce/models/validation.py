"""Validation of a record about to be saved, with the codes and messages a real org returns.

Order, as in a real save: field names and writability (INVALID_FIELD,
INVALID_FIELD_FOR_INSERT_UPDATE), value types (JSON_PARSER_ERROR), then system validation on the
merged record (REQUIRED_FIELD_MISSING, STRING_TOO_LONG, INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST,
INVALID_EMAIL_ADDRESS, MALFORMED_ID, INVALID_CROSS_REFERENCE_KEY), then declarative validation
rules (FIELD_CUSTOM_VALIDATION_EXCEPTION). Uniqueness (DUPLICATE_VALUE) is the store's last word,
checked by the DML layer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import pycountry

from simulators.salesforce import catalogue
from simulators.salesforce.catalogue import SalesforceError
from simulators.salesforce.models import ids
from simulators.salesforce.models.schema import Condition, FieldDef, ObjectDef, Schema
from simulators.salesforce.models.values import coerce

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)
TEXT_LENGTH_TYPES = frozenset({"string", "textarea", "email", "phone", "url", "picklist", "multipicklist"})
# Types whose only check is the length (text) or none at all (numbers, dates, booleans).
_NOTHING_TO_CHECK = frozenset({"string", "textarea", "phone", "url", "picklist"})

# Resolves ``{"Ext__c": "value"}`` on a relationship to the parent's id (or raises).
ParentResolver = Callable[[FieldDef, Mapping[str, Any]], str]


def invalid_field(obj: ObjectDef, name: str) -> SalesforceError:
    return catalogue.INVALID_FIELD.error([name], name=name, entity=obj.name)


def not_writable(names: list[str]) -> SalesforceError:
    return catalogue.INVALID_FIELD_FOR_INSERT_UPDATE.error(names, names=", ".join(names))


def parse_input(
    obj: ObjectDef,
    data: Mapping[str, Any],
    *,
    creating: bool,
    resolve_parent: ParentResolver | None = None,
) -> dict[FieldDef, Any]:
    """Field name (any case) -> value, as stored values keyed by their field definitions."""
    parsed: dict[FieldDef, Any] = {}
    read_only: list[str] = []
    for key, raw in data.items():
        if key == "attributes":
            continue
        fdef = obj.field(key)
        if fdef is None:
            parent_ref = obj.parent_relationship(key)
            if parent_ref is not None and isinstance(raw, dict) and resolve_parent is not None:
                fdef = parent_ref
                raw = resolve_parent(parent_ref, raw)
            else:
                raise invalid_field(obj, key)
        if not (fdef.createable if creating else fdef.updateable):
            read_only.append(fdef.name)
            continue
        parsed[fdef] = coerce(fdef, raw)
    if read_only:
        raise not_writable(read_only)
    return parsed


def check_record(
    obj: ObjectDef,
    values: list[Any],
    touched: Mapping[FieldDef, Any],
    schema: Schema,
    exists: Callable[[str], bool],
) -> None:
    """System validation of the merged record; raises every problem found, in one error."""
    errors: list[SalesforceError] = []
    missing = [f.name for f in obj.required_fields if values[f.index] is None or values[f.index] == ""]
    if missing:
        errors.append(catalogue.REQUIRED_FIELD_MISSING.error(missing, names=", ".join(missing)))
    for fdef, value in touched.items():
        if value is None or value == "":
            continue
        problem = _check_value(fdef, value, schema, exists)
        if problem is not None:
            errors.append(problem)
    if errors:
        raise SalesforceError.combined(errors)


def _check_value(
    fdef: FieldDef, value: Any, schema: Schema, exists: Callable[[str], bool]
) -> SalesforceError | None:
    ftype = fdef.type
    if (
        ftype in _NOTHING_TO_CHECK
        and not fdef.restricted
        and (len(value) <= fdef.length or ftype not in TEXT_LENGTH_TYPES)
    ):
        return None  # the common case: a plain value within its length
    if fdef.type in TEXT_LENGTH_TYPES and isinstance(value, str) and len(value) > fdef.length:
        # Salesforce quotes the whole value, however long.
        return catalogue.STRING_TOO_LONG.error([fdef.name], label=fdef.label, value=value, length=fdef.length)
    if fdef.restricted and fdef.type == "picklist" and value not in fdef.picklist:
        return catalogue.RESTRICTED_PICKLIST.error([fdef.name], label=fdef.label, value=value)
    if fdef.restricted and fdef.type == "multipicklist":
        bad = [part for part in value.split(";") if part not in fdef.picklist]
        if bad:
            return catalogue.RESTRICTED_PICKLIST.error([fdef.name], label=fdef.label, value=bad[0])
    if fdef.type == "email" and not _EMAIL.match(value):
        return catalogue.INVALID_EMAIL_ADDRESS.error([fdef.name], label=fdef.label, value=value)
    if fdef.type == "reference":
        return _check_reference(fdef, value, schema, exists)
    return None


def _check_reference(
    fdef: FieldDef, value: str, schema: Schema, exists: Callable[[str], bool]
) -> SalesforceError | None:
    canonical = ids.normalize(value)
    target = None if canonical is None else schema.by_prefix(canonical[:3])
    if canonical is None or target is None or target.name not in fdef.reference_to:
        return catalogue.ID_OF_WRONG_TYPE.error([fdef.name], label=fdef.label, id=value)
    if not exists(canonical):
        return catalogue.INVALID_CROSS_REFERENCE_KEY.error([fdef.name])
    return None


def normalize_references(touched: dict[FieldDef, Any]) -> None:
    """15-character ids on lookups are stored in their 18-character form."""
    for fdef, value in touched.items():
        if fdef.type == "reference" and isinstance(value, str):
            canonical = ids.normalize(value)
            if canonical is not None:
                touched[fdef] = canonical


# -- declarative validation rules ---------------------------------------------------------------


@cache
def iso_country_codes() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def condition_holds(condition: Condition, value: Any) -> bool:
    op = condition.op
    if op == "blank":
        return _blank(value)
    if op == "not_blank":
        return not _blank(value)
    text = "" if value is None else str(value)
    if op == "equals":
        return text == str(condition.value)
    if op == "not_equals":
        return text != str(condition.value)
    if op == "matches":
        return re.fullmatch(str(condition.value), text) is not None
    if op == "not_matches":
        return re.fullmatch(str(condition.value), text) is None
    if op in ("in", "not_in"):
        options = [str(v) for v in condition.value or []]
        return (text in options) == (op == "in")
    if op == "not_iso_country":
        return text not in iso_country_codes()
    raise ValueError(f"unknown condition op {op!r}")


def check_rules(obj: ObjectDef, record: Mapping[str, Any]) -> None:
    errors = [
        catalogue.FIELD_CUSTOM_VALIDATION_EXCEPTION.error(
            [rule.display_field] if rule.display_field else [], detail=rule.message
        )
        for rule in obj.rules
        if rule.active and all(condition_holds(c, record.get(c.field)) for c in rule.conditions)
    ]
    if errors:
        raise SalesforceError.combined(errors)
