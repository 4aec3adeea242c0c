"""Orders and services: every action, its billing effect and its errors (code, param, detail)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from contracts.problem import Problem
from simulators.billing.models.orders import EtlOption, OrderDraft, OrderItemDraft, PriceOverrides
from simulators.billing.service.system import BillingSystem
from simulators.kit.clock import Clock
from tests.simulators.billing.engine.helpers import eur, new_account, new_item, order, subscribe, usd


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def lines(system: BillingSystem, account_id: str) -> list[tuple[str, str, str]]:
    """(charge type, amount, period) of every line of the account's latest invoice."""
    invoice = system.invoices(account_id=account_id)[-1]
    return [
        (
            line.charge_type,
            str(line.amount.amount),
            f"{line.period.start_date}..{line.period.end_date}" if line.period else "-",
        )
        for line in invoice.lines
    ]


def problem_of(call: object) -> Problem:
    with pytest.raises(Problem) as caught:
        call()  # type: ignore[operator]
    return caught.value


# -- new ---------------------------------------------------------------------------------------


def test_new_subscription_today_activates_at_once(system: BillingSystem) -> None:
    account = new_account(system)
    result = order(system, account, new_item(system, "INET-100", term_months=12, external_id="L1"))
    assert result.status == "completed"
    assert result.number == "ORD-000001"
    item = result.items[0]
    assert (item.sequence, item.status, item.effective_date) == (0, "completed", date(2025, 1, 1))
    service = system.get_service(item.result_service_id or "")
    assert service.number == "SVC-000001"
    assert service.external_id == "L1"
    assert service.status == "active"
    assert service.recurring_price == usd("99.00")
    assert service.one_time_price == usd("150.00")
    assert service.current_term is not None
    assert (service.current_term.start_date, service.current_term.end_date, service.current_term.type) == (
        date(2025, 1, 1),
        date(2025, 12, 31),
        "initial",
    )
    assert service.renewal_type == "auto"  # the 12-month option renews
    assert service.charged_through == date(2024, 12, 31)
    assert account.status == "active"
    summary = system.account_summary(account.id)
    assert summary.pending_charges == usd("150.00")  # the installation fee
    assert summary.next_invoice_date == date(2025, 2, 1)
    assert [e.type for e in system.events(account_id=account.id)] == [
        "account.created",
        "account.updated",
        "service.activated",
        "order.completed",
        "account.summary_changed",
    ]


async def test_future_dated_new_is_scheduled_and_activates_on_the_clock(
    system: BillingSystem, clock: Clock
) -> None:
    account = new_account(system)
    result = order(system, account, new_item(system, "VS-4", on=date(2025, 1, 20)))
    assert result.status == "processing"
    assert result.items[0].status == "scheduled"
    service = system.get_service(result.items[0].result_service_id or "")
    assert service.status == "pending"
    assert service.current_term is not None
    assert service.current_term.type == "month_to_month"  # no term given: no commitment
    assert service.renewal_type == "month_to_month"
    await clock.advance(to=at(date(2025, 1, 19)))
    assert service.status == "pending"
    await clock.advance(to=datetime(2025, 1, 25, 13, tzinfo=UTC))
    assert service.status == "active"
    assert result.status == "completed"
    activated = system.events(types=["service.activated"], object_id=service.id)[0]
    assert activated.timestamp == at(date(2025, 1, 20))  # when it was due, not when the clock stopped


async def test_first_partial_period_is_prorated_on_the_next_run(system: BillingSystem, clock: Clock) -> None:
    account = new_account(system)
    subscribe(system, account, "INET-100", on=date(2025, 1, 20), term_months=12)
    await clock.advance(to=at(date(2025, 2, 1)))
    (invoice,) = system.invoices(account_id=account.id)
    # 99 x 12/31 = 38.32; February in advance; installation fee.
    assert lines(system, account.id) == [
        ("recurring", "38.32", "2025-01-20..2025-01-31"),
        ("recurring", "99.00", "2025-02-01..2025-02-28"),
        ("one_time", "150.00", "-"),
    ]
    assert invoice.total == usd("287.32")
    assert (invoice.issue_date, invoice.due_date, invoice.status) == (
        date(2025, 2, 1),
        date(2025, 3, 3),
        "posted",
    )
    assert invoice.number == "INV-000001"


