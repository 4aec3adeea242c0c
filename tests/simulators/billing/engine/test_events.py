"""The event log: one event per state change, gap-free per-account sequences, frozen snapshots."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from contracts.problem import Problem
from simulators.billing.models.events import Event
from simulators.billing.models.orders import OrderItemDraft
from simulators.billing.models.payments import PaymentDraft
from simulators.billing.service.system import BillingSystem
from simulators.kit.clock import Clock
from simulators.kit.ids import IdFactory
from tests.simulators.billing.engine.helpers import START, new_account, order, subscribe, usd


async def test_sequences_are_gap_free_per_account_over_a_busy_quarter(clock: Clock) -> None:
    published: list[Event] = []
    billing = BillingSystem(clock, IdFactory(11), publish=published.append)
    billing.load_seed(11, {"accounts": 60, "services_per_account": 2})
    for week in range(13):
        await clock.advance(by=timedelta(days=7))
        for account in billing.find_accounts()[week::13]:
            summary = billing.account_summary(account.id)
            if summary.amount_due.amount > 0:
                billing.create_payment(PaymentDraft(account_id=account.id, amount=summary.amount_due))
            live = [
                s for s in billing.services(account_id=account.id) if s.live and s.parent_service_id is None
            ]
            if week % 4 == 3 and live:
                order(
                    billing,
                    account,
                    OrderItemDraft(action="change_quantity", service_id=live[0].id, quantity=3),
                )
    events = billing.events()
    assert published == events  # every appended event was handed to publish, in order
    assert len({e.id for e in events}) == len(events)
    assert all(e.id.startswith("evt_") and "." not in e.id for e in events)
    assert [e.id for e in events] == sorted(e.id for e in events)
    by_account: dict[str | None, list[int]] = {}
    for event in events:
        by_account.setdefault(event.account_id, []).append(event.sequence)
    for account_id, sequences in by_account.items():
        assert sequences == list(range(1, len(sequences) + 1)), account_id
    assert len(by_account) == 61  # 60 accounts + the global sequence (bill runs)
    assert {e.type for e in events} >= {
        "account.created",
        "account.updated",
        "service.activated",
        "service.changed",
        "order.completed",
        "bill_run.completed",
        "invoice.posted",
        "invoice.paid",
        "payment.succeeded",
        "account.summary_changed",
    }
    timestamps = [e.timestamp for e in events]
    assert timestamps == sorted(timestamps)
    billing.close()


async def test_snapshots_do_not_change_afterwards(system: BillingSystem, clock: Clock) -> None:
    account = new_account(system)
    subscribe(system, account, "VS-4")
    await clock.advance(to=datetime(2025, 2, 1, tzinfo=UTC))
    (invoice,) = system.invoices(account_id=account.id)
    system.create_payment(PaymentDraft(account_id=account.id, amount=usd("160")))
    posted = system.events(types=["invoice.posted"])[0]
    paid = system.events(types=["invoice.paid"])[0]
    assert invoice.status == "paid"
    assert (posted.subject.status, posted.subject.amount_due, posted.object_version) == (
        "posted",
        usd("160.00"),
        2,
    )
    assert (paid.subject.status, paid.subject.amount_due, paid.object_version) == ("paid", usd("0.00"), 3)
    assert posted.subject is not invoice


def test_cursor_and_filters(system: BillingSystem) -> None:
    a = new_account(system)
    b = new_account(system)
    subscribe(system, a, "VS-4")
    first = system.events()[0]
    assert [e.account_id for e in system.events(after=first.id, types=["account.created"])] == [b.id]
    assert [e.type for e in system.events(object_id=b.id)] == ["account.created"]
    assert all(e.account_id == a.id for e in system.events(account_id=a.id))
    assert system.get_event(first.id) == first
    with pytest.raises(Problem) as caught:
        system.events(after="evt_nope")
    assert (caught.value.status, caught.value.code, caught.value.param) == (400, "invalid_value", "after")
    with pytest.raises(Problem) as caught:
        system.events(types=["invoice.exploded"])
    assert (caught.value.status, caught.value.code, caught.value.param) == (
        422,
        "unknown_event_type",
        "types",
    )
    with pytest.raises(Problem) as caught:
        system.get_event("evt_nope")
    assert (caught.value.status, caught.value.code) == (404, "not_found")


async def test_auto_renewal_rolls_the_term_and_the_add_ons(system: BillingSystem, clock: Clock) -> None:
    account = new_account(system)
    parent = subscribe(system, account, "INET-100", term_months=12)
    add_on = (
        order(
            system,
            account,
            OrderItemDraft(
                action="add_on", service_id=parent, product_id=system.product_by_code("IP-STATIC").id
            ),
        )
        .items[0]
        .result_service_id
        or ""
    )
    await clock.advance(to=datetime(2026, 1, 2, tzinfo=UTC))
    term = system.get_service(parent).current_term
    assert term is not None
    assert (term.start_date, term.end_date, term.months, term.type) == (
        date(2026, 1, 1),
        date(2026, 12, 31),
        12,
        "auto_renewed",
    )
    assert system.get_service(add_on).current_term == term
    renewed = system.events(types=["service.renewed"], account_id=account.id)
    assert [(e.object_id, e.timestamp) for e in renewed] == [
        (parent, datetime(2026, 1, 1, tzinfo=UTC)),
        (add_on, datetime(2026, 1, 1, tzinfo=UTC)),
    ]
    assert system.etl_quote(parent, date(2026, 7, 1)).amount == usd("594.00")  # 6 x 99 of the new term


async def test_month_to_month_after_the_term_has_no_etl(system: BillingSystem, clock: Clock) -> None:
    account = new_account(system)
    sid = subscribe(system, account, "SIP-10", term_months=12, renewal_type="month_to_month")
    await clock.advance(to=datetime(2026, 1, 1, tzinfo=UTC))
    service = system.get_service(sid)
    assert service.current_term is not None
    assert (service.current_term.type, service.current_term.end_date, service.status) == (
        "month_to_month",
        None,
        "active",
    )
    quote = system.etl_quote(sid, date(2026, 3, 1))
    assert (quote.amount, quote.reason) == (usd("0.00"), "month_to_month")
    await clock.advance(to=datetime(2026, 3, 1, tzinfo=UTC))
    assert system.invoices(account_id=account.id)[-1].total == usd("150.00")  # still billing


def test_load_seed_resets_ids_and_the_log(clock: Clock) -> None:
    billing = BillingSystem(clock, IdFactory(5))
    billing.load_seed(5, {"accounts": 3})
    first_ids = [a.id for a in billing.find_accounts()]
    billing.load_seed(5, {"accounts": 3})
    assert [a.id for a in billing.find_accounts()] == first_ids
    assert billing.events()[0].id == "evt_0000000001"
    assert clock.now() == START
    billing.close()
