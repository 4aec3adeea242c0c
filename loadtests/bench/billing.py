"""``q2c bench billing``: the billing simulator's figures, measured in one run.

1. **Bill run**: N accounts (10,000; 1,000 with ``--quick``) with 3 services each, all on one
   bill cycle, billed by a single ``POST /bill-runs`` through the contract (goal <= 5 s for
   10,000). Events are serialised and handed to the outbox as in normal operation.
2. **Read latency under load**: a separate process GETs accounts, services, invoices and account
   summaries with 32 concurrent clients; p50/p99 are *server-side*, read from the simulator's
   own request journal (the last 10,000 requests; goal p50 < 1 ms, p99 < 5 ms).
3. **Webhook deliveries/s**: the invoice.posted events are replayed to a local receiver (another
   process answering 204); deliveries/s is succeeded deliveries over the time to drain them
   (goal >= 2,000/s). Every delivery is signed (Standard Webhooks) as usual.

The load generator and the receiver run in their own processes (``python -m
loadtests.bench.billing load|receive``) so they do not share the simulator's GIL.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web
from rich.console import Console
from rich.table import Table

from simulators.billing.api.state import BILLING_API, DEFAULT_API_KEY
from simulators.billing.app import BillingSettings, create_app
from simulators.billing.models.accounts import AccountDraft, Address
from simulators.billing.models.orders import OrderDraft, OrderItemDraft
from simulators.billing.service.system import BillingSystem
from simulators.kit.outbox import Outbox
from simulators.kit.serve import AppSpec, serve, start_app, stop_apps

START = datetime(2026, 3, 1, tzinfo=UTC)
PRODUCTS = ("INET-100", "SIP-10", "VS-4")
CONCURRENCY = 32
GOALS = {
    "bill_run_seconds": 5.0,
    "read_p50_ms": 1.0,
    "read_p99_ms": 5.0,
    "webhook_deliveries_per_second": 2000.0,
}


def populate(system: BillingSystem, accounts: int) -> list[str]:
    """``accounts`` accounts on the monthly cycle, each with 3 services starting today."""
    cycle = system.bill_cycle_by_key("monthly_1")
    category = system.account_category_by_key("enterprise")
    products = [system.product_by_code(code).id for code in PRODUCTS]
    ids = []
    for i in range(accounts):
        account = system.create_account(
            AccountDraft(
                external_id=f"001BENCH{i:010d}",
                name=f"Bench customer {i}",
                email=f"billing{i}@bench.example",
                billing_address=Address("1 Main Street", "Springfield", "12345", "US", region="IL"),
                bill_cycle_id=cycle.id,
                account_category_id=category.id,
            )
        )
        items = [OrderItemDraft(action="new", product_id=p, term_months=12) for p in products]
        system.submit_order(OrderDraft(account_id=account.id, items=items))
        ids.append(account.id)
    return ids


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _drained(outbox: Outbox, endpoint_id: str, *, timeout: float = 300.0) -> None:
    """Until no delivery is due any more (the outbox says so: no polling)."""
    await outbox.wait_settled(timeout=timeout)
    pending = [d for d in outbox.deliveries(endpoint_id=endpoint_id) if d.state == "pending"]
    if pending:
        raise TimeoutError(f"{len(pending)} deliveries to {endpoint_id} are waiting for a retry")


async def _peer(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "loadtests.bench.billing", *args, stdout=asyncio.subprocess.PIPE
    )


async def _bench(console: Console, quick: bool) -> dict[str, Any]:
    # Over 80 lines on purpose: one linear script (set up, measure each figure, tear down) whose
    # steps share the running servers; the performance issue replaces it with a wrk-driven bench.
    accounts = 1_000 if quick else 10_000
    load_seconds = 3.0 if quick else 8.0
    settings = BillingSettings(rate_limit=None, counts={"accounts": 0}, clock_start=START, clock_frozen=True)
    app = create_app(settings)
    billing = await start_app(AppSpec("billing", app, "127.0.0.1", 0))
    api = app[BILLING_API]
    system = api.system
    figures: dict[str, Any] = {"accounts": accounts, "services_per_account": len(PRODUCTS)}
    headers = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
    receiver: asyncio.subprocess.Process | None = None
    try:
        async with aiohttp.ClientSession(billing.url, headers=headers) as http:
            with console.status(f"creating {accounts:,} accounts with 3 services each..."):
                started = time.perf_counter()
                ids = populate(system, accounts)
                figures["setup_seconds"] = round(time.perf_counter() - started, 2)

            with console.status("bill run..."):
                cycle = system.bill_cycle_by_key("monthly_1").id
                body = {
                    "bill_cycle_id": cycle,
                    "through_date": START.date().isoformat(),
                    "auto_approve": True,
                }
                started = time.perf_counter()
                async with http.post("/bill-runs", json=body) as response:
                    run = await response.json()
                figures["bill_run_seconds"] = round(time.perf_counter() - started, 3)
            figures["bill_run_invoices"] = run["invoice_count"]
            figures["bill_run_totals"] = run["totals"]

            with console.status(f"reads under load ({CONCURRENCY} clients, {load_seconds:g} s)..."):
                invoices = [i.id for i in system.invoices()][:300]
                services = [s.id for s in system.services()][:300]
                paths = list(
                    itertools.chain.from_iterable(
                        zip(
                            (f"/accounts/{a}" for a in ids[:300]),
                            (f"/services/{s}" for s in services),
                            (f"/invoices/{i}" for i in invoices),
                            (f"/accounts/{a}/summary" for a in ids[:300]),
                            strict=False,
                        )
                    )
                )
                api.kit.journal.clear()
                loader = await _peer(
                    "load", billing.url, DEFAULT_API_KEY, str(load_seconds), str(CONCURRENCY), *paths
                )
                out, _ = await loader.communicate()
                load = json.loads(out)
            reads = [e for e in api.kit.journal if e.family == "billing_api" and e.status == 200]
            latencies = [e.latency_ms for e in reads]
            figures["read_requests_per_second"] = round(load["requests"] / load_seconds)
            figures["read_errors"] = load["errors"]
            figures["read_sample"] = len(latencies)
            figures["read_p50_ms"] = round(statistics.median(latencies), 3)
            figures["read_p99_ms"] = round(percentile(latencies, 0.99), 3)
            by_operation: dict[str, list[float]] = {}
            for entry in reads:
                by_operation.setdefault(entry.operation or "?", []).append(entry.latency_ms)
            figures["read_p99_ms_by_operation"] = {
                op: round(percentile(values, 0.99), 3) for op, values in sorted(by_operation.items())
            }

            with console.status("webhook deliveries..."):
                receiver = await _peer("receive")
                assert receiver.stdout is not None
                port = int(await receiver.stdout.readline())
                url = f"http://127.0.0.1:{port}/hooks"
                async with http.post(
                    "/webhook-endpoints", json={"url": url, "event_types": ["invoice.posted"]}
                ) as r:
                    endpoint = await r.json()
                started = time.perf_counter()
                async with http.post(
                    f"/webhook-endpoints/{endpoint['id']}/replay", json={"since": START.isoformat()}
                ) as r:
                    replay = await r.json()
                await _drained(api.kit.outbox, endpoint["id"])
                elapsed = time.perf_counter() - started
                succeeded = len(api.kit.outbox.deliveries(endpoint_id=endpoint["id"], state="succeeded"))
            figures["webhook_deliveries"] = replay["replayed"]
            figures["webhook_succeeded"] = succeeded
            figures["webhook_deliveries_per_second"] = round(succeeded / elapsed)
    finally:
        if receiver is not None and receiver.returncode is None:
            receiver.terminate()
            await receiver.wait()
        await stop_apps([billing])
    figures["goals_met"] = {
        "bill_run": accounts < 10_000 or figures["bill_run_seconds"] <= GOALS["bill_run_seconds"],
        "read_p50": figures["read_p50_ms"] < GOALS["read_p50_ms"],
        "read_p99": figures["read_p99_ms"] < GOALS["read_p99_ms"],
        "webhooks": figures["webhook_deliveries_per_second"] >= GOALS["webhook_deliveries_per_second"],
    }
    return figures


def run(console: Console, *, quick: bool) -> dict[str, Any]:
    figures = asyncio.run(_bench(console, quick))
    table = Table(title="Billing simulator", title_justify="left")
    table.add_column("measure")
    table.add_column("figure", justify="right")
    table.add_column("goal")
    table.add_row(
        f"bill run, {figures['accounts']:,} accounts x 3 services",
        f"{figures['bill_run_seconds']:.2f} s ({figures['bill_run_invoices']:,} invoices)",
        "<= 5 s for 10,000",
    )
    table.add_row(
        f"reads under load ({figures['read_requests_per_second']:,} req/s)",
        f"p50 {figures['read_p50_ms']:.3f} ms, p99 {figures['read_p99_ms']:.3f} ms",
        "p50 < 1 ms, p99 < 5 ms",
    )
    table.add_row("webhook deliveries", f"{figures['webhook_deliveries_per_second']:,}/s", ">= 2,000/s")
    console.print(table)
    return figures


# -- the helper processes ---------------------------------------------------------------------


async def _load(url: str, key: str, seconds: float, concurrency: int, paths: list[str]) -> dict[str, int]:
    """GET ``paths`` round-robin from ``concurrency`` clients for ``seconds``; count answers."""
    counts = {"requests": 0, "errors": 0}
    cycle = itertools.cycle(paths)
    deadline = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {key}", "X-Q2C-Client": "bench-reader"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(url, headers=headers, connector=connector) as session:

        async def client() -> None:
            while time.monotonic() < deadline:
                async with session.get(next(cycle)) as response:
                    await response.read()
                    counts["requests"] += 1
                    counts["errors"] += response.status != 200

        await asyncio.gather(*(client() for _ in range(concurrency)))
    return counts


async def _receive() -> None:
    """Answer 204 to every webhook; print the port once listening; run until terminated."""

    async def accept(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hooks", accept)
    await serve(
        [AppSpec("receiver", app, "127.0.0.1", 0)],
        on_ready=lambda running: print(running[0].port, flush=True),
    )


def main(argv: list[str]) -> int:
    if argv[:1] == ["load"]:
        url, key, seconds, concurrency, *paths = argv[1:]
        print(json.dumps(asyncio.run(_load(url, key, float(seconds), int(concurrency), paths))))
        return 0
    if argv[:1] == ["receive"]:
        asyncio.run(_receive())
        return 0
    print("usage: python -m loadtests.bench.billing load URL KEY SECONDS CONCURRENCY PATH... | receive")
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