def test_one_time_product_is_a_charge_not_a_service(system: BillingSystem) -> None:
    account = new_account(system)
    result = order(system, account, new_item(system, "INSTALL-PRO", quantity=2))
    assert result.status == "completed"
    assert result.items[0].result_service_id is None
    assert system.services(account_id=account.id) == []
    assert system.account_summary(account.id).pending_charges == usd("600.00")


@pytest.mark.parametrize(
    ("item", "code", "param", "detail"),
    [
        (
            OrderItemDraft(action="new", product_id="prod_nope"),
            "unknown_product",
            "items.0.product_id",
            "product 'prod_nope' does not exist",
        ),
        (
            OrderItemDraft(action="new"),
            "missing_field",
            "items.0.product_id",
            "'items.0.product_id' is required",
        ),
        (
            OrderItemDraft(action="transfer", service_id="svc_1"),
            "unsupported_operation",
            "items.0.action",
            "action 'transfer' is not supported by this billing system",
        ),
    ],
)
def test_invalid_new_items(
    system: BillingSystem, item: OrderItemDraft, code: str, param: str, detail: str
) -> None:
    account = new_account(system)
    problem = problem_of(lambda: order(system, account, item))
    assert (problem.code, problem.param, problem.detail) == (code, param, detail)
    assert problem.status == (400 if code == "missing_field" else 422)
    assert system.orders() == []
    assert system.services() == []


def test_term_months_must_match_an_offered_term(system: BillingSystem) -> None:
    account = new_account(system)
    problem = problem_of(lambda: order(system, account, new_item(system, "SIP-10", term_months=18)))
    assert (problem.status, problem.code, problem.param) == (422, "invalid_term", "items.0.term_months")
    assert (
        problem.detail
        == f"product {system.product_by_code('SIP-10').id!r} offers no 18-month term (offered: [12, 24, 36])"
    )


def test_product_without_a_price_in_the_account_currency(system: BillingSystem) -> None:
    account = new_account(system, cycle="monthly_1_eur")
    problem = problem_of(lambda: order(system, account, new_item(system, "VS-4-Y")))
    assert (problem.code, problem.param) == ("currency_mismatch", "items.0.product_id")
    assert "has no price in EUR" in problem.detail


def test_price_override_in_another_currency(system: BillingSystem) -> None:
    account = new_account(system)
    item = new_item(system, "VS-4", price_overrides=PriceOverrides(recurring=eur("70")))
    problem = problem_of(lambda: order(system, account, item))
    assert (problem.code, problem.param) == ("currency_mismatch", "items.0.price_overrides.recurring")


def test_request_level_errors(system: BillingSystem) -> None:
    problem = problem_of(lambda: system.submit_order(OrderDraft(account_id="acct_x", items=[])))
    assert (problem.status, problem.code, problem.param) == (422, "unknown_account", "account_id")
    account = new_account(system)
    problem = problem_of(lambda: system.submit_order(OrderDraft(account_id=account.id, items=[])))
    assert (problem.status, problem.code, problem.param) == (400, "missing_field", "items")
    order(system, account, new_item(system, "VS-4"), external_id="CRM-1")
    problem = problem_of(lambda: order(system, account, new_item(system, "VS-4"), external_id="CRM-1"))
    assert (problem.status, problem.code, problem.param) == (422, "duplicate_external_id", "external_id")
    assert problem.extra == {"existing_order_id": "ord_0000000001"}


def test_invalid_items_can_fail_the_order_instead_of_raising(system: BillingSystem) -> None:
    account = new_account(system)
    draft = OrderDraft(
        account_id=account.id,
        items=[new_item(system, "VS-4"), OrderItemDraft(action="new", product_id="prod_nope")],
    )
    result = system.submit_order(draft, invalid_items="fail")
    assert result.status == "failed"
    assert [i.status for i in result.items] == ["voided", "failed"]
    (error,) = result.items[1].errors
    assert (error.code, error.param) == ("unknown_product", "items.1.product_id")
    assert system.services() == []
    assert system.events(account_id=account.id)[-1].type == "order.failed"


# -- add-ons -----------------------------------------------------------------------------------


