"""Change Data Capture from the DML model: committed work only, one transaction key per unit,
changed fields only on UPDATE, DELETE/UNDELETE, the selection, the commit hooks' Change."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from simulators.kit.clock import Clock
from simulators.kit.meter import Meter
from simulators.salesforce.catalogue import SalesforceError
from simulators.salesforce.events.bus import ALL_CHANGES, BusEvent
from simulators.salesforce.events.changes import Change, Origin, origin
from simulators.salesforce.models.dml import Outcome
from simulators.salesforce.models.orgs import Org, OrgSpec
from simulators.salesforce.models.schema import ObjectDef, load_schema
from simulators.salesforce.models.state import SalesforceState
from simulators.salesforce.models.store import Row

ACCOUNTS = "/data/AccountChangeEvent"
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def obj(org: Org, name: str) -> ObjectDef:
    found = org.schema.get(name)
    assert found is not None
    return found


def user(org: Org) -> str:
    return org.first_user().user_id


def create(org: Org, sobject: str = "Account", **data: Any) -> Row:
    return org.dml.create(obj(org, sobject), data, user(org))


def header(event: BusEvent) -> Any:
    assert event.header is not None
    return event.header


def test_create_update_delete_undelete_each_emit_one_event(org: Org) -> None:
    reader = org.events.subscribe(ACCOUNTS, -1)
    row = create(org, Name="Acme", BillingCity="Paris")
    org.dml.update(obj(org, "Account"), row, {"Phone": "555"}, user(org))
    org.dml.delete(row, user(org))
    org.dml.undelete(row, user(org))
    events = reader.take(10)
    assert [header(e).change_type for e in events] == ["CREATE", "UPDATE", "DELETE", "UNDELETE"]
    assert all(header(e).record_ids == (row.id,) for e in events)
    created = events[0].fields
    assert (created["Name"], created["BillingAddress"]["City"]) == ("Acme", "Paris")
    assert created["CreatedDate"] == "2026-01-05T09:00:00.000Z"
    assert not {"IsDeleted", "SystemModstamp", "BillingCity"} & set(created)
    assert header(events[0]).changed_fields == ()
    assert not row.is_deleted


def test_update_lists_only_the_fields_whose_value_changed(org: Org) -> None:
    row = create(org, Name="Acme", Phone="1", BillingCity="Paris", Website="a.example")
    reader = org.events.subscribe(ACCOUNTS, -1)
    # Name is sent with its current value: not a change. Website is cleared: changed and nulled.
    org.dml.update(
        obj(org, "Account"),
        row,
        {"Name": "Acme", "Phone": "2", "BillingCity": "Lyon", "Website": None},
        user(org),
    )
    [event] = reader.take(10)
    assert set(header(event).changed_fields) == {
        "Phone",
        "Website",
        "LastModifiedDate",
        "BillingAddress.City",
    }
    assert header(event).nulled_fields == ("Website",)
    assert (event.fields["Phone"], event.fields["Name"]) == ("2", "Acme")  # every field, after the change


def test_one_unit_of_work_shares_a_transaction_key_in_sequence(org: Org) -> None:
    reader = org.events.subscribe(ALL_CHANGES, -1)
    with org.dml.transaction():
        account = create(org, Name="Acme")
        create(org, "Contact", LastName="Doe", AccountId=account.id)
        org.dml.update(obj(org, "Account"), account, {"Phone": "9"}, user(org))
    create(org, Name="Alone")
    events = reader.take(10)
    first, alone = events[:3], events[3]
    assert [header(e).sequence_number for e in first] == [1, 2, 3]
    assert len({header(e).transaction_key for e in first}) == 1
    assert [e.event_name for e in first] == ["AccountChangeEvent", "ContactChangeEvent", "AccountChangeEvent"]
    assert header(alone).transaction_key != header(first[0]).transaction_key
    assert header(alone).sequence_number == 1
    assert [e.replay_id for e in events] == sorted(e.replay_id for e in events)


def test_rolled_back_work_emits_nothing(org: Org) -> None:
    reader = org.events.subscribe(ALL_CHANGES, -1)
    account = obj(org, "Account")

    def apply(data: dict[str, Any]) -> Outcome:
        return Outcome(id=org.dml.create(account, data, user(org)).id)

    failing: list[dict[str, Any]] = [{"Name": "A"}, {"Name": None}]
    outcomes = org.dml.run_batch(failing, apply, all_or_none=True)
    assert [o.success for o in outcomes] == [False, False]

    def doomed() -> None:
        with org.dml.transaction():
            create(org, Name="Doomed")
            org.dml.publish(obj(org, "Billing_Action__e"), {"Action__c": "sync"}, user(org))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        doomed()
    assert reader.take(10) == []
    assert org.events.retained("/event/Billing_Action__e") == []
    # Partial success: only the successes.
    partial: list[dict[str, Any]] = [{"Name": "A"}, {"Name": None}, {"Name": "C"}]
    org.dml.run_batch(partial, apply, all_or_none=False)
    assert [e.fields["Name"] for e in reader.take(10)] == ["A", "C"]


def test_unselected_entities_emit_nothing_until_selected(org: Org) -> None:
    assert "Billing_Invoice__c" in org.events.selected_entities()
    assert {
        "Account",
        "Contact",
        "Order",
        "OrderItem",
        "Product2",
        "PricebookEntry",
    } <= org.events.selected_entities()
    assert "User" not in org.events.selected_entities()
    org.events.select_entities(["Contact"])
    reader = org.events.subscribe(ALL_CHANGES, -1)
    create(org, Name="Unselected")
    create(org, "Contact", LastName="Doe")
    assert [e.event_name for e in reader.take(10)] == ["ContactChangeEvent"]


def test_origin_comes_from_the_context_and_commit_hooks_get_changed_fields(org: Org) -> None:
    seen: list[Change] = []

    def hook(changes: Sequence[Change]) -> None:
        seen.extend(changes)

    org.dml.commit_hooks.append(hook)
    reader = org.events.subscribe(ACCOUNTS, -1)
    row = create(org, Name="Seeded")  # no API: changeOrigin empty
    with origin(Origin("rest", "v66.0", "acme-sync", None)):
        org.dml.update(obj(org, "Account"), row, {"Phone": "1"}, user(org))
    events = reader.take(10)
    assert header(events[0]).change_origin == ""
    assert header(events[1]).change_origin == "com/salesforce/api/rest/66.0;client=acme-sync"
    assert header(events[1]).commit_user == user(org)
    assert set(seen[1].changed_fields) == {"Phone", "LastModifiedDate"}
    assert seen[1].origin is not None
    assert seen[1].origin.client == "acme-sync"
    assert seen[1].fields["Phone"] == "1"


def test_undelete_of_a_live_record_fails(org: Org) -> None:
    row = create(org, Name="Live")
    with pytest.raises(SalesforceError) as caught:
        org.dml.undelete(row, user(org))
    assert (caught.value.status, caught.value.error_code, caught.value.message) == (
        400,
        "UNDELETE_FAILED",
        "Entity is not in the recycle bin",
    )


def test_publish_is_after_commit_and_limited(org: Org) -> None:
    event = obj(org, "Billing_Action__e")
    reader = org.events.subscribe("/event/Billing_Action__e", -1)
    with org.dml.transaction():
        published = org.dml.publish(event, {"Action__c": "sync", "Record_Id__c": "001"}, user(org))
        assert reader.take(10) == []  # not before the commit
    [delivered] = reader.take(10)
    assert delivered.event_uuid == published.event_uuid
    assert delivered.fields["Record_Id__c"] == "001"
    with pytest.raises(SalesforceError) as caught:
        org.dml.publish(event, {"Action__c": "x", "Payload__c": "p" * 131_073}, user(org))
    assert (caught.value.status, caught.value.error_code) == (400, "STRING_TOO_LONG")


async def test_an_event_message_over_1_mb_is_refused() -> None:
    fields = [{"name": f"Part{n}__c", "type": "textarea", "length": 131_072} for n in range(9)]
    schema = load_schema([{"Big__e": {"fields": fields}}])
    clock = Clock(start=START, frozen=True)
    state = SalesforceState(schema, clock, Meter(clock), (OrgSpec(),))
    await state.load(1, {})
    org = state.default_org()
    data = {f"Part{n}__c": "x" * 131_072 for n in range(7)}  # 896 KiB: fits
    org.dml.publish(obj(org, "Big__e"), data, user(org))
    with pytest.raises(SalesforceError) as caught:
        org.dml.publish(obj(org, "Big__e"), {**data, "Part7__c": "x" * 131_072, "Part8__c": "y"}, user(org))
    assert (caught.value.status, caught.value.error_code, caught.value.message) == (
        400,
        "LIMIT_EXCEEDED",
        "The event message exceeds the maximum size of 1048576 bytes.",
    )
    assert len(org.events.retained("/event/Big__e")) == 1


def test_a_hard_delete_is_one_delete_event(org: Org) -> None:
    live, binned = create(org, Name="Live"), create(org, Name="Binned")
    org.dml.delete(binned, user(org))
    reader = org.events.subscribe(ACCOUNTS, -1)
    org.dml.hard_delete(live)
    org.dml.hard_delete(binned)  # its DELETE went out with the soft delete
    assert [(header(e).change_type, header(e).record_ids) for e in reader.take(10)] == [
        ("DELETE", (live.id,))
    ]


def test_the_seed_emits_nothing_and_replay_ids_start_at_one(org: Org) -> None:
    assert org.store.table(obj(org, "Account")).live_count() > 0  # seeded
    assert org.events.latest_replay_id(ALL_CHANGES) == 0
    assert org.events.retained(ALL_CHANGES) == []
    create(org, Name="First")
    assert [e.replay_id for e in org.events.retained(ALL_CHANGES)] == [1]
