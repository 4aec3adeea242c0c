"""Metering (DailyApiRequests per org), Sforce-Limit-Info, /limits, 403s, the concurrent
long-running limit, /__sim/usage, and injected faults in Salesforce's own format."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

from tests.support.salesforce import SfClient, oauth_token

TINY = ("ops@tiny.local", "tiny-passwordtiny-token", "tiny-client", "tiny-secret")


async def usage_header(sf: SfClient, method: str, path: str, **kwargs: Any) -> str:
    response = await sf.call(method, path, **kwargs)
    await response.read()
    header: str = response.headers["Sforce-Limit-Info"]
    return header


async def test_every_data_response_carries_the_usage(sf: SfClient) -> None:
    assert await usage_header(sf, "GET", "/limits/") == "api-usage=1/100000"
    assert await usage_header(sf, "GET", "/sobjects/Nope/describe") == "api-usage=2/100000"  # errors too
    assert await usage_header(sf, "GET", "/no/such/thing") == "api-usage=3/100000"
    assert await usage_header(sf, "POST", "/sobjects/Account", json={}) == "api-usage=4/100000"
    limits = await sf.json("GET", "/limits", 200)
    assert limits["DailyApiRequests"] == {"Max": 100000, "Remaining": 100000 - 5}
    assert limits["ConcurrentPerOrgLongTxn"] == {"Max": 25, "Remaining": 25}
    assert set(limits) >= {
        "DailyBulkApiBatches",
        "DailyBulkV2QueryJobs",
        "DataStorageMB",
        "HourlyPublishedPlatformEvents",
    }


async def test_what_counts(sf: SfClient) -> None:
    meter = sf.state.meter
    org = sf.state.default_org()

    def used() -> int:
        return meter.reading("DailyApiRequests", org.id).used

    await sf.client.get("/services/data/")
    await oauth_token(sf.client)
    assert used() == 0  # versions and token endpoints are free
    records = [{"attributes": {"type": "Account"}, "Name": str(i)} for i in range(200)]
    await sf.json("POST", "/composite/sobjects", 200, json={"records": records})
    assert used() == 1
    composite = [
        {"method": "GET", "url": "/services/data/v59.0/limits", "referenceId": f"r{i}"} for i in range(10)
    ]
    await sf.json("POST", "/composite", 200, json={"compositeRequest": composite})
    assert used() == 2
    tree = {"records": [{"attributes": {"type": "Account", "referenceId": "t"}, "Name": "T"}]}
    await sf.json("POST", "/composite/tree/Account", 201, json=tree)
    assert used() == 3
    batch = [{"method": "GET", "url": "v59.0/limits"} for _ in range(7)]
    await sf.json("POST", "/composite/batch", 200, json={"batchRequests": batch})
    assert used() == 10  # each batch subrequest counts


async def test_limit_exhaustion_is_403_per_org_and_rolls_off_after_a_day(sf: SfClient) -> None:
    tiny = await oauth_token(sf.client, *TINY)
    for _ in range(40):
        await sf.json("GET", "/limits", 200, token=tiny)
    refused = await sf.call("GET", "/limits", token=tiny)
    assert refused.status == 403
    assert await refused.json() == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]
    assert refused.headers["Sforce-Limit-Info"] == "api-usage=40/40"
    assert (await sf.call("GET", "/limits")).status == 200  # the default org is not affected
    await sf.client.post("/__sim/clock", json={"advance_by": "P1D"})
    tiny = await oauth_token(sf.client, *TINY)
    assert (await sf.call("GET", "/limits", token=tiny)).status == 200


async def test_batch_subrequests_are_refused_one_by_one_when_the_limit_runs_out(sf: SfClient) -> None:
    tiny = await oauth_token(sf.client, *TINY)
    for _ in range(38):
        await sf.json("GET", "/limits", 200, token=tiny)
    batch = [{"method": "GET", "url": "v59.0/limits"} for _ in range(3)]
    body = await sf.json("POST", "/composite/batch", 200, json={"batchRequests": batch}, token=tiny)
    assert [r["statusCode"] for r in body["results"]] == [200, 200, 403]
    assert body["results"][2]["result"] == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]


async def test_usage_is_broken_down_by_family_org_and_client(sf: SfClient) -> None:
    tiny = await oauth_token(sf.client, *TINY)
    await sf.json("GET", "/limits", 200)
    await sf.json("GET", "/limits", 200, token=tiny)
    await sf.json("GET", "/limits", 200, token=tiny)
    report = await (await sf.client.get("/__sim/usage")).json()
    scopes = report["families"]["DailyApiRequests"]["scopes"]
    default, tiny_org = sf.state.orgs.orgs
    assert scopes[default.id]["callers"] == {"q2c-local-client": {"used": 1, "all_time": 1}}
    assert scopes[tiny_org.id]["callers"] == {"tiny-client": {"used": 2, "all_time": 2}}
    journal = await (await sf.client.get("/__sim/requests", params={"path": "/services/data/*"})).json()
    assert {(e["caller"], e["metered"], e["family"]) for e in journal["data"]} == {
        ("q2c-local-client", True, "DailyApiRequests"),
        ("tiny-client", True, "DailyApiRequests"),
    }
    assert journal["data"][0]["operation"] == "sf_limits"


async def test_concurrent_long_running_requests_are_limited(
    make_client: Callable[..., Awaitable[SfClient]],
) -> None:
    sf = await make_client(long_running_threshold=timedelta(seconds=20))
    tiny = await oauth_token(sf.client, *TINY)
    org = sf.state.orgs.orgs[1]
    release = asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        yield b'{"Name": '
        await release.wait()
        yield b'"Slow"}'

    async def slow_create() -> int:
        response = await sf.call(
            "POST",
            "/sobjects/Account",
            token=tiny,
            data=slow_body(),
            headers={"Content-Type": "application/json"},
        )
        await response.read()
        return response.status

    held = [asyncio.create_task(slow_create()) for _ in range(5)]
    await org.wait_in_flight(5)
    assert (await sf.call("GET", "/limits", token=tiny)).status == 200  # in flight, but not yet 20 s
    await sf.client.post("/__sim/clock", json={"advance_by": "PT20S"})
    refused = await sf.error("GET", "/limits", 403, token=tiny)
    assert refused == {
        "message": "ConcurrentPerOrgLongTxn Limit exceeded.",
        "errorCode": "REQUEST_LIMIT_EXCEEDED",
    }
    assert (await sf.call("GET", "/limits")).status == 200  # another org: its own limit
    release.set()
    assert await asyncio.gather(*held) == [201] * 5
    assert (await sf.call("GET", "/limits", token=tiny)).status == 200


async def test_injected_faults_speak_salesforce(sf: SfClient) -> None:
    lock = await sf.error(
        "PATCH", "/sobjects/Account/001000000000000AAA", 400, json={}, headers={"X-Sim-Fault": "400"}
    )
    assert lock == {
        "message": "unable to obtain exclusive access to this record or 1 records",
        "errorCode": "UNABLE_TO_LOCK_ROW",
    }
    busy = await sf.call("GET", "/limits", headers={"X-Sim-Fault": "503"})
    assert busy.status == 503
    assert busy.headers["Retry-After"] == "1"
    assert await busy.json() == [
        {
            "message": "Server is temporarily unavailable. Please try again later.",
            "errorCode": "SERVER_UNAVAILABLE",
        }
    ]
    rule = {"path": "/services/data/*/query*", "effect": {"type": "status", "status": 400}, "times": 1}
    assert (await sf.client.post("/__sim/faults", json=rule)).status == 201
    assert (await sf.error("GET", "/query?q=SELECT+Id+FROM+Account", 400))[
        "errorCode"
    ] == "UNABLE_TO_LOCK_ROW"
    assert (await sf.call("GET", "/query?q=SELECT+Id+FROM+Account")).status == 200


async def test_forced_session_expiry(sf: SfClient) -> None:
    expired = await sf.call("GET", "/limits", headers={"X-Sim-Fault": "401"})
    assert expired.status == 401
    assert await expired.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]
    # Not a one-off: the session is gone until the client logs in again.
    assert (await sf.call("GET", "/limits")).status == 401
    assert (await sf.call("GET", "/limits", token=await oauth_token(sf.client))).status == 200


async def test_bulk_allowances_are_limits_not_api_calls(sf: SfClient) -> None:
    job = await sf.json("POST", "/jobs/query", 200, json={"query": "SELECT Id FROM Account"})
    ingest = await sf.json("POST", "/jobs/ingest", 200, json={"object": "Account", "operation": "insert"})
    await sf.call(
        "PUT", f"/jobs/ingest/{ingest['id']}/batches", data="Name\nA\n", headers={"Content-Type": "text/csv"}
    )
    await sf.json("PATCH", f"/jobs/ingest/{ingest['id']}", 200, json={"state": "UploadComplete"})
    limits = await sf.json("GET", "/limits", 200)
    assert limits["DailyBulkV2QueryJobs"] == {"Max": 10000, "Remaining": 9999}
    assert limits["DailyBulkApiBatches"] == {"Max": 15000, "Remaining": 14999}
    assert job["id"].startswith("750")
    report = await (await sf.client.get("/__sim/usage")).json()
    assert set(report["families"]) == {"DailyApiRequests"}  # the kit meter holds API calls only
    assert report["total"] == 5
