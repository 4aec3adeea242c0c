"""Field values: JSON/CSV input coerced to Python values by type, and Python values out again.

Stored values are plain Python (``str``, ``bool``, ``int``, ``float``, ``date``, aware UTC
``datetime`` or ``None``), as the SOQL ports promise. Datetimes go out as
``YYYY-MM-DDTHH:MM:SS.000+0000``; dates as ``YYYY-MM-DD``.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from simulators.salesforce import catalogue
from simulators.salesforce.catalogue import SalesforceError
from simulators.salesforce.models.schema import FieldDef

_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TEXT = frozenset(
    {"id", "string", "textarea", "picklist", "multipicklist", "reference", "email", "phone", "url"}
)
_JSON_KIND = {bool: "VALUE_TRUE", int: "VALUE_NUMBER_INT", float: "VALUE_NUMBER_FLOAT", str: "VALUE_STRING"}
_JAVA_TYPE = {
    "boolean": "boolean",
    "int": "int",
    "double": "double",
    "currency": "double",
    "percent": "double",
    "date": "date",
    "datetime": "datetime",
}


@lru_cache(maxsize=8192)
def format_datetime(value: datetime) -> str:
    """Cached: audit timestamps repeat across records (second precision)."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def to_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def to_csv(value: Any) -> str:
    """Bulk API result cells: empty for null, ``true``/``false`` for booleans."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(value)
    return str(to_json(value))


def parse_datetime(text: str) -> datetime | None:
    if not _DATETIME.match(text):
        return None
    cleaned = re.sub(r"\.(\d{1,6})\d*", r".\1", text)
    try:
        parsed = datetime.fromisoformat(cleaned)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_date(text: str) -> date | None:
    if not _DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _parser_error(fdef: FieldDef, raw: Any) -> SalesforceError:
    kind = _JSON_KIND.get(type(raw), "START_OBJECT" if isinstance(raw, dict | list) else "VALUE_STRING")
    if raw is False:
        kind = "VALUE_FALSE"
    target = _JAVA_TYPE.get(fdef.type, "string")
    return catalogue.CANNOT_DESERIALIZE.error([fdef.name], target=target, kind=kind, value=raw)


def coerce(fdef: FieldDef, raw: Any) -> Any:
    """A JSON (or CSV text) value as the stored Python value for ``fdef``; None stays None."""
    if raw is None:
        return None
    ftype = fdef.type
    if ftype in _TEXT and type(raw) is str:
        return raw  # the common case, first
    if ftype == "boolean":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise _parser_error(fdef, raw)
    if ftype in ("int", "double", "currency", "percent"):
        return _number(fdef, raw)
    if ftype == "date":
        if isinstance(raw, str):
            parsed_date = parse_date(raw) or _date_of(parse_datetime(raw))
            if parsed_date is not None:
                return parsed_date
        raise _parser_error(fdef, raw)
    if ftype == "datetime":
        if isinstance(raw, str):
            parsed = parse_datetime(raw)
            if parsed is not None:
                return parsed
        raise _parser_error(fdef, raw)
    # text-like types (string, textarea, picklists, email, phone, url, reference, id)
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int | float):
        return str(raw)
    if isinstance(raw, str):
        return raw
    raise _parser_error(fdef, raw)


def _date_of(value: datetime | None) -> date | None:
    return None if value is None else value.date()


def _number(fdef: FieldDef, raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise _parser_error(fdef, raw)
    if isinstance(raw, str):
        text = raw.strip()
        try:
            number: float = float(text)
        except ValueError:
            raise _parser_error(fdef, raw) from None
    elif isinstance(raw, int | float):
        try:
            number = float(raw)
        except OverflowError:
            number = math.inf
    else:
        raise _parser_error(fdef, raw)
    if math.isnan(number) or (math.isinf(number) and isinstance(raw, str)):
        raise _parser_error(fdef, raw)
    integer_digits = max(fdef.precision - fdef.scale, 1)
    if abs(number) >= 10**integer_digits:
        raise catalogue.NUMBER_OUTSIDE_VALID_RANGE.error([fdef.name], label=fdef.label, value=raw)
    if fdef.type == "int":
        if not number.is_integer():
            raise _parser_error(fdef, raw)
        return int(number)
    return round(number, fdef.scale) if fdef.scale or fdef.type == "currency" else number
