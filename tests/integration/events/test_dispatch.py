"""What each Salesforce event asks of the core (the pure classification, no I/O)."""

import pytest

from integration.events.dispatch import classify
from integration.events.model import ACCOUNT_CHANGES, BILLING_ACTIONS, ChannelEvent, from_cometd

ACCOUNT = "0015G0000000001QAA"
MAPPED = {"Name", "Billing_Primary_Email__c", "BillingStreet"}


def change(
    change_type: str,
    fields: dict[str, object],
    *,
    origin: str = "com/salesforce/api/rest/66.0",
    replay: int = 1,
) -> ChannelEvent:
    header = {
        "entityName": "Account",
        "recordIds": [ACCOUNT],
        "changeType": change_type,
        "changedFields": sorted(fields) if change_type == "UPDATE" else [],
        "changeOrigin": origin,
        "commitTimestamp": 1_796_576_996_280,
    }
    return ChannelEvent(ACCOUNT_CHANGES, replay, fields, header)


def action(name: object, record_id: object = ACCOUNT, replay: int = 1) -> ChannelEvent:
    return ChannelEvent(BILLING_ACTIONS, replay, {"Action__c": name, "Record_Id__c": record_id})


@pytest.mark.parametrize("change_type", ["CREATE", "UPDATE", "UNDELETE"])
def test_setting_the_link_flag_is_a_link_request(change_type: str) -> None:
    plan = classify([change(change_type, {"Billing_Link_Requested__c": True})], MAPPED)
    assert plan.link_requests == {ACCOUNT}
    assert not plan.syncs
    assert not plan.ignored
    assert not plan.dead


def test_clearing_the_flag_or_an_unmapped_change_asks_for_nothing() -> None:
    plan = classify(
        [
            change("UPDATE", {"Billing_Link_Requested__c": False}, replay=1),
            change("UPDATE", {"Description": "x", "LastModifiedDate": "2026-01-01T00:00:00Z"}, replay=2),
        ],
        MAPPED,
    )
    assert not plan.link_requests
    assert not plan.syncs
    assert plan.ignored == {
        (ACCOUNT_CHANGES, 1): "no link request and no mapped field changed",
        (ACCOUNT_CHANGES, 2): "no link request and no mapped field changed",
    }


def test_a_change_to_a_mapped_field_syncs_the_account() -> None:
    plan = classify([change("UPDATE", {"Billing_Primary_Email__c": "new@example.com"})], MAPPED)
    assert plan.syncs == {ACCOUNT}
    assert not plan.link_requests


def test_the_cores_own_writes_are_echoes_and_dropped() -> None:
    event = change(
        "UPDATE",
        {"Billing_Primary_Email__c": "x@y.co", "Billing_Link_Requested__c": True},
        origin="com/salesforce/api/rest/62.0;client=q2c-core",
    )
    plan = classify([event], MAPPED)
    assert not plan.link_requests
    assert not plan.syncs
    assert plan.ignored == {(ACCOUNT_CHANGES, 1): "the core's own change"}


def test_gap_events_reread_the_record_for_both_flows() -> None:
    plan = classify([change("GAP_UPDATE", {})], MAPPED)
    assert plan.link_requests == {ACCOUNT}
    assert plan.syncs == {ACCOUNT}


def test_delete_and_other_entities_are_ignored_with_the_reason() -> None:
    other = ChannelEvent("/data/ChangeEvents", 2, {}, {"entityName": "Contact", "recordIds": ["003xx"]})
    plan = classify([change("DELETE", {}), other], MAPPED)
    assert plan.ignored == {
        (ACCOUNT_CHANGES, 1): "nothing to do on DELETE",
        ("/data/ChangeEvents", 2): "no flow for Contact changes",
    }


def test_quick_actions_open_sync_and_query() -> None:
    other = "0015G0000000002QAA"
    plan = classify(
        [
            action("open", replay=1),
            action("Sync", other, replay=2),
            action(" query ", ACCOUNT[:15], replay=3),
        ],
        MAPPED,
    )
    assert plan.links == {ACCOUNT}
    assert plan.unlinked_syncs == {other}
    assert plan.queries == {ACCOUNT}  # the 15-character id, normalised to 18
    assert not plan.dead


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (action("delete"), "Action__c must be one of open, sync, query, quote_etl, retry_task, not 'delete'"),
        (action(None), "Action__c must be one of open, sync, query, quote_etl, retry_task, not 'empty'"),
        (action("sync", "not-an-id"), "Record_Id__c is not an account id: 'not-an-id'"),
        (action("sync", None), "Record_Id__c is not an account id: 'empty'"),
    ],
)
def test_a_quick_action_that_cannot_be_acted_on_is_dead_with_the_reason(
    event: ChannelEvent, reason: str
) -> None:
    plan = classify([event], MAPPED)
    assert plan.dead == {(BILLING_ACTIONS, 1): reason}


def test_cometd_address_parts_are_named_as_soql_and_the_mapping_name_them() -> None:
    message = {
        "channel": ACCOUNT_CHANGES,
        "data": {
            "payload": {
                "ChangeEventHeader": {
                    "changeType": "UPDATE",
                    "changedFields": ["BillingAddress.City", "Name"],
                },
                "BillingAddress": {"City": "Shelbyville"},
            },
            "event": {"replayId": 7},
        },
    }
    event = from_cometd(message, 0.0)
    assert event.header is not None
    assert event.header["changedFields"] == ["BillingCity", "Name"]
    assert dict(event.fields) == {"BillingCity": "Shelbyville"}


def test_cometd_messages_become_channel_events() -> None:
    message = {
        "channel": ACCOUNT_CHANGES,
        "data": {
            "schema": "abc",
            "payload": {
                "ChangeEventHeader": {"changeType": "UPDATE", "commitTimestamp": 1_796_576_996_280},
                "Billing_Link_Requested__c": True,
            },
            "event": {"replayId": 42},
        },
    }
    event = from_cometd(message, 5.0)
    assert (event.channel, event.replay_id, dict(event.fields)) == (
        ACCOUNT_CHANGES,
        42,
        {"Billing_Link_Requested__c": True},
    )
    assert event.header == {"changeType": "UPDATE", "commitTimestamp": 1_796_576_996_280, "changedFields": []}
    assert event.created_at == "2026-12-06T17:09:56.280+00:00"