def test_add_on_in_the_same_order_by_parent_external_id(system: BillingSystem) -> None:
    account = new_account(system)
    result = order(
        system,
        account,
        new_item(system, "INET-100", term_months=24, external_id="L1"),
        OrderItemDraft(
            action="add_on",
            parent_external_id="L1",
            product_id=system.product_by_code("IP-STATIC").id,
            quantity=2,
        ),
    )
    parent = system.get_service(result.items[0].result_service_id or "")
    add_on = system.get_service(result.items[1].result_service_id or "")
    assert add_on.parent_service_id == parent.id
    assert add_on.current_term == parent.current_term  # coterminous
    assert add_on.renewal_type == parent.renewal_type
    assert add_on.recurring_price == usd("5.00")
    assert add_on.quantity == 2


@pytest.mark.parametrize(
    ("parent_code", "add_on_code", "cycle", "detail"),
    [
        ("INET-100", "BACKUP", "monthly_1", "cannot be added to product"),
        ("VS-4", "VS-4", "monthly_1", "is not an add-on"),
        ("SIP-10", "SIP-CH", "monthly_1_eur", "has no price in EUR, the parent service's currency"),
        ("VS-4", "BACKUP-Y", "monthly_1", "recurs every 12 month(s); the parent recurs every 1"),
    ],
)
def test_incompatible_add_ons(
    system: BillingSystem, parent_code: str, add_on_code: str, cycle: str, detail: str
) -> None:
    account = new_account(system, cycle=cycle)
    parent = subscribe(system, account, parent_code)
    item = OrderItemDraft(
        action="add_on", service_id=parent, product_id=system.product_by_code(add_on_code).id
    )
    problem = problem_of(lambda: order(system, account, item))
    assert (problem.status, problem.code, problem.param) == (422, "incompatible_add_on", "items.0.product_id")
    assert detail in problem.detail


def test_add_on_parent_must_exist_in_the_order(system: BillingSystem) -> None:
    account = new_account(system)
    item = OrderItemDraft(
        action="add_on", parent_external_id="L9", product_id=system.product_by_code("IP-STATIC").id
    )
    problem = problem_of(lambda: order(system, account, item))
    assert (problem.code, problem.param) == ("unknown_order_item", "items.0.parent_external_id")


async def test_remove_add_on_credits_the_unused_time(system: BillingSystem, clock: Clock) -> None:
    account = new_account(system)
    parent = subscribe(system, account, "INET-100")
    result = order(
        system,
        account,
        OrderItemDraft(
            action="add_on", service_id=parent, product_id=system.product_by_code("IP-STATIC").id, quantity=2
        ),
    )
    add_on = result.items[0].result_service_id or ""
    await clock.advance(to=at(date(2025, 2, 1)))
    await clock.advance(to=at(date(2025, 2, 15)))
    order(system, account, OrderItemDraft(action="remove_add_on", service_id=add_on))
    assert system.get_service(add_on).status == "cancelled"
    assert system.get_service(add_on).end_date == date(2025, 2, 14)
    problem = problem_of(
        lambda: order(system, account, OrderItemDraft(action="remove_add_on", service_id=parent))
    )
    assert (problem.code, problem.param) == ("invalid_service_action", "items.0.service_id")
    await clock.advance(to=at(date(2025, 3, 1)))
    # 2 x 5.00 x 14/28 credited; no ETL for an add-on.
    assert lines(system, account.id) == [
        ("recurring", "99.00", "2025-03-01..2025-03-31"),
        ("proration_credit", "-5.00", "2025-02-15..2025-02-28"),
    ]


# -- quantity, rerate, reterm, renew -------------------------------------------------------------


