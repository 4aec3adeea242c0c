"""Deterministic seed data for one org: same seed, same records, same ids.

Faker (seeded) fills small pools of names and addresses once per load; records draw from those
pools with a seeded ``random.Random``, so seeding tens of thousands of records stays fast.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from faker import Faker

from simulators.salesforce.models.orgs import Org, Orgs, UserCreds
from simulators.salesforce.models.store import Row
from simulators.salesforce.models.templates import seed_templates

SEED_DEFAULTS: Mapping[str, int] = {"accounts": 50, "contacts": 100, "products": 20, "orders": 10}
# The control plane enforces these; seeding the maximum of everything takes a few seconds.
SEED_MAXIMUMS: Mapping[str, int] = {
    "accounts": 20_000,
    "contacts": 40_000,
    "products": 2_000,
    "orders": 5_000,
}

INDUSTRIES = ("Banking", "Consulting", "Energy", "Healthcare", "Manufacturing", "Retail", "Technology")
TYPES = ("Prospect", "Customer - Direct", "Customer - Channel", "Channel Partner / Reseller")
# The billing system is the master of these names (the billing simulator seeds the same ones), so
# a CRM record the integration core reads maps onto billing's reference data.
CYCLES = ("Monthly on the 1st", "Quarterly", "Yearly")
CATEGORIES = ("Enterprise", "Small business", "Wholesale")
FAMILIES = ("Subscription", "Usage", "One-Time", "Services")
TITLES = ("CFO", "Controller", "Accounts Payable", "IT Director", "Procurement Manager", "CEO")


@dataclass(frozen=True)
class Pools:
    companies: list[str]
    streets: list[str]
    cities: list[tuple[str, str, str]]  # city, state, postal code
    first_names: list[str]
    last_names: list[str]
    phones: list[str]
    products: list[str]


def make_pools(seed: int, size: int) -> Pools:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    size = max(size, 1)
    return Pools(
        companies=[fake.company() for _ in range(size)],
        streets=[fake.street_address() for _ in range(size)],
        cities=[(fake.city(), fake.state_abbr(), fake.postcode()) for _ in range(size)],
        first_names=[fake.first_name() for _ in range(size)],
        last_names=[fake.last_name() for _ in range(size)],
        phones=[fake.numerify("(###) ###-####") for _ in range(size)],
        products=[f"{fake.word().title()} {fake.word().title()}" for _ in range(size)],
    )


def seed_org(orgs: Orgs, org: Org, seed: int, counts: Mapping[str, int]) -> dict[str, int]:
    """Organization row, users, standard price book, then the counted records."""
    rng = random.Random(seed)
    largest = max([counts.get(k, 0) for k in SEED_DEFAULTS] + [1])
    pools = make_pools(seed, min(largest, 400))
    schema = org.schema
    now = org.store.now().replace(microsecond=0)
    user_obj = schema.get("User")
    assert user_obj is not None
    admin_id = ""
    for index, spec in enumerate(org.spec.users):
        row = org.dml.create(
            user_obj,
            {
                "Username": spec.username,
                "FirstName": spec.first_name,
                "LastName": spec.last_name,
                "Email": spec.email,
                "Alias": (spec.first_name[:1] + spec.last_name)[:8].lower() or f"user{index}",
            },
            admin_id,
        )
        if index == 0:
            admin_id = row.id
            _self_created(org, row)
        orgs.register_user(org, UserCreds(row.id, spec))
    for app in org.spec.apps:
        orgs.register_app(org, app)
    organization = schema.get("Organization")
    assert organization is not None
    values: list[Any] = [None] * len(organization.stored)
    slot = organization.slot
    values[slot["Id"]] = org.id
    values[slot["IsDeleted"]] = False
    for name, value in (
        ("Name", org.name),
        ("OrganizationType", org.spec.edition),
        ("IsSandbox", org.spec.is_sandbox),
        ("InstanceName", "Q2C" + str(org.index + 1)),
        ("TimeZoneSidKey", "America/Los_Angeles"),
        ("LanguageLocaleKey", "en_US"),
        ("DefaultLocaleSidKey", "en_US"),
        ("Country", "US"),
        ("CreatedDate", now),
        ("CreatedById", admin_id),
        ("LastModifiedById", admin_id),
        ("LastModifiedDate", now),
        ("SystemModstamp", now),
    ):
        values[slot[name]] = value
    org.store.insert(organization, values)
    return _records(org, admin_id, rng, pools, counts)


def _self_created(org: Org, row: Row) -> None:
    values = list(row.cells)
    for name in ("CreatedById", "LastModifiedById"):
        values[row.obj.slot[name]] = row.id
    org.store.replace(row, values)


def _obj(org: Org, name: str) -> Any:
    obj = org.schema.get(name)
    assert obj is not None
    return obj


def _records(
    org: Org, user: str, rng: random.Random, pools: Pools, counts: Mapping[str, int]
) -> dict[str, int]:
    """The counted records, in dependency order: accounts, contacts, products, orders."""
    pricebook = org.dml.create(
        _obj(org, "Pricebook2"), {"Name": "Standard Price Book", "IsActive": True}, user
    )
    standard = list(pricebook.cells)
    standard[pricebook.obj.slot["IsStandard"]] = True
    org.store.replace(pricebook, standard)
    seed_templates(org.dml, user)
    accounts = _accounts(org, user, rng, pools, counts.get("accounts", 0))
    contacts = counts.get("contacts", 0) if accounts else 0
    _contacts(org, user, rng, pools, accounts, contacts)
    entries = _products(org, user, rng, pools, pricebook.id, counts.get("products", 0))
    orders = counts.get("orders", 0) if accounts and entries else 0
    items = _orders(org, user, rng, accounts, entries, pricebook.id, orders)
    return {
        "accounts": len(accounts),
        "contacts": contacts,
        "products": len(entries),
        "orders": orders,
        "order_items": items,
        "users": len(org.spec.users),
    }


def _accounts(org: Org, user: str, rng: random.Random, pools: Pools, count: int) -> list[str]:
    """Accounts; about 40% already linked to billing (with billing's cycle and category names)."""
    create, account_obj = org.dml.create, _obj(org, "Account")
    accounts: list[str] = []
    for number in range(1, count + 1):
        city, state, postal = rng.choice(pools.cities)
        company = rng.choice(pools.companies)
        data: dict[str, Any] = {
            "Name": f"{company} #{number}" if number > len(pools.companies) else company,
            "Type": rng.choice(TYPES),
            "Industry": rng.choice(INDUSTRIES),
            "Phone": rng.choice(pools.phones),
            "Website": f"https://www.example-{number}.com",
            "NumberOfEmployees": rng.randint(5, 20_000),
            "AnnualRevenue": float(rng.randint(1, 500) * 100_000),
            "BillingStreet": rng.choice(pools.streets),
            "BillingCity": city,
            "BillingState": state,
            "BillingPostalCode": postal,
            "BillingCountry": "US",
        }
        if rng.random() < 0.4:
            data.update(
                Billing_Account_Number__c=f"BA-{number:07d}",
                Billing_Account_Id__c=f"bacc_{number:010d}",
                Billing_Primary_Email__c=f"billing{number}@example-{number}.com",
                Billing_Cycle__c=rng.choice(CYCLES),
                Billing_Account_Category__c=rng.choice(CATEGORIES),
                Billing_Sync_Status__c="Linked",
            )
        else:
            data["Billing_Sync_Status__c"] = "Not Linked"
        accounts.append(create(account_obj, data, user).id)
    return accounts


def _contacts(org: Org, user: str, rng: random.Random, pools: Pools, accounts: list[str], count: int) -> None:
    create, contact_obj = org.dml.create, _obj(org, "Contact")
    for number in range(1, count + 1):
        first, last = rng.choice(pools.first_names), rng.choice(pools.last_names)
        create(
            contact_obj,
            {
                "FirstName": first,
                "LastName": last,
                "Email": f"{first.lower()}.{last.lower()}{number}@example.com",
                "Phone": rng.choice(pools.phones),
                "Title": rng.choice(TITLES),
                "AccountId": rng.choice(accounts),
            },
            user,
        )


def _products(
    org: Org, user: str, rng: random.Random, pools: Pools, pricebook_id: str, count: int
) -> list[tuple[str, float]]:
    """Products with their standard price book entries: ``(entry id, unit price)``."""
    create = org.dml.create
    product_obj, entry_obj = _obj(org, "Product2"), _obj(org, "PricebookEntry")
    entries: list[tuple[str, float]] = []
    for number in range(1, count + 1):
        product = create(
            product_obj,
            {
                "Name": f"{rng.choice(pools.products)} {number}",
                "ProductCode": f"P-{number:05d}",
                "Family": rng.choice(FAMILIES),
                "IsActive": True,
                "Billing_Product_Id__c": f"prod_{number:08d}",
            },
            user,
        )
        price = float(rng.randint(10, 2000))
        entry = create(
            entry_obj,
            {"Pricebook2Id": pricebook_id, "Product2Id": product.id, "UnitPrice": price, "IsActive": True},
            user,
        )
        entries.append((entry.id, price))
    return entries


def _orders(
    org: Org,
    user: str,
    rng: random.Random,
    accounts: list[str],
    entries: list[tuple[str, float]],
    pricebook_id: str,
    count: int,
) -> int:
    """Draft orders with one to three lines each; returns the number of lines."""
    create = org.dml.create
    order_obj, item_obj = _obj(org, "Order"), _obj(org, "OrderItem")
    items = 0
    today = org.store.today()
    for _ in range(count):
        order = create(
            order_obj,
            {
                "AccountId": rng.choice(accounts),
                "EffectiveDate": (today - timedelta(days=rng.randint(0, 365))).isoformat(),
                "Pricebook2Id": pricebook_id,
                "Status": "Draft",
                "Type": "New",
            },
            user,
        )
        for _ in range(rng.randint(1, 3)):
            entry_id, price = rng.choice(entries)
            create(
                item_obj,
                {
                    "OrderId": order.id,
                    "PricebookEntryId": entry_id,
                    "Quantity": rng.randint(1, 20),
                    "UnitPrice": price,
                },
                user,
            )
            items += 1
    return items
