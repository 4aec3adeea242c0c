"""Literal semantics: record ids (15/18 characters) and relative date literals.

Relative dates are half-open day ranges ``[start, end)`` computed from the org's ``today()`` in
UTC. Assumptions (a real org uses the running user's locale and time zone, and the org's fiscal
year): weeks start on Sunday (en_US), and the fiscal year is the calendar year.
"""

from __future__ import annotations

from datetime import date, timedelta

_CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_CHARACTERS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def canonical_id(text: str) -> str | None:
    """The 18-character form of a 15- or 18-character id, or None when ``text`` is no id.

    A 15-character id is case-sensitive; its checksum is computed. An 18-character id is
    case-insensitive: the checksum says which of the first 15 characters are upper case, so the
    case is restored from it (``001abc...IAZ`` and ``001ABC...iaz`` name the same record).
    """
    if len(text) not in (15, 18) or not _ID_CHARACTERS.issuperset(text):
        return None
    if len(text) == 15:
        return text + _checksum(text)
    suffix = text[15:].upper()
    restored: list[str] = []
    for chunk_index, checksum_char in enumerate(suffix):
        bits = _CHECKSUM_ALPHABET.find(checksum_char)
        if bits < 0:
            return None
        chunk = text[chunk_index * 5 : chunk_index * 5 + 5]
        for bit, char in enumerate(chunk):
            restored.append(char.upper() if bits >> bit & 1 else char.lower())
    candidate = "".join(restored)
    # Digits cannot be upper case: a checksum claiming so is not a real id.
    if _checksum(candidate) != suffix:
        return None
    return candidate + suffix


def _checksum(id15: str) -> str:
    return "".join(
        _CHECKSUM_ALPHABET[sum(1 << i for i, char in enumerate(id15[k : k + 5]) if "A" <= char <= "Z")]
        for k in (0, 5, 10)
    )


# --- relative dates -------------------------------------------------------------------------

FIXED_RELATIVE_DATES = frozenset(
    {
        "YESTERDAY",
        "TODAY",
        "TOMORROW",
        "LAST_WEEK",
        "THIS_WEEK",
        "NEXT_WEEK",
        "LAST_MONTH",
        "THIS_MONTH",
        "NEXT_MONTH",
        "LAST_90_DAYS",
        "NEXT_90_DAYS",
        "THIS_QUARTER",
        "LAST_QUARTER",
        "NEXT_QUARTER",
        "THIS_YEAR",
        "LAST_YEAR",
        "NEXT_YEAR",
        "THIS_FISCAL_QUARTER",
        "LAST_FISCAL_QUARTER",
        "NEXT_FISCAL_QUARTER",
        "THIS_FISCAL_YEAR",
        "LAST_FISCAL_YEAR",
        "NEXT_FISCAL_YEAR",
    }
)

PARAMETRIC_RELATIVE_DATES = frozenset(
    {
        "LAST_N_DAYS",
        "NEXT_N_DAYS",
        "N_DAYS_AGO",
        "LAST_N_WEEKS",
        "NEXT_N_WEEKS",
        "N_WEEKS_AGO",
        "LAST_N_MONTHS",
        "NEXT_N_MONTHS",
        "N_MONTHS_AGO",
        "LAST_N_QUARTERS",
        "NEXT_N_QUARTERS",
        "N_QUARTERS_AGO",
        "LAST_N_YEARS",
        "NEXT_N_YEARS",
        "N_YEARS_AGO",
        "LAST_N_FISCAL_QUARTERS",
        "NEXT_N_FISCAL_QUARTERS",
        "N_FISCAL_QUARTERS_AGO",
        "LAST_N_FISCAL_YEARS",
        "NEXT_N_FISCAL_YEARS",
        "N_FISCAL_YEARS_AGO",
    }
)


def _add_months(day: date, months: int) -> date:
    """``day`` (always a 1st of a month here) moved by ``months``."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _period_start(today: date, unit: str) -> date:
    if unit == "DAY":
        return today
    if unit == "WEEK":
        return today - timedelta(days=(today.weekday() + 1) % 7)  # back to Sunday
    if unit == "MONTH":
        return today.replace(day=1)
    if unit == "QUARTER":
        return date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    return date(today.year, 1, 1)


def _shift(start: date, unit: str, count: int) -> date:
    if unit == "DAY":
        return start + timedelta(days=count)
    if unit == "WEEK":
        return start + timedelta(days=7 * count)
    months = {"MONTH": 1, "QUARTER": 3, "YEAR": 12}[unit]
    return _add_months(start, months * count)


def _unit(name: str) -> str:
    for unit in ("DAY", "WEEK", "MONTH", "QUARTER", "YEAR"):
        if unit in name:
            return unit
    raise ValueError(name)


def relative_date_range(name: str, amount: int | None, today: date) -> tuple[date, date]:
    """``[start, end)`` in days for a relative date literal (``name`` upper-case)."""
    if name == "TODAY":
        return today, today + timedelta(days=1)
    if name == "YESTERDAY":
        return today - timedelta(days=1), today
    if name == "TOMORROW":
        return today + timedelta(days=1), today + timedelta(days=2)
    if name == "LAST_90_DAYS":
        name, amount = "LAST_N_DAYS", 90
    elif name == "NEXT_90_DAYS":
        name, amount = "NEXT_N_DAYS", 90
    unit = _unit(name)
    current = _period_start(today, unit)
    if name.startswith("THIS_"):
        return current, _shift(current, unit, 1)
    if name.startswith("LAST_") and amount is None:
        return _shift(current, unit, -1), current
    if name.startswith("NEXT_") and amount is None:
        return _shift(current, unit, 1), _shift(current, unit, 2)
    count = amount if amount is not None else 0
    if name == "LAST_N_DAYS":
        # "Starts with the current day and continues for the past n days": n + 1 days.
        return today - timedelta(days=count), today + timedelta(days=1)
    if name == "NEXT_N_DAYS":
        # Starts tomorrow, n days, today excluded.
        return today + timedelta(days=1), today + timedelta(days=count + 1)
    if name.startswith("LAST_N_"):
        return _shift(current, unit, -count), current
    if name.startswith("NEXT_N_"):
        return _shift(current, unit, 1), _shift(current, unit, count + 1)
    if name.endswith("_AGO"):
        start = _shift(current, unit, -count)
        return start, _shift(start, unit, 1)
    raise ValueError(name)