async def test_rerate_mid_period_is_credit_plus_charge(system: BillingSystem, clock: Clock) -> None:
    # Stripe's worked example: $10 -> $20 at mid-period = -$5 credit + $10 charge = +$5.
    account = new_account(system)
    service_id = subscribe(system, account, "VS-4", price_overrides=PriceOverrides(recurring=usd("10")))
    await clock.advance(to=at(date(2025, 2, 1)))
    await clock.advance(to=at(date(2025, 2, 15)))  # Feb 15-28 is half of February
    order(
        system,
        account,
        OrderItemDraft(
            action="rerate", service_id=service_id, price_overrides=PriceOverrides(recurring=usd("20"))
        ),
    )
    service = system.get_service(service_id)
    assert service.recurring_price == usd("20.00")
    assert service.charged_through == date(2025, 2, 28)
    assert system.account_summary(account.id).pending_charges == usd("5.00")
    await clock.advance(to=at(date(2025, 3, 1)))
    assert lines(system, account.id) == [
        ("recurring", "20.00", "2025-03-01..2025-03-31"),
        ("proration_credit", "-5.00", "2025-02-15..2025-02-28"),
        ("proration_charge", "10.00", "2025-02-15..2025-02-28"),
    ]
    assert [e.type for e in system.events(object_id=service_id)][-1] == "service.changed"


async def test_change_quantity_before_the_first_run_accrues_the_old_terms(
    system: BillingSystem, clock: Clock
) -> None:
    account = new_account(system)
    service_id = subscribe(system, account, "VS-4", on=date(2025, 1, 11))
    await clock.advance(to=at(date(2025, 1, 21)))
    order(system, account, OrderItemDraft(action="change_quantity", service_id=service_id, quantity=3))
    await clock.advance(to=at(date(2025, 2, 1)))
    # Jan 11-20 at 1 x 80 (10/31), Jan 21-31 at 3 x 80 (11/31), then February at 3 x 80.
    assert lines(system, account.id) == [
        ("recurring", "85.16", "2025-01-21..2025-01-31"),
        ("recurring", "240.00", "2025-02-01..2025-02-28"),
        ("recurring", "25.81", "2025-01-11..2025-01-20"),
    ]


async def test_proration_none_keeps_the_old_terms_for_charged_time(
    system: BillingSystem, clock: Clock
) -> None:
    account = new_account(system)
    service_id = subscribe(system, account, "VS-4")
    await clock.advance(to=at(date(2025, 2, 10)))
    item = OrderItemDraft(action="change_quantity", service_id=service_id, quantity=2, proration="none")
    order(system, account, item)
    assert system.account_summary(account.id).pending_charges == usd("0.00")
    await clock.advance(to=at(date(2025, 3, 1)))
    assert lines(system, account.id) == [("recurring", "160.00", "2025-03-01..2025-03-31")]


async def test_immediate_invoice_bills_the_proration_at_once(system: BillingSystem, clock: Clock) -> None:
    account = new_account(system)
    service_id = subscribe(system, account, "VS-4")
    await clock.advance(to=at(date(2025, 2, 15)))
    invoices_before = len(system.invoices(account_id=account.id))
    item = OrderItemDraft(
        action="change_quantity", service_id=service_id, quantity=2, proration="immediate_invoice"
    )
    order(system, account, item)
    invoices = system.invoices(account_id=account.id)
    assert len(invoices) == invoices_before + 1
    assert invoices[-1].issue_date == date(2025, 2, 15)
    assert lines(system, account.id) == [
        ("proration_credit", "-40.00", "2025-02-15..2025-02-28"),
        ("proration_charge", "80.00", "2025-02-15..2025-02-28"),
    ]
    assert system.get_bill_run(invoices[-1].bill_run_id or "").trigger == "bill_now"


async def test_reterm_starts_a_new_term_with_the_new_etl_rule(system: BillingSystem, clock: Clock) -> None:
    account = new_account(system)
    service_id = subscribe(system, account, "SIP-10", term_months=12)
    await clock.advance(to=at(date(2025, 6, 1)))
    problem = problem_of(
        lambda: order(system, account, OrderItemDraft(action="reterm", service_id=service_id))
    )
    assert (problem.status, problem.code, problem.param) == (400, "missing_field", "items.0.term_option_id")
    order(system, account, OrderItemDraft(action="reterm", service_id=service_id, term_months=36))
    service = system.get_service(service_id)
    assert service.current_term is not None
    assert (service.current_term.start_date, service.current_term.end_date, service.current_term.months) == (
        date(2025, 6, 1),
        date(2028, 5, 31),
        36,
    )
    assert service.current_term.type == "customer_renewed"
    assert service.renewal_type == "month_to_month"  # the 36-month option's end action
    assert service.etl_rule is not None
    assert service.etl_rule.method == "tiered"


