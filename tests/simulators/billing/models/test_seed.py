"""The seeded dataset: reference data, catalog and accounts, the same for the same seed."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from contracts.problem import Problem
from simulators.billing.service.system import BillingSystem
from simulators.kit.clock import Clock
from simulators.kit.ids import IdFactory
from tests.simulators.billing.engine.helpers import START, usd


def fingerprint(billing: BillingSystem) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for account in billing.find_accounts():
        rows.append(
            (
                account.id,
                account.number,
                account.external_id,
                account.name,
                account.email,
                account.billing_address,
            )
        )
    for service in billing.services():
        rows.append((service.id, service.number, service.product_id, service.quantity, service.start_date))
    for invoice in billing.invoices():
        rows.append((invoice.id, invoice.number, invoice.total, invoice.issue_date))
    return rows


async def seeded(seed: int) -> BillingSystem:
    clock = Clock(start=START, frozen=True)
    billing = BillingSystem(clock, IdFactory(seed))
    billing.load_seed(seed, {"accounts": 40, "services_per_account": 2})
    await clock.advance(to=datetime(2025, 3, 1, tzinfo=UTC))
    return billing


async def test_same_seed_same_ids_numbers_and_figures() -> None:
    one, two, other = await seeded(42), await seeded(42), await seeded(43)
    assert fingerprint(one) == fingerprint(two)
    assert fingerprint(one) != fingerprint(other)
    # The layout does not depend on the seed; names do.
    assert [a.id for a in one.find_accounts()] == [a.id for a in other.find_accounts()]
    assert [a.name for a in one.find_accounts()] != [a.name for a in other.find_accounts()]
    for billing in (one, two, other):
        billing.close()


def test_reference_data_and_catalog(system: BillingSystem) -> None:
    assert [c.name for c in system.bill_cycles()][:3] == [
        "Monthly on the 1st",
        "Monthly on the 15th",
        "Monthly anniversary",
    ]
    assert {(c.type, c.alignment) for c in system.bill_cycles()} == {
        ("monthly", "calendar"),
        ("monthly", "anniversary"),
        ("quarterly", "calendar"),
        ("yearly", "calendar"),
    }
    assert [c.payment_term_days for c in system.account_categories()] == [30, 15, 0, 45]
    assert system.currencies() == ["USD", "EUR"]
    codes = {p.code: p for p in system.products()}
    assert {p.code for p in system.products(type="add_on")} == {"IP-STATIC", "BACKUP", "BACKUP-Y", "SIP-CH"}
    assert {p.code for p in system.products(type="one_time")} == {"INSTALL-PRO", "SITE-SURVEY"}
    internet = codes["INET-100"]
    assert internet.price("recurring", "USD") is not None
    assert internet.price("recurring", "USD").amount == usd("99.00")  # type: ignore[union-attr]
    assert [
        (t.term_months, t.end_action, t.etl_rule.method if t.etl_rule else None)
        for t in internet.term_options
    ] == [
        (12, "renew", "remaining_mrc"),
        (24, "renew", "percent_remaining"),
        (36, "month_to_month", "tiered"),
    ]
    assert codes["VS-4"].term_options[0].etl_rule is not None
    assert codes["VS-4"].term_options[0].etl_rule.method == "flat"  # type: ignore[union-attr]
    assert codes["IP-STATIC"].parent_product_ids == (internet.id, codes["INET-1000"].id, codes["INET-10G"].id)
    assert codes["INET-10G"].requires_approval
    assert codes["INET-100"].term_options[1].etl_rule.percent == Decimal(50)  # type: ignore[union-attr]
    assert system.get_product(internet.id) is internet
    with pytest.raises(Problem) as caught:
        system.get_product("prod_nope")
    assert (caught.value.status, caught.value.code) == (404, "not_found")


def test_seed_counts_are_checked(system: BillingSystem) -> None:
    with pytest.raises(Problem) as caught:
        system.load_seed(1, {"widgets": 3})
    assert (caught.value.status, caught.value.code, caught.value.param) == (
        400,
        "invalid_value",
        "counts.widgets",
    )
    with pytest.raises(Problem) as caught:
        system.load_seed(1, {"accounts": 10**9})
    assert (caught.value.code, caught.value.param) == ("invalid_value", "counts.accounts")


def test_seed_summary(clock: Clock) -> None:
    billing = BillingSystem(clock, IdFactory(9))
    created = billing.load_seed(9, {"accounts": 12, "services_per_account": 3})
    assert created == {
        "bill_cycles": 7,
        "account_categories": 4,
        "products": 12,
        "accounts": 12,
        "orders": 12,
        "services": 12 * 3 + 1,  # account 0 also gets a Static IP
    }
    billing.close()


async def test_product_updates_emit_product_updated_on_the_global_sequence(
    system: BillingSystem, clock: Clock
) -> None:
    from datetime import timedelta

    from simulators.billing.models.catalog import ProductChanges

    product = system.product_by_code("SITE-SURVEY")
    since = await clock.advance(by=timedelta(hours=1))
    system.update_product(product.id, ProductChanges(status="deactivated"))
    system.update_product(product.id, ProductChanges(status="deactivated"))  # no change, no event
    assert (product.status, product.version) == ("deactivated", 2)
    (event,) = system.events(types=["product.updated"])
    assert (event.account_id, event.object_type, event.object_id, event.sequence) == (
        None,
        "product",
        product.id,
        1,
    )
    assert system.products(updated_since=since) == [product]
    assert product not in system.products(status="active")
