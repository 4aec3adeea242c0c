"""``q2c demo``: the whole system on free ports, exercised end to end, with a summary table.

Today it exercises what exists: readiness, deterministic seeding, the meters, fault injection
and one signed webhook delivered through the billing simulator's outbox, failed once on purpose
and retried when the virtual clock is moved forward.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from rich.console import Console
from rich.table import Table

from q2c.config import RuntimeConfig
from q2c.runtime import billing_spec, core_spec, salesforce_spec
from simulators.kit.serve import AppSpec, RunningApp, start_app, stop_apps
from simulators.kit.signing import WebhookVerificationError, verify


@dataclass
class DemoReceiver:
    """A webhook receiver that verifies signatures and fails the first attempt on purpose."""

    secrets: list[str] = field(default_factory=list)
    received: list[tuple[str, int]] = field(default_factory=list)
    rejected: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            webhook_id = verify(self.secrets, dict(request.headers), body, now=time.time())
        except WebhookVerificationError:
            self.rejected += 1
            return web.Response(status=401)
        attempt = sum(1 for seen, _ in self.received if seen == webhook_id) + 1
        status = 500 if attempt == 1 else 204
        self.received.append((webhook_id, status))
        return web.Response(status=status)


@dataclass
class DemoResult:
    rows: list[tuple[str, str]] = field(default_factory=list)
    ok: bool = True

    def add(self, what: str, value: object, *, ok: bool = True) -> None:
        self.rows.append((what, str(value)))
        self.ok = self.ok and ok


async def _json(session: aiohttp.ClientSession, method: str, url: str, body: Any = None) -> Any:
    async with session.request(method, url, json=body) as response:
        payload = await response.json(content_type=None)
        if response.status >= 400:
            raise RuntimeError(f"{method} {url} -> {response.status}: {payload}")
        return payload


async def _run(seed: int, console: Console) -> DemoResult:
    config = RuntimeConfig(seed=seed, salesforce_port=0, billing_port=0, core_port=0)
    receiver = DemoReceiver()
    receiver_app = web.Application()
    receiver_app.router.add_post("/webhooks", receiver.handle)
    specs = [
        salesforce_spec(config),
        billing_spec(config),
        core_spec(config),
        AppSpec("receiver", receiver_app, config.host, 0),
    ]
    result = DemoResult()
    started = time.perf_counter()
    running: list[RunningApp] = []
    try:
        with console.status("starting the sandbox..."):
            for spec in specs:
                running.append(await start_app(spec))
        urls = {app.name: app.url for app in running}
        async with aiohttp.ClientSession() as session:
            for name in ("salesforce", "billing"):
                ready = await _json(session, "GET", f"{urls[name]}/__sim/ready")
                result.add(f"{name} simulator", f"ready at {urls[name]} (seed {ready['seed']})")
            health = await _json(session, "GET", f"{urls['core']}/health")
            result.add("integration core", f"{health['status']} at {urls['core']}")

            first = await _json(session, "POST", f"{urls['billing']}/__sim/seed", {"seed": seed})
            second = await _json(session, "POST", f"{urls['billing']}/__sim/seed", {"seed": seed})
            result.add(
                "deterministic seed",
                "same seed, same data" if first == second else "MISMATCH",
                ok=first == second,
            )

            with console.status("webhook round trip through the billing outbox..."):
                endpoint = await _json(
                    session,
                    "POST",
                    f"{urls['billing']}/__sim/webhooks/endpoints",
                    {"url": f"{urls['receiver']}/webhooks", "event_types": ["demo.*"]},
                )
                receiver.secrets.append(endpoint["secret"])
                event = await _json(
                    session,
                    "POST",
                    f"{urls['billing']}/__sim/webhooks/events",
                    {"type": "demo.ping", "data": {"hello": "q2c"}},
                )
                await _wait_for_attempts(session, urls["billing"], event["id"], 1)
                # The receiver failed the first attempt; the next retry is due 5 s (+-20%) later
                # on the *virtual* clock, so move it forward instead of waiting.
                await _json(session, "POST", f"{urls['billing']}/__sim/clock", {"advance_by": "PT7S"})
                delivery = await _wait_for_attempts(session, urls["billing"], event["id"], 2)
            statuses = [a["status"] for a in delivery["attempts"]]
            delivered = delivery["state"] == "succeeded" and receiver.rejected == 0
            result.add(
                "signed webhook (Standard Webhooks)",
                f"{delivery['state']} after {len(statuses)} attempts {statuses}, same webhook-id, "
                f"signature verified",
                ok=delivered,
            )

            faulted = await _fault_sequence(session, urls["billing"])
            result.add("fault sequence 503,ok", faulted, ok=faulted == "[503, 404]")

            for name in ("salesforce", "billing"):
                usage = await _json(session, "GET", f"{urls[name]}/__sim/usage")
                result.add(f"{name} metered calls (24 h window)", usage["total"])
    finally:
        await stop_apps(running)
    result.add("elapsed", f"{time.perf_counter() - started:.2f} s")
    return result


async def _wait_for_attempts(
    session: aiohttp.ClientSession, billing_url: str, message_id: str, attempts: int
) -> dict[str, Any]:
    """The control plane's long-poll: returns once the delivery has made that many attempts."""
    body = {"message_id": message_id, "min_attempts": attempts, "timeout_seconds": 10}
    delivery: dict[str, Any] = await _json(
        session, "POST", f"{billing_url}/__sim/webhooks/deliveries/wait", body
    )
    return delivery


async def _fault_sequence(session: aiohttp.ClientSession, billing_url: str) -> str:
    """Two requests carrying the same X-Sim-Fault script: the first gets 503, the second passes."""
    statuses = []
    for _ in range(2):
        async with session.get(f"{billing_url}/no-such-route", headers={"X-Sim-Fault": "503,ok"}) as response:
            statuses.append(response.status)
    return str(statuses)


def run_demo(*, seed: int, console: Console) -> int:
    result = asyncio.run(_run(seed, console))
    table = Table(title="q2c demo", title_justify="left")
    table.add_column("step")
    table.add_column("result")
    for what, value in result.rows:
        table.add_row(what, value)
    console.print(table)
    console.print("[green]demo passed[/green]" if result.ok else "[red]demo failed[/red]")
    return 0 if result.ok else 1
