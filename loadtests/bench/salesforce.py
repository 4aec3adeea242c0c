"""``q2c bench salesforce``: the Salesforce simulator's figures, measured in one run.

1. **GET by id**: requests/s of ``GET /services/data/v59.0/sobjects/Account/{id}`` on the
   simulator (session check, meter, journal, Sforce-Limit-Info and all), as a ratio to a bare
   aiohttp handler returning a similar JSON body, both driven the same way by the same load
   generator (goal >= 0.5).
2. **Composite upsert**: records/s through ``PATCH /composite/sobjects/Account/
   Billing_Account_Number__c`` in 200-record batches, first creating, then updating the same
   external ids (goal >= 20,000/s).
3. **SOQL lookup**: median time of ``SELECT … FROM Account WHERE Billing_Account_Number__c = …``
   over 100,000 Accounts (served from the external-id index; goal <= 2 ms).
4. **Memory**: resident set size of a process holding 100,000 Accounts (goal <= 400 MB).

The load generator runs in its own process (``python -m loadtests.bench.salesforce load ...``)
so it does not share the server's GIL; figures 3 and 4 come from a fresh process
(``... memory N``) so nothing else inflates its RSS.
"""

from __future__ import annotations

import asyncio
import json
import random
import resource
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from rich.console import Console
from rich.table import Table

from contracts import defaults
from simulators.kit.serve import AppSpec, start_app, stop_apps

START = datetime(2026, 3, 1, tzinfo=UTC)
CONCURRENCY = 16
ROUNDS = 3
BATCH = 200
USER = defaults.SALESFORCE_USERNAME
GOALS = {
    "get_by_id_ratio": 0.5,
    "composite_upsert_records_per_second": 20_000.0,
    "soql_lookup_median_ms": 2.0,
    "rss_mb_100k_accounts": 400.0,
    "bulk_ingest_records_per_second": 50_000.0,
}


