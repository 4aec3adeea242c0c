from __future__ import annotations

from datetime import date

import pytest

from tests.support.soql import Org, at
from tests.support.soql_fakes import FakeSource


@pytest.fixture
def org() -> Org:
    """A small org; today is Wednesday 2024-05-15 (UTC)."""
    org = Org(FakeSource())
    org.add("sandbox", "Organization", Name="Q2C Sandbox", IsSandbox=True)
    org.add("ada", "User", Name="Ada Lovelace", Email="ada@example.com")
    org.add("bob", "User", Name="Bob", Email="bob@example.com")
    org.add(
        "acme",
        "Account",
        Name="Acme",
        Industry="Technology",
        NumberOfEmployees=100,
        AnnualRevenue=1000.5,
        Rating__c=4.5,
        Active__c=True,
        Billing_Account_Number__c="BAN-001",
        Services__c="Hosting;Support",
        First_Invoice_Date__c=date(2024, 5, 1),
        OwnerId=org.ids["ada"],
        BillingStreet="1 Rue de Rivoli",
        BillingCity="Paris",
        BillingCountry="FR",
        CreatedDate=at("2024-05-15", "08:00:00"),
    )
    org.add(
        "globex",
        "Account",
        Name="globex",
        Industry="Energy",
        NumberOfEmployees=50,
        AnnualRevenue=200.0,
        Rating__c=3.0,
        Active__c=False,
        Billing_Account_Number__c="BAN-002",
        Services__c="Support",
        First_Invoice_Date__c=date(2024, 4, 10),
        ParentId=org.ids["acme"],
        OwnerId=org.ids["bob"],
        CreatedDate=at("2024-05-14", "23:59:59"),
    )
    org.add(
        "initech",
        "Account",
        Name="Initech",
        Active__c=False,
        Description="50% off_sale",
        CreatedDate=at("2024-01-02", "00:00:00"),
    )
    org.add("umbrella", "Account", Name="Umbrella", IsDeleted=True, Billing_Account_Number__c="BAN-404")
    org.add(
        "doe",
        "Contact",
        FirstName="John",
        LastName="Doe",
        AccountId=org.ids["acme"],
        Birthdate=date(1990, 1, 31),
    )
    org.add(
        "roe",
        "Contact",
        FirstName="Jane",
        LastName="Roe",
        AccountId=org.ids["acme"],
        Email="JANE@example.com",
    )
    org.add("smith", "Contact", FirstName="Ann", LastName="smith", AccountId=org.ids["globex"])
    org.add("loner", "Contact", FirstName="Lone", LastName="Wolf")
    org.add(
        "inv1",
        "Invoice__c",
        Name="INV-1",
        Account__c=org.ids["acme"],
        Amount__c=100.25,
        Status__c="Paid",
        Invoice_Date__c=date(2024, 5, 2),
    )
    org.add(
        "inv2",
        "Invoice__c",
        Name="INV-2",
        Account__c=org.ids["acme"],
        Amount__c=50.0,
        Status__c="Open",
        Invoice_Date__c=date(2024, 4, 2),
    )
    org.add(
        "inv3",
        "Invoice__c",
        Name="INV-3",
        Account__c=org.ids["globex"],
        Amount__c=75.5,
        Status__c="Open",
        Invoice_Date__c=date(2023, 12, 31),
    )
    org.add("call", "Task", Subject="Call", WhatId=org.ids["acme"])
    org.add("chase", "Task", Subject="Chase", WhatId=org.ids["inv2"])
    org.add("orphan", "Task", Subject="Orphan")
    org.source.reset_counters()
    return org
