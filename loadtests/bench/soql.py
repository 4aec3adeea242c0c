"""``q2c bench soql``: the SOQL engine at 10k, 100k and 1M Accounts, and what a scan costs others.

For each size, in one process holding the org:

1. **Query time** (median of repeated runs, in process): an Id lookup, ``Name LIKE 'prefix%'``
   (the name field's ordered index), and two non-selective filters that must scan
   (``BillingCity = 'Lyon'`` on an unindexed field, ``Name LIKE '%son%'``).
2. **Event-loop lag under a mixed load**: the simulator serves HTTP while two ``wrk`` processes
   drive it at once, one with the non-selective query, one with ``GET /sobjects/Account/{id}``;
   a probe task in the server's loop measures how late its 5 ms timer fires (p50/p99/max).
   Measured twice in the same run: large scans on a worker thread (the default) and on the event
   loop (``OFF_LOOP_ROWS`` raised past the table size), so the difference is visible.
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from rich.console import Console
from rich.table import Table

from loadtests.bench.http import ensure_wrk
from loadtests.bench.salesforce import rss_mb, salesforce_token

START = datetime(2026, 3, 1, tzinfo=UTC)
QUERIES = {
    "id_lookup": "SELECT Id, Name FROM Account WHERE Id = '{id}'",
    "name_prefix": "SELECT Id, Name FROM Account WHERE Name LIKE 'Ab%' LIMIT 200",
    "unindexed_equality": "SELECT Id FROM Account WHERE BillingCity = 'Lyon'",
    "name_contains": "SELECT Id FROM Account WHERE Name LIKE '%son%' LIMIT 2000",
}
GOALS = {"non_selective_p50_ms_100k": 10.0, "lag_p99_ms": 20.0, "rss_mb_1m": 1200.0}


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _probe_lag(stop: asyncio.Event, samples: list[float], period: float = 0.005) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        due = loop.time() + period
        await asyncio.sleep(period)
        samples.append(max(0.0, (loop.time() - due) * 1000))


async def _size(console: Console, wrk: str, accounts: int, seconds: float) -> dict[str, Any]:

    from simulators.kit.serve import AppSpec, start_app, stop_apps
    from simulators.salesforce import soql
    from simulators.salesforce.api import query as query_api
    from simulators.salesforce.api.routes import STATE
    from simulators.salesforce.app import SalesforceSettings, create_app

    app = create_app(SalesforceSettings(clock_start=START, frozen_clock=True, enforce_limits=False))
    server = await start_app(AppSpec("salesforce", app, "127.0.0.1", 0))
    figures: dict[str, Any] = {"accounts": accounts}
    try:
        with console.status(f"loading {accounts:,} Accounts..."):
            await app[STATE].load(42, {"accounts": accounts, "contacts": 0, "products": 0, "orders": 0})
        gc.collect()
        figures["rss_mb"] = round(rss_mb(), 1)
        org = app[STATE].default_org()
        record_id = next(iter(org.store.scan("Account"))).id
        timings: dict[str, float] = {}
        for name, text in QUERIES.items():
            text = text.format(id=record_id)
            runs = []
            for _ in range(7):
                started = time.perf_counter()
                soql.execute(text, org.store, record_url=lambda o, i: "")
                runs.append((time.perf_counter() - started) * 1000)
            timings[name] = round(statistics.median(runs), 3)
        figures["query_p50_ms"] = timings

        token = await salesforce_token(server.url)
        auth = f"Authorization: Bearer {token}"
        scan_url = f"{server.url}/services/data/v59.0/query?q={quote(QUERIES['unindexed_equality'])}"
        get_url = f"{server.url}/services/data/v59.0/sobjects/Account/{record_id}"
        default_threshold = query_api.OFF_LOOP_ROWS
        for mode, threshold in (("scans_off_loop", default_threshold), ("scans_on_loop", 10**12)):
            query_api.OFF_LOOP_ROWS = threshold
            samples: list[float] = []
            stop = asyncio.Event()
            probe = asyncio.create_task(_probe_lag(stop, samples))
            with console.status(f"{accounts:,} Accounts, {mode}: wrk scans + wrk GETs for {seconds:g} s..."):
                loads = [
                    await asyncio.create_subprocess_exec(
                        wrk,
                        "-t1",
                        f"-c{connections}",
                        f"-d{seconds:g}s",
                        "-H",
                        auth,
                        url,
                        stdout=subprocess.PIPE,
                    )
                    for url, connections in ((scan_url, 2), (get_url, 8))
                ]
                outputs = [(await load.communicate())[0].decode() for load in loads]
            stop.set()
            await probe
            rates = [float(out.split("Requests/sec:")[1].split()[0]) for out in outputs]
            figures[mode] = {
                "lag_p50_ms": round(statistics.median(samples), 2),
                "lag_p99_ms": round(_percentile(samples, 0.99), 2),
                "lag_max_ms": round(max(samples), 2),
                "scan_queries_per_second": rates[0],
                "gets_per_second": rates[1],
            }
        query_api.OFF_LOOP_ROWS = default_threshold
    finally:
        await stop_apps([server])
    return figures


def run(console: Console, *, quick: bool, sizes: list[int], seconds: float) -> list[dict[str, Any]]:
    wrk = ensure_wrk()
    if quick:
        sizes, seconds = [10_000], min(seconds, 2.0)
    results = []
    for size in sizes:
        # Each size in a fresh process, so its resident memory is its own.
        with console.status(f"{size:,} Accounts (a fresh process)..."):
            out = subprocess.run(
                [sys.executable, "-m", "loadtests.bench.soql", wrk, str(size), str(seconds)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        results.append(json.loads(out))
    table = Table(title="SOQL engine (query p50 in process; lag with wrk scans + GETs alongside)")
    for column in ("Accounts", "RSS", *QUERIES, "lag p99 off/on loop", "GET/s off/on loop"):
        table.add_column(column, justify="right")
    for figures in results:
        q = figures["query_p50_ms"]
        off, on = figures["scans_off_loop"], figures["scans_on_loop"]
        table.add_row(
            f"{figures['accounts']:,}",
            f"{figures['rss_mb']:,.0f} MB",
            *(f"{q[name]:.2f} ms" for name in QUERIES),
            f"{off['lag_p99_ms']:.1f} / {on['lag_p99_ms']:.1f} ms",
            f"{off['gets_per_second']:,.0f} / {on['gets_per_second']:,.0f}",
        )
    console.print(table)
    return results


if __name__ == "__main__":
    figures = asyncio.run(_size(Console(stderr=True), sys.argv[1], int(sys.argv[2]), float(sys.argv[3])))
    print(json.dumps(figures))
