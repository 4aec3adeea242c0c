"""Bill runs on the clock and on demand, cycles, approval, due dates and aging."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from contracts.problem import Problem
from simulators.billing.service.system import BillingSystem, EngineSettings
from simulators.kit.clock import Clock
from tests.simulators.billing.engine.helpers import new_account, subscribe, usd


def at(day: date, hour: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def totals(system: BillingSystem, account_id: str) -> list[tuple[date, str]]:
    return [(inv.issue_date, str(inv.total.amount)) for inv in system.invoices(account_id=account_id)]


async def test_calendar_cycle_bills_each_month_in_advance(system: BillingSystem, clock: Clock) -> None:
    account = new_account(system)
    subscribe(system, account, "VS-4", quantity=2)
    await clock.advance(to=at(date(2025, 4, 1)))
    assert totals(system, account.id) == [
        (date(2025, 2, 1), "320.00"),  # January (not billed on Jan 1: it started that day) + February
        (date(2025, 3, 1), "160.00"),
        (date(2025, 4, 1), "160.00"),
    ]
    runs = [r for r in system.bill_runs() if r.bill_cycle_id == account.bill_cycle_id]
    assert [(r.through_date, r.trigger, r.status, r.invoice_count) for r in runs] == [
        (date(2025, 2, 1), "schedule", "completed", 1),
        (date(2025, 3, 1), "schedule", "completed", 1),
        (date(2025, 4, 1), "schedule", "completed", 1),
    ]
    assert runs[0].totals == (usd("320.00"),)


async def test_cycle_on_the_15th(system: BillingSystem, clock: Clock) -> None:
    account = new_account(system, cycle="monthly_15")
    subscribe(system, account, "VS-4", on=date(2025, 1, 5))
    await clock.advance(to=at(date(2025, 2, 15)))
    # Jan 5-14 is 10 of the 31 days of Dec 15 - Jan 14, then Jan 15 - Feb 14 in advance on Jan 15.
    (jan, feb) = system.invoices(account_id=account.id)
    assert [(str(line.amount.amount), line.period) for line in jan.lines if line.period] == [
        ("25.81", jan.lines[0].period),
        ("80.00", jan.lines[1].period),
    ]
    assert jan.lines[0].period is not None
    assert (jan.lines[0].period.start_date, jan.lines[0].period.end_date) == (
        date(2025, 1, 5),
        date(2025, 1, 14),
    )
    assert jan.issue_date == date(2025, 1, 15)
    assert feb.total == usd("80.00")


async def test_anniversary_cycle_bills_on_the_activation_day(system: BillingSystem, clock: Clock) -> None:
    account = new_account(system, cycle="anniversary")
    subscribe(system, account, "SIP-10", on=date(2025, 1, 31))
    await clock.advance(to=at(date(2025, 4, 1)))
    assert account.bill_cycle_day == 31
    # Anniversary day 31 falls back to Feb 28; the periods are Jan 31 - Feb 27, Feb 28 - Mar 30, ...
    # The activation at 00:00 on Jan 31 comes before that day's run, which bills it in advance.
    invoices = system.invoices(account_id=account.id)
    assert [(inv.issue_date, str(inv.total.amount)) for inv in invoices] == [
        (date(2025, 1, 31), "225.00"),  # Jan 31 - Feb 27 + 75 installation
        (date(2025, 2, 28), "150.00"),
        (date(2025, 3, 31), "150.00"),
    ]
    assert invoices[2].period is not None
    assert (invoices[2].period.start_date, invoices[2].period.end_date) == (
        date(2025, 3, 31),
        date(2025, 4, 29),
    )


async def test_quarterly_cycle_prorates_the_first_quarter(system: BillingSystem, clock: Clock) -> None:
    account = new_account(system, cycle="quarterly")
    subscribe(system, account, "VS-4", on=date(2025, 2, 15))
    await clock.advance(to=at(date(2025, 4, 1)))
    (invoice,) = system.invoices(account_id=account.id)
    # 3 x 80 per quarter; Feb 15 - Mar 31 is 45 of Q1's 90 days.
    assert [str(line.amount.amount) for line in invoice.lines] == ["120.00", "240.00"]
    assert invoice.issue_date == date(2025, 4, 1)


async def test_yearly_price_on_a_monthly_cycle_bills_a_twelfth(system: BillingSystem, clock: Clock) -> None:
    account = new_account(system)
    subscribe(system, account, "VS-4-Y")
    await clock.advance(to=at(date(2025, 2, 1)))
    (invoice,) = system.invoices(account_id=account.id)
    assert [str(line.amount.amount) for line in invoice.lines] == ["72.00", "72.00"]


async def test_approval_cycle_waits_and_blocks_the_next_run(system: BillingSystem, clock: Clock) -> None:
    account = new_account(system, cycle="monthly_1_approval")
    subscribe(system, account, "VS-4")
    await clock.advance(to=at(date(2025, 2, 1)))
    (draft,) = system.invoices(account_id=account.id)
    assert draft.status == "draft"
    (run,) = [r for r in system.bill_runs() if r.bill_cycle_id == account.bill_cycle_id]
    assert run.status == "awaiting_approval"
    assert system.account_summary(account.id).total_billed == usd("0.00")
    with pytest.raises(Problem) as caught:
        system.start_bill_run(bill_cycle_id=account.bill_cycle_id, through_date=date(2025, 2, 1))
    assert (caught.value.status, caught.value.code, caught.value.param) == (
        422,
        "bill_run_awaiting_approval",
        "bill_cycle_id",
    )
    assert caught.value.extra == {"bill_run_id": run.id}
    await clock.advance(to=at(date(2025, 3, 1)))  # the March run is skipped while February waits
    assert len(system.invoices(account_id=account.id)) == 1
    await clock.advance(to=at(date(2025, 3, 2)))
    system.approve_bill_run(run.id)
    assert run.status == "completed"
    assert draft.status == "posted"
    assert (draft.issue_date, draft.due_date) == (date(2025, 3, 2), date(2025, 4, 1))  # posted on approval
    with pytest.raises(Problem) as caught:
        system.approve_bill_run(run.id)
    assert (caught.value.status, caught.value.code) == (422, "invalid_bill_run_state")
    await clock.advance(to=at(date(2025, 4, 1)))
    # The April run catches up on March (skipped) and bills April in advance.
    assert [str(i.total.amount) for i in system.invoices(account_id=account.id)] == ["160.00", "160.00"]


async def test_manual_bill_run_for_accounts(system: BillingSystem, clock: Clock) -> None:
    a = new_account(system)
    b = new_account(system)
    subscribe(system, a, "VS-4")
    subscribe(system, b, "SIP-10")
    run = system.start_bill_run(
        account_ids=[a.id, b.id, a.id], through_date=date(2025, 1, 1), auto_approve=True
    )
    assert (run.status, run.trigger, run.invoice_count, run.account_ids) == (
        "completed",
        "api",
        2,
        (a.id, b.id),
    )
    assert run.totals == (usd("305.00"),)  # 80 + 150 + 75 installation
    with pytest.raises(Problem) as caught:
        system.start_bill_run(account_ids=["acct_x"], through_date=date(2025, 1, 1))
    assert (caught.value.code, caught.value.param) == ("unknown_account", "account_ids.0")
    with pytest.raises(Problem) as caught:
        system.start_bill_run(through_date=date(2025, 1, 1))
    assert (caught.value.status, caught.value.code, caught.value.param) == (
        400,
        "missing_field",
        "bill_cycle_id",
    )
    with pytest.raises(Problem) as caught:
        system.start_bill_run(bill_cycle_id="bc_x", through_date=date(2025, 1, 1))
    assert (caught.value.code, caught.value.param) == ("unknown_bill_cycle", "bill_cycle_id")
    with pytest.raises(Problem) as caught:
        system.start_bill_run(account_ids=[a.id], through_date=date(2027, 1, 1))
    assert (caught.value.code, caught.value.param) == ("invalid_through_date", "through_date")


async def test_bill_run_without_auto_approve_waits(system: BillingSystem) -> None:
    account = new_account(system)
    subscribe(system, account, "VS-4")
    run = system.start_bill_run(account_ids=[account.id], through_date=date(2025, 1, 1))
    assert run.status == "awaiting_approval"  # auto_approve defaults to false (the contract's default)
    with pytest.raises(Problem) as caught:
        system.bill_now(account.id)
    assert (caught.value.code, caught.value.extra) == (
        "draft_invoice_pending",
        {"invoice_id": run.invoice_ids[0]},
    )
    system.approve_bill_run(run.id)
    assert system.get_invoice(run.invoice_ids[0]).status == "posted"


async def test_bill_now_invoices_unbilled_charges(system: BillingSystem, clock: Clock) -> None:
    account = new_account(system)
    assert system.bill_now(account.id) is None  # nothing to bill
    subscribe(system, account, "VS-4", on=date(2025, 1, 10))
    await clock.advance(to=at(date(2025, 1, 10), 9))
    invoice = system.bill_now(account.id)
    assert invoice is not None
    # Jan 10-31 in advance: 80 x 22/31.
    assert [str(line.amount.amount) for line in invoice.lines] == ["56.77"]
    assert system.bill_now(account.id) is None
    await clock.advance(to=at(date(2025, 2, 1)))
    assert [str(i.total.amount) for i in system.invoices(account_id=account.id)] == ["56.77", "80.00"]


async def test_aging_marks_past_due_in_the_account_time_zone(system: BillingSystem, clock: Clock) -> None:
    # Small business: net 15. Los Angeles is UTC-8 in February.
    account = new_account(system, category="smb", timezone="America/Los_Angeles")
    subscribe(system, account, "VS-4", on=date(2025, 1, 1))  # "today" in Los Angeles is still Dec 31
    await clock.advance(to=at(date(2025, 2, 1)))
    (invoice,) = system.invoices(account_id=account.id)
    assert invoice.due_date == date(2025, 2, 16)
    await clock.advance(to=at(date(2025, 2, 17), 7))  # still Feb 16 in Los Angeles
    assert not invoice.is_overdue
    assert system.account_summary(account.id).past_due_amount == usd("0.00")
    await clock.advance(to=at(date(2025, 2, 17), 8))  # midnight in Los Angeles
    assert invoice.is_overdue
    (event,) = system.events(types=["invoice.past_due"])
    assert event.timestamp == at(date(2025, 2, 17), 8)
    summary = system.account_summary(account.id)
    assert (summary.amount_due, summary.past_due_amount) == (usd("160.00"), usd("160.00"))


async def test_due_on_receipt_is_past_due_the_next_day(system: BillingSystem, clock: Clock) -> None:
    account = new_account(system, category="residential")
    subscribe(system, account, "VS-4")
    await clock.advance(to=at(date(2025, 2, 1)))
    (invoice,) = system.invoices(account_id=account.id)
    assert invoice.due_date == date(2025, 2, 1)
    await clock.advance(to=at(date(2025, 2, 2)))
    assert invoice.past_due


async def test_30_360_setting(clock: Clock) -> None:
    from simulators.kit.ids import IdFactory

    billing = BillingSystem(clock, IdFactory(1), EngineSettings(proration_basis="30_360"))
    billing.load_seed(1, {})
    account = new_account(billing)
    subscribe(billing, account, "VS-4", price_overrides=None, on=date(2025, 1, 20))
    await clock.advance(to=at(date(2025, 2, 1)))
    (invoice,) = billing.invoices(account_id=account.id)
    assert invoice.lines[0].amount.amount == Decimal("32.00")  # 12/30 x 80
    billing.close()


async def test_expiring_term_stops_billing_at_term_end(system: BillingSystem, clock: Clock) -> None:
    account = new_account(system)
    sid = subscribe(system, account, "VS-4", term_months=12, renewal_type="none", on=date(2025, 1, 16))
    await clock.advance(to=at(date(2026, 2, 1)))
    service = system.get_service(sid)
    assert (service.status, service.end_date, service.cancel_reason) == (
        "expired",
        date(2026, 1, 15),
        "term_ended",
    )
    last = system.invoices(account_id=account.id)[-1]
    assert last.issue_date == date(2026, 1, 1)
    assert [str(line.amount.amount) for line in last.lines] == ["38.71"]  # Jan 1-15: 80 x 15/31
    assert system.account_summary(account.id).next_invoice_date is None
