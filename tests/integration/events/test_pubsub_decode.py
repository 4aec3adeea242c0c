"""Pub/Sub change events back to the dispatcher's shape: the bitmaps decoded to field names
(address parts named as SOQL names them), only the changed fields kept, replay ids 8 bytes."""

from typing import Any

from integration.events.pubsub import bitmap_names, decode_replay_id, encode_replay_id, to_event

ADDRESS = {
    "type": "record",
    "name": "Address",
    "fields": [{"name": "Street", "type": ["null", "string"]}, {"name": "City", "type": ["null", "string"]}],
}
SCHEMA: dict[str, Any] = {
    "fields": [
        {"name": "ChangeEventHeader", "type": {"type": "record", "name": "ChangeEventHeader", "fields": []}},
        {"name": "Name", "type": ["null", "string"]},
        {"name": "BillingAddress", "type": ["null", ADDRESS]},
        {"name": "Billing_Link_Requested__c", "type": ["null", "boolean"]},
    ]
}


def test_bitmaps_name_top_level_fields_and_address_parts() -> None:
    assert bitmap_names(["0xA"], SCHEMA) == {"Name", "Billing_Link_Requested__c"}  # bits 1 and 3
    assert bitmap_names(["0x4", "2-0x2"], SCHEMA) == {"BillingAddress", "BillingCity"}


def test_an_update_keeps_the_changed_fields_only() -> None:
    record = {
        "ChangeEventHeader": {
            "entityName": "Account",
            "recordIds": ["0015G0000000001QAA"],
            "changeType": "UPDATE",
            "changedFields": ["0x8"],
            "nulledFields": [],
            "commitTimestamp": 1_796_576_996_280,
        },
        "Name": None,  # unchanged: Pub/Sub sends every field, unchanged ones null
        "BillingAddress": None,
        "Billing_Link_Requested__c": True,
    }
    event = to_event("/data/AccountChangeEvent", 12, record, SCHEMA, 1.0)
    assert dict(event.fields) == {"Billing_Link_Requested__c": True}
    assert event.header is not None
    assert event.header["changedFields"] == ["Billing_Link_Requested__c"]
    assert event.created_at == "2026-12-06T17:09:56.280+00:00"


def test_replay_ids_are_eight_bytes_big_endian() -> None:
    assert encode_replay_id(258) == b"\x00\x00\x00\x00\x00\x00\x01\x02"
    assert decode_replay_id(encode_replay_id(2**40 + 7)) == 2**40 + 7
