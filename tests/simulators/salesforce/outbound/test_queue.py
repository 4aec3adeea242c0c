"""The Outbound Messages model without HTTP: declarations checked against the schema, criteria
evaluated on committed rows, the queue, Salesforce's retry schedule and the 24 h expiry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from simulators.salesforce.models.dml import Outcome
from simulators.salesforce.models.orgs import Org
from simulators.salesforce.models.state import SalesforceState
from simulators.salesforce.models.store import Row
from simulators.salesforce.outbound import queue as queue_module
from simulators.salesforce.outbound.declarations import Declaration, DeclarationError, load_declarations
from simulators.salesforce.outbound.queue import Result, Schedule

URL = "http://127.0.0.1:9/om"


def declaration(**overrides: Any) -> Declaration:
    base: dict[str, Any] = {
        "name": "Link_Request",
        "object": "Account",
        "endpoint_url": URL,
        "fields": ["Name", "Billing_Link_Requested__c"],
        "criteria": "Billing_Link_Requested__c = true",
    }
    return Declaration.model_validate({**base, **overrides})


@pytest.fixture
def org(sf_state: SalesforceState) -> Org:
    return sf_state.default_org()


def account(org: Org, **data: Any) -> Row:
    obj = org.schema.get("Account")
    assert obj is not None
    return org.dml.create(obj, {"Name": "Acme", **data}, org.first_user().user_id)


def update(org: Org, row: Row, **data: Any) -> None:
    org.dml.update(row.obj, row, data, org.first_user().user_id)


def test_seed_data_queues_nothing_and_the_org_starts_unconfigured(org: Org) -> None:
    assert not org.outbound.configured
    assert org.outbound.queue() == []


def test_on_create_or_triggering_update_fires_when_the_record_comes_to_meet_the_criteria(org: Org) -> None:
    org.outbound.declare([declaration()])
    row = account(org)  # does not meet the criteria
    assert org.outbound.queue() == []
    update(org, row, Billing_Link_Requested__c=True)
    update(org, row, Name="Acme Renamed")  # still meets them: not "subsequently" met, no message
    queued = org.outbound.queue()
    assert [(n.record_id, n.state, n.action) for n in queued] == [(row.id, "pending", "Link_Request")]
    assert queued[0].id.startswith("04l")
    assert len(queued[0].id) == 18
    assert queued[0].expires_at - queued[0].created_at == timedelta(hours=24)
    update(org, row, Billing_Link_Requested__c=False)
    update(org, row, Billing_Link_Requested__c=True)  # met again after not meeting: fires again
    assert len(org.outbound.queue()) == 2


def test_a_record_that_met_the_criteria_before_the_declaration_does_not_fire_on_an_edit(org: Org) -> None:
    row = account(org, Billing_Link_Requested__c=True)
    org.outbound.declare([declaration()])
    update(org, row, Name="Edited")
    assert org.outbound.queue() == []


def test_on_all_changes_fires_on_every_edit_that_meets_the_criteria(org: Org) -> None:
    org.outbound.declare([declaration(trigger="onAllChanges")])
    row = account(org, Billing_Link_Requested__c=True)
    update(org, row, Name="Edited")
    update(org, row, Billing_Link_Requested__c=False)  # no longer meets them: nothing
    assert len(org.outbound.queue()) == 2


def test_on_create_only_ignores_edits(org: Org) -> None:
    org.outbound.declare([declaration(trigger="onCreateOnly")])
    row = account(org)
    update(org, row, Billing_Link_Requested__c=True)
    assert org.outbound.queue() == []
    account(org, Billing_Link_Requested__c=True)
    assert len(org.outbound.queue()) == 1


def test_rolled_back_work_queues_nothing(org: Org) -> None:
    org.outbound.declare([declaration()])
    obj = org.schema.get("Account")
    assert obj is not None
    user = org.first_user().user_id

    def apply(data: dict[str, Any]) -> Outcome:
        return Outcome(id=org.dml.create(obj, data, user).id, created=True)

    outcomes = org.dml.run_batch(
        [{"Name": "Ok", "Billing_Link_Requested__c": True}, {"Billing_Link_Requested__c": True}],
        apply,
        all_or_none=True,
    )
    assert outcomes[0].rolled_back
    assert outcomes[1].error is not None
    assert org.outbound.queue() == []


def test_inactive_declarations_and_other_objects_queue_nothing(org: Org) -> None:
    org.outbound.declare(
        [
            declaration(active=False),
            declaration(name="Contacts", object="Contact", fields=["LastName"], criteria=""),
        ]
    )
    account(org, Billing_Link_Requested__c=True)
    assert org.outbound.queue() == []


def test_the_action_id_survives_a_replacement_and_removed_declarations_cancel_their_messages(
    org: Org,
) -> None:
    first = org.outbound.declare([declaration()])[0]
    assert first.action_id.startswith("04k")
    account(org, Billing_Link_Requested__c=True)
    again = org.outbound.declare([declaration(fields=["Name"]), declaration(name="Other")])
    assert again[0].action_id == first.action_id
    assert again[1].action_id != first.action_id
    org.outbound.declare([declaration(name="Other")])
    assert [n.state for n in org.outbound.queue()] == ["cancelled"]


@pytest.mark.parametrize(
    ("overrides", "param", "message"),
    [
        ({"object": "Nope__c"}, "object", "unknown object 'Nope__c' (no sObject of that name in the org)"),
        ({"object": "Billing_Action__e"}, "object", "unknown object 'Billing_Action__e'"),
        ({"fields": ["Name", "Nope__c"]}, "fields", "unknown field 'Nope__c' on Account"),
        ({"fields": ["BillingAddress"]}, "fields", "is a compound field; list its components"),
        (
            {"endpoint_url": "ftp://127.0.0.1/om"},
            "endpoint_url",
            "endpoint_url must be an absolute http(s) URL",
        ),
        ({"endpoint_url": "http://127.0.0.1:99999/om"}, "endpoint_url", "endpoint_url has an invalid port"),
        ({"endpoint_url": "http://example.com/om"}, "endpoint_url", "host 'example.com' is not allowed"),
        ({"criteria": "Nope__c = true"}, "criteria", "criteria are not a valid condition: "),
        ({"criteria": "Name = 'x' LIMIT 1"}, "criteria", "criteria are not a valid condition"),
        ({"user": "nobody@q2c.local"}, "user", "no user 'nobody@q2c.local' in this org"),
    ],
)
def test_bad_declarations_are_refused_with_a_clear_message(
    org: Org, overrides: dict[str, Any], param: str, message: str
) -> None:
    org.outbound.declare([declaration()])
    with pytest.raises(DeclarationError) as caught:
        org.outbound.declare([declaration(**overrides)], allowed_hosts=["127.0.0.1"])
    assert caught.value.param == param
    assert message in str(caught.value)
    assert str(caught.value).startswith("declarations[0] (Link_Request): ")
    assert [a.declaration.name for a in org.outbound.declarations()] == ["Link_Request"]  # unchanged


def test_two_declarations_with_one_name_are_refused(org: Org) -> None:
    with pytest.raises(DeclarationError, match="two declarations are named 'link_request'"):
        org.outbound.declare([declaration(), declaration(name="link_request")])


def test_yaml_declarations_load_and_bad_yaml_names_the_place(tmp_path: Any) -> None:
    path = tmp_path / "outbound.yaml"
    path.write_text(
        "declarations:\n  - name: A\n    object: Account\n    endpoint_url: http://127.0.0.1:1/om\n"
        "    include_session_id: true\n"
    )
    [loaded] = load_declarations(path)
    assert loaded.include_session_id
    assert loaded.fields == ["Id"]
    assert loaded.trigger == "onCreateOrTriggeringUpdate"
    path.write_text("declarations:\n  - name: A\n    object: Account\n")
    with pytest.raises(DeclarationError, match=r"outbound.yaml: declarations.0.endpoint_url: Field required"):
        load_declarations(path)


def test_retries_back_off_exponentially_to_two_hours_and_expire_after_24_hours(
    org: Org, sf_state: SalesforceState
) -> None:
    assert [Schedule().interval(n) for n in (1, 2, 3, 9, 10, 11, 40)] == [
        timedelta(seconds=15),
        timedelta(seconds=30),
        timedelta(seconds=60),
        timedelta(seconds=15 * 256),
        timedelta(hours=2),  # 15 s * 512 is past the cap
        timedelta(hours=2),
        timedelta(hours=2),
    ]
    org.outbound.declare([declaration()])
    account(org, Billing_Link_Requested__c=True)
    start = sf_state.clock.now()
    now = start
    attempts = 0
    while True:
        batches = org.outbound.due(now)
        if not batches:
            due = org.outbound.next_due()
            if due is None:
                break
            now = due
            continue
        for batch in batches:
            org.outbound.settle(batch, Result(now, False, 500, "HTTP 500", "down", 1.0))
            attempts += 1
    [note] = org.outbound.queue()
    assert note.state == "expired"
    assert note.next_attempt_at is None
    assert now == start + timedelta(hours=24)
    gaps = [b.at - a.at for a, b in zip(note.attempts, note.attempts[1:], strict=False)]
    assert gaps[:3] == [timedelta(seconds=15), timedelta(seconds=30), timedelta(seconds=60)]
    assert max(gaps) == timedelta(hours=2)
    assert note.attempts[-1].at < start + timedelta(hours=24)
    # 10 attempts in the first 2 h 7 min 45 s (15 s doubling), then one every 2 h until 24 h.
    assert attempts == len(note.attempts) == 20


def test_one_message_carries_at_most_100_notifications_with_the_latest_data(org: Org) -> None:
    org.outbound.declare([declaration(criteria="")])
    rows = [account(org, Name=f"A{i}") for i in range(150)]
    update(org, rows[0], Name="Latest")
    org.dml.delete(rows[1], org.first_user().user_id)
    batches = org.outbound.due(org.store.now())
    assert [len(b.notifications) for b in batches] == [100, 50]
    assert org.outbound.due(org.store.now()) == []  # in flight: not handed out twice
    header = org.outbound.header(batches[0].action, "https://sf.local", "SESSION")
    assert header.session_id is None  # include_session_id is off
    data = org.outbound.message(batches[0], header)
    assert data[0].values == {"Id": rows[0].id, "Name": "Latest", "Billing_Link_Requested__c": False}
    assert data[1].values == {"Id": rows[1].id}  # deleted before delivery: no data


def test_finished_notifications_are_forgotten_past_the_cap(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queue_module, "KEEP_FINISHED", 3)
    org.outbound.declare([declaration(criteria="")])
    for i in range(5):
        account(org, Name=f"A{i}")
    now = org.store.now()
    [batch] = org.outbound.due(now)
    org.outbound.settle(batch, Result(now, True, 200, None, "ack", 1.0))
    account(org, Name="Pending")
    assert [n.state for n in org.outbound.queue()] == ["delivered"] * 3 + ["pending"]
