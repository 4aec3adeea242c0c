"""Billing-period arithmetic for monthly (calendar or anniversary), quarterly and yearly cycles.

Conventions:
- a cycle is a sequence of periods; each period starts on an *anchor day* of a month and ends the
  day before the next period starts (both dates inclusive);
- periods are ``interval_months`` long: 1 (monthly), 3 (quarterly), 12 (yearly);
- an anchor day of 29-31 falls back to the last day of shorter months (Stripe's rule): with anchor
  31 the periods start Jan 31, Feb 28 (29), Mar 31, Apr 30, ...;
- calendar quarterly periods start in January, April, July and October; calendar yearly periods
  start in January (``anchor_month`` 1 unless the cycle says otherwise);
- anniversary cycles anchor on the day of the account's first activation (``bill_cycle_day``).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

ONE_DAY = timedelta(days=1)


def last_day_of_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


@lru_cache(maxsize=65536)
def date_in_month(index: int, anchor_day: int) -> date:
    """The anchor day of the month ``index``, falling back to the month's last day (memoised:
    a pure function at the heart of every bill run)."""
    year, month0 = divmod(index, 12)
    month = month0 + 1
    return date(year, month, min(anchor_day, last_day_of_month(year, month)))


def add_months(day: date, months: int, anchor_day: int | None = None) -> date:
    """``day`` moved by whole months; the day of month is ``anchor_day`` (default: ``day.day``),
    falling back to the last day of a shorter month."""
    return date_in_month(month_index(day) + months, anchor_day or day.day)


@dataclass(frozen=True, slots=True)
class Period:
    """A closed date range ``[start_date, end_date]``."""

    start_date: date
    end_date: date

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    def contains(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date


@dataclass(frozen=True, slots=True)
class CycleSchedule:
    """Where periods start: every ``interval_months`` months from ``anchor_month`` (1-12) on
    ``anchor_day`` (1-31)."""

    interval_months: int
    anchor_day: int
    anchor_month: int = 1

    def _start(self, k: int) -> date:
        return date_in_month(self.anchor_month - 1 + k * self.interval_months, self.anchor_day)

    def _index(self, day: date) -> int:
        k = (month_index(day) - (self.anchor_month - 1)) // self.interval_months
        if day < self._start(k):
            k -= 1
        return k

    def period_containing(self, day: date) -> Period:
        k = self._index(day)
        return Period(self._start(k), self._start(k + 1) - ONE_DAY)

    def next_start_after(self, day: date) -> date:
        """The first period start strictly after ``day``."""
        return self._start(self._index(day) + 1)

    def first_start_on_or_after(self, day: date) -> date:
        k = self._index(day)
        start = self._start(k)
        return start if start == day else self._start(k + 1)

    def is_start(self, day: date) -> bool:
        return self._start(self._index(day)) == day

    def periods_between(self, first: date, last: date) -> list[Period]:
        """The cycle periods overlapping ``[first, last]``, clipped to it."""
        result: list[Period] = []
        if last < first:
            return result
        k = self._index(first)
        while True:
            start = self._start(k)
            if start > last:
                break
            end = self._start(k + 1) - ONE_DAY
            result.append(Period(max(start, first), min(end, last)))
            k += 1
        return result

    def full_period(self, clipped: Period) -> Period:
        return self.period_containing(clipped.start_date)
