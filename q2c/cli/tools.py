"""``q2c demo``, ``q2c load``, ``q2c locust`` and ``q2c bench``: runs and measurements."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from contracts import defaults
from q2c.cli.groups import grouped
from q2c.options import SeedOpt, path_option


def demo(
    seed: SeedOpt = defaults.DEFAULT_SEED,
    accounts: Annotated[
        int, typer.Option("--accounts", min=10, max=20_000, help="Salesforce accounts to seed.")
    ] = 500,
) -> None:
    """Run the whole Quote-to-Cash flow on free ports: seed, link, bill two periods, sync, reconcile."""
    from q2c.demo import run_demo

    raise typer.Exit(run_demo(seed=seed, accounts=accounts, console=Console()))


def locust(ctx: typer.Context) -> None:
    """Run locust (from the `load` extra) with the given arguments, e.g. for distributed workers."""
    import os
    import shutil

    executable = shutil.which("locust") or str(Path(sys.executable).with_name("locust"))
    if not Path(executable).exists():
        Console(stderr=True).print("[red]locust is not installed: pip install 'q2c-sandbox[load]'[/red]")
        raise typer.Exit(2)
    os.execv(executable, [executable, *ctx.args])


@dataclass(frozen=True)
class LoadFlags:
    """Every ``q2c load`` option, declared once; ``options()`` builds the runner's settings."""

    users: Annotated[int | None, typer.Option("--users", "-u", min=1, help="Default: the scenario's.")] = None
    spawn_rate: Annotated[float | None, typer.Option("--spawn-rate", "-r", min=0.1)] = None
    run_time: Annotated[str | None, typer.Option("--run-time", "-t", help="e.g. 30s (an upper bound).")] = (
        None
    )
    workers: Annotated[
        int, typer.Option("--workers", min=0, help="locust worker processes (0: one process).")
    ] = 0
    gate: Annotated[bool, typer.Option("--gate/--no-gate", help="Exit 3 on a breached gate.")] = True
    report_dir: Annotated[Path, path_option("--report-dir", help="JSON, HTML and gate reports.")] = Path(
        "reports/load"
    )
    record_by_record: Annotated[
        bool, typer.Option("--record-by-record/--bulk", help="Start the core as the naive baseline.")
    ] = False
    compare: Annotated[
        bool, typer.Option("--compare", help="Run bulkified, then record by record: side by side.")
    ] = False
    seed: SeedOpt = defaults.DEFAULT_SEED
    workload: Annotated[
        list[str] | None, typer.Option("--workload", help="Override a gates.yaml workload value: key=value.")
    ] = None
    gates_file: Annotated[Path | None, path_option("--gates", exists=True, dir_okay=False)] = None
    salesforce_url: Annotated[
        str | None, typer.Option("--salesforce-url", help="Target instead of starting.")
    ] = None
    billing_url: Annotated[str | None, typer.Option("--billing-url")] = None
    core_url: Annotated[str | None, typer.Option("--core-url")] = None

    def options(self, scenario: str, locust_args: list[str]) -> Any:
        """The ``loadtests.runner.LoadOptions`` these flags describe."""
        from loadtests.runner import LoadOptions

        return LoadOptions(
            scenario=scenario,
            users=self.users,
            spawn_rate=self.spawn_rate,
            run_time=self.run_time,
            workers=self.workers,
            gate=self.gate,
            report_dir=self.report_dir,
            record_by_record=self.record_by_record,
            seed=self.seed,
            salesforce_url=self.salesforce_url,
            billing_url=self.billing_url,
            core_url=self.core_url,
            gates_file=self.gates_file,
            workload=tuple(self.workload or ()),
            locust_args=tuple(locust_args),
        )


@grouped
def load(
    ctx: typer.Context,
    flags: LoadFlags,
    scenario: Annotated[
        str, typer.Argument(help="link, invoice_sync or simulators (loadtests/locustfiles).")
    ],
) -> None:
    """Run a load scenario headless with its gates (loadtests/gates.yaml): exit 0 pass, 3 breach.
    Arguments after `--` go to locust."""
    from loadtests import runner

    try:
        options = flags.options(scenario, ctx.args)
        code = runner.run_compare(options) if flags.compare else runner.run_load(options)
    except (runner.LoadError, ValueError) as exc:
        Console(stderr=True).print(f"[red]q2c load: {exc}[/red]")
        raise typer.Exit(2) from None
    raise typer.Exit(code)


