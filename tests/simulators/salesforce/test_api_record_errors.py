"""Row-lock contention injected by a ``record_error`` fault rule: sObject Collections fail the
picked records in their per-record results, as a real org does, and the rest proceed."""

from __future__ import annotations

from typing import Any

from tests.support.salesforce import SfClient

LOCKED = {
    "statusCode": "UNABLE_TO_LOCK_ROW",
    "message": "unable to obtain exclusive access to this record",
    "fields": [],
}


def acc(**fields: Any) -> dict[str, Any]:
    return {"attributes": {"type": "Account"}, **fields}


async def lock_every_record(sf: SfClient, **effect: Any) -> None:
    rule = {
        "path": "/services/data/*/composite/sobjects*",
        "effect": {"type": "record_error", "error_code": "UNABLE_TO_LOCK_ROW", **effect},
        "times": 1,
    }
    assert (await sf.client.post("/__sim/faults", json=rule)).status == 201


async def test_collections_fail_the_locked_records_in_their_results(sf: SfClient) -> None:
    await lock_every_record(sf)
    records = [acc(Name="Locked 1"), acc(Name="Locked 2")]
    results = await sf.json("POST", "/composite/sobjects", 200, json={"allOrNone": False, "records": records})
    assert results == [{"success": False, "errors": [LOCKED]}] * 2
    # An update names the record it could not lock; the rule was used up, so this one runs.
    created = await sf.json("POST", "/composite/sobjects", 200, json={"records": [acc(Name="Free")]})
    record_id = created[0]["id"]
    await lock_every_record(sf)
    update = [{"attributes": {"type": "Account"}, "Id": record_id, "Name": "Renamed"}]
    results = await sf.json("PATCH", "/composite/sobjects", 200, json={"records": update})
    assert results == [
        {
            "id": record_id,
            "success": False,
            "errors": [
                {
                    "statusCode": "UNABLE_TO_LOCK_ROW",
                    "message": f"unable to obtain exclusive access to this record or 1 records: {record_id}",
                    "fields": [],
                }
            ],
        }
    ]
    row = await sf.json("GET", f"/sobjects/Account/{record_id}?fields=Name", 200)
    assert row["Name"] == "Free"


async def test_some_records_fail_and_the_rest_proceed_unless_all_or_none(sf: SfClient) -> None:
    records = [acc(Name=f"Batch {i}") for i in range(40)]
    await lock_every_record(sf, probability=0.3)
    results = await sf.json("POST", "/composite/sobjects", 200, json={"records": records})
    locked = [r for r in results if not r["success"]]
    assert 0 < len(locked) < len(records)
    assert all(r["errors"] == [LOCKED] for r in locked)
    assert all(r["id"].startswith("001") for r in results if r["success"])
    await lock_every_record(sf, probability=0.3)
    results = await sf.json("POST", "/composite/sobjects", 200, json={"allOrNone": True, "records": records})
    assert not any(r["success"] for r in results)
    statuses = {r["errors"][0]["statusCode"] for r in results}
    assert statuses == {"UNABLE_TO_LOCK_ROW", "ALL_OR_NONE_OPERATION_ROLLED_BACK"}
