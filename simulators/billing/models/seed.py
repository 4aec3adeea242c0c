"""The seeded dataset: reference data and catalog always, then ``accounts`` accounts with services.

Same seed, same ids, numbers, names and figures. Reference data, catalog and the account layout
below are fixed tables; the seed only drives Faker (names, emails, addresses).

Account layout (account ``i``, 0-based; ``today`` is the virtual date at seeding):
- bill cycle: ``LAYOUT_CYCLES[i % 5]`` (monthly on the 1st, monthly on the 15th, monthly
  anniversary, quarterly, monthly on the 1st in EUR);
- category: ``LAYOUT_CATEGORIES[i % 4]`` (payment terms 30, 15, 0 and 45 days);
- time zone: Europe/Berlin for EUR accounts, else ``US_ZONES[i % 4]``;
- services (``services_per_account`` k, 1-3): products ``LAYOUT_PRODUCTS[(i + j) % 3]`` for
  j < k, quantity ``1 + i % 2``, term ``LAYOUT_TERMS[(i // 3) % 3]`` months, all starting on
  ``today + (i % 28) days`` (future-dated orders activate on the clock); each product's
  installation fee is charged at activation;
- add-on: on USD accounts with ``i % 4 == 0`` whose first product is Internet Access 100 Mbps,
  a Static IP, quantity 2, same start date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from simulators.billing.models.accounts import AccountDraft, Address
from simulators.billing.models.catalog import (
    EndAction,
    EtlRule,
    EtlTier,
    Interval,
    Price,
    Product,
    ProductType,
    TermOption,
)
from simulators.billing.models.money import Money
from simulators.billing.models.orders import OrderItemDraft
from simulators.billing.models.reference import AccountCategory, BillCycle, CycleAlignment, CycleType
from simulators.kit.ids import IdFactory

SEED_DEFAULTS: dict[str, int] = {"accounts": 20, "services_per_account": 1}
SEED_MAXIMUMS: dict[str, int] = {"accounts": 20_000, "services_per_account": 3}
# What one control-plane call may seed: a call stays a few seconds of work, even followed by a
# year of virtual time. Start the simulator with --billing-accounts N for more.
CONTROL_SEED_MAXIMUMS: dict[str, int] = {"accounts": 500, "services_per_account": 3}
CURRENCIES: tuple[str, ...] = ("USD", "EUR")

# (key, name, type, alignment, currency, bill_day, auto_approve)
CYCLES: tuple[tuple[str, str, CycleType, CycleAlignment, str, int | None, bool], ...] = (
    ("monthly_1", "Monthly on the 1st", "monthly", "calendar", "USD", 1, True),
    ("monthly_15", "Monthly on the 15th", "monthly", "calendar", "USD", 15, True),
    ("anniversary", "Monthly anniversary", "monthly", "anniversary", "USD", None, True),
    ("quarterly", "Quarterly", "quarterly", "calendar", "USD", 1, True),
    ("yearly", "Yearly", "yearly", "calendar", "USD", 1, True),
    ("monthly_1_eur", "Monthly on the 1st (EUR)", "monthly", "calendar", "EUR", 1, True),
    ("monthly_1_approval", "Monthly on the 1st, with approval", "monthly", "calendar", "USD", 1, False),
)
# (key, name, payment term days)
CATEGORIES: tuple[tuple[str, str, int], ...] = (
    ("enterprise", "Enterprise", 30),
    ("smb", "Small business", 15),
    ("residential", "Residential", 0),
    ("wholesale", "Wholesale", 45),
)


@dataclass(frozen=True)
class ProductSpec:
    code: str
    name: str
    type: ProductType
    recurring: dict[str, str]  # currency -> amount
    interval: Interval | None = "month"
    one_time: dict[str, str] | None = None
    parents: tuple[str, ...] = ()
    terms: bool = False
    requires_approval: bool = False
    description: str = ""


PRODUCTS: tuple[ProductSpec, ...] = (
    ProductSpec(
        "INET-100",
        "Internet Access 100 Mbps",
        "subscription",
        {"USD": "99.00", "EUR": "89.00"},
        one_time={"USD": "150.00", "EUR": "135.00"},
        terms=True,
    ),
    ProductSpec(
        "INET-1000",
        "Internet Access 1 Gbps",
        "subscription",
        {"USD": "499.00", "EUR": "449.00"},
        one_time={"USD": "250.00", "EUR": "225.00"},
        terms=True,
    ),
    ProductSpec(
        "INET-10G",
        "Internet Access 10 Gbps",
        "subscription",
        {"USD": "1999.00"},
        one_time={"USD": "1500.00"},
        terms=True,
        requires_approval=True,
    ),
    ProductSpec(
        "SIP-10",
        "SIP Trunk (10 channels)",
        "subscription",
        {"USD": "150.00", "EUR": "135.00"},
        one_time={"USD": "75.00", "EUR": "65.00"},
        terms=True,
    ),
    ProductSpec(
        "VS-4", "Virtual Server (4 vCPU)", "subscription", {"USD": "80.00", "EUR": "72.00"}, terms=True
    ),
    ProductSpec(
        "VS-4-Y",
        "Virtual Server (4 vCPU), annual",
        "subscription",
        {"USD": "864.00"},
        interval="year",
        terms=True,
    ),
    ProductSpec(
        "IP-STATIC",
        "Static IP",
        "add_on",
        {"USD": "5.00", "EUR": "4.50"},
        parents=("INET-100", "INET-1000", "INET-10G"),
    ),
    ProductSpec("BACKUP", "Backup (100 GB)", "add_on", {"USD": "20.00", "EUR": "18.00"}, parents=("VS-4",)),
    ProductSpec(
        "BACKUP-Y",
        "Backup (100 GB), annual",
        "add_on",
        {"USD": "200.00"},
        interval="year",
        parents=("VS-4", "VS-4-Y"),
    ),
    ProductSpec("SIP-CH", "Extra Channels (5)", "add_on", {"USD": "8.00"}, parents=("SIP-10",)),
    ProductSpec(
        "INSTALL-PRO",
        "Professional Installation",
        "one_time",
        {},
        interval=None,
        one_time={"USD": "300.00", "EUR": "270.00"},
    ),
    ProductSpec(
        "SITE-SURVEY",
        "Site Survey",
        "one_time",
        {},
        interval=None,
        one_time={"USD": "120.00", "EUR": "110.00"},
    ),
)

# Term options of every subscription: (months, end action, ETL rule).
TERMS: tuple[tuple[int, EndAction, EtlRule], ...] = (
    (12, "renew", EtlRule(method="remaining_mrc")),
    (
        24,
        "renew",
        EtlRule(
            method="percent_remaining",
            percent=Decimal(50),
            caps=(Money.of(2000, "USD"), Money.of(1800, "EUR")),
        ),
    ),
    (
        36,
        "month_to_month",
        EtlRule(
            method="tiered",
            prorate_partial_month=True,
            tiers=(EtlTier(1, 12, Decimal(100)), EtlTier(13, 24, Decimal(50)), EtlTier(25, 36, Decimal(25))),
        ),
    ),
)
# Virtual servers: a flat fee on the 12-month term instead.
FLAT_12 = EtlRule(method="flat", flat_amounts=(Money.of(200, "USD"), Money.of(180, "EUR")))

LAYOUT_CYCLES = ("monthly_1", "monthly_15", "anniversary", "quarterly", "monthly_1_eur")
LAYOUT_CATEGORIES = ("enterprise", "smb", "residential", "wholesale")
LAYOUT_PRODUCTS = ("INET-100", "SIP-10", "VS-4")
LAYOUT_TERMS = (12, 24, 36)
US_ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles")


def build_cycles(ids: IdFactory, now: datetime) -> dict[str, BillCycle]:
    return {
        key: BillCycle(
            id=ids.prefixed("bc"),
            name=name,
            type=type_,
            alignment=alignment,
            currency=currency,
            bill_day=bill_day,
            anchor_month=1,
            auto_bill=True,
            auto_approve=auto_approve,
            status="active",
            created_at=now,
            updated_at=now,
        )
        for key, name, type_, alignment, currency, bill_day, auto_approve in CYCLES
    }


def build_categories(ids: IdFactory, now: datetime) -> dict[str, AccountCategory]:
    return {
        key: AccountCategory(
            id=ids.prefixed("cat"),
            name=name,
            description=f"{name}: invoices due in {days} days" if days else f"{name}: due on receipt",
            payment_term_days=days,
            status="active",
            created_at=now,
            updated_at=now,
        )
        for key, name, days in CATEGORIES
    }


def build_catalog(ids: IdFactory, now: datetime) -> dict[str, Product]:
    """Products by code, in catalog order."""
    by_code: dict[str, Product] = {}
    for spec in PRODUCTS:
        product_id = ids.prefixed("prod")
        prices: list[Price] = []
        for currency, amount in spec.recurring.items():
            prices.append(
                Price(ids.prefixed("price"), "recurring", Money.of(amount, currency), spec.interval, 1)
            )
        for currency, amount in (spec.one_time or {}).items():
            prices.append(Price(ids.prefixed("price"), "one_time", Money.of(amount, currency)))
        terms: list[TermOption] = []
        if spec.terms:
            for months, end_action, rule in TERMS:
                chosen = FLAT_12 if months == 12 and spec.code.startswith("VS-") else rule
                terms.append(TermOption(ids.prefixed("term"), f"{months} months", months, end_action, chosen))
        by_code[spec.code] = Product(
            id=product_id,
            code=spec.code,
            name=spec.name,
            type=spec.type,
            status="active",
            description=spec.description or spec.name,
            prices=tuple(prices),
            term_options=tuple(terms),
            parent_product_ids=tuple(by_code[p].id for p in spec.parents if p in by_code),
            requires_approval=spec.requires_approval,
            created_at=now,
            updated_at=now,
        )
    return by_code


def external_id(i: int) -> str:
    """An 18-character Salesforce-style Account Id, unique per seeded account."""
    return f"001SEED{i:08d}AAA"


def account_layout(
    i: int,
    services_per_account: int,
    today: date,
    *,
    cycles: dict[str, BillCycle],
    categories: dict[str, AccountCategory],
    products: dict[str, Product],
    fake: object,
) -> tuple[AccountDraft, list[OrderItemDraft]]:
    cycle = cycles[LAYOUT_CYCLES[i % 5]]
    eur = cycle.currency == "EUR"
    f = fake  # a seeded faker.Faker; typed loosely (faker ships no stubs)
    company: str = f.company()  # type: ignore[attr-defined]
    slug = "".join(ch for ch in company.lower() if ch.isalnum())[:30] or "customer"
    draft = AccountDraft(
        external_id=external_id(i),
        name=company,
        email=f"billing{i}@{slug}.example",
        billing_address=Address(
            line1=f.street_address(),  # type: ignore[attr-defined]
            city=f.city(),  # type: ignore[attr-defined]
            postal_code=f.postcode(),  # type: ignore[attr-defined]
            country="DE" if eur else "US",
            region=None if eur else f.state_abbr(),  # type: ignore[attr-defined]
        ),
        bill_cycle_id=cycle.id,
        account_category_id=categories[LAYOUT_CATEGORIES[i % 4]].id,
        currency=cycle.currency,
        timezone="Europe/Berlin" if eur else US_ZONES[i % 4],
    )
    start = today + timedelta(days=i % 28)
    quantity = 1 + i % 2
    months = LAYOUT_TERMS[(i // 3) % 3]
    items: list[OrderItemDraft] = []
    for j in range(services_per_account):
        code = LAYOUT_PRODUCTS[(i + j) % 3]
        items.append(
            OrderItemDraft(
                action="new",
                external_id=f"{external_id(i)}-L{j + 1}",
                product_id=products[code].id,
                quantity=quantity,
                term_months=months,
                effective_date=start,
            )
        )
    if not eur and i % 4 == 0 and LAYOUT_PRODUCTS[i % 3] == "INET-100":
        items.append(
            OrderItemDraft(
                action="add_on",
                external_id=f"{external_id(i)}-A1",
                parent_external_id=f"{external_id(i)}-L1",
                product_id=products["IP-STATIC"].id,
                quantity=2,
                effective_date=start,
            )
        )
    return draft, items