bench_app = typer.Typer(help="Benchmarks, measured side by side in one run (see docs/benchmarks.md).")
BENCHMARKS = {
    "salesforce": "loadtests.bench.salesforce",
    "billing": "loadtests.bench.billing",
    "link": "loadtests.bench.link",
    "orders": "loadtests.bench.orders",
    "startup": "q2c.startup",
    "http": "loadtests.bench.http",
    "soql": "loadtests.bench.soql",
    "web": "loadtests.bench.web",
    "events": "q2c.bench_events",
}
QuickOpt = Annotated[bool, typer.Option("--quick", help="Smaller sizes, for a smoke run.")]


def _run_bench(name: str, quick: bool, **options: Any) -> None:
    import importlib
    import json

    console = Console()
    try:
        module = importlib.import_module(BENCHMARKS[name])
    except ModuleNotFoundError:
        console.print(f"[red]benchmark {name!r} is not available yet[/red]")
        raise typer.Exit(2) from None
    figures = module.run(console, quick=quick, **options)
    console.print_json(json.dumps(figures, default=str))


@bench_app.command("salesforce")
def bench_salesforce(quick: QuickOpt = False) -> None:
    """GET-by-id vs bare aiohttp, composite upsert records/s, SOQL lookup latency, memory at 100k."""
    _run_bench("salesforce", quick)


@bench_app.command("billing")
def bench_billing(quick: QuickOpt = False) -> None:
    """Bill run for 10,000 accounts, read latency under load, webhook deliveries/s."""
    _run_bench("billing", quick)


@bench_app.command("link")
def bench_link(quick: QuickOpt = False) -> None:
    """Accounts linked per second end to end, bulkified vs record by record."""
    _run_bench("link", quick)


@bench_app.command("orders")
def bench_orders(quick: QuickOpt = False) -> None:
    """Order lines per second end to end (activation -> Synced) and Salesforce calls per line."""
    _run_bench("orders", quick)


@bench_app.command("events")
def bench_events(quick: QuickOpt = False) -> None:
    """Change events/s from DML to a subscriber and latency p50/p99, over CometD and Pub/Sub."""
    _run_bench("events", quick)


@bench_app.command("http")
def bench_http(
    quick: QuickOpt = False,
    records: Annotated[
        str, typer.Option("--records", help="Comma-separated data sizes; each gets fresh servers.")
    ] = "10000,100000",
    seconds: Annotated[float, typer.Option("--seconds", min=1, help="Each wrk run.")] = 5.0,
    rounds: Annotated[int, typer.Option("--rounds", min=1, help="Interleaved rounds.")] = 3,
    connections: Annotated[int, typer.Option("--connections", min=1)] = 16,
    peer: Annotated[bool, typer.Option("--peer/--no-peer", help="Measure localstripe too.")] = True,
) -> None:
    """Requests/s by wrk: simulators vs a bare aiohttp server (and localstripe), side by side."""
    sizes = [int(size) for size in records.split(",") if size.strip()]
    _run_bench(
        "http", quick, records=sizes, seconds=seconds, rounds=rounds, connections=connections, peer=peer
    )


@bench_app.command("soql")
def bench_soql(
    quick: QuickOpt = False,
    sizes: Annotated[
        str, typer.Option("--sizes", help="Comma-separated Account counts.")
    ] = "10000,100000,1000000",
    seconds: Annotated[float, typer.Option("--seconds", min=1, help="Each mixed-load run.")] = 5.0,
) -> None:
    """SOQL query times at each size, and event-loop lag while scans and GETs run together."""
    _run_bench("soql", quick, sizes=[int(size) for size in sizes.split(",") if size.strip()], seconds=seconds)


@bench_app.command("web")
def bench_web(quick: QuickOpt = False) -> None:
    """Each console page's server-side render time with 10,000 accounts loaded (goal < 300 ms)."""
    _run_bench("web", quick)


@bench_app.command("startup")
def bench_startup(
    quick: QuickOpt = False,
    runs: Annotated[
        int | None, typer.Option("--runs", min=1, help="Fresh `q2c up` runs (default 7).")
    ] = None,
) -> None:
    """`q2c up` from the command to all three components ready, over several fresh runs (goal < 2 s)."""
    _run_bench("startup", quick, runs=runs)


def register(app: typer.Typer) -> None:
    app.command()(demo)
    app.command(
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []},
        add_help_option=False,
    )(locust)
    app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(load)
    app.add_typer(bench_app, name="bench")