def rss_mb() -> float:
    """Resident set size now (VmRSS), falling back to the peak from getrusage."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- load generator (its own process) ---------------------------------------------------------------


async def _load(
    mode: str, url: str, token: str, seconds: float, concurrency: int, targets: list[str]
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    done = 0
    errors = 0
    records = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(url, headers=headers, connector=connector) as http:

        async def get_worker(offset: int) -> None:
            nonlocal done, errors
            index = offset
            while time.perf_counter() < deadline:
                async with http.get(targets[index % len(targets)]) as response:
                    await response.read()
                    if response.status == 200:
                        done += 1
                    else:
                        errors += 1
                index += concurrency

        async def upsert_worker(worker: int) -> None:
            nonlocal done, errors, records
            for batch in range(worker, int(targets[0]), concurrency):
                body = {
                    "allOrNone": False,
                    "records": [
                        {
                            "attributes": {"type": "Account"},
                            "Billing_Account_Number__c": f"BENCH-{batch * BATCH + i:08d}",
                            "Name": f"Bench account {batch * BATCH + i} ({targets[1]})",
                            "BillingCity": "Lyon",
                            "BillingCountry": "FR",
                            "Billing_Sync_Status__c": "Linked",
                            "Due_Amount__c": 1250.5,
                        }
                        for i in range(BATCH)
                    ],
                }
                async with http.patch(
                    "/services/data/v59.0/composite/sobjects/Account/Billing_Account_Number__c", json=body
                ) as response:
                    results = await response.json()
                    ok = response.status == 200 and all(r["success"] for r in results)
                    done += ok
                    errors += not ok
                    records += sum(1 for r in results if r.get("success")) if response.status == 200 else 0

        started = time.perf_counter()
        workers = get_worker if mode == "get" else upsert_worker
        await asyncio.gather(*(workers(i) for i in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {"requests": done, "errors": errors, "records": records, "seconds": elapsed}


# -- memory and SOQL (a fresh process) ------------------------------------------------------------


async def _memory(accounts: int, lookups: int) -> dict[str, Any]:
    from simulators.kit.clock import Clock
    from simulators.kit.meter import Meter
    from simulators.salesforce import soql
    from simulators.salesforce.models.schema import load_schema
    from simulators.salesforce.models.state import SalesforceState

    before = rss_mb()
    clock = Clock(start=START, frozen=True)
    state = SalesforceState(load_schema(), clock, Meter(clock))
    started = time.perf_counter()
    await state.load(42, {"accounts": accounts, "contacts": 0, "products": 0, "orders": 0})
    load_seconds = time.perf_counter() - started
    org = state.default_org()
    numbers = [row["Billing_Account_Number__c"] for row in org.store.scan("Account")]
    numbers = [n for n in numbers if n]
    rss = rss_mb()
    rng = random.Random(7)
    timings = []
    for _ in range(lookups):
        wanted = rng.choice(numbers)
        text = f"SELECT Id, Name, Billing_Account_Id__c FROM Account WHERE Billing_Account_Number__c = '{wanted}'"
        started = time.perf_counter()
        result = soql.execute(
            text, org.store, record_url=lambda o, i: f"/services/data/v59.0/sobjects/{o}/{i}"
        )
        timings.append((time.perf_counter() - started) * 1000)
        assert result.total_size == 1
    return {
        "accounts": org.store.table("Account").live_count(),
        "load_seconds": round(load_seconds, 2),
        "rss_mb_before": round(before, 1),
        "rss_mb": round(rss, 1),
        "soql_lookup_median_ms": round(statistics.median(timings), 4),
        "soql_lookup_p99_ms": round(sorted(timings)[int(0.99 * len(timings))], 4),
        "soql_lookups": lookups,
    }


# -- Bulk API 2.0 ingest -------------------------------------------------------------------------


async def _bulk_ingest(url: str, token: str, records: int) -> dict[str, Any]:
    """One insert job of ``records`` Accounts: create, upload the CSV, close, until JobComplete.
    The figure is records over the time from the upload to JobComplete (as a client sees it)."""
    base = f"{url}/services/data/v59.0/jobs/ingest"
    auth = {"Authorization": f"Bearer {token}"}
    lines = ["Name,BillingCity,BillingCountry,Billing_Account_Number__c"]
    lines += [f"Bulk account {i},Lyon,FR,BULK-{i:08d}" for i in range(records)]
    csv = ("\n".join(lines) + "\n").encode()
    async with aiohttp.ClientSession(headers=auth) as http:
        async with http.post(base, json={"object": "Account", "operation": "insert"}) as response:
            job = await response.json()
        started = time.perf_counter()
        async with http.put(
            f"{base}/{job['id']}/batches", data=csv, headers={"Content-Type": "text/csv"}
        ) as r:
            assert r.status == 201, await r.text()
        async with http.patch(f"{base}/{job['id']}", json={"state": "UploadComplete"}) as r:
            assert r.status == 200, await r.text()
        while True:  # a Bulk client polls the job; so does this one
            async with http.get(f"{base}/{job['id']}") as r:
                state = await r.json()
            if state["state"] in ("JobComplete", "Failed", "Aborted"):
                break
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
    return {
        "bulk_records": records,
        "bulk_state": state["state"],
        "bulk_processed": state.get("numberRecordsProcessed"),
        "bulk_failed": state.get("numberRecordsFailed"),
        "bulk_ingest_records_per_second": round(records / elapsed),
    }


# -- the run ----------------------------------------------------------------------------------------


async def _peer(*args: str) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "loadtests.bench.salesforce", *args, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"bench helper {args[0]} failed with exit code {process.returncode}")
    result: dict[str, Any] = json.loads(out)
    return result


async def salesforce_token(url: str) -> str:
    """A session for the documented local user (the OAuth password flow)."""
    form = {
        "grant_type": "password",
        "client_id": defaults.SALESFORCE_CLIENT_ID,
        "client_secret": defaults.SALESFORCE_CLIENT_SECRET,
        "username": USER,
        "password": defaults.SALESFORCE_PASSWORD + defaults.SALESFORCE_SECURITY_TOKEN,
    }
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/services/oauth2/token", data=form) as response,
    ):
        body = await response.json()
    token: str = body["access_token"]
    return token


def bare_app(body: dict[str, Any]) -> web.Application:
    """The baseline: an aiohttp handler returning a record-sized JSON body, nothing else."""

    async def handler(request: web.Request) -> web.Response:
        return web.json_response(body)

    app = web.Application()
    app.router.add_get("/services/data/v59.0/sobjects/Account/{record_id}", handler)
    return app


async def _bench(console: Console, quick: bool) -> dict[str, Any]:
    # Over 80 lines on purpose: one linear script (set up, measure each figure, tear down) whose
    # steps share the running servers; the performance issue replaces it with a wrk-driven bench.
    from simulators.salesforce.api.routes import STATE
    from simulators.salesforce.app import SalesforceSettings, create_app

    seconds = 1.0 if quick else 3.0
    accounts = 20_000 if quick else 100_000
    batches = 50 if quick else 250
    figures: dict[str, Any] = {"load_seconds_per_run": seconds, "concurrency": CONCURRENCY}

    with console.status(f"memory and SOQL lookups over {accounts:,} Accounts (fresh process)..."):
        memory = await _peer("memory", str(accounts), "2000")
    figures.update(
        accounts=memory["accounts"],
        accounts_load_seconds=memory["load_seconds"],
        rss_mb_100k_accounts=memory["rss_mb"],
        rss_mb_empty_process=memory["rss_mb_before"],
        soql_lookup_median_ms=memory["soql_lookup_median_ms"],
        soql_lookup_p99_ms=memory["soql_lookup_p99_ms"],
    )

    settings = SalesforceSettings(clock_start=START, frozen_clock=True)
    app = create_app(settings)
    simulator = await start_app(AppSpec("salesforce", app, "127.0.0.1", 0))
    bare = None
    try:
        token = await salesforce_token(simulator.url)
        org = app[STATE].default_org()
        ids = [row.id for row in org.store.scan("Account")]
        paths = [f"/services/data/v59.0/sobjects/Account/{record_id}" for record_id in ids]
        auth = {"Authorization": f"Bearer {token}"}
        async with (
            aiohttp.ClientSession(headers=auth) as http,
            http.get(f"{simulator.url}{paths[0]}") as response,
        ):
            sample = await response.json()
        bare = await start_app(AppSpec("bare", bare_app(sample), "127.0.0.1", 0))
        sim_rates: list[float] = []
        bare_rates: list[float] = []
        errors = 0
        # Alternate the two, several rounds, and compare medians: a noisy neighbour then hits
        # both sides alike instead of skewing one measurement.
        for round_number in range(ROUNDS):
            with console.status(
                f"GET by id, round {round_number + 1}/{ROUNDS}: simulator, then bare aiohttp..."
            ):
                sim = await _peer("load", "get", simulator.url, token, str(seconds), str(CONCURRENCY), *paths)
                baseline = await _peer(
                    "load", "get", bare.url, "unused", str(seconds), str(CONCURRENCY), *paths
                )
            sim_rates.append(sim["requests"] / sim["seconds"])
            bare_rates.append(baseline["requests"] / baseline["seconds"])
            errors += sim["errors"] + baseline["errors"]
        with console.status(f"composite upserts, {batches} batches of {BATCH} (create, then update)..."):
            created = await _peer("load", "upsert", simulator.url, token, "0", "4", str(batches), "v1")
            updated = await _peer("load", "upsert", simulator.url, token, "0", "4", str(batches), "v2")
        figures["upsert_errors"] = created["errors"] + updated["errors"]
        with console.status(f"Bulk API 2.0 ingest of {accounts:,} Accounts..."):
            figures.update(await _bulk_ingest(simulator.url, token, accounts))
    finally:
        await stop_apps([simulator] if bare is None else [simulator, bare])

    sim_rps = statistics.median(sim_rates)
    bare_rps = statistics.median(bare_rates)
    figures.update(
        get_by_id_rps=round(sim_rps),
        bare_aiohttp_rps=round(bare_rps),
        get_by_id_ratio=round(sim_rps / bare_rps, 3),
        get_by_id_rounds=[round(s / b, 3) for s, b in zip(sim_rates, bare_rates, strict=True)],
        get_errors=errors,
        composite_create_records_per_second=round(created["records"] / created["seconds"]),
        composite_update_records_per_second=round(updated["records"] / updated["seconds"]),
        composite_upsert_records_per_second=round(
            (created["records"] + updated["records"]) / (created["seconds"] + updated["seconds"])
        ),
    )
    figures["goals_met"] = {
        "get_by_id_ratio": figures["get_by_id_ratio"] >= GOALS["get_by_id_ratio"],
        "composite_upsert": figures["composite_upsert_records_per_second"]
        >= GOALS["composite_upsert_records_per_second"],
        "soql_lookup": figures["soql_lookup_median_ms"] <= GOALS["soql_lookup_median_ms"],
        "memory": accounts < 100_000 or figures["rss_mb_100k_accounts"] <= GOALS["rss_mb_100k_accounts"],
        "bulk_ingest": figures["bulk_ingest_records_per_second"] >= GOALS["bulk_ingest_records_per_second"],
    }
    return figures


def run(console: Console, *, quick: bool) -> dict[str, Any]:
    figures = asyncio.run(_bench(console, quick))
    table = Table(title="Salesforce simulator", title_justify="left")
    table.add_column("measure")
    table.add_column("figure", justify="right")
    table.add_column("goal")
    table.add_row(
        "GET by id vs bare aiohttp",
        f"{figures['get_by_id_ratio']:.2f} ({figures['get_by_id_rps']:,} vs {figures['bare_aiohttp_rps']:,} req/s)",
        ">= 0.5",
    )
    table.add_row(
        "composite upsert, 200/batch",
        f"{figures['composite_upsert_records_per_second']:,} records/s",
        ">= 20,000/s",
    )
    table.add_row(
        f"SOQL external-id lookup ({figures['accounts']:,} Accounts)",
        f"{figures['soql_lookup_median_ms']:.3f} ms median",
        "<= 2 ms",
    )
    table.add_row(
        f"RSS with {figures['accounts']:,} Accounts", f"{figures['rss_mb_100k_accounts']:.0f} MB", "<= 400 MB"
    )
    table.add_row(
        f"Bulk API 2.0 ingest ({figures['bulk_records']:,} Accounts, {figures['bulk_state']})",
        f"{figures['bulk_ingest_records_per_second']:,} records/s",
        ">= 50,000/s",
    )
    console.print(table)
    return figures


def main(argv: list[str]) -> None:
    command = argv[0]
    if command == "load":
        mode, url, token, seconds, concurrency, *targets = argv[1:]
        result = asyncio.run(_load(mode, url, token, float(seconds), int(concurrency), targets))
    elif command == "memory":
        result = asyncio.run(_memory(int(argv[1]), int(argv[2])))
    else:
        raise SystemExit(f"unknown command {command!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
