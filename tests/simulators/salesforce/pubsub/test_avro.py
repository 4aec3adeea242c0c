"""Avro schemas from the org schema, payload encoding, and the CDC bitmaps (no gRPC)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import fastavro
import pytest

from simulators.salesforce.events.bus import BusEvent, ChangeHeader
from simulators.salesforce.models.schema import load_schema
from simulators.salesforce.pubsub.avro import (
    bitmap,
    change_event_schema,
    change_record,
    decode,
    encode,
    field_bitmaps,
    platform_event_schema,
    to_avro,
)
from simulators.salesforce.pubsub.schemas import SchemaRegistry
from simulators.salesforce.pubsub.service import decode_replay_id, encode_replay_id
from tests.support.pubsub import decode_bitmap

SCHEMA = load_schema()
WHEN = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def account_event(change_type: str, changed: tuple[str, ...] = (), nulled: tuple[str, ...] = ()) -> BusEvent:
    header = ChangeHeader(
        entity_name="Account",
        record_ids=("001000000000001AAA",),
        change_type=change_type,
        changed_fields=changed,
        nulled_fields=nulled,
        diff_fields=(),
        commit_timestamp=1767605400000,
        commit_number=3,
        commit_user="005000000000001AAA",
        transaction_key="tx",
        sequence_number=1,
        change_origin="com/salesforce/api/rest/66.0",
    )
    fields = {
        "Name": "Acme",
        "Phone": None,
        "BillingAddress": {
            "Street": None,
            "City": "Lyon",
            "State": None,
            "PostalCode": None,
            "Country": "FR",
        },
        "LastModifiedDate": "2026-01-05T09:30:00.000Z",
        "First_Invoice_Date__c": "2026-01-02",
        "Total_Amount_Billed__c": 12.5,
        "Billing_Link_Requested__c": True,
    }
    return BusEvent(
        "/data/AccountChangeEvent",
        7,
        WHEN,
        "uuid-1",
        "AccountChangeEvent",
        fields,
        header,
        "005000000000001AAA",
    )


def test_bitmaps_are_upper_case_hex_with_the_lowest_bit_first() -> None:
    assert bitmap([0]) == "0x1"
    assert bitmap([1, 3, 5, 6, 7, 10, 11]) == "0xCEA"
    assert bitmap([]) == "0x0"


def test_field_bitmaps_name_top_level_fields_and_address_components() -> None:
    schema = change_event_schema(SCHEMA.get("Account"))  # type: ignore[arg-type]
    bitmaps = field_bitmaps(
        schema.slots, ["Name", "BillingAddress.City", "BillingCountry", "LastModifiedDate"]
    )
    names = [s.name for s in schema.slots]
    top = 1 << names.index("Name") | 1 << names.index("LastModifiedDate")
    assert bitmaps == [f"0x{top:X}", f"{names.index('BillingAddress')}-0x12"]  # City (1), Country (4)
    assert sorted(decode_bitmap(dict(schema.schema), bitmaps)) == [
        "BillingAddress.City",
        "BillingAddress.Country",
        "LastModifiedDate",
        "Name",
    ]
    assert field_bitmaps(schema.slots, []) == []


def test_schema_ids_are_stable_and_the_schema_json_is_clean() -> None:
    first = change_event_schema(SCHEMA.get("Account"))  # type: ignore[arg-type]
    again = change_event_schema(load_schema().get("Account"))  # type: ignore[arg-type]
    assert first.schema_id == again.schema_id
    assert len(first.schema_id) == 22
    text = json.loads(first.json)
    assert text["uuid"] == first.schema_id
    assert not any(key.startswith("__fastavro") for key in text)
    fastavro.parse_schema(text)  # a valid Avro schema as served


def test_a_new_field_gives_a_new_schema_id_and_the_old_one_stays_resolvable() -> None:
    registry = SchemaRegistry(load_schema())
    old = registry.for_event("Billing_Action__e")
    extended = load_schema(
        [{"Billing_Action__e": {"fields": [{"name": "Note__c", "type": "string", "length": 80}]}}]
    )
    new = platform_event_schema(extended.get("Billing_Action__e"))  # type: ignore[arg-type]
    assert old is not None
    assert new.schema_id != old.schema_id
    assert registry.by_id(old.schema_id) is old
    assert registry.for_event("NopeChangeEvent") is None
    assert registry.for_event("Account") is None  # not an event


def test_an_update_sends_changed_values_and_nulls_for_the_rest() -> None:
    schema = change_event_schema(SCHEMA.get("Account"))  # type: ignore[arg-type]
    event = account_event("UPDATE", changed=("Name", "BillingAddress.City", "LastModifiedDate"))
    payload = decode(encode(change_record(event, schema), schema.parsed), schema.parsed)
    assert payload["Name"] == "Acme"
    assert payload["BillingAddress"] == {
        "Street": None,
        "City": "Lyon",
        "State": None,
        "PostalCode": None,
        "Country": None,
    }
    assert payload["LastModifiedDate"] == int(WHEN.timestamp() * 1000)
    assert payload["Total_Amount_Billed__c"] is None  # unchanged
    assert payload["ChangeEventHeader"]["changeType"] == "UPDATE"


def test_a_create_sends_every_value_in_avro_types() -> None:
    schema = change_event_schema(SCHEMA.get("Account"))  # type: ignore[arg-type]
    payload = decode(encode(change_record(account_event("CREATE"), schema), schema.parsed), schema.parsed)
    assert payload["First_Invoice_Date__c"] == 20455  # days since 1970-01-01
    assert payload["Total_Amount_Billed__c"] == 12.5
    assert payload["Billing_Link_Requested__c"] is True
    assert payload["BillingAddress"]["Country"] == "FR"
    assert payload["ChangeEventHeader"]["changedFields"] == []


def test_a_delete_sends_the_header_only() -> None:
    schema = change_event_schema(SCHEMA.get("Account"))  # type: ignore[arg-type]
    payload = decode(encode(change_record(account_event("DELETE"), schema), schema.parsed), schema.parsed)
    assert payload["Name"] is None
    assert payload["BillingAddress"] is None
    assert payload["ChangeEventHeader"]["recordIds"] == ["001000000000001AAA"]


@pytest.mark.parametrize(("replay_id", "raw"), [(1, b"\0" * 7 + b"\1"), (2**40 + 5, b"\0\0\1\0\0\0\0\5")])
def test_replay_ids_are_eight_byte_big_endian(replay_id: int, raw: bytes) -> None:
    assert encode_replay_id(replay_id) == raw
    assert decode_replay_id(raw) == replay_id


def test_values_convert_to_avro_types() -> None:
    assert to_avro("2026-01-05T09:30:00.000+0000", "datetime") == int(WHEN.timestamp() * 1000)
    assert to_avro(WHEN, "datetime") == int(WHEN.timestamp() * 1000)
    assert to_avro("1970-01-02", "date") == 1
    assert to_avro(3, "currency") == 3.0
    assert to_avro(None, "string") is None
