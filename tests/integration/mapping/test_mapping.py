from pathlib import Path

import pytest

from integration.mapping import TransformContext, apply, load_mapping, prune_nulls
from integration.mapping.transforms import TransformError, country_iso2

CTX = TransformContext(
    bill_cycles={"monthly": "bc_1"},
    account_categories={"enterprise": "cat_2"},
    bill_cycle_names={"bc_1": "Monthly"},
    account_category_names={"cat_2": "Enterprise"},
    salesforce_ids={"acct_1": "001000000000001AAA"},
)

ACCOUNT = {
    "Id": "001000000000001AAA",
    "Name": "Acme",
    "Billing_Primary_Email__c": "ap@acme.example",
    "BillingStreet": "1 Main St",
    "BillingCity": "Springfield",
    "BillingState": None,
    "BillingPostalCode": "12345",
    "BillingCountry": "U.S.A.",
    "Billing_Cycle__c": "Monthly",
    "Billing_Account_Category__c": "Enterprise",
}


@pytest.mark.parametrize(
    ("spelling", "code"),
    [
        ("U.S.", "US"),
        ("USA", "US"),
        ("United States", "US"),
        ("united states of america", "US"),
        ("us", "US"),
        ("U.K.", "GB"),
        ("Great Britain", "GB"),
        ("Germany", "DE"),
        ("DEU", "DE"),
        ("fr", "FR"),
        ("Holland", "NL"),
    ],
)
def test_country_names_normalise_to_iso_alpha_2(spelling: str, code: str) -> None:
    assert country_iso2(spelling, CTX) == code


def test_unknown_country_is_a_clear_error() -> None:
    with pytest.raises(TransformError, match="unknown country 'Atlantis'"):
        country_iso2("Atlantis", CTX)


def test_account_maps_to_a_billing_create_body() -> None:
    mapping = load_mapping()
    body, errors = apply(mapping.account.to_billing, ACCOUNT, CTX)
    assert errors == []
    assert prune_nulls(body) == {
        "external_id": "001000000000001AAA",
        "name": "Acme",
        "email": "ap@acme.example",
        "billing_address": {
            "line1": "1 Main St",
            "city": "Springfield",
            "postal_code": "12345",
            "country": "US",
        },
        "bill_cycle_id": "bc_1",
        "account_category_id": "cat_2",
    }


def test_every_missing_required_field_is_reported_by_name() -> None:
    mapping = load_mapping()
    broken = {
        **ACCOUNT,
        "Billing_Primary_Email__c": "  ",
        "BillingStreet": None,
        "Billing_Cycle__c": "Weekly",
    }
    _, errors = apply(mapping.account.to_billing, broken, CTX)
    assert [str(e) for e in errors] == [
        "Billing_Primary_Email__c: billing primary email is required",
        "BillingStreet: billing street is required",
        "Billing_Cycle__c: unknown billing cycle 'Weekly' (billing has: monthly)",
    ]


def test_summary_maps_to_the_seven_financial_fields() -> None:
    mapping = load_mapping()
    summary = {
        "total_billed": {"amount": "300.10", "currency": "USD"},
        "first_invoice": {
            "id": "i1",
            "number": "INV-1",
            "amount": {"amount": "100.00", "currency": "USD"},
            "date": "2026-01-01",
        },
        "latest_invoice": None,
        "amount_due": {"amount": "50.5", "currency": "USD"},
        "past_due_amount": {"amount": "0.00", "currency": "USD"},
    }
    values, errors = apply(mapping.financials.to_salesforce, summary, CTX)
    assert errors == []
    assert values == {
        "Total_Amount_Billed__c": 300.10,
        "First_Invoice_Amount__c": 100.0,
        "First_Invoice_Date__c": "2026-01-01",
        "Latest_Invoice_Amount__c": None,
        "Latest_Invoice_Date__c": None,
        "Due_Amount__c": 50.5,
        "Past_Due_Amount__c": 0.0,
    }


def test_invoice_status_values_and_account_lookup() -> None:
    mapping = load_mapping()
    invoice = {
        "id": "inv_1",
        "number": "INV-000001",
        "account_id": "acct_1",
        "issue_date": "2026-02-01",
        "due_date": "2026-03-03",
        "total": {"amount": "12.00", "currency": "USD"},
        "amount_due": {"amount": "12.00", "currency": "USD"},
        "currency": "USD",
        "status": "partially_paid",
        "is_overdue": True,
    }
    values, errors = apply(mapping.invoice.to_salesforce, invoice, CTX)
    assert errors == []
    assert values["Account__c"] == "001000000000001AAA"
    assert values["Status__c"] == "Posted"
    assert values["Is_Overdue__c"] is True
    _, errors = apply(
        mapping.invoice.to_salesforce, {**invoice, "account_id": "acct_x", "status": "weird"}, CTX
    )
    assert [e.field for e in errors] == ["account_id", "status"]


def test_a_mapping_file_with_an_unknown_transform_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text(
        "account: {salesforce_object: Account, to_billing: {name: {from: Name, transform: shout}}}\n"
        "financials: {salesforce_object: Account}\ninvoice: {salesforce_object: Billing_Invoice__c}\n"
    )
    with pytest.raises(ValueError, match="unknown transform 'shout'"):
        load_mapping(path)
