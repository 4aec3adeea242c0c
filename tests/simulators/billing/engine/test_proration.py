"""Proration worked examples (billing-conventions 5.2) and period arithmetic (5.3)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from simulators.billing.engine.proration import fraction, prorate
from simulators.billing.models.cycles import CycleSchedule, Period, add_months
from simulators.billing.models.money import Money, round_half_up

JAN = Period(date(2025, 1, 1), date(2025, 1, 31))
JAN_20_31 = Period(date(2025, 1, 20), date(2025, 1, 31))


@pytest.mark.parametrize(
    ("basis", "expected"),
    [("actual", "38.71"), ("30_360", "40.00"), ("30_360_strict", "36.67")],
)
def test_reference_example_100_a_month_from_jan_20(basis: str, expected: str) -> None:
    # $100/month, service starts Jan 20 on a calendar cycle: Jan 20-31 inclusive is 12 days.
    amount = prorate(Decimal(100), JAN_20_31, JAN, basis)  # type: ignore[arg-type]
    assert round_half_up(amount, "USD") == Decimal(expected)


@pytest.mark.parametrize("basis", ["actual", "30_360", "30_360_strict"])
def test_a_full_period_is_never_prorated(basis: str) -> None:
    feb = Period(date(2025, 2, 1), date(2025, 2, 28))
    assert fraction(feb, feb, basis) == 1  # type: ignore[arg-type]
    assert fraction(JAN, JAN, basis) == 1  # type: ignore[arg-type]


def test_30_360_never_exceeds_the_full_charge() -> None:
    feb = Period(date(2025, 2, 1), date(2025, 2, 28))
    # 27 actual days of February over 30 = 0.9; a 31-day month part of 30 days caps at 1.
    assert fraction(Period(date(2025, 2, 2), date(2025, 2, 28)), feb, "30_360") == Decimal(27) / 30
    assert fraction(Period(date(2025, 1, 2), date(2025, 1, 31)), JAN, "30_360") == 1


def test_quarterly_actual_proration_uses_days_of_the_quarter() -> None:
    q1 = Period(date(2025, 1, 1), date(2025, 3, 31))  # 90 days
    part = Period(date(2025, 2, 15), date(2025, 3, 31))  # 45 days
    assert fraction(part, q1, "actual") == Decimal(45) / 90
    assert round_half_up(prorate(Decimal("300.00"), part, q1, "30_360"), "USD") == Decimal("150.00")


def test_rounding_is_half_up_per_currency_exponent() -> None:
    assert Money.of("38.705", "USD").amount == Decimal("38.71")
    assert Money.of("-38.705", "USD").amount == Decimal("-38.71")
    assert Money.of("38.704", "USD").amount == Decimal("38.70")
    assert Money.of("100.5", "JPY").amount == Decimal("101")
    assert str(Money.of(5, "EUR")) == "5.00 EUR"
    with pytest.raises(ValueError, match="currency mismatch"):
        _ = Money.of(1, "USD") + Money.of(1, "EUR")


def test_add_months_falls_back_to_the_last_day() -> None:
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 2, 28), 1, anchor_day=31) == date(2025, 3, 31)
    assert add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)


def test_monthly_calendar_cycle_on_the_first() -> None:
    monthly = CycleSchedule(interval_months=1, anchor_day=1)
    assert monthly.period_containing(date(2025, 2, 14)) == Period(date(2025, 2, 1), date(2025, 2, 28))
    assert monthly.next_start_after(date(2025, 2, 1)) == date(2025, 3, 1)
    assert monthly.first_start_on_or_after(date(2025, 2, 1)) == date(2025, 2, 1)
    assert monthly.is_start(date(2025, 3, 1))
    assert not monthly.is_start(date(2025, 3, 2))


def test_monthly_cycle_on_the_15th_spans_two_months() -> None:
    mid = CycleSchedule(interval_months=1, anchor_day=15)
    assert mid.period_containing(date(2025, 1, 3)) == Period(date(2024, 12, 15), date(2025, 1, 14))
    assert mid.period_containing(date(2025, 1, 15)) == Period(date(2025, 1, 15), date(2025, 2, 14))


def test_anniversary_on_the_31st_falls_back_in_short_months() -> None:
    anniversary = CycleSchedule(interval_months=1, anchor_day=31)
    starts = []
    day = date(2025, 1, 31)
    for _ in range(4):
        starts.append(day)
        day = anniversary.next_start_after(day)
    assert starts == [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30)]
    assert anniversary.period_containing(date(2025, 3, 1)) == Period(date(2025, 2, 28), date(2025, 3, 30))
    leap = anniversary.period_containing(date(2024, 2, 29))
    assert leap == Period(date(2024, 2, 29), date(2024, 3, 30))


def test_quarterly_and_yearly_calendar_cycles() -> None:
    quarterly = CycleSchedule(interval_months=3, anchor_day=1)
    assert quarterly.period_containing(date(2025, 5, 20)) == Period(date(2025, 4, 1), date(2025, 6, 30))
    assert quarterly.next_start_after(date(2025, 11, 2)) == date(2026, 1, 1)
    yearly = CycleSchedule(interval_months=12, anchor_day=1)
    assert yearly.period_containing(date(2024, 2, 29)) == Period(date(2024, 1, 1), date(2024, 12, 31))


def test_periods_between_clips_to_the_range() -> None:
    monthly = CycleSchedule(interval_months=1, anchor_day=1)
    parts = monthly.periods_between(date(2025, 1, 20), date(2025, 3, 10))
    assert parts == [
        Period(date(2025, 1, 20), date(2025, 1, 31)),
        Period(date(2025, 2, 1), date(2025, 2, 28)),
        Period(date(2025, 3, 1), date(2025, 3, 10)),
    ]
    assert monthly.periods_between(date(2025, 1, 20), date(2025, 1, 19)) == []
