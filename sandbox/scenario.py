"""The Quote-to-Cash scenario the demo, the end-to-end tests and the link benchmark share.

A CRM with more accounts than billing: prospects (never linked), customers that request a link
(some with a dirty country spelling, some missing required billing data), created through the
Salesforce REST API as a CRM user would. Then services ordered in billing, billing periods run on
the virtual clock with payments and a past-due invoice.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from faker import Faker

from integration.clients.billing import BillingClient
from integration.clients.salesforce import SalesforceClient

# How CRM users spell countries; the core normalises them to ISO 3166 alpha-2 for billing.
COUNTRY_SPELLINGS = (
    ("United States", "US"),
    ("USA", "US"),
    ("U.S.", "US"),
    ("US", "US"),
    ("United States of America", "US"),
    ("Canada", "CA"),
    ("U.K.", "GB"),
    ("United Kingdom", "GB"),
    ("Germany", "DE"),
    ("France", "FR"),
)
MISSING_FIELDS = (
    "Billing_Primary_Email__c",
    "BillingStreet",
    "Billing_Cycle__c",
    "Billing_Account_Category__c",
)
MISSING_MESSAGES = {
    "Billing_Primary_Email__c": "billing primary email is required",
    "BillingStreet": "billing street is required",
    "Billing_Cycle__c": "billing cycle is required",
    "Billing_Account_Category__c": "billing account category is required",
}
CYCLE_NAMES = ("Monthly on the 1st", "Monthly on the 15th", "Monthly anniversary")
CATEGORY_NAMES = ("Enterprise", "Small business", "Wholesale")


@dataclass
class PlannedAccount:
    record: dict[str, Any]
    kind: str  # prospect | customer | incomplete
    missing: str | None = None
    iso_country: str | None = None


@dataclass
class Crm:
    """What the scenario created in Salesforce, by kind."""

    accounts: list[PlannedAccount] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)

    def ids_of(self, kind: str) -> list[str]:
        return [i for i, a in zip(self.ids, self.accounts, strict=True) if a.kind == kind]

    def planned(self, account_id: str) -> PlannedAccount:
        return self.accounts[self.ids.index(account_id)]


def plan_accounts(
    count: int, *, seed: int, prospect_share: float = 0.2, incomplete_share: float = 0.05
) -> list[PlannedAccount]:
    """``count`` deterministic Account records: prospects, link-requesting customers and
    link-requesting customers missing one required field."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    prospects = round(count * prospect_share)
    incomplete = round(count * incomplete_share)
    planned: list[PlannedAccount] = []
    for n in range(count):
        spelling, iso = COUNTRY_SPELLINGS[n % len(COUNTRY_SPELLINGS)]
        record: dict[str, Any] = {
            "Name": f"{fake.company()} #{n}",
            "BillingStreet": fake.street_address(),
            "BillingCity": fake.city(),
            "BillingState": fake.state_abbr(),
            "BillingPostalCode": fake.postcode(),
            "BillingCountry": spelling,
            "Billing_Primary_Email__c": f"billing{n}@{fake.domain_name()}",
            "Billing_Cycle__c": CYCLE_NAMES[n % len(CYCLE_NAMES)],
            "Billing_Account_Category__c": CATEGORY_NAMES[n % len(CATEGORY_NAMES)],
        }
        if n < prospects:
            record.update({"Type": "Prospect", "Billing_Link_Requested__c": False})
            planned.append(PlannedAccount(record, "prospect"))
        elif n < prospects + incomplete:
            missing = MISSING_FIELDS[n % len(MISSING_FIELDS)]
            del record[missing]
            record.update({"Type": "Customer - Direct", "Billing_Link_Requested__c": True})
            planned.append(PlannedAccount(record, "incomplete", missing=missing))
        else:
            record.update({"Type": "Customer - Direct", "Billing_Link_Requested__c": True})
            planned.append(PlannedAccount(record, "customer", iso_country=iso))
    order = list(range(count))
    rng.shuffle(order)  # kinds interleaved, as in a real org
    return [planned[i] for i in order]


async def create_crm(salesforce: SalesforceClient, planned: Sequence[PlannedAccount]) -> Crm:
    """Create the accounts through sObject Collections, 200 a call, as a CRM import would."""
    results = await salesforce.create("Account", [p.record for p in planned])
    failed = [r.error_text for r in results if not r.success]
    if failed:
        raise RuntimeError(f"{len(failed)} accounts could not be created: {failed[0]}")
    return Crm(list(planned), [str(r.id) for r in results])


async def order_services(billing: BillingClient, account_ids: Sequence[str], *, seed: int) -> int:
    """One Internet Access service per account (plus a Static IP on every fourth), starting today."""
    products = {p["code"]: p["id"] for p in await billing.collect("/products")}
    rng = random.Random(seed)
    # Drawn up front, in account order: concurrent orders never race for the generator.
    quantities = [1 + rng.randrange(2) for _ in account_ids]

    async def order(index_and_id: tuple[int, str]) -> None:
        index, account_id = index_and_id
        items: list[dict[str, Any]] = [
            {
                "action": "new",
                "external_id": f"line-{account_id}-1",
                "product_id": products["INET-100"],
                "quantity": quantities[index],
            },
        ]
        if index % 4 == 0:
            items.append(
                {
                    "action": "add_on",
                    "product_id": products["IP-STATIC"],
                    "quantity": 1,
                    "parent_external_id": f"line-{account_id}-1",
                }
            )
        await billing.request(
            "POST",
            "/orders",
            body={"account_id": account_id, "external_id": f"order-{account_id}", "items": items},
            idempotency_key=f"demo-order-{account_id}",
            operation="create_order",
        )

    await _each(list(enumerate(account_ids)), order)
    return len(account_ids)


async def pay_open_invoices(billing: BillingClient, account_ids: Sequence[str]) -> int:
    """Pay every open invoice of these accounts in full (auto-applied, oldest first)."""
    paid = 0

    async def pay(account_id: str) -> None:
        nonlocal paid
        invoices = await billing.invoices(account_id)
        open_invoices = [i for i in invoices if i.status in ("posted", "partially_paid")]
        due = sum((Decimal(i.amount_due.amount) for i in open_invoices), Decimal(0))
        if due <= 0:
            return
        currency = invoices[0].currency
        await billing.request(
            "POST",
            "/payments",
            body={
                "account_id": account_id,
                "amount": {"amount": f"{due:.2f}", "currency": currency},
                "method": "ach",
                "reference": f"demo-{account_id}",
            },
            idempotency_key=f"demo-payment-{account_id}-{len(invoices)}",
            operation="create_payment",
        )
        paid += 1

    await _each(list(account_ids), pay)
    return paid


async def _each(items: list[Any], work: Any, concurrency: int = 32) -> None:
    import asyncio

    semaphore = asyncio.Semaphore(concurrency)

    async def one(item: Any) -> None:
        async with semaphore:
            await work(item)

    await asyncio.gather(*(one(item) for item in items))
