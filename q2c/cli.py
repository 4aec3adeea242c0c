"""The ``q2c`` console entry point."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from q2c import config as defaults
from q2c.config import RuntimeConfig, parse_hosts

app = typer.Typer(
    name="q2c",
    help="q2c-sandbox: Salesforce, billing and the integration core between them, on your laptop.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

HostOpt = Annotated[str, typer.Option("--host", envvar="Q2C_HOST", help="Interface to bind.")]
SeedOpt = Annotated[int, typer.Option("--seed", envvar="Q2C_SEED", min=0, help="Seed for ids and data.")]
StateDirOpt = Annotated[
    Path, typer.Option("--state-dir", envvar="Q2C_STATE_DIR", help="Local state: SQLite, TLS CA, snapshots.")
]
PortDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--port-dir", envvar="Q2C_PORT_DIR", help="Write <component>.port files here (useful with port 0)."
    ),
]
WebhookHostsOpt = Annotated[
    str,
    typer.Option(
        "--webhook-hosts",
        envvar="Q2C_WEBHOOK_HOSTS",
        help="Comma-separated hosts webhooks may be delivered to (loopback only by default).",
    ),
]
SalesforcePortOpt = Annotated[
    int, typer.Option("--salesforce-port", envvar="Q2C_SALESFORCE_PORT", min=0, max=65535)
]
BillingPortOpt = Annotated[int, typer.Option("--billing-port", envvar="Q2C_BILLING_PORT", min=0, max=65535)]
CorePortOpt = Annotated[int, typer.Option("--core-port", envvar="Q2C_CORE_PORT", min=0, max=65535)]
DEFAULT_WEBHOOK_HOSTS = ",".join(defaults.WEBHOOK_HOSTS)


def _config(
    *,
    host: str,
    seed: int,
    state_dir: Path,
    port_dir: Path | None,
    webhook_hosts: str,
    salesforce_port: int = defaults.SALESFORCE_PORT,
    billing_port: int = defaults.BILLING_PORT,
    core_port: int = defaults.CORE_PORT,
) -> RuntimeConfig:
    try:
        hosts = parse_hosts(webhook_hosts)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--webhook-hosts") from None
    return RuntimeConfig(
        host=host,
        seed=seed,
        salesforce_port=salesforce_port,
        billing_port=billing_port,
        core_port=core_port,
        state_dir=state_dir,
        port_dir=port_dir,
        webhook_hosts=hosts,
    )


@app.command()
def up(
    host: HostOpt = defaults.DEFAULT_HOST,
    seed: SeedOpt = defaults.DEFAULT_SEED,
    salesforce_port: SalesforcePortOpt = defaults.SALESFORCE_PORT,
    billing_port: BillingPortOpt = defaults.BILLING_PORT,
    core_port: CorePortOpt = defaults.CORE_PORT,
    state_dir: StateDirOpt = defaults.STATE_DIR,
    port_dir: PortDirOpt = None,
    webhook_hosts: WebhookHostsOpt = DEFAULT_WEBHOOK_HOSTS,
) -> None:
    """Run the Salesforce simulator, the billing simulator and the integration core in one process."""
    from q2c.runtime import billing_spec, core_spec, run_components, salesforce_spec

    config = _config(
        host=host,
        seed=seed,
        state_dir=state_dir,
        port_dir=port_dir,
        webhook_hosts=webhook_hosts,
        salesforce_port=salesforce_port,
        billing_port=billing_port,
        core_port=core_port,
    )
    specs = [salesforce_spec(config), billing_spec(config), core_spec(config)]
    run_components(specs, seed=seed, console=Console())


@app.command()
def salesforce(
    host: HostOpt = defaults.DEFAULT_HOST,
    port: SalesforcePortOpt = defaults.SALESFORCE_PORT,
    seed: SeedOpt = defaults.DEFAULT_SEED,
    state_dir: StateDirOpt = defaults.STATE_DIR,
    port_dir: PortDirOpt = None,
    webhook_hosts: WebhookHostsOpt = DEFAULT_WEBHOOK_HOSTS,
) -> None:
    """Run the Salesforce simulator alone (port 8701)."""
    from q2c.runtime import run_components, salesforce_spec

    config = _config(
        host=host,
        seed=seed,
        state_dir=state_dir,
        port_dir=port_dir,
        webhook_hosts=webhook_hosts,
        salesforce_port=port,
    )
    run_components([salesforce_spec(config)], seed=seed, console=Console())


@app.command()
def billing(
    host: HostOpt = defaults.DEFAULT_HOST,
    port: BillingPortOpt = defaults.BILLING_PORT,
    seed: SeedOpt = defaults.DEFAULT_SEED,
    state_dir: StateDirOpt = defaults.STATE_DIR,
    port_dir: PortDirOpt = None,
    webhook_hosts: WebhookHostsOpt = DEFAULT_WEBHOOK_HOSTS,
) -> None:
    """Run the billing simulator alone (port 8702)."""
    from q2c.runtime import billing_spec, run_components

    config = _config(
        host=host,
        seed=seed,
        state_dir=state_dir,
        port_dir=port_dir,
        webhook_hosts=webhook_hosts,
        billing_port=port,
    )
    run_components([billing_spec(config)], seed=seed, console=Console())


@app.command()
def core(
    host: HostOpt = defaults.DEFAULT_HOST,
    port: CorePortOpt = defaults.CORE_PORT,
    salesforce_url: Annotated[
        str, typer.Option("--salesforce-url", envvar="Q2C_SALESFORCE_URL", help="Salesforce instance URL.")
    ] = f"http://{defaults.DEFAULT_HOST}:{defaults.SALESFORCE_PORT}",
    billing_url: Annotated[
        str, typer.Option("--billing-url", envvar="Q2C_BILLING_URL", help="Billing adapter base URL.")
    ] = f"http://{defaults.DEFAULT_HOST}:{defaults.BILLING_PORT}",
    state_dir: StateDirOpt = defaults.STATE_DIR,
    port_dir: PortDirOpt = None,
) -> None:
    """Run the integration core alone (port 8703), pointed at Salesforce and a billing adapter."""
    from q2c.runtime import core_spec, run_components

    config = _config(
        host=host,
        seed=defaults.DEFAULT_SEED,
        state_dir=state_dir,
        port_dir=port_dir,
        webhook_hosts=DEFAULT_WEBHOOK_HOSTS,
        core_port=port,
    )
    spec = core_spec(config, salesforce_url=salesforce_url, billing_url=billing_url)
    run_components([spec], seed=config.seed, console=Console())


@app.command()
def demo(
    seed: SeedOpt = defaults.DEFAULT_SEED,
) -> None:
    """Start the whole system on free ports, exercise it end to end and print a summary."""
    from q2c.demo import run_demo

    raise typer.Exit(run_demo(seed=seed, console=Console()))


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []},
    add_help_option=False,
)
def locust(ctx: typer.Context) -> None:
    """Run locust (from the `load` extra) with the given arguments, e.g. for distributed workers."""
    import os
    import shutil

    executable = shutil.which("locust") or str(Path(sys.executable).with_name("locust"))
    if not Path(executable).exists():
        Console(stderr=True).print("[red]locust is not installed: pip install 'q2c-sandbox[load]'[/red]")
        raise typer.Exit(2)
    os.execv(executable, [executable, *ctx.args])


bench_app = typer.Typer(help="Benchmarks, measured side by side in one run (see docs/benchmarks.md).")
app.add_typer(bench_app, name="bench")
BENCHMARKS = {
    "salesforce": "loadtests.bench.salesforce",
    "billing": "loadtests.bench.billing",
    "link": "loadtests.bench.link",
}


def _run_bench(name: str, quick: bool) -> None:
    import importlib
    import json

    console = Console()
    try:
        module = importlib.import_module(BENCHMARKS[name])
    except ModuleNotFoundError:
        console.print(f"[red]benchmark {name!r} is not available yet[/red]")
        raise typer.Exit(2) from None
    figures = module.run(console, quick=quick)
    console.print_json(json.dumps(figures, default=str))


QuickOpt = Annotated[bool, typer.Option("--quick", help="Smaller sizes, for a smoke run.")]


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


def main() -> None:
    app()
