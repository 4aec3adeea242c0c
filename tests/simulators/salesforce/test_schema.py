"""The schema: the default objects, YAML extension, its errors, and describe generated from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulators.salesforce.models.describe import global_describe, object_describe
from simulators.salesforce.models.schema import SchemaError, load_schema

ACCOUNT_INTEGRATION_FIELDS = (
    "BillingAddress",
    "Billing_Primary_Email__c",
    "Billing_Cycle__c",
    "Billing_Cycle_Id__c",
    "Billing_Account_Category__c",
    "Billing_Account_Category_Id__c",
    "Billing_Account_Number__c",
    "Billing_Account_Id__c",
    "Total_Amount_Billed__c",
    "First_Invoice_Amount__c",
    "First_Invoice_Date__c",
    "Latest_Invoice_Amount__c",
    "Latest_Invoice_Date__c",
    "Due_Amount__c",
    "Past_Due_Amount__c",
    "Billing_Link_Requested__c",
    "Billing_Sync_Status__c",
    "Billing_Sync_Error__c",
    "Billing_Last_Synced__c",
)


def test_default_objects() -> None:
    schema = load_schema()
    names = [obj.name for obj in schema.objects()]
    for name in (
        "Organization",
        "User",
        "Account",
        "Contact",
        "Product2",
        "Pricebook2",
        "PricebookEntry",
        "Order",
        "OrderItem",
        "Billing_Service__c",
        "Billing_Invoice__c",
        "Billing_Action__e",
    ):
        assert name in names
    account = schema.get("account")
    assert account is not None
    for field_name in ACCOUNT_INTEGRATION_FIELDS:
        assert account.field(field_name) is not None, field_name
    ban = account.field("billing_account_number__c")
    assert ban is not None
    assert (ban.name, ban.unique, ban.external_id, ban.length) == (
        "Billing_Account_Number__c",
        True,
        True,
        40,
    )
    assert account.key_prefix == "001"
    assert schema.get("Billing_Service__c").key_prefix == "a00"  # type: ignore[union-attr]
    assert schema.get("Billing_Action__e").is_event  # type: ignore[union-attr]


def test_system_fields_and_relationships() -> None:
    schema = load_schema()
    contact = schema.get("Contact")
    assert contact is not None
    assert [f.name for f in contact.fields()[:7]] == [
        "Id",
        "IsDeleted",
        "CreatedDate",
        "CreatedById",
        "LastModifiedDate",
        "LastModifiedById",
        "SystemModstamp",
    ]
    account_ref = contact.parent_relationship("ACCOUNT")
    assert account_ref is not None
    assert account_ref.name == "AccountId"
    contacts = schema.get("Account").child_relationship("contacts")  # type: ignore[union-attr]
    assert contacts is not None
    assert (contacts.child_object, contacts.field, contacts.cascade_delete) == ("Contact", "AccountId", True)
    street = schema.get("Account").field("BillingStreet")  # type: ignore[union-attr]
    assert street is not None
    assert street.compound_of == "BillingAddress"


def test_yaml_extension_adds_fields_objects_and_rules(tmp_path: Path) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        """
objects:
  Account:
    fields:
      - {name: Segment__c, type: picklist, values: [SMB, ENT], restricted: true}
    validationRules:
      - name: Billing_Country_ISO_Code
        active: true
        errorMessage: Use ISO codes
        conditions: [{field: BillingCountry, op: not_iso_country}]
  Work_Order__c:
    label: Work Order
    fields:
      - {name: Account__c, type: reference, referenceTo: [Account], relationshipName: Account__r, childRelationship: Work_Orders__r}
