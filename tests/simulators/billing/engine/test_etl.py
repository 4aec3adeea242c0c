"""ETL worked examples (billing-conventions 5.1) and the partial-month options."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from simulators.billing.engine.etl import compute_etl
from simulators.billing.models.catalog import EtlRule, EtlTier, MonthRounding
from simulators.billing.models.cycles import ONE_DAY, add_months
from simulators.billing.models.money import Money
from simulators.billing.models.services import Term


def term(start: date, months: int) -> Term:
    return Term(start_date=start, end_date=add_months(start, months) - ONE_DAY, months=months, type="initial")


T36 = term(date(2024, 1, 1), 36)
AFTER_20_MONTHS = date(2025, 9, 1)  # 20 billed months: Jan 2024 .. Aug 2025


def quote(rule: EtlRule | None, t: Term | None, mrc: str, on: date, currency: str = "USD"):  # type: ignore[no-untyped-def]
    return compute_etl(
        service_id="svc_1",
        rule=rule,
        term=t,
        monthly_amount=Decimal(mrc),
        currency=currency,
        effective_date=on,
    )


def test_remaining_term_36_months_500_after_20_months_is_8000() -> None:
    result = quote(EtlRule(method="remaining_mrc"), T36, "500", AFTER_20_MONTHS)
    assert result.amount == Money(Decimal("8000.00"), "USD")
    assert result.months_remaining == 16
    assert [(b.from_month, b.to_month, b.months, b.percent) for b in result.breakdown] == [(21, 36, 16, 100)]
    assert result.reason is None
    assert not result.cap_applied


def test_percentage_of_remaining_at_50_percent_is_4000() -> None:
    rule = EtlRule(method="percent_remaining", percent=Decimal(50))
    assert quote(rule, T36, "500", AFTER_20_MONTHS).amount.amount == Decimal("4000.00")


def test_flat_fee() -> None:
    rule = EtlRule(method="flat", flat_amounts=(Money.of(250, "USD"), Money.of(225, "EUR")))
    assert quote(rule, T36, "500", AFTER_20_MONTHS).amount == Money.of(250, "USD")
    assert quote(rule, T36, "500", AFTER_20_MONTHS, "EUR").amount == Money.of(225, "EUR")


def test_cap_takes_the_lesser_of_computed_and_maximum() -> None:
    capped = EtlRule(method="remaining_mrc", caps=(Money.of(5000, "USD"),))
    result = quote(capped, T36, "500", AFTER_20_MONTHS)
    assert result.amount.amount == Decimal("5000.00")
    assert result.cap_applied
    uncapped = quote(capped, T36, "500", date(2026, 10, 1))  # 3 months left: 1,500 < 5,000
    assert uncapped.amount.amount == Decimal("1500.00")
    assert not uncapped.cap_applied


def test_tiered_by_contract_year_60_months_1000_after_month_10_is_20000() -> None:
    rule = EtlRule(
        method="tiered",
        tiers=(
            EtlTier(1, 12, Decimal(100)),
            EtlTier(13, 36, Decimal(50)),
            EtlTier(37, 60, Decimal(25)),
        ),
    )
    t60 = term(date(2024, 1, 1), 60)
    result = quote(rule, t60, "1000", add_months(date(2024, 1, 1), 10))
    assert result.amount.amount == Decimal("20000.00")
    assert [(b.from_month, b.to_month, b.months, b.amount.amount) for b in result.breakdown] == [
        (11, 12, 2, Decimal("2000.00")),
        (13, 36, 24, Decimal("12000.00")),
        (37, 60, 24, Decimal("6000.00")),
    ]


@pytest.mark.parametrize(
    ("prorate", "rounding", "months", "amount"),
    [
        # Cancel effective Sep 16, 2025: 15 of September's 30 days remain, then Oct 2025..Dec 2026.
        (True, "ceil", Decimal(15) + Decimal(15) / 30, "7750.00"),
        (False, "exact", Decimal(15) + Decimal(15) / 30, "7750.00"),
        (False, "ceil", Decimal(16), "8000.00"),
        (False, "floor", Decimal(15), "7500.00"),
    ],
)
def test_partial_month_options(prorate: bool, rounding: MonthRounding, months: Decimal, amount: str) -> None:
    rule = EtlRule(method="remaining_mrc", prorate_partial_month=prorate, month_count_rounding=rounding)
    result = quote(rule, T36, "500", date(2025, 9, 16))
    assert result.months_remaining == months
    assert result.amount.amount == Decimal(amount)


def test_partial_month_in_a_tier_boundary_is_prorated_at_its_own_tier() -> None:
    rule = EtlRule(
        method="tiered",
        tiers=(EtlTier(1, 12, Decimal(100)), EtlTier(13, 24, Decimal(50))),
        prorate_partial_month=True,
    )
    t24 = term(date(2025, 1, 1), 24)
    # Dec 17, 2025 is in contract month 12 (Dec 2025: 31 days, 15 remaining at 100%), then 12 x 50%.
    result = quote(rule, t24, "310", date(2025, 12, 17))
    assert result.amount.amount == Decimal("150.00") + Decimal("1860.00")


@pytest.mark.parametrize(
    ("t", "rule", "on", "reason"),
    [
        (None, EtlRule(method="remaining_mrc"), date(2025, 1, 1), "no_term"),
        (
            Term(date(2024, 1, 1), None, None, "month_to_month"),
            EtlRule(method="flat"),
            date(2025, 1, 1),
            "month_to_month",
        ),
        (T36, None, date(2025, 1, 1), "no_etl_rule"),
        (T36, EtlRule(method="remaining_mrc"), date(2027, 1, 1), "term_ended"),
    ],
)
def test_no_liability_cases(t: Term | None, rule: EtlRule | None, on: date, reason: str) -> None:
    result = quote(rule, t, "500", on)
    assert result.amount == Money.zero("USD")
    assert result.reason == reason
    assert result.months_remaining == 0


def test_cancel_before_the_term_starts_owes_the_whole_term() -> None:
    result = quote(EtlRule(method="remaining_mrc"), term(date(2025, 3, 1), 12), "99.99", date(2025, 2, 1))
    assert result.months_remaining == 12
    assert result.amount.amount == Decimal("1199.88")


def test_mrc_is_rounded_only_on_the_line() -> None:
    # A yearly price of 1000 is 83.333.../month; 3 months remaining = 250.00, not 3 x 83.33.
    result = quote(
        EtlRule(method="remaining_mrc"),
        term(date(2025, 1, 1), 12),
        str(Decimal(1000) / 12),
        date(2025, 10, 1),
    )
    assert result.amount.amount == Decimal("250.00")
    assert result.monthly_recurring_charge.amount == Decimal("83.33")