async def test_renew_restarts_the_term_and_emits_renewed(system: BillingSystem, clock: Clock) -> None:
    account = new_account(system)
    service_id = subscribe(system, account, "SIP-10", term_months=24)
    await clock.advance(to=at(date(2025, 11, 1)))
    order(system, account, OrderItemDraft(action="renew", service_id=service_id))
    term = system.get_service(service_id).current_term
    assert term is not None
    assert (term.start_date, term.end_date, term.months, term.type) == (
        date(2025, 11, 1),
        date(2027, 10, 31),
        24,
        "customer_renewed",
    )
    assert system.events(object_id=service_id)[-1].type == "service.renewed"


def test_term_actions_on_an_add_on_are_refused(system: BillingSystem) -> None:
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
    )
    problem = problem_of(lambda: order(system, account, OrderItemDraft(action="renew", service_id=add_on)))
    assert (problem.code, problem.param) == ("invalid_service_action", "items.0.service_id")
    assert "its term follows its parent" in problem.detail


# -- cancel and ETL ------------------------------------------------------------------------------


async def test_cancel_bills_the_etl_quoted_and_credits_unused_time(
    system: BillingSystem, clock: Clock
) -> None:
    account = new_account(system)
    service_id = subscribe(system, account, "INET-100", term_months=12)  # remaining_mrc, ceil
    await clock.advance(to=at(date(2025, 2, 15)))
    quote = system.etl_quote(service_id, date(2025, 2, 15))
    # February counts as a whole month (ceil), then March..December: 11 x 99.
    assert (quote.amount, quote.months_remaining, quote.method) == (usd("1089.00"), 11, "remaining_mrc")
    events_before = len(system.events())
    system.etl_quote(service_id, date(2025, 3, 1))
    assert len(system.events()) == events_before  # no side effects
    result = order(
        system,
        account,
        OrderItemDraft(action="cancel", service_id=service_id, cancel_reason="customer_request"),
    )
    assert result.items[0].etl_amount == quote.amount
    service = system.get_service(service_id)
    assert (service.status, service.end_date, service.cancel_reason, service.etl_amount) == (
        "cancelled",
        date(2025, 2, 14),
        "customer_request",
        usd("1089.00"),
    )
    cancelled = system.events(types=["service.cancelled"], object_id=service_id)
    assert cancelled[0].subject.etl_amount == usd("1089.00")
    await clock.advance(to=at(date(2025, 3, 1)))
    assert lines(system, account.id) == [
        ("proration_credit", "-49.50", "2025-02-15..2025-02-28"),
        ("early_termination", "1089.00", "-"),
    ]
    assert system.invoices(account_id=account.id)[-1].total == usd("1039.50")


def test_cancel_of_a_cancelled_service(system: BillingSystem) -> None:
    account = new_account(system)
    service_id = subscribe(system, account, "VS-4")
    order(system, account, OrderItemDraft(action="cancel", service_id=service_id))
    problem = problem_of(
        lambda: order(system, account, OrderItemDraft(action="cancel", service_id=service_id))
    )
    assert (problem.status, problem.code, problem.param) == (422, "service_not_live", "items.0.service_id")
    assert problem.detail == f"service {service_id!r} is cancelled; cancel needs a live service"
    problem = problem_of(lambda: system.etl_quote(service_id, date(2025, 1, 2)))
    assert (problem.status, problem.code) == (422, "service_not_live")


def test_the_same_service_cannot_be_ended_twice_in_one_order(system: BillingSystem) -> None:
    account = new_account(system)
    service_id = subscribe(system, account, "VS-4")
    cancel = OrderItemDraft(action="cancel", service_id=service_id)
    problem = problem_of(lambda: order(system, account, cancel, cancel))
    assert (problem.code, problem.param) == ("service_not_live", "items.1.service_id")
    assert system.get_service(service_id).status == "active"  # nothing applied


async def test_etl_waiver_and_override(system: BillingSystem, clock: Clock) -> None:
    account = new_account(system)
    waived = subscribe(system, account, "INET-100", term_months=12)
    overridden = subscribe(system, account, "INET-100", term_months=12)
    await clock.advance(to=at(date(2025, 3, 1)))
    order(
        system,
        account,
        OrderItemDraft(action="cancel", service_id=waived, etl=EtlOption(apply=False)),
        OrderItemDraft(action="cancel", service_id=overridden, etl=EtlOption(override_amount=usd("100"))),
    )
    assert system.get_service(waived).etl_amount is None
    assert system.get_service(overridden).etl_amount == usd("100.00")
    await clock.advance(to=at(date(2025, 4, 1)))
    etl_lines = [line for line in lines(system, account.id) if line[0] == "early_termination"]
    assert etl_lines == [("early_termination", "100.00", "-")]


