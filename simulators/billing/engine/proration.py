"""Daily proration of a recurring charge over part of a billing period.

Bases (tenant setting ``EngineSettings.proration_basis``):
- ``actual`` (default): actual days in the part / actual days in the full period.
  $100/month from Jan 20 on a calendar cycle: 12/31 x 100 = 38.71.
- ``30_360`` ("30/360 actual"): actual days in the part / 30 per month of the period (90 for a
  quarter, 360 for a year), never more than the full charge. Same example: 12/30 x 100 = 40.00.
- ``30_360_strict``: days counted as if every month had 30 days (the 31st counts as the 30th)
  over 30 per month of the period. Same example: 11/30 x 100 = 36.67.

A part equal to its full period is never prorated (fraction exactly 1), whatever the basis. The
fraction keeps full precision; the caller rounds the resulting line half-up.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal, get_args

from simulators.billing.models.cycles import ONE_DAY, Period

ProrationBasis = Literal["actual", "30_360", "30_360_strict"]
PRORATION_BASES: tuple[str, ...] = get_args(ProrationBasis)
ONE = Decimal(1)


def days_360(start: date, end_exclusive: date) -> int:
    """Strict 30/360 day count from ``start`` up to (not including) ``end_exclusive``."""
    d1 = min(start.day, 30)
    d2 = min(end_exclusive.day, 30)
    return (end_exclusive.year - start.year) * 360 + (end_exclusive.month - start.month) * 30 + (d2 - d1)


def period_months(full: Period) -> int:
    """Whole months spanned by a full cycle period (1, 3 or 12)."""
    after = full.end_date + ONE_DAY
    months = (after.year - full.start_date.year) * 12 + (after.month - full.start_date.month)
    return max(months, 1)


def fraction(part: Period, full: Period, basis: ProrationBasis) -> Decimal:
    """The share of ``full`` that ``part`` (a sub-range of it) represents."""
    if part == full:
        return ONE
    if basis == "actual":
        return Decimal(part.days) / Decimal(full.days)
    denominator = Decimal(30 * period_months(full))
    if basis == "30_360":
        return min(ONE, Decimal(part.days) / denominator)
    return min(ONE, Decimal(days_360(part.start_date, part.end_date + ONE_DAY)) / denominator)


def prorate(amount: Decimal, part: Period, full: Period, basis: ProrationBasis) -> Decimal:
    """``amount`` for a full period, scaled to ``part`` (unrounded)."""
    return amount * fraction(part, full, basis)
