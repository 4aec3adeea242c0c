"""``q2c bench http``: request throughput measured by ``wrk``, with the baseline and a peer in one run.

Python load generators saturate before a Python server does (the old ``q2c bench salesforce``
GET figure measured its own client). Here the load comes from ``wrk`` (native, Debian's package,
installed by the bench when missing), and every figure is a ratio to a bare aiohttp server
returning the same JSON body, driven the same way in the same run:

* ``bare``: one aiohttp handler answering a record-sized JSON body; nothing else.
* ``salesforce_get``: ``GET /services/data/v59.0/sobjects/Account/{id}`` (session check, meter,
  journal, ``Sforce-Limit-Info``).
* ``salesforce_soql``: ``GET /services/data/v59.0/query?q=SELECT ... WHERE Id = '...'``.
* ``billing_get``: ``GET /accounts/{id}`` on the billing contract.
* ``localstripe_get``: ``GET /v1/customers/{id}`` on localstripe (a peer: a stateful fake of a
  billing API in Python), installed in the bench's own virtualenv under ``.q2c/bench/``.

Each server runs in its own process (``python -m loadtests.bench.http serve <target>``), one
round drives every target in turn for the same time, and rounds are interleaved, so a noisy
neighbour hits all of them alike; the table shows medians. The proof that ``wrk`` is not the
bottleneck is in the same run: the server process's CPU time over each run (about one core for a
saturated single-threaded Python server) next to wrk's own.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rich.console import Console
from rich.table import Table

from loadtests.runner import free_port

START = datetime(2026, 3, 1, tzinfo=UTC)
LOCALSTRIPE_VERSION = "1.15.10"
LOCALSTRIPE_KEY = "sk_test_12345"
GOALS = {"salesforce_get": 0.5, "salesforce_soql": 0.4, "billing_get": 0.5}
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Target:
    name: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Server:
    """A server process the bench started, and the targets it serves."""

    process: subprocess.Popen[str]
    targets: list[Target]

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# -- wrk -------------------------------------------------------------------------------------------


def ensure_wrk() -> str:
    """The wrk binary; installed from Debian's packages when missing and we may (root)."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL)
        found = shutil.which("wrk")
        if found:
            return found
    raise SystemExit("wrk is not installed: `sudo apt-get install wrk` (Debian/Ubuntu), then run again")


_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


@dataclass(frozen=True)
class WrkRun:
    requests_per_second: float
    errors: int
    server_cpu: float
    """Server CPU seconds per wall second (1.0: one core busy all along)."""
    wrk_cpu: float


def run_wrk(wrk: str, target: Target, server: Server, seconds: float, connections: int) -> WrkRun:
    command = [wrk, "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency"]
    for name, value in target.headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(target.url)
    server_before = server.cpu_seconds()
    children_before = os.times()
    started = time.perf_counter()
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - started
    children_after = os.times()
    server_cpu = (server.cpu_seconds() - server_before) / wall
    wrk_cpu = (
        children_after.children_user
        + children_after.children_system
        - children_before.children_user
        - children_before.children_system
    ) / wall
    rate = _RATE.search(out)
    if rate is None:
        raise RuntimeError(f"wrk printed no rate for {target.name}:\n{out}")
    errors = sum(int(n) for n in _NON_2XX.findall(out))
    socket = _SOCKET_ERRORS.search(out)
    if socket:
        errors += sum(int(n) for n in socket.groups())
    return WrkRun(float(rate.group(1)), errors, round(server_cpu, 2), round(wrk_cpu, 2))


# -- the servers (each its own process) -------------------------------------------------------------


