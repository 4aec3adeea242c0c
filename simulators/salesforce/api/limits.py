"""``/limits``, ``/limits/recordCount`` and the version resources map."""

from __future__ import annotations

from typing import Any

from simulators.salesforce import catalogue
from simulators.salesforce.api.core import Call, Result
from simulators.salesforce.models.orgs import API_FAMILY

BULK_BATCHES = "DailyBulkApiBatches"
BULK_QUERY_JOBS = "DailyBulkV2QueryJobs"

# Allocations a real Enterprise org reports for limits this simulator does not consume.
STATIC_LIMITS: dict[str, int] = {
    "DailyAsyncApexExecutions": 250_000,
    "DailyBulkV2QueryFileStorageMB": 976_562,
    "DailyDurableGenericStreamingApiEvents": 10_000,
    "DailyDurableStreamingApiEvents": 10_000,
    "DailyGenericStreamingApiEvents": 10_000,
    "DailyStreamingApiEvents": 10_000,
    "DailyWorkflowEmails": 1_000,
    "DataStorageMB": 1_024,
    "FileStorageMB": 2_048,
    "HourlyODataCallout": 10_000,
    "HourlyTimeBasedWorkflow": 50,
    "MassEmail": 10,
    "SingleEmail": 15,
    "StreamingApiConcurrentClients": 20,
}
BULK_LIMITS = {BULK_BATCHES: 15_000, BULK_QUERY_JOBS: 10_000}


def limits(call: Call) -> Result:
    org = call.org
    state = call.ctx.state
    body: dict[str, Any] = {}
    used = state.meter_reading(org, API_FAMILY)
    body[API_FAMILY] = {"Max": org.spec.api_limit, "Remaining": max(org.spec.api_limit - used, 0)}
    for name, maximum in BULK_LIMITS.items():
        body[name] = {"Max": maximum, "Remaining": max(maximum - state.meter_reading(org, name), 0)}
    storage_used = sum(t.live_count() for t in org.store.tables()) * 2 // 1024  # ~2 KB per record
    for name, maximum in STATIC_LIMITS.items():
        remaining = maximum - storage_used if name == "DataStorageMB" else maximum
        body[name] = {"Max": maximum, "Remaining": max(remaining, 0)}
    bus, allocation = org.events, org.events.limits
    # The event bus meters these on the virtual clock (CometD and Pub/Sub clients, deliveries of
    # platform and change events, platform event publishes).
    body["DailyDeliveredPlatformEvents"] = {
        "Max": allocation.daily_delivered,
        "Remaining": max(allocation.daily_delivered - bus.delivered_today(), 0),
    }
    body["DurableStreamingApiConcurrentClients"] = {
        "Max": allocation.concurrent_clients,
        "Remaining": max(allocation.concurrent_clients - bus.connected_clients, 0),
    }
    body["HourlyPublishedPlatformEvents"] = {
        "Max": allocation.hourly_published,
        "Remaining": max(allocation.hourly_published - bus.published_this_hour(), 0),
    }
    body["ConcurrentPerOrgLongTxn"] = {
        "Max": org.spec.long_running_limit,
        "Remaining": max(org.spec.long_running_limit - state.long_running(org), 0),
    }
    return Result(200, dict(sorted(body.items())))


def record_count(call: Call) -> Result:
    org = call.org
    wanted = call.arg("sObjects")
    if wanted:
        tables = []
        for name in (part.strip() for part in wanted.split(",")):
            if not name:
                continue
            obj = org.schema.get(name)
            if obj is None:
                raise catalogue.UNSUPPORTED_TYPE.error(name=name)
            tables.append(org.store.table(obj))
    else:
        tables = [t for t in org.store.tables() if not t.obj.is_event]
    return Result(200, {"sObjects": [{"count": t.live_count(), "name": t.obj.name} for t in tables]})


def resources(call: Call) -> Result:
    base = f"/services/data/{call.version}"
    body = {
        "sobjects": f"{base}/sobjects",
        "query": f"{base}/query",
        "queryAll": f"{base}/queryAll",
        "limits": f"{base}/limits",
        "composite": f"{base}/composite",
        "jobs": f"{base}/jobs",
        "search": f"{base}/search",
        "parameterizedSearch": f"{base}/parameterizedSearch",
        "recent": f"{base}/recent",
        "tooling": f"{base}/tooling",
        "identity": f"{call.ctx.base_url}/id/{call.org.id}/{call.ctx.user_id}",
    }
    return Result(200, body)
