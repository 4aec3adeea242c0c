"""The clock's work: what runs when virtual time passes, in due order.

Conventions:
- work is queued by due instant (``Runtime.schedule``) and runs once, in time order: scheduled
  order items, then term ends, then bill runs, then aging at the same instant; running it is
  idempotent (``run_due`` twice with the same instant does nothing the second time);
- an auto-billing cycle has one ``cycle_run`` queued at 00:00 UTC of its next run date; each run
  queues the next one (anniversary cycles run daily and bill the accounts whose day it is);
- ``settle`` ends every mutating call: clock work already due, then one
  ``account.summary_changed`` per account whose figures changed.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from simulators.billing.engine import aging, bill_run, ordering, renewals, summary
from simulators.billing.engine.runtime import Runtime, paused_gc, start_of
from simulators.billing.models.reference import BillCycle


def next_run_date(cycle: BillCycle, after: date) -> date:
    """The next date after ``after`` on which ``cycle`` runs by itself."""
    if cycle.alignment == "anniversary":
        return after + timedelta(days=1)
    schedule = cycle.schedule(None)
    assert schedule is not None
    return schedule.next_start_after(after)


def schedule_cycle_runs(rt: Runtime) -> None:
    """Queue the first run of every auto-billing cycle (after the reference data is loaded)."""
    today = rt.today()
    for cycle in rt.store.bill_cycles.values():
        if cycle.auto_bill:
            rt.schedule(start_of(next_run_date(cycle, today)), "cycle_run", cycle.id)


def settle(rt: Runtime) -> None:
    run_due(rt, rt.clock.now())
    summary.flush(rt)


def run_due(rt: Runtime, until: datetime) -> None:
    if not rt.queue or rt.queue[0].due > until:
        return
    with paused_gc():
        _run_due_items(rt, until)


def _run_due_items(rt: Runtime, until: datetime) -> None:
    while (item := rt.next_due(until)) is not None:
        with rt.at(item.due):
            if item.kind == "order_item":
                ordering.process_scheduled(rt, item.key)
            elif item.kind == "term_end":
                renewals.process(rt, item.key)
            elif item.kind == "cycle_run":
                cycle_run(rt, item.key, item.due.date())
            else:
                aging.process(rt, item.key)
            summary.flush(rt)


def cycle_run(rt: Runtime, cycle_id: str, day: date) -> None:
    """A cycle's scheduled run on ``day``: queue the next, then bill the cycle's accounts (unless
    the cycle is inactive or its previous run still awaits approval)."""
    cycle = rt.store.bill_cycles.get(cycle_id)
    if cycle is None:
        return
    rt.schedule(start_of(next_run_date(cycle, day)), "cycle_run", cycle.id)
    if cycle.status != "active" or not cycle.auto_bill or cycle.id in rt.store.open_run_by_cycle:
        return
    accounts = [rt.store.accounts[a] for a in rt.store.accounts_by_cycle.get(cycle.id, {})]
    if cycle.alignment == "anniversary":
        accounts = [
            a for a in accounts if a.bill_cycle_day is not None and _is_bill_day(cycle, a.bill_cycle_day, day)
        ]
    if not accounts:
        return
    bill_run.run(
        rt,
        accounts,
        through=day,
        auto_approve=cycle.auto_approve,
        trigger="schedule",
        bill_cycle_id=cycle.id,
    )


def _is_bill_day(cycle: BillCycle, bill_cycle_day: int, day: date) -> bool:
    schedule = cycle.schedule(bill_cycle_day)
    return schedule is not None and schedule.is_start(day)
