"""A bus event as CometD delivers it (salesforce-events.md §1.5, §1.6), without HTTP: changed
fields only, nulled ones as explicit nulls, no ``nulledFields``/``diffFields`` in the header."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from simulators.salesforce.cometd.render import message, schema_id
from simulators.salesforce.events.bus import BusEvent, ChangeHeader

WHEN = datetime(2026, 1, 5, 9, 30, 15, 123000, tzinfo=UTC)
FIELDS: dict[str, Any] = {
    "Name": "Acme",
    "Description": None,
    "Phone": "555",
    "LastModifiedDate": "2026-01-05T09:30:15.000Z",
    "IsDeleted": False,
    "BillingAddress": {"City": "Paris", "Street": "1 Rue"},
}


def change(change_type: str, changed: tuple[str, ...] = (), nulled: tuple[str, ...] = ()) -> BusEvent:
    header = ChangeHeader(
        entity_name="Account",
        record_ids=("001000000000001AAA",),
        change_type=change_type,
        changed_fields=changed,
        nulled_fields=nulled,
        diff_fields=("Notes__c",),
        commit_timestamp=1767605415123,
        commit_number=7,
        commit_user="005000000000001AAA",
        transaction_key="tx-1",
        sequence_number=1,
        change_origin="com/salesforce/api/rest/66.0;client=q2c",
    )
    return BusEvent(
        channel="/data/AccountChangeEvent",
        replay_id=42,
        created=WHEN,
        event_uuid="uuid-1",
        event_name="AccountChangeEvent",
        fields=FIELDS,
        header=header,
        created_by_id="005000000000001AAA",
    )


def test_update_sends_changed_and_nulled_fields_only() -> None:
    changed = ("Phone", "Description", "LastModifiedDate", "BillingAddress.City")
    rendered = message("/data/ChangeEvents", change("UPDATE", changed, ("Description",)))
    assert rendered["channel"] == "/data/ChangeEvents"  # the subscription's channel
    data = rendered["data"]
    assert data["event"] == {"replayId": 42}
    assert data["schema"] == schema_id("AccountChangeEvent")
    assert data["payload"] == {
        "ChangeEventHeader": {
            "entityName": "Account",
            "recordIds": ["001000000000001AAA"],
            "changeType": "UPDATE",
            "changeOrigin": "com/salesforce/api/rest/66.0;client=q2c",
            "transactionKey": "tx-1",
            "sequenceNumber": 1,
            "commitTimestamp": 1767605415123,
            "commitNumber": 7,
            "commitUser": "005000000000001AAA",
            "changedFields": list(changed),
        },
        "Phone": "555",
        "Description": None,
        "LastModifiedDate": "2026-01-05T09:30:15.000Z",
        "BillingAddress": {"City": "Paris"},
    }


@pytest.mark.parametrize("change_type", ["CREATE", "UNDELETE"])
def test_create_and_undelete_send_every_non_null_field(change_type: str) -> None:
    payload = message("/data/AccountChangeEvent", change(change_type))["data"]["payload"]
    del payload["ChangeEventHeader"]
    assert payload == {
        "Name": "Acme",
        "Phone": "555",
        "LastModifiedDate": "2026-01-05T09:30:15.000Z",
        "BillingAddress": {"City": "Paris", "Street": "1 Rue"},
    }


def test_delete_sends_the_header_only() -> None:
    payload = message("/data/AccountChangeEvent", change("DELETE"))["data"]["payload"]
    assert list(payload) == ["ChangeEventHeader"]


def test_platform_event_payload() -> None:
    event = BusEvent(
        channel="/event/Billing_Action__e",
        replay_id=3,
        created=WHEN,
        event_uuid="0b1c2d3e-0000-4000-8000-000000000001",
        event_name="Billing_Action__e",
        fields={"Action__c": "sync", "CreatedDate": "2026-01-05T09:30:15.123Z", "CreatedById": "005x"},
        header=None,
        created_by_id="005x",
    )
    assert message(event.channel, event) == {
        "channel": "/event/Billing_Action__e",
        "data": {
            "schema": schema_id("Billing_Action__e"),
            "payload": {
                "CreatedDate": "2026-01-05T09:30:15.123Z",
                "CreatedById": "005x",
                "Action__c": "sync",
                "EventUuid": "0b1c2d3e-0000-4000-8000-000000000001",
            },
            "event": {"replayId": 3},
        },
    }


def test_schema_ids_are_stable_and_salesforce_shaped() -> None:
    assert schema_id("AccountChangeEvent") == schema_id("AccountChangeEvent")
    assert schema_id("AccountChangeEvent") != schema_id("ContactChangeEvent")
    assert len(schema_id("Billing_Action__e")) == 22