def _start(*args: str) -> Server:
    process = subprocess.Popen(
        [sys.executable, "-m", "loadtests.bench.http", "serve", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.wait()
        raise RuntimeError(f"bench server {args} exited with {process.returncode} before it was ready")
    targets = [Target(**t) for t in json.loads(line)]
    return Server(process, targets)


def localstripe_bin() -> Path:
    """localstripe in its own virtualenv (its pinned dependencies stay out of ours)."""
    venv = Path(".q2c/bench/localstripe-venv").resolve()
    binary = venv / "bin" / "localstripe"
    if not binary.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", f"localstripe=={LOCALSTRIPE_VERSION}"], check=True
        )
    return binary


def start_localstripe() -> Server:
    import urllib.request

    port = free_port()
    process = subprocess.Popen(
        [str(localstripe_bin()), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {LOCALSTRIPE_KEY}"}
    deadline = time.monotonic() + 30
    while True:
        # Poll until localstripe listens: it is a foreign process with no readiness signal.
        request = urllib.request.Request(
            f"{base}/v1/customers", data=b"email=bench%40example.com&name=Bench", headers=auth
        )
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                customer = json.loads(response.read())
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("localstripe did not start") from None
            time.sleep(0.2)
    return Server(process, [Target("localstripe_get", f"{base}/v1/customers/{customer['id']}", auth)])


async def _serve_bare(body: dict[str, Any]) -> list[Target]:
    from aiohttp import web

    from simulators.kit.serve import AppSpec, start_app

    async def handler(request: web.Request) -> web.Response:
        return web.json_response(body)

    app = web.Application()
    app.router.add_get("/bare/{record_id}", handler)
    server = await start_app(AppSpec("bare", app, "127.0.0.1", 0))
    return [Target("bare", f"{server.url}/bare/001")]


async def _serve_salesforce(records: int) -> list[Target]:

    from simulators.kit.serve import AppSpec, start_app
    from simulators.salesforce.api.routes import STATE
    from simulators.salesforce.app import SalesforceSettings, create_app

    app = create_app(SalesforceSettings(clock_start=START, frozen_clock=True, enforce_limits=False))
    server = await start_app(AppSpec("salesforce", app, "127.0.0.1", 0))
    await app[STATE].load(42, {"accounts": records, "contacts": 0, "products": 0, "orders": 0})
    from loadtests.bench.salesforce import salesforce_token

    token = await salesforce_token(server.url)
    org = app[STATE].default_org()
    record_id = next(iter(org.store.scan("Account"))).id
    auth = {"Authorization": f"Bearer {token}"}
    soql = quote(f"SELECT Id, Name, Billing_Account_Number__c FROM Account WHERE Id = '{record_id}'")
    return [
        Target("salesforce_get", f"{server.url}/services/data/v59.0/sobjects/Account/{record_id}", auth),
        Target("salesforce_soql", f"{server.url}/services/data/v59.0/query?q={soql}", auth),
    ]


async def _serve_billing(records: int) -> list[Target]:
    from loadtests.bench.billing import populate
    from simulators.billing.api.state import BILLING_API, DEFAULT_API_KEY
    from simulators.billing.app import BillingSettings, create_app
    from simulators.kit.serve import AppSpec, start_app

    settings = BillingSettings(rate_limit=None, counts={"accounts": 0}, clock_start=START, clock_frozen=True)
    app = create_app(settings)
    server = await start_app(AppSpec("billing", app, "127.0.0.1", 0))
    ids = populate(app[BILLING_API].system, records)
    auth = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
    return [Target("billing_get", f"{server.url}/accounts/{ids[len(ids) // 2]}", auth)]


async def _serve(kind: str, records: int, body: dict[str, Any]) -> None:
    if kind == "bare":
        targets = await _serve_bare(body)
    elif kind == "salesforce":
        targets = await _serve_salesforce(records)
    elif kind == "billing":
        targets = await _serve_billing(records)
    else:
        raise SystemExit(f"unknown server {kind!r}")
    print(json.dumps([t.__dict__ for t in targets]), flush=True)
    # Serve until the bench closes our stdin.
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


# -- the run ----------------------------------------------------------------------------------------


@contextmanager
def _servers(console: Console, records: int, peer: bool) -> Iterator[list[Server]]:
    import tempfile
    import urllib.request

    started: list[Server] = []
    status = console.status(f"starting the servers with {records:,} records each...")
    status.start()
    try:
        salesforce = _start("salesforce", "--records", str(records))
        started.append(salesforce)
        sample = salesforce.targets[0]
        request = urllib.request.Request(sample.url, headers=sample.headers)
        with urllib.request.urlopen(request) as response:
            body = response.read()
        with tempfile.NamedTemporaryFile("wb", suffix=".json", delete=False) as handle:
            handle.write(body)
        started.insert(0, _start("bare", "--body", handle.name))
        started.append(_start("billing", "--records", str(records)))
        if peer:
            started.append(start_localstripe())
        status.stop()
        yield started
    finally:
        status.stop()
        for server in started:
            server.stop()


def measure(
    console: Console, *, records: int, seconds: float, rounds: int, connections: int, peer: bool
) -> dict[str, Any]:
    wrk = ensure_wrk()
    runs: dict[str, list[WrkRun]] = {}
    with _servers(console, records, peer) as servers:
        for number in range(rounds):
            for server in servers:
                for target in server.targets:
                    with console.status(f"round {number + 1}/{rounds}: {target.name} ({seconds:g} s)"):
                        runs.setdefault(target.name, []).append(
                            run_wrk(wrk, target, server, seconds, connections)
                        )
    return summarise(runs, records)


def summarise(runs: dict[str, list[WrkRun]], records: int) -> dict[str, Any]:
    bare = [run.requests_per_second for run in runs["bare"]]
    figures: dict[str, Any] = {"records": records, "targets": {}}
    for name, target_runs in runs.items():
        rates = [run.requests_per_second for run in target_runs]
        figures["targets"][name] = {
            "requests_per_second": round(statistics.median(rates)),
            "ratio_to_bare": round(statistics.median(r / b for r, b in zip(rates, bare, strict=True)), 3),
            "ratios_by_round": [round(r / b, 3) for r, b in zip(rates, bare, strict=True)],
            "errors": sum(run.errors for run in target_runs),
            "server_cpu": statistics.median(run.server_cpu for run in target_runs),
            "wrk_cpu": statistics.median(run.wrk_cpu for run in target_runs),
        }
    targets = figures["targets"]
    figures["goals_met"] = {
        name: targets[name]["ratio_to_bare"] >= goal for name, goal in GOALS.items() if name in targets
    }
    if "localstripe_get" in targets:
        figures["goals_met"]["billing_vs_localstripe"] = (
            targets["billing_get"]["requests_per_second"]
            >= 2 * targets["localstripe_get"]["requests_per_second"]
        )
    return figures


def run(
    console: Console,
    *,
    quick: bool,
    records: list[int],
    seconds: float,
    rounds: int,
    connections: int,
    peer: bool,
) -> list[dict[str, Any]]:
    if quick:
        records, seconds, rounds = [1_000], min(seconds, 2.0), 1
    results = []
    for size in records:
        figures = measure(
            console, records=size, seconds=seconds, rounds=rounds, connections=connections, peer=peer
        )
        results.append(figures)
        table = Table(
            title=f"wrk -t1 -c{connections}, {rounds} interleaved rounds of {seconds:g} s, {size:,} records",
            title_justify="left",
        )
        for column in (
            "target",
            "req/s (median)",
            "ratio to bare",
            "by round",
            "server CPU",
            "wrk CPU",
            "errors",
        ):
            table.add_column(column, justify="left" if column == "target" else "right")
        for name, row in figures["targets"].items():
            table.add_row(
                name,
                f"{row['requests_per_second']:,}",
                f"{row['ratio_to_bare']:.2f}",
                " ".join(f"{r:.2f}" for r in row["ratios_by_round"]),
                f"{row['server_cpu']:.2f}",
                f"{row['wrk_cpu']:.2f}",
                str(row["errors"]),
            )
        console.print(table)
    return results


def main(argv: list[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m loadtests.bench.http")
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("kind")
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--body")
    args = parser.parse_args(argv)
    body = json.loads(Path(args.body).read_text()) if args.body else {"Id": "001"}
    asyncio.run(_serve(args.kind, args.records, body))


if __name__ == "__main__":
    main(sys.argv[1:])
