"""DML and validation without HTTP: every error code with its real message and fields."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from simulators.kit.meter import Meter
from simulators.salesforce.errors import SalesforceError
from simulators.salesforce.models.dml import MultipleMatches
from simulators.salesforce.models.orgs import Org, OrgSpec
from simulators.salesforce.models.schema import ObjectDef, load_schema
from simulators.salesforce.models.state import SalesforceState
from simulators.salesforce.models.store import Row


def obj(org: Org, name: str) -> ObjectDef:
    found = org.schema.get(name)
    assert found is not None
    return found


def create(org: Org, sobject: str, /, **data: Any) -> Row:
    return org.dml.create(obj(org, sobject), data, org.first_user().user_id)


def error_of(org: Org, sobject: str, /, **data: Any) -> SalesforceError:
    with pytest.raises(SalesforceError) as caught:
        create(org, sobject, **data)
    return caught.value


@pytest.fixture
def org(sf_state: SalesforceState) -> Org:
    return sf_state.default_org()


async def test_create_fills_audit_fields_defaults_and_owner(org: Org) -> None:
    row = create(org, "Account", name="Acme")
    user = org.first_user().user_id
    assert row["Name"] == "Acme"
    assert row["OwnerId"] == user
    assert row["CreatedById"] == user
    assert row["LastModifiedById"] == user
    assert row["CreatedDate"] == row["LastModifiedDate"] == row["SystemModstamp"]
    assert row["Billing_Link_Requested__c"] is False
    assert row["IsDeleted"] is False


async def test_unknown_field(org: Org) -> None:
    error = error_of(org, "Account", Name="X", Colour__c="red")
    assert (error.status, error.error_code) == (400, "INVALID_FIELD")
    assert error.message == "No such column 'Colour__c' on sobject of type Account"
    assert error.fields == ["Colour__c"]


async def test_read_only_fields_are_listed(org: Org) -> None:
    error = error_of(org, "Account", Name="X", CreatedDate="2020-01-01T00:00:00Z", IsDeleted=True)
    assert error.error_code == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert error.message.startswith("Unable to create/update fields: CreatedDate, IsDeleted. Please check")
    assert error.fields == ["CreatedDate", "IsDeleted"]


async def test_required_fields_are_listed_together(org: Org) -> None:
    error = error_of(org, "Order", Description="no account, no date")
    assert error.error_code == "REQUIRED_FIELD_MISSING"
    assert error.message == "Required fields are missing: [AccountId, EffectiveDate]"
    assert error.fields == ["AccountId", "EffectiveDate"]


async def test_string_too_long_names_the_label(org: Org) -> None:
    error = error_of(org, "Account", Name="X", Billing_Account_Number__c="B" * 41)
    assert error.error_code == "STRING_TOO_LONG"
    assert error.message == f"Billing Account Number: data value too large: {'B' * 41} (max length=40)"
    assert error.fields == ["Billing_Account_Number__c"]


async def test_restricted_picklist(org: Org) -> None:
    error = error_of(org, "Account", Name="X", Billing_Sync_Status__c="Maybe")
    assert error.error_code == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert error.message == "Billing Sync Status: bad value for restricted picklist field: Maybe"
    assert (
        create(org, "Account", Name="X", Industry="Space Mining")["Industry"] == "Space Mining"
    )  # unrestricted


async def test_references_are_checked(org: Org) -> None:
    malformed = error_of(org, "Contact", LastName="K", AccountId="not-an-id")
    assert (malformed.error_code, malformed.message) == (
        "MALFORMED_ID",
        "Account ID: id value of incorrect type: not-an-id",
    )
    assert malformed.fields == ["AccountId"]
    user_id = org.first_user().user_id
    wrong_type = error_of(org, "Contact", LastName="K", AccountId=user_id)
    assert wrong_type.error_code == "MALFORMED_ID"
    missing = error_of(org, "Contact", LastName="K", AccountId="001000000000000AAA")
    assert (missing.error_code, missing.message, missing.fields) == (
        "INVALID_CROSS_REFERENCE_KEY",
        "invalid cross reference id",
        ["AccountId"],
    )


async def test_unique_values(org: Org) -> None:
    first = create(org, "Account", Name="One", Billing_Account_Number__c="BAN-1")
    error = error_of(org, "Account", Name="Two", Billing_Account_Number__c="ban-1")
    assert error.error_code == "DUPLICATE_VALUE"
    assert (
        error.message
        == f"duplicate value found: Billing_Account_Number__c duplicates value on record with id: {first.id}"
    )
    assert error.fields == []


async def test_type_errors_are_json_parser_errors(org: Org) -> None:
    error = error_of(org, "Account", Name="X", NumberOfEmployees="many")
    assert error.error_code == "JSON_PARSER_ERROR"
    assert error.message.startswith("Cannot deserialize instance of int from VALUE_STRING value many")
    assert (
        error_of(org, "Account", Name="X", Billing_Link_Requested__c="yes").error_code == "JSON_PARSER_ERROR"
    )
    assert (
        error_of(org, "Account", Name="X", First_Invoice_Date__c="31/01/2026").error_code
        == "JSON_PARSER_ERROR"
    )
    range_error = error_of(org, "Account", Name="X", NumberOfEmployees=10**12)
    assert range_error.error_code == "NUMBER_OUTSIDE_VALID_RANGE"


async def test_values_are_coerced(org: Org) -> None:
    row = create(
        org,
        "Account",
        Name=42,
        AnnualRevenue="1000.456",
        First_Invoice_Date__c="2026-02-01",
        Billing_Last_Synced__c="2026-02-01T10:11:12.345+01:00",
        Billing_Link_Requested__c="TRUE",
    )
    assert row["Name"] == "42"
    assert row["AnnualRevenue"] == 1000.0  # currency, scale 0
    assert row["First_Invoice_Date__c"] == date(2026, 2, 1)
    assert row["Billing_Last_Synced__c"].isoformat() == "2026-02-01T09:11:12.345000+00:00"
    assert row["Billing_Link_Requested__c"] is True


async def test_email_format(org: Org) -> None:
    error = error_of(org, "Contact", LastName="K", Email="not-an-email")
    assert (error.error_code, error.message) == (
        "INVALID_EMAIL_ADDRESS",
        "Email: invalid email address: not-an-email",
    )


async def test_country_rule_when_active(sf_state: SalesforceState) -> None:
    org = sf_state.default_org()
    assert (
        create(org, "Account", Name="Free", BillingCountry="United States")["BillingCountry"]
        == "United States"
    )
    clock = sf_state.clock
    strict_state = SalesforceState(
        load_schema(activate=["Account.Billing_Country_ISO_Code"]), clock, Meter(clock), (OrgSpec(),)
    )
    await strict_state.load(1, {})
    strict = strict_state.default_org()
    error = error_of(strict, "Account", Name="Strict", BillingCountry="U.S.")
    assert error.error_code == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert error.message == "Billing Country must be a two-letter ISO 3166-1 code, e.g. US"
    assert error.fields == ["BillingCountry"]
    assert create(strict, "Account", Name="OK", BillingCountry="US")["BillingCountry"] == "US"
    assert create(strict, "Account", Name="Blank")["BillingCountry"] is None


async def test_update_and_upsert(org: Org) -> None:
    account = obj(org, "Account")
    user = org.first_user().user_id
    row, created = org.dml.upsert(account, "Billing_Account_Number__c", "U-1", {"Name": "New"}, user)
    assert created is True
    assert row["Billing_Account_Number__c"] == "U-1"
    again, created = org.dml.upsert(account, "billing_account_number__c", "u-1", {"Name": "Renamed"}, user)
    assert created is False
    assert again is row
    assert row["Name"] == "Renamed"
    with pytest.raises(SalesforceError) as not_there:
        org.dml.upsert(account, "Billing_Account_Number__c", "U-2", {"Name": "x"}, user, update_only=True)
    assert (not_there.value.status, not_there.value.error_code) == (404, "NOT_FOUND")
    with pytest.raises(SalesforceError) as not_external:
        org.dml.upsert(account, "Name", "x", {}, user)
    assert (
        not_external.value.message
        == "Field name provided, Name is not an External ID or indexed field for Account"
    )
    with pytest.raises(SalesforceError) as unknown:
        org.dml.upsert(account, "Nope__c", "x", {}, user)
    assert unknown.value.message == "Provided external ID field does not exist or is not accessible: Nope__c"


async def test_upsert_with_several_matches(org: Org) -> None:
    account = obj(org, "Account")
    user = org.first_user().user_id
    ids = {create(org, "Account", Name=n, Billing_Account_Id__c="dup").id for n in ("A", "B")}
    with pytest.raises(MultipleMatches) as caught:
        org.dml.upsert(account, "Billing_Account_Id__c", "dup", {"Name": "?"}, user)
    assert set(caught.value.ids) == ids


async def test_parent_by_external_id(org: Org) -> None:
    parent = create(org, "Account", Name="Parent", Billing_Account_Number__c="P-1")
    child = create(org, "Contact", LastName="Kid", Account={"Billing_Account_Number__c": "P-1"})
    assert child["AccountId"] == parent.id
    error = error_of(org, "Contact", LastName="Kid", Account={"Billing_Account_Number__c": "P-404"})
    assert (
        error.message
        == "Foreign key external ID: P-404 not found for field Billing_Account_Number__c in entity Account"
    )


async def test_derived_fields(org: Org) -> None:
    contact = create(org, "Contact", FirstName="Ada", LastName="Lovelace")
    assert contact["Name"] == "Ada Lovelace"
    entry = next(iter(org.store.scan("PricebookEntry")))
    product = org.store.get(entry["Product2Id"])
    assert product is not None
    assert entry["Name"] == product["Name"]
    order = next(iter(org.store.scan("Order")))
    assert order["OrderNumber"] == "00000001"
    item = create(org, "OrderItem", OrderId=order.id, PricebookEntryId=entry.id, Quantity=3, UnitPrice=2.5)
    assert item["TotalPrice"] == 7.5
    assert item["Product2Id"] == entry["Product2Id"]
    org.dml.update(obj(org, "OrderItem"), item, {"Quantity": 4}, org.first_user().user_id)
    assert item["TotalPrice"] == 10.0


async def test_create_only_and_system_objects(org: Org) -> None:
    item_obj = obj(org, "OrderItem")
    item = next(iter(org.store.scan("OrderItem")))
    with pytest.raises(SalesforceError) as caught:
        org.dml.update(item_obj, item, {"OrderId": item["OrderId"]}, org.first_user().user_id)
    assert caught.value.error_code == "INVALID_FIELD_FOR_INSERT_UPDATE"
    organization = error_of(org, "Organization", Name="Mine")
    assert organization.message == "entity type cannot be inserted: Organization"
    user_row = org.store.get(org.first_user().user_id)
    assert user_row is not None
    with pytest.raises(SalesforceError) as no_delete:
        org.dml.delete(user_row, org.first_user().user_id)
    assert no_delete.value.message == "entity type cannot be deleted: User"


async def test_deleted_records_cannot_change(org: Org) -> None:
    row = create(org, "Account", Name="Soon gone")
    user = org.first_user().user_id
    org.dml.delete(row, user)
    for action in (
        lambda: org.dml.update(obj(org, "Account"), row, {"Name": "x"}, user),
        lambda: org.dml.delete(row, user),
    ):
        with pytest.raises(SalesforceError) as caught:
            action()
        assert (caught.value.status, caught.value.error_code, caught.value.message) == (
            404,
            "ENTITY_IS_DELETED",
            "entity is deleted",
        )


async def test_platform_events_are_published_not_stored(org: Org) -> None:
    event = obj(org, "Billing_Action__e")
    published = org.dml.publish(event, {"Action__c": "link", "Record_Id__c": "001"}, org.first_user().user_id)
    assert published.id.startswith("e00")
    [delivered] = org.events.retained("/event/Billing_Action__e")
    assert delivered.fields["Action__c"] == "link"
    assert delivered.fields["Record_Id__c"] == "001"
    assert (delivered.replay_id, delivered.event_uuid) == (1, published.event_uuid)
    assert org.store.row(published.id) is None
    with pytest.raises(SalesforceError) as caught:
        org.dml.publish(event, {"Record_Id__c": "001"}, org.first_user().user_id)
    assert caught.value.message == "Required fields are missing: [Action__c]"
