"""Early termination liability (ETL) of a service cancelled before its term ends.

Conventions (billing-conventions 5.1):
- the cancel ``effective_date`` is the first day out of service; the remaining commitment is
  ``[effective_date, term.end_date]``;
- contract month ``k`` (1-based) runs from ``term.start_date + (k-1) months`` to the day before
  ``term.start_date + k months`` (day-of-month fallback as in ``cycles.add_months``);
- each contract month counts by the share of it that remains: 1 when wholly remaining; a partly
  remaining month counts its actual-day fraction when ``prorate_partial_month`` (or
  ``month_count_rounding`` is ``exact``), 1 with ``ceil`` (the default) and 0 with ``floor``;
- MRC is the service's monthly recurring charge: price x quantity / months per price period;
- ``remaining_mrc``: MRC x months; ``percent_remaining``: percent x MRC x months; ``tiered``:
  per month, the percent of the tier holding that contract month (0 outside every tier);
  ``flat``: the flat amount whenever any commitment remains;
- ``cap``: the result is ``min(computed, cap)``;
- the liability is one invoice line (charge type ``early_termination``), rounded half-up once;
  breakdown amounts are rounded for display and may differ from the total by a minor unit;
- no ETL for month-to-month terms, services without a term or ETL rule, or when the term has
  already ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from simulators.billing.models.catalog import EtlRule
from simulators.billing.models.cycles import ONE_DAY, add_months
from simulators.billing.models.money import Money, round_half_up
from simulators.billing.models.services import EtlBreakdownLine, EtlQuote, Term

HUNDRED = Decimal(100)
ZERO = Decimal(0)


def remaining_month_shares(term: Term, effective_date: date, rule: EtlRule) -> list[tuple[int, Decimal]]:
    """(contract month number, share of it remaining) for every month with something left."""
    assert term.months is not None
    assert term.end_date is not None
    shares: list[tuple[int, Decimal]] = []
    anchor = term.start_date.day
    for k in range(1, term.months + 1):
        span_start = add_months(term.start_date, k - 1, anchor)
        span_end = min(add_months(term.start_date, k, anchor) - ONE_DAY, term.end_date)
        first = max(span_start, effective_date)
        if first > span_end:
            continue
        if first == span_start:
            shares.append((k, Decimal(1)))
            continue
        if rule.prorate_partial_month or rule.month_count_rounding == "exact":
            span_days = (span_end - span_start).days + 1
            shares.append((k, Decimal((span_end - first).days + 1) / Decimal(span_days)))
        elif rule.month_count_rounding == "ceil":
            shares.append((k, Decimal(1)))
    return shares


@dataclass
class _Group:
    first: int
    last: int
    months: Decimal
    percent: Decimal


def _tier_percent(rule: EtlRule, month: int) -> Decimal:
    for tier in rule.tiers:
        if tier.from_month <= month <= tier.to_month:
            return tier.percent
    return ZERO


def _no_etl(service_id: str, effective_date: date, mrc: Money, rule: EtlRule | None, reason: str) -> EtlQuote:
    return EtlQuote(
        service_id=service_id,
        effective_date=effective_date,
        amount=Money.zero(mrc.currency),
        method=rule.method if rule else None,
        months_remaining=ZERO,
        monthly_recurring_charge=mrc,
        breakdown=(),
        cap_applied=False,
        waivable=True,
        reason=reason,
    )


def compute_etl(
    *,
    service_id: str,
    rule: EtlRule | None,
    term: Term | None,
    monthly_amount: Decimal,
    currency: str,
    effective_date: date,
) -> EtlQuote:
    mrc = Money.of(monthly_amount, currency)
    if term is None:
        return _no_etl(service_id, effective_date, mrc, rule, "no_term")
    if term.type == "month_to_month" or term.end_date is None or term.months is None:
        return _no_etl(service_id, effective_date, mrc, rule, "month_to_month")
    if rule is None:
        return _no_etl(service_id, effective_date, mrc, rule, "no_etl_rule")
    if effective_date > term.end_date:
        return _no_etl(service_id, effective_date, mrc, rule, "term_ended")

    shares = remaining_month_shares(term, effective_date, rule)
    months_remaining = sum((share for _, share in shares), ZERO)

    breakdown: list[EtlBreakdownLine] = []
    unrounded = ZERO
    if rule.method == "flat":
        flat = rule.flat_amount(currency)
        unrounded = flat.amount if flat is not None and shares else ZERO
    else:
        # Group consecutive months billed at the same percent into one breakdown line.
        groups: list[_Group] = []
        for month, share in shares:
            if rule.method == "tiered":
                percent = _tier_percent(rule, month)
            elif rule.method == "percent_remaining":
                percent = rule.percent if rule.percent is not None else ZERO
            else:
                percent = HUNDRED
            if groups and groups[-1].percent == percent and groups[-1].last == month - 1:
                groups[-1].last = month
                groups[-1].months += share
            else:
                groups.append(_Group(month, month, share, percent))
        for group in groups:
            amount = monthly_amount * group.months * group.percent / HUNDRED
            unrounded += amount
            breakdown.append(
                EtlBreakdownLine(
                    from_month=group.first,
                    to_month=group.last,
                    months=group.months,
                    percent=group.percent,
                    amount=Money.of(amount, currency),
                )
            )

    total = round_half_up(unrounded, currency)
    cap = rule.cap(currency)
    cap_applied = cap is not None and total > cap.amount
    if cap is not None and cap_applied:
        total = cap.amount
    return EtlQuote(
        service_id=service_id,
        effective_date=effective_date,
        amount=Money(total, currency),
        method=rule.method,
        months_remaining=months_remaining,
        monthly_recurring_charge=mrc,
        breakdown=tuple(breakdown),
        cap_applied=cap_applied,
        waivable=True,
        reason=None,
    )
