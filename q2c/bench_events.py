"""``q2c bench events``: change events per second from DML to a subscriber, and the latency from
the DML call to the event's arrival (p50 / p99), over CometD and over the Pub/Sub API, in one run.

The Salesforce simulator runs alone in this process (a fresh one per transport); the subscribers are the integration core's own
transports (aiosfstream-ng over CometD; the stubs generated from ``pubsub_api.proto`` over
gRPC), subscribed to ``/data/AccountChangeEvent`` for new events. Accounts are created through
sObject Collections, 200 a call, one call after the other; each event's latency runs from the
start of the call that created its record to the moment the subscriber has it decoded. Two
latencies: unloaded (200 single-record creates, each after the previous one's event arrived) and
under the throughput run's saturating load (every batch queued behind the ones before it).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from rich.console import Console
from rich.table import Table

from contracts import defaults
from integration.clients.salesforce import SalesforceClient, SalesforceConfig
from integration.events.cometd import CometDTransport
from integration.events.model import ACCOUNT_CHANGES
from integration.events.pubsub import PubSubTransport
from integration.events.transport import Transport
from simulators.kit.serve import AppSpec, start_app, stop_apps
from simulators.salesforce.app import PUBSUB, SalesforceSettings
from simulators.salesforce.app import create_app as create_salesforce_app
from simulators.salesforce.pubsub.server import PubSubSettings

BATCH = 200  # records per sObject Collections call
ROUND_TRIPS = 200  # single-record creates for the unloaded latency


async def _new_events(channel: str) -> int | None:
    return None  # -1: new events only


async def measure(transport_name: str, events: int, *, seed: int = 5) -> dict[str, Any]:
    """One transport's run on a fresh Salesforce simulator (alone: nothing else shares the loop)."""
    app = create_salesforce_app(SalesforceSettings(seed=seed, pubsub=PubSubSettings(port=0)))
    running = await start_app(AppSpec("salesforce", app))
    try:
        client = SalesforceClient(
            SalesforceConfig(
                login_url=running.url,
                client_id=defaults.SALESFORCE_CLIENT_ID,
                client_secret=defaults.SALESFORCE_CLIENT_SECRET,
            )
        )
        transport: Transport = (
            CometDTransport(client)
            if transport_name == "cometd"
            else PubSubTransport(client, target=app[PUBSUB].target)
        )
        try:
            return await _run(client, transport, events)
        finally:
            await transport.close()
            await client.close()
    finally:
        await stop_apps([running])


async def _run(client: SalesforceClient, transport: Transport, events: int) -> dict[str, Any]:
    sent: dict[str, float] = {}
    received: dict[str, float] = {}
    first = asyncio.Event()
    done = asyncio.Event()

    async def subscribe() -> None:
        async for batch in transport.batches([ACCOUNT_CHANGES], _new_events):
            now = time.perf_counter()
            first.set()
            for event in batch:
                for record_id in (event.header or {}).get("recordIds") or []:
                    received.setdefault(str(record_id), now)
            done.set()  # the waiter re-counts

    task = asyncio.create_task(subscribe(), name="bench-subscriber")
    try:
        # Warm-up: one record, created until the subscriber has seen one (it is subscribed then).
        while not first.is_set():
            await client.create("Account", [{"Name": "warm-up"}])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(first.wait(), 1.0)
        received.clear()
        started = time.perf_counter()
        for start in range(0, events, BATCH):
            at = time.perf_counter()
            records = [{"Name": f"Bench {n}"} for n in range(start, min(start + BATCH, events))]
            results = await client.create("Account", records)
            sent.update({str(r.id): at for r in results if r.id})
        if len(set(sent) & set(received)) < events:
            async with asyncio.timeout(300):
                while len(set(sent) & set(received)) < events:
                    done.clear()
                    if task.done():  # the subscription broke: say why
                        task.result()
                    await done.wait()
        latest = max(received[i] for i in sent)
        # Latency unloaded: one record at a time, the next created once its event arrived.
        single: list[float] = []
        for n in range(ROUND_TRIPS):
            at = time.perf_counter()
            (result,) = await client.create("Account", [{"Name": f"Round trip {n}"}])
            record_id = str(result.id)
            async with asyncio.timeout(60):
                while record_id not in received:
                    done.clear()
                    await done.wait()
            single.append((received[record_id] - at) * 1000)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    loaded = sorted((received[i] - sent[i]) * 1000 for i in sent)
    seconds = latest - started
    return {
        "events": events,
        "seconds": round(seconds, 2),
        "events_per_second": round(events / seconds),
        "latency_ms_p50": _percentile(sorted(single), 50),
        "latency_ms_p99": _percentile(sorted(single), 99),
        "loaded_latency_ms_p50": _percentile(loaded, 50),
        "loaded_latency_ms_p99": _percentile(loaded, 99),
    }


def _percentile(values: list[float], percent: int) -> float:
    """Nearest-rank percentile of sorted values."""
    rank = max(int(len(values) * percent / 100 + 0.5), 1)
    return round(values[min(rank, len(values)) - 1], 1)


def run(console: Console, *, quick: bool) -> dict[str, Any]:
    events = 2_000 if quick else 20_000
    figures: dict[str, Any] = {"events": events}
    for name in ("cometd", "pubsub"):
        with console.status(f"{name}: {events} change events..."):
            figures[name] = asyncio.run(measure(name, events))
    table = Table(
        title=f"q2c bench events ({events} Account change events, one process)", title_justify="left"
    )
    for column in ("transport", "seconds", "events/s", "p50 ms", "p99 ms", "loaded p50 ms", "loaded p99 ms"):
        table.add_column(column, justify="right")
    for name, label in (("cometd", "CometD (aiosfstream-ng)"), ("pubsub", "Pub/Sub API (gRPC)")):
        row = figures[name]
        table.add_row(
            label,
            str(row["seconds"]),
            str(row["events_per_second"]),
            str(row["latency_ms_p50"]),
            str(row["latency_ms_p99"]),
            str(row["loaded_latency_ms_p50"]),
            str(row["loaded_latency_ms_p99"]),
        )
    console.print(table)
    return figures
