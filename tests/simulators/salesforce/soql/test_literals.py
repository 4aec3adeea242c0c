from __future__ import annotations

from datetime import date

import pytest

from simulators.salesforce.soql.literals import canonical_id, relative_date_range

WEDNESDAY = date(2024, 5, 15)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        # Documented ids (salesforce-wire.md 3.6).
        ("001D000000K0fXO", "001D000000K0fXOIAZ"),
        ("00190000001pPvH", "00190000001pPvHAAU"),
        ("005i0000002MUqL", "005i0000002MUqLAAW"),
        # 18 characters compare case-insensitively: the case comes back from the checksum.
        ("001D000000K0fXOIAZ", "001D000000K0fXOIAZ"),
        ("001d000000k0fxoiaz", "001D000000K0fXOIAZ"),
        ("001D000000K0FXOIAZ", "001D000000K0fXOIAZ"),
    ],
)
def test_canonical_id(given: str, expected: str) -> None:
    assert canonical_id(given) == expected


def test_fifteen_character_ids_stay_case_sensitive() -> None:
    assert canonical_id("001d000000k0fxo") != canonical_id("001D000000K0fXO")


@pytest.mark.parametrize(
    "text", ["", "x", "001D000000K0fX", "001D000000K0fXO-", "001D000000K0fXO!AZ", "00190000001pPvH999"]
)
def test_not_an_id(text: str) -> None:
    assert canonical_id(text) is None


@pytest.mark.parametrize(
    ("name", "amount", "start", "end"),
    [
        ("TODAY", None, date(2024, 5, 15), date(2024, 5, 16)),
        ("YESTERDAY", None, date(2024, 5, 14), date(2024, 5, 15)),
        ("TOMORROW", None, date(2024, 5, 16), date(2024, 5, 17)),
        ("THIS_WEEK", None, date(2024, 5, 12), date(2024, 5, 19)),
        ("LAST_WEEK", None, date(2024, 5, 5), date(2024, 5, 12)),
        ("NEXT_WEEK", None, date(2024, 5, 19), date(2024, 5, 26)),
        ("THIS_MONTH", None, date(2024, 5, 1), date(2024, 6, 1)),
        ("LAST_MONTH", None, date(2024, 4, 1), date(2024, 5, 1)),
        ("NEXT_MONTH", None, date(2024, 6, 1), date(2024, 7, 1)),
        ("LAST_90_DAYS", None, date(2024, 2, 15), date(2024, 5, 16)),
        ("NEXT_90_DAYS", None, date(2024, 5, 16), date(2024, 8, 14)),
        ("LAST_N_DAYS", 7, date(2024, 5, 8), date(2024, 5, 16)),
        ("NEXT_N_DAYS", 7, date(2024, 5, 16), date(2024, 5, 23)),
        ("N_DAYS_AGO", 3, date(2024, 5, 12), date(2024, 5, 13)),
        ("LAST_N_WEEKS", 2, date(2024, 4, 28), date(2024, 5, 12)),
        ("NEXT_N_WEEKS", 2, date(2024, 5, 19), date(2024, 6, 2)),
        ("N_WEEKS_AGO", 1, date(2024, 5, 5), date(2024, 5, 12)),
        ("LAST_N_MONTHS", 2, date(2024, 3, 1), date(2024, 5, 1)),
        ("NEXT_N_MONTHS", 2, date(2024, 6, 1), date(2024, 8, 1)),
        ("N_MONTHS_AGO", 1, date(2024, 4, 1), date(2024, 5, 1)),
        ("THIS_QUARTER", None, date(2024, 4, 1), date(2024, 7, 1)),
        ("LAST_QUARTER", None, date(2024, 1, 1), date(2024, 4, 1)),
        ("NEXT_QUARTER", None, date(2024, 7, 1), date(2024, 10, 1)),
        ("LAST_N_QUARTERS", 2, date(2023, 10, 1), date(2024, 4, 1)),
        ("NEXT_N_QUARTERS", 2, date(2024, 7, 1), date(2025, 1, 1)),
        ("N_QUARTERS_AGO", 2, date(2023, 10, 1), date(2024, 1, 1)),
        ("THIS_YEAR", None, date(2024, 1, 1), date(2025, 1, 1)),
        ("LAST_YEAR", None, date(2023, 1, 1), date(2024, 1, 1)),
        ("NEXT_YEAR", None, date(2025, 1, 1), date(2026, 1, 1)),
        ("LAST_N_YEARS", 2, date(2022, 1, 1), date(2024, 1, 1)),
        ("NEXT_N_YEARS", 2, date(2025, 1, 1), date(2027, 1, 1)),
        ("N_YEARS_AGO", 1, date(2023, 1, 1), date(2024, 1, 1)),
        ("THIS_FISCAL_YEAR", None, date(2024, 1, 1), date(2025, 1, 1)),
        ("LAST_FISCAL_QUARTER", None, date(2024, 1, 1), date(2024, 4, 1)),
        ("NEXT_N_FISCAL_YEARS", 1, date(2025, 1, 1), date(2026, 1, 1)),
    ],
)
def test_relative_date_ranges(name: str, amount: int | None, start: date, end: date) -> None:
    assert relative_date_range(name, amount, WEDNESDAY) == (start, end)


def test_ranges_cross_year_boundaries() -> None:
    january = date(2024, 1, 10)
    assert relative_date_range("LAST_MONTH", None, january) == (date(2023, 12, 1), date(2024, 1, 1))
    assert relative_date_range("LAST_QUARTER", None, january) == (date(2023, 10, 1), date(2024, 1, 1))
    assert relative_date_range("LAST_N_MONTHS", 13, january) == (date(2022, 12, 1), date(2024, 1, 1))


def test_week_starts_on_sunday() -> None:
    sunday = date(2024, 5, 12)
    saturday = date(2024, 5, 18)
    assert relative_date_range("THIS_WEEK", None, sunday) == (sunday, date(2024, 5, 19))
    assert relative_date_range("THIS_WEEK", None, saturday) == (sunday, date(2024, 5, 19))