async def test_cancelling_a_parent_cancels_its_add_ons(system: BillingSystem, clock: Clock) -> None:
    account = new_account(system)
    parent = subscribe(system, account, "INET-100")
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
    order(
        system, account, OrderItemDraft(action="cancel", service_id=parent, effective_date=date(2025, 1, 10))
    )
    assert system.get_service(add_on).status == "active"
    await clock.advance(to=at(date(2025, 1, 10)))
    child = system.get_service(add_on)
    assert (child.status, child.cancel_reason, child.end_date) == (
        "cancelled",
        "parent_cancelled",
        date(2025, 1, 9),
    )


async def test_scheduled_cancel_applies_on_its_date_and_fails_if_the_service_ended(
    system: BillingSystem, clock: Clock
) -> None:
    account = new_account(system)
    kept = subscribe(system, account, "VS-4")
    gone = subscribe(system, account, "VS-4")
    later = order(
        system, account, OrderItemDraft(action="cancel", service_id=kept, effective_date=date(2025, 3, 1))
    )
    doomed = order(
        system, account, OrderItemDraft(action="cancel", service_id=gone, effective_date=date(2025, 3, 1))
    )
    order(system, account, OrderItemDraft(action="cancel", service_id=gone))  # cancelled meanwhile
    await clock.advance(to=at(date(2025, 3, 2)))
    assert later.status == "completed"
    assert system.get_service(kept).status == "cancelled"
    assert doomed.status == "failed"
    (error,) = doomed.items[0].errors
    assert (error.code, error.param) == ("service_not_live", "items.0.service_id")
    failed = system.events(types=["order.failed"], object_id=doomed.id)[0]
    assert failed.timestamp == at(date(2025, 3, 1))


# -- replace ------------------------------------------------------------------------------------


async def test_replace_moves_add_ons_and_waives_etl(system: BillingSystem, clock: Clock) -> None:
    account = new_account(system)
    old = subscribe(system, account, "INET-100", term_months=12)
    add_on = (
        order(
            system,
            account,
            OrderItemDraft(
                action="add_on", service_id=old, product_id=system.product_by_code("IP-STATIC").id
            ),
        )
        .items[0]
        .result_service_id
        or ""
    )
    await clock.advance(to=at(date(2025, 2, 15)))
    result = order(
        system,
        account,
        OrderItemDraft(action="replace", service_id=old, product_id=system.product_by_code("INET-1000").id),
    )
    new_id = result.items[0].result_service_id or ""
    old_service = system.get_service(old)
    new_service = system.get_service(new_id)
    assert (old_service.status, old_service.replaced_by_service_id, old_service.end_date) == (
        "replaced",
        new_id,
        date(2025, 2, 14),
    )
    assert old_service.etl_amount is None
    assert new_service.replaces_service_id == old
    assert new_service.one_time_price is None  # no installation on a replacement
    assert new_service.current_term is not None
    assert new_service.current_term.months == 12  # same term length as the old service
    assert system.get_service(add_on).parent_service_id == new_id
    assert [e.type for e in system.events(account_id=account.id)][-5:-1] == [
        "service.replaced",
        "service.activated",
        "service.changed",
        "order.completed",
    ]
    await clock.advance(to=at(date(2025, 3, 1)))
    # Old: 99 x 14/28 credited; new: 499 x 14/28 charged; then March at 499 + 5.
    assert sorted(lines(system, account.id)) == sorted(
        [
            ("recurring", "5.00", "2025-03-01..2025-03-31"),
            ("recurring", "499.00", "2025-03-01..2025-03-31"),
            ("proration_credit", "-49.50", "2025-02-15..2025-02-28"),
            ("proration_charge", "249.50", "2025-02-15..2025-02-28"),
        ]
    )


