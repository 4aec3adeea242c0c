"""Shared fixtures and helpers for the billing models and engine tests: a frozen clock, a seeded
system, account and order helpers (fixtures re-exported by the conftest of each test dir)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from simulators.billing.models.accounts import Account, AccountDraft, Address
from simulators.billing.models.money import Money
from simulators.billing.models.orders import Order, OrderDraft, OrderItemDraft
from simulators.billing.service.system import BillingSystem, EngineSettings
from simulators.kit.clock import Clock
from simulators.kit.ids import IdFactory

START = datetime(2025, 1, 1, tzinfo=UTC)


def usd(amount: str | int) -> Money:
    return Money(Decimal(str(amount)).quantize(Decimal("0.01")), "USD")


def eur(amount: str | int) -> Money:
    return Money(Decimal(str(amount)).quantize(Decimal("0.01")), "EUR")


@pytest.fixture
def clock() -> Clock:
    return Clock(start=START, frozen=True)


@pytest.fixture
def settings() -> EngineSettings:
    return EngineSettings()


@pytest.fixture
def system(clock: Clock, settings: EngineSettings) -> Iterator[BillingSystem]:
    billing = BillingSystem(clock, IdFactory(7), settings)
    billing.load_seed(7, {})
    yield billing
    billing.close()


def account_draft(
    system: BillingSystem, *, cycle: str = "monthly_1", category: str = "enterprise", **changes: object
) -> AccountDraft:
    n = len(system.find_accounts()) + 1
    draft = AccountDraft(
        external_id=f"001TEST{n:08d}AAA",
        name=f"Customer {n}",
        email=f"billing{n}@example.com",
        billing_address=Address(
            line1="1 Main St", city="Springfield", postal_code="12345", country="US", region="IL"
        ),
        bill_cycle_id=system.bill_cycle_by_key(cycle).id,
        account_category_id=system.account_category_by_key(category).id,
    )
    for key, value in changes.items():
        setattr(draft, key, value)
    return draft


def new_account(system: BillingSystem, **kw: object) -> Account:
    return system.create_account(account_draft(system, **kw))


def order(system: BillingSystem, account: Account, *items: OrderItemDraft, **kw: object) -> Order:
    return system.submit_order(OrderDraft(account_id=account.id, items=list(items), **kw))  # type: ignore[arg-type]


def new_item(system: BillingSystem, code: str, *, on: date | None = None, **kw: object) -> OrderItemDraft:
    return OrderItemDraft(action="new", product_id=system.product_by_code(code).id, effective_date=on, **kw)  # type: ignore[arg-type]


def subscribe(
    system: BillingSystem, account: Account, code: str, *, on: date | None = None, **kw: object
) -> str:
    """Order one subscription; returns the service id."""
    result = order(system, account, new_item(system, code, on=on, **kw))
    service_id = result.items[0].result_service_id
    assert service_id is not None
    return service_id