""",
        encoding="utf-8",
    )
    schema = load_schema([extra])
    account = schema.get("Account")
    assert account is not None
    segment = account.field("Segment__c")
    assert segment is not None
    assert segment.restricted
    assert segment.picklist == ("SMB", "ENT")
    rule = next(r for r in account.rules if r.name == "Billing_Country_ISO_Code")
    assert rule.active
    assert rule.message == "Use ISO codes"
    work_order = schema.get("work_order__c")
    assert work_order is not None
    assert work_order.key_prefix == "a05"  # after the five built-in custom objects
    assert work_order.field("Name") is not None  # custom objects get a Name field
    assert account.child_relationship("Work_Orders__r") is not None


def test_activate_a_rule_by_name() -> None:
    rule = next(r for r in load_schema(activate=["Account.Billing_Country_ISO_Code"]).get("Account").rules)  # type: ignore[union-attr]
    assert rule.active
    assert not next(r for r in load_schema().get("Account").rules).active  # type: ignore[union-attr]
    with pytest.raises(SchemaError, match=r"no validation rule 'Account\.Nope' to activate"):
        load_schema(activate=["Account.Nope"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("objects: {Widget: {fields: []}}", "new object 'Widget' must be custom"),
        ("objects: {Account: {fields: [{name: Extra, type: string, length: 5}]}}", "must end in __c"),
        ("objects: {Thing__c: {fields: [{name: X__c, type: bogus}]}}", "unknown type 'bogus'"),
        ("objects: {Thing__c: {fields: [{name: X__c, type: string}]}}", "needs a positive length"),
        ("objects: {Thing__c: {fields: [{name: X__c, type: picklist}]}}", "a picklist needs values"),
        (
            "objects: {Thing__c: {fields: [{name: X__c, type: reference, referenceTo: [Nope], relationshipName: X__r}]}}",
            "references unknown object 'Nope'",
        ),
        (
            "objects: {Thing__c: {fields: [{name: X__c, type: string, length: 3, colour: red}]}}",
            "unknown keys",
        ),
        ("objects: [1, 2]", "expected a mapping"),
        (
            "objects: {Thing__c: {validationRules: [{name: R, errorMessage: M, conditions: [{field: Nope, op: blank}]}]}}",
            "unknown field 'Nope'",
        ),
        (
            "objects: {Thing__c: {validationRules: [{name: R, errorMessage: M, conditions: [{field: Name, op: fuzzy}]}]}}",
            "each condition needs a field and an op",
        ),
        ("{{{", "not valid YAML"),
    ],
)
def test_bad_schema_files_are_refused_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        load_schema([text])


def test_describe_is_generated_from_the_schema() -> None:
    schema = load_schema()
    described = global_describe(schema, "v59.0")
    account = next(item for item in described["sobjects"] if item["name"] == "Account")
    assert account["urls"]["rowTemplate"] == "/services/data/v59.0/sobjects/Account/{ID}"
    assert account["keyPrefix"] == "001"
    assert account["custom"] is False
    event = next(item for item in described["sobjects"] if item["name"] == "Billing_Action__e")
    assert event["queryable"] is False
    assert event["createable"] is True
    obj = schema.get("Account")
    assert obj is not None
    fields = {f["name"]: f for f in object_describe(schema, obj, "v60.0")["fields"]}
    assert fields["Id"]["type"] == "id"
    assert fields["Id"]["soapType"] == "tns:ID"
    assert fields["Id"]["createable"] is False
    assert fields["Name"]["nillable"] is False
    assert fields["Name"]["nameField"] is True
    status = fields["Billing_Sync_Status__c"]
    assert status["restrictedPicklist"] is True
    assert [v["value"] for v in status["picklistValues"]] == ["Not Linked", "Pending", "Linked", "Error"]
    assert fields["OwnerId"]["referenceTo"] == ["User"]
    assert fields["OwnerId"]["relationshipName"] == "Owner"
    assert fields["Total_Amount_Billed__c"]["type"] == "currency"
    assert fields["Total_Amount_Billed__c"]["scale"] == 2
    assert fields["BillingCity"]["compoundFieldName"] == "BillingAddress"