def test_replace_needs_a_subscription(system: BillingSystem) -> None:
    account = new_account(system)
    old = subscribe(system, account, "INET-100")
    item = OrderItemDraft(
        action="replace", service_id=old, product_id=system.product_by_code("SITE-SURVEY").id
    )
    problem = problem_of(lambda: order(system, account, item))
    assert (problem.code, problem.param) == ("invalid_product_type", "items.0.product_id")


# -- approval and drafts --------------------------------------------------------------------------


def test_approval_holds_the_order_until_approved(system: BillingSystem) -> None:
    account = new_account(system)
    result = order(system, account, new_item(system, "INET-10G", term_months=36))
    assert result.status == "pending_approval"
    assert result.items[0].status == "pending_approval"
    assert system.services(account_id=account.id) == []
    assert system.events(account_id=account.id)[-1].type == "order.pending_approval"
    system.approve_order(result.id)
    assert result.status == "completed"
    assert system.get_service(result.items[0].result_service_id or "").status == "active"
    problem = problem_of(lambda: system.approve_order(result.id))
    assert (problem.status, problem.code) == (422, "invalid_order_state")


def test_draft_orders_wait_for_confirmation_or_void(system: BillingSystem) -> None:
    account = new_account(system)
    kept = order(system, account, new_item(system, "VS-4"), draft=True)
    voided = order(system, account, new_item(system, "VS-4"), draft=True)
    assert (kept.status, voided.status) == ("draft", "draft")
    assert system.services() == []
    system.confirm_order(kept.id)
    system.void_order(voided.id)
    assert (kept.status, voided.status) == ("completed", "voided")
    assert len(system.services()) == 1
    problem = problem_of(lambda: system.void_order(kept.id))
    assert (problem.status, problem.code) == (422, "invalid_order_state")


def test_effective_date_before_the_service_start(system: BillingSystem) -> None:
    account = new_account(system)
    service_id = subscribe(system, account, "VS-4")
    item = OrderItemDraft(
        action="change_quantity", service_id=service_id, quantity=2, effective_date=date(2024, 12, 1)
    )
    problem = problem_of(lambda: order(system, account, item))
    assert (problem.code, problem.param) == ("invalid_effective_date", "items.0.effective_date")
    assert problem.detail == "effective date 2024-12-01 is before the service start 2025-01-01"


def test_quantity_must_be_positive(system: BillingSystem) -> None:
    account = new_account(system)
    problem = problem_of(lambda: order(system, account, new_item(system, "VS-4", quantity=0)))
    assert (problem.status, problem.code, problem.param) == (400, "invalid_value", "items.0.quantity")


def test_money_amounts_keep_decimals(system: BillingSystem) -> None:
    account = new_account(system)
    service_id = subscribe(system, account, "VS-4", price_overrides=PriceOverrides(recurring=usd("79.99")))
    assert system.get_service(service_id).recurring_price == usd("79.99")
    assert system.get_service(service_id).monthly_amount() == Decimal("79.99")


def test_effective_dates_are_bounded(system: BillingSystem) -> None:
    account = new_account(system)
    for day in (date(9999, 12, 31), date(1, 1, 1)):
        problem = problem_of(lambda day=day: order(system, account, new_item(system, "VS-4", on=day)))  # type: ignore[misc]
        assert (problem.status, problem.code, problem.param) == (
            422,
            "invalid_effective_date",
            "items.0.effective_date",
        )
    problem = problem_of(lambda: system.bill_now(account.id, through_date=date(1, 1, 1)))
    assert (problem.code, problem.param) == ("invalid_through_date", "through_date")


def test_etl_quote_defaults_to_the_account_today(system: BillingSystem) -> None:
    account = new_account(system, timezone="America/New_York")  # still Dec 31, 2024 there
    service_id = subscribe(system, account, "INET-100", term_months=12, on=date(2025, 1, 1))
    quote = system.etl_quote(service_id)
    # Today there is Dec 31, before the service start: the quote is for the start date.
    assert (quote.effective_date, quote.months_remaining, quote.amount) == (
        date(2025, 1, 1),
        12,
        usd("1188.00"),
    )
    earlier = subscribe(system, account, "INET-100", term_months=12, on=date(2024, 12, 1))
    assert system.etl_quote(earlier).effective_date == date(2024, 12, 31)
