"""Recurring charges, accruals and proration lines for one service.

Conventions:
- a service bills on its account's cycle: the charge for a full cycle period is
  ``price x quantity x cycle_months / price_months`` (a monthly price on a quarterly cycle bills
  3 months at once; a yearly price on a monthly cycle bills a twelfth a month);
- a part of a period is prorated (``proration.fraction``) and each part is its own line, rounded
  half-up;
- a mid-period change effective E (rerate, quantity, reterm with a price, replace, cancel):
  1. time before E not yet charged is accrued at the old terms as ``recurring`` pending charges;
  2. time from E already charged is credited at the old terms (``proration_credit``, negative);
  3. the same time is charged at the new terms (``proration_charge``), except for a cancel;
  with ``proration: none`` steps 2 and 3 are skipped (the old terms stand for the charged time);
- a service stops billing after its ``end_date``, or after its term end when it will not renew.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from simulators.billing.engine.proration import fraction
from simulators.billing.engine.runtime import Runtime
from simulators.billing.models.accounts import Account
from simulators.billing.models.cycles import ONE_DAY, CycleSchedule, Period
from simulators.billing.models.invoices import ChargeType, PendingCharge
from simulators.billing.models.money import Money
from simulators.billing.models.services import Service


@dataclass(frozen=True, slots=True)
class Segment:
    part: Period
    unit: Decimal  # unrounded per-unit charge for the part
    amount: Decimal  # unrounded charge for the part (unit x quantity)


def account_schedule(rt: Runtime, account: Account) -> CycleSchedule | None:
    return rt.store.bill_cycles[account.bill_cycle_id].schedule(account.bill_cycle_day)


def ensure_anchor(rt: Runtime, account: Account, day: date) -> None:
    """Anniversary cycles anchor on the day of the account's first activation."""
    if account.bill_cycle_day is None:
        account.bill_cycle_day = day.day


def last_billable_day(service: Service) -> date | None:
    if service.end_date is not None:
        return service.end_date
    term = service.current_term
    if service.renewal_type == "none" and term is not None and term.end_date is not None:
        return term.end_date
    return None


def unit_per_cycle(service: Service, cycle_months: int) -> Decimal:
    if service.recurring_price is None:
        return Decimal(0)
    return service.recurring_price.amount * cycle_months / service.billing_period_months


def segments(
    rt: Runtime, schedule: CycleSchedule, service: Service, first: date, last: date
) -> list[Segment]:
    """The recurring charge for ``[first, last]`` split by cycle period, at the current terms."""
    if service.recurring_price is None or last < first:
        return []
    unit_full = unit_per_cycle(service, schedule.interval_months)
    result: list[Segment] = []
    for part in schedule.periods_between(first, last):
        share = fraction(part, schedule.period_containing(part.start_date), rt.settings.proration_basis)
        unit = unit_full * share
        result.append(Segment(part, unit, unit * service.quantity))
    return result


def describe(product_name: str, part: Period) -> str:
    return f"{product_name} {part.start_date.isoformat()} to {part.end_date.isoformat()}"


def add_charge(
    rt: Runtime,
    account: Account,
    *,
    charge_type: ChargeType,
    description: str,
    quantity: int,
    unit: Decimal,
    amount: Decimal,
    charge_date: date,
    service: Service | None = None,
    period: Period | None = None,
) -> PendingCharge:
    currency = account.currency
    charge = PendingCharge(
        id=rt.ids.prefixed("chg"),
        account_id=account.id,
        charge_type=charge_type,
        description=description,
        quantity=quantity,
        unit_amount=Money.of(unit, currency),
        amount=Money.of(amount, currency),
        charge_date=charge_date,
        created_at=rt.now(),
        service_id=service.id if service else None,
        product_id=service.product_id if service else None,
        period=period,
    )
    rt.store.add_pending(charge)
    rt.mark_dirty(account.id)
    return charge


def _segment_charges(
    rt: Runtime,
    account: Account,
    service: Service,
    first: date,
    last: date,
    charge_type: ChargeType,
    sign: int,
) -> None:
    schedule = account_schedule(rt, account)
    if schedule is None:
        return
    name = rt.store.products[service.product_id].name
    label = {"proration_credit": "credit: ", "proration_charge": "charge: "}.get(charge_type, "")
    for seg in segments(rt, schedule, service, first, last):
        add_charge(
            rt,
            account,
            charge_type=charge_type,
            description=label + describe(name, seg.part),
            quantity=service.quantity,
            unit=sign * seg.unit,
            amount=sign * seg.amount,
            charge_date=seg.part.start_date,
            service=service,
            period=seg.part,
        )


def accrue_until(rt: Runtime, account: Account, service: Service, last: date) -> None:
    """Step 1: charge the not-yet-charged time up to ``last`` at the current terms."""
    first = max(service.charged_through + ONE_DAY, service.start_date)
    stop = last_billable_day(service)
    if stop is not None:
        last = min(last, stop)
    if service.status not in ("active", "suspended") or first > last:
        return
    _segment_charges(rt, account, service, first, last, "recurring", 1)
    service.charged_through = last


def credit_from(rt: Runtime, account: Account, service: Service, effective: date) -> date | None:
    """Step 2: credit ``[effective, charged_through]`` at the current terms; returns the old
    ``charged_through`` (to recharge at the new terms) or None when nothing was charged there."""
    charged = service.charged_through
    first = max(effective, service.start_date)
    if charged < first:
        return None
    _segment_charges(rt, account, service, first, charged, "proration_credit", -1)
    service.charged_through = first - ONE_DAY
    return charged


def recharge(rt: Runtime, account: Account, service: Service, effective: date, through: date) -> None:
    """Step 3: charge ``[effective, through]`` at the new terms."""
    first = max(effective, service.start_date)
    if through < first:
        return
    _segment_charges(rt, account, service, first, through, "proration_charge", 1)
    service.charged_through = max(service.charged_through, through)
