"""Events from every API over HTTP: CDC with changeOrigin from REST, collections, composite, tree
and Bulk 2.0 (committed work only); Platform Events published through REST, collections and
composite answering what Salesforce answers; /limits; the /__sim/events control plane."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from simulators.salesforce.events.bus import ALL_CHANGES, BusEvent, EventBus
from tests.support.salesforce import SfClient, oauth_token

CLIENT = {"Sforce-Call-Options": "client=acme-sync"}
ORIGIN = "com/salesforce/api/rest/59.0;client=acme-sync"
ACTIONS = "/event/Billing_Action__e"


def bus_of(sf: SfClient) -> EventBus:
    return sf.state.default_org().events


def header(event: BusEvent) -> Any:
    assert event.header is not None
    return event.header


def account(name: str | None = "A") -> dict[str, Any]:
    record: dict[str, Any] = {"attributes": {"type": "Account"}}
    if name is not None:
        record["Name"] = name
    return record


async def test_rest_writes_emit_change_events_naming_the_client(sf: SfClient) -> None:
    reader = bus_of(sf).subscribe(ALL_CHANGES, -1)
    created = await sf.json("POST", "/sobjects/Account", 201, json={"Name": "Acme"}, headers=CLIENT)
    await sf.json("PATCH", f"/sobjects/Account/{created['id']}", 204, json={"Phone": "5"})
    await sf.json("DELETE", f"/sobjects/Account/{created['id']}", 204, headers=CLIENT)
    events = reader.take(10)
    assert [header(e).change_type for e in events] == ["CREATE", "UPDATE", "DELETE"]
    assert [header(e).change_origin for e in events] == [ORIGIN, "com/salesforce/api/rest/59.0", ORIGIN]
    assert set(header(events[1]).changed_fields) == {"Phone", "LastModifiedDate"}
    assert all(header(e).commit_user == sf.state.default_org().first_user().user_id for e in events)


async def test_an_all_or_none_collection_that_fails_emits_nothing(sf: SfClient) -> None:
    reader = bus_of(sf).subscribe(ALL_CHANGES, -1)
    body = {"allOrNone": True, "records": [account("A"), account(None)]}
    results = await sf.json("POST", "/composite/sobjects", 200, json=body, headers=CLIENT)
    assert [r["success"] for r in results] == [False, False]
    assert reader.take(10) == []
    # Partial success: the successes only, in one transaction.
    body = {"allOrNone": False, "records": [account("A"), account(None), account("C")]}
    await sf.json("POST", "/composite/sobjects", 200, json=body, headers=CLIENT)
    events = reader.take(10)
    assert [e.fields["Name"] for e in events] == ["A", "C"]
    assert [header(e).sequence_number for e in events] == [1, 2]
    assert len({header(e).transaction_key for e in events}) == 1
    assert header(events[0]).change_origin == ORIGIN


async def test_composite_all_or_none_rollback_emits_nothing(sf: SfClient) -> None:
    reader = bus_of(sf).subscribe(ALL_CHANGES, -1)
    url = f"/services/data/{sf.version}/sobjects"

    def sub(ref: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return {"method": "POST", "url": f"{url}/{path}", "referenceId": ref, "body": body}

    failing = [
        sub("a", "Account", {"Name": "X"}),
        sub("e", "Billing_Action__e", {"Action__c": "sync"}),
        sub("b", "Account", {}),
    ]
    await sf.json("POST", "/composite", 200, json={"allOrNone": True, "compositeRequest": failing})
    assert reader.take(10) == []
    assert bus_of(sf).retained(ACTIONS) == []
    passing = [
        sub("a", "Account", {"Name": "X"}),
        sub("c", "Contact", {"LastName": "Y", "AccountId": "@{a.id}"}),
    ]
    await sf.json(
        "POST", "/composite", 200, json={"allOrNone": True, "compositeRequest": passing}, headers=CLIENT
    )
    events = reader.take(10)
    assert [e.event_name for e in events] == ["AccountChangeEvent", "ContactChangeEvent"]
    assert len({header(e).transaction_key for e in events}) == 1
    assert header(events[1]).change_origin == ORIGIN


async def test_tree_inserts_emit_change_events(sf: SfClient) -> None:
    reader = bus_of(sf).subscribe("/data/AccountChangeEvent", -1)
    records = [{"attributes": {"type": "Account", "referenceId": "r1"}, "Name": "Tree"}]
    await sf.json("POST", "/composite/tree/Account", 201, json={"records": records}, headers=CLIENT)
    [event] = reader.take(10)
    assert (event.fields["Name"], header(event).change_origin) == ("Tree", ORIGIN)


async def test_bulk_rows_that_fail_emit_nothing_and_the_rest_name_bulkapi(sf: SfClient) -> None:
    reader = bus_of(sf).subscribe("/data/AccountChangeEvent", -1)
    job = await sf.json(
        "POST",
        "/jobs/ingest/",
        200,
        json={"object": "Account", "operation": "insert", "contentType": "CSV", "lineEnding": "LF"},
        headers=CLIENT,
    )
    await sf.call(
        "PUT",
        f"/jobs/ingest/{job['id']}/batches",
        data="Name,Phone\nA,1\n,2\nC,3\n",
        headers={"Content-Type": "text/csv"},
    )
    await sf.json("PATCH", f"/jobs/ingest/{job['id']}", 200, json={"state": "UploadComplete"})
    worker = sf.state.worker
    assert worker is not None
    org = sf.state.default_org()
    await worker.wait_for(lambda: org.bulk.jobs[job["id"]].state == "JobComplete")
    events = reader.take(10)
    assert [e.fields["Name"] for e in events] == ["A", "C"]
    assert {header(e).change_origin for e in events} == {"com/salesforce/api/bulkapi/59.0;client=acme-sync"}


async def test_publishing_a_platform_event_answers_operation_enqueued(sf: SfClient) -> None:
    reader = bus_of(sf).subscribe(ACTIONS, -1)
    published = await sf.json(
        "POST", "/sobjects/Billing_Action__e", 201, json={"Action__c": "sync", "Record_Id__c": "001"}
    )
    [event] = reader.take(10)
    assert published == {
        "id": published["id"],
        "success": True,
        "errors": [{"statusCode": "OPERATION_ENQUEUED", "message": event.event_uuid, "fields": []}],
    }
    assert published["id"].startswith("e00")
    assert (event.replay_id, event.fields["Action__c"], event.created_by_id) == (
        1,
        "sync",
        sf.state.default_org().first_user().user_id,
    )


async def test_collections_and_composite_publish_too(sf: SfClient) -> None:
    reader = bus_of(sf).subscribe(ACTIONS, -1)
    records = [
        {"attributes": {"type": "Billing_Action__e"}, "Action__c": "open"},
        {"attributes": {"type": "Billing_Action__e"}},
    ]
    results = await sf.json("POST", "/composite/sobjects", 200, json={"records": records})
    [event] = reader.take(10)
    assert results[0]["success"] is True
    assert results[0]["errors"] == [
        {"statusCode": "OPERATION_ENQUEUED", "message": event.event_uuid, "fields": []}
    ]
    assert results[1]["success"] is False
    assert results[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    # all-or-none: a failing record un-publishes the others
    await sf.json("POST", "/composite/sobjects", 200, json={"allOrNone": True, "records": records})
    assert reader.take(10) == []
    url = f"/services/data/{sf.version}/sobjects/Billing_Action__e"
    composite = {
        "compositeRequest": [
            {"method": "POST", "url": url, "referenceId": "e", "body": {"Action__c": "query"}}
        ]
    }
    answer = await sf.json("POST", "/composite", 200, json=composite)
    [event] = reader.take(10)
    entry = answer["compositeResponse"][0]
    assert entry["httpStatusCode"] == 201
    assert entry["body"]["errors"][0] == {
        "statusCode": "OPERATION_ENQUEUED",
        "message": event.event_uuid,
        "fields": [],
    }


async def test_publishing_to_an_undefined_event_is_refused(sf: SfClient) -> None:
    assert await sf.error("POST", "/sobjects/Nope__e", 404, json={"Action__c": "x"}) == {
        "errorCode": "NOT_FOUND",
        "message": "The requested resource does not exist",
    }
    results = await sf.json(
        "POST", "/composite/sobjects", 200, json={"records": [{"attributes": {"type": "Nope__e"}, "A__c": 1}]}
    )
    assert results[0]["success"] is False
    assert results[0]["errors"][0]["statusCode"] == "INVALID_TYPE"
    assert results[0]["errors"][0]["message"].startswith("sObject type 'Nope__e' is not supported.")


async def test_an_oversized_field_is_refused(sf: SfClient) -> None:
    error = await sf.error(
        "POST", "/sobjects/Billing_Action__e", 400, json={"Action__c": "x", "Payload__c": "p" * 131_073}
    )
    assert error["errorCode"] == "STRING_TOO_LONG"
    assert error["message"].startswith("Payload: data value too large: ")
    assert bus_of(sf).retained(ACTIONS) == []


async def test_limits_show_the_bus_counters(sf: SfClient) -> None:
    bus = bus_of(sf)
    bus.client_connected()
    bus.count_delivered(7)
    await sf.json("POST", "/sobjects/Billing_Action__e", 201, json={"Action__c": "sync"})
    limits = await sf.json("GET", "/limits", 200)
    assert limits["DailyDeliveredPlatformEvents"] == {"Max": 50_000, "Remaining": 50_000 - 7}
    assert limits["DurableStreamingApiConcurrentClients"] == {"Max": 1_000, "Remaining": 999}
    assert limits["HourlyPublishedPlatformEvents"] == {"Max": 250_000, "Remaining": 250_000 - 1}


async def test_control_plane_channels_selection_and_retained_events(sf: SfClient) -> None:
    client = sf.client
    await sf.json("POST", "/sobjects/Account", 201, json={"Name": "Seen"})
    reader = bus_of(sf).subscribe("/data/AccountChangeEvent", -2)
    channels = await (await client.get("/__sim/events/channels")).json()
    by_name = {c["channel"]: c for c in channels["data"]}
    assert by_name["/data/AccountChangeEvent"] == {
        "channel": "/data/AccountChangeEvent",
        "latest_replay_id": 1,
        "earliest_replay_id": 1,
        "retained": 1,
        "subscribers": 1,
    }
    assert by_name[ACTIONS]["latest_replay_id"] == 0
    retained = await (
        await client.get("/__sim/events/retained", params={"channel": "/data/ChangeEvents"})
    ).json()
    assert retained["total"] == 1
    assert retained["data"][0]["header"]["changeType"] == "CREATE"
    assert retained["data"][0]["fields"]["Name"] == "Seen"
    unknown = await client.get("/__sim/events/retained", params={"channel": "/event/Nope__e"})
    assert unknown.status == 404
    assert (await unknown.json())["code"] == "not_found"
    # The selection: Account off -> no event.
    put = await client.put("/__sim/events/cdc", json={"entities": ["Contact"]})
    assert put.status == 200
    assert (await put.json())["entities"] == ["Contact"]
    await sf.json("POST", "/sobjects/Account", 201, json={"Name": "Unseen"})
    assert reader.take(10)[-1].fields["Name"] == "Seen"
    bad = await client.put("/__sim/events/cdc", json={"entities": ["Nope__c"]})
    assert bad.status == 404
    problem = await bad.json()
    assert (problem["code"], problem["param"]) == ("not_found", "entities")
    assert problem["detail"] == "not entities of this org that support Change Data Capture: Nope__c"
    assert (await (await client.get("/__sim/events/cdc")).json())["entities"] == ["Contact"]
    no_org = await client.get("/__sim/events/channels", params={"org_id": "00D000000000000"})
    assert no_org.status == 404
    assert (await no_org.json())["detail"] == "no org '00D000000000000' in this simulator"


async def test_retention_follows_the_simulators_virtual_clock(sf: SfClient) -> None:
    await sf.json("POST", "/sobjects/Billing_Action__e", 201, json={"Action__c": "old"})
    await sf.state.clock.advance(timedelta(hours=71))
    token = await oauth_token(sf.client)  # the first session timed out meanwhile
    await sf.json("POST", "/sobjects/Billing_Action__e", 201, json={"Action__c": "young"}, token=token)
    await sf.state.clock.advance(timedelta(hours=1, seconds=1))
    retained = await (await sf.client.get("/__sim/events/retained", params={"channel": ACTIONS})).json()
    assert (retained["latest_replay_id"], [e["fields"]["Action__c"] for e in retained["data"]]) == (
        2,
        ["young"],
    )
