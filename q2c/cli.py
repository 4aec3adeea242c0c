"""The ``q2c`` console entry point."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from contracts import defaults
from q2c.options import (
    DEFAULT_CORE_URL,
    DEFAULT_WEBHOOK_HOSTS,
    AccountIdsArg,
    ApiLimitOpt,
    BillingAccountsOpt,
    BillingApiKeyOpt,
    BillingPortOpt,
    BillingRateBurstOpt,
    BillingRateLimitOpt,
    CorePortOpt,
    CoreTokenOpt,
    CoreUrlOpt,
    CountryRuleOpt,
    HostOpt,
    JsonOpt,
    PortDirOpt,
    SalesforcePortOpt,
    SalesforceSchemaOpt,
    SalesforceTlsOpt,
    SeedOpt,
    SessionTimeoutOpt,
    StateDirOpt,
    WebhookHostsOpt,
)
from sandbox.config import RuntimeConfig, parse_hosts

app = typer.Typer(
    name="q2c",
    help="q2c-sandbox: Salesforce, billing and the integration core between them, on your laptop.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _billing_options(
    rate_limit: float, rate_burst: int, api_keys: list[str] | None, accounts: int | None
) -> dict[str, Any]:
    """The billing simulator's options, shared by ``billing`` and ``up`` (rate 0: unlimited)."""
    return {
        "rate_limit": rate_limit or None,
        "rate_burst": rate_burst,
        "api_keys": tuple(api_keys or (defaults.BILLING_API_KEY,)),
        "accounts": accounts,
    }


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
    salesforce_tls: Annotated[
        bool,
        typer.Option(
            "--salesforce-tls/--no-salesforce-tls",
            envvar="Q2C_SALESFORCE_TLS",
            help="Serve the Salesforce simulator over HTTPS from the local CA (<state-dir>/ca.pem).",
        ),
    ] = False,
    salesforce_schema: SalesforceSchemaOpt = None,
    country_rule: CountryRuleOpt = False,
    api_limit: ApiLimitOpt = None,
    billing_rate_limit: BillingRateLimitOpt = 25.0,
    billing_rate_burst: BillingRateBurstOpt = 50,
    billing_api_key: BillingApiKeyOpt = None,
    billing_accounts: BillingAccountsOpt = None,
) -> None:
    """Run the Salesforce simulator, the billing simulator and the integration core in one process."""
    from sandbox.runtime import billing_settings, run_system, salesforce_settings
    from sandbox.system import SystemOptions

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
    options = SystemOptions(
        host=config.host,
        salesforce_port=config.salesforce_port,
        billing_port=config.billing_port,
        core_port=config.core_port,
        state_dir=config.state_dir,
        port_dir=config.port_dir,
        salesforce=salesforce_settings(
            config,
            schema_files=tuple(salesforce_schema or ()),
            country_rule=country_rule,
            api_limit=api_limit,
        ),
        billing=billing_settings(
            config,
            **_billing_options(billing_rate_limit, billing_rate_burst, billing_api_key, billing_accounts),
        ),
        tls=salesforce_tls,
    )
    run_system(options, seed=seed, console=Console())


@app.command()
def salesforce(
    host: HostOpt = defaults.DEFAULT_HOST,
    port: Annotated[
        int, typer.Option("--port", "--salesforce-port", envvar="Q2C_SALESFORCE_PORT", min=0, max=65535)
    ] = defaults.SALESFORCE_PORT,
    seed: SeedOpt = defaults.DEFAULT_SEED,
    state_dir: StateDirOpt = defaults.STATE_DIR,
    port_dir: PortDirOpt = None,
    webhook_hosts: WebhookHostsOpt = DEFAULT_WEBHOOK_HOSTS,
    tls: SalesforceTlsOpt = False,
    schema: SalesforceSchemaOpt = None,
    country_rule: CountryRuleOpt = False,
    api_limit: ApiLimitOpt = None,
    session_timeout: SessionTimeoutOpt = None,
) -> None:
    """Run the Salesforce simulator alone (port 8701)."""
    from sandbox.runtime import run_components, salesforce_spec

    config = _config(
        host=host,
        seed=seed,
        state_dir=state_dir,
        port_dir=port_dir,
        webhook_hosts=webhook_hosts,
        salesforce_port=port,
    )
    try:
        spec = salesforce_spec(
            config,
            tls=tls,
            schema_files=tuple(schema or ()),
            country_rule=country_rule,
            api_limit=api_limit,
            session_timeout=session_timeout,
        )
    except ValueError as exc:  # a --schema file that cannot be used (SchemaError)
        raise typer.BadParameter(str(exc), param_hint="--schema") from None
    run_components([spec], seed=seed, console=Console())


@app.command()
def billing(
    host: HostOpt = defaults.DEFAULT_HOST,
    port: Annotated[
        int, typer.Option("--port", "--billing-port", envvar="Q2C_BILLING_PORT", min=0, max=65535)
    ] = defaults.BILLING_PORT,
    seed: SeedOpt = defaults.DEFAULT_SEED,
    state_dir: StateDirOpt = defaults.STATE_DIR,
    port_dir: PortDirOpt = None,
    webhook_hosts: WebhookHostsOpt = DEFAULT_WEBHOOK_HOSTS,
    rate_limit: BillingRateLimitOpt = 25.0,
    rate_burst: BillingRateBurstOpt = 50,
    api_key: BillingApiKeyOpt = None,
    accounts: BillingAccountsOpt = None,
) -> None:
    """Run the billing simulator alone (port 8702)."""
    from sandbox.runtime import billing_spec, run_components

    config = _config(
        host=host,
        seed=seed,
        state_dir=state_dir,
        port_dir=port_dir,
        webhook_hosts=webhook_hosts,
        billing_port=port,
    )
    spec = billing_spec(config, **_billing_options(rate_limit, rate_burst, api_key, accounts))
    run_components([spec], seed=seed, console=Console())


@app.command()
def core(
    host: HostOpt = defaults.DEFAULT_HOST,
    port: Annotated[
        int, typer.Option("--port", "--core-port", envvar="Q2C_CORE_PORT", min=0, max=65535)
    ] = defaults.CORE_PORT,
    salesforce_url: Annotated[
        str,
        typer.Option("--salesforce-url", envvar="Q2C_SALESFORCE_URL", help="Salesforce login/instance URL."),
    ] = f"http://{defaults.DEFAULT_HOST}:{defaults.SALESFORCE_PORT}",
    salesforce_client_id: Annotated[
        str, typer.Option("--salesforce-client-id", envvar="Q2C_SALESFORCE_CLIENT_ID")
    ] = defaults.SALESFORCE_CLIENT_ID,
    salesforce_client_secret: Annotated[
        str, typer.Option("--salesforce-client-secret", envvar="Q2C_SALESFORCE_CLIENT_SECRET")
    ] = defaults.SALESFORCE_CLIENT_SECRET,
    salesforce_ca_file: Annotated[
        Path | None,
        typer.Option(
            "--salesforce-ca-file",
            envvar="Q2C_SALESFORCE_CA_FILE",
            help="CA bundle to trust (the simulator's .q2c/ca.pem with --tls).",
        ),
    ] = None,
    billing_url: Annotated[
        str, typer.Option("--billing-url", envvar="Q2C_BILLING_URL", help="Billing adapter base URL.")
    ] = f"http://{defaults.DEFAULT_HOST}:{defaults.BILLING_PORT}",
    billing_api_key: Annotated[
        str, typer.Option("--billing-api-key", envvar="Q2C_BILLING_API_KEY")
    ] = defaults.BILLING_API_KEY,
    token: Annotated[str, typer.Option("--token", envvar="Q2C_CORE_TOKEN", help="The actions API token.")] = (
        defaults.CORE_API_TOKEN
    ),
    webhook_secret: Annotated[
        list[str] | None,
        typer.Option(
            "--webhook-secret",
            envvar="Q2C_CORE_WEBHOOK_SECRETS",
            help="Also accept webhooks signed with this whsec_ secret (an endpoint subscribed by hand; repeatable).",
        ),
    ] = None,
    public_url: Annotated[
        str | None,
        typer.Option(
            "--public-url",
            envvar="Q2C_CORE_PUBLIC_URL",
            help="The URL billing delivers webhooks to (subscribed at start).",
        ),
    ] = None,
    poll_billing: Annotated[
        float,
        typer.Option(
            "--poll-billing",
            envvar="Q2C_CORE_POLL_BILLING",
            min=0,
            help="Seconds between polls of billing's event log (0: off, rely on webhooks).",
        ),
    ] = 0.0,
    poll_salesforce: Annotated[
        float,
        typer.Option(
            "--poll-salesforce",
            envvar="Q2C_CORE_POLL_SALESFORCE",
            min=0,
            help="Seconds between delta polls of Salesforce for link requests (0: off).",
        ),
    ] = 0.0,
    record_by_record: Annotated[
        bool,
        typer.Option(
            "--record-by-record/--bulk",
            envvar="Q2C_CORE_RECORD_BY_RECORD",
            help="The naive baseline: one Salesforce call per record (for load-gate comparisons).",
        ),
    ] = False,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            envvar="Q2C_CORE_MAPPING",
            exists=True,
            dir_okay=False,
            help="Your own object and field mapping (default: integration/mapping/mapping.yaml).",
        ),
    ] = None,
    state_dir: StateDirOpt = defaults.STATE_DIR,
    port_dir: PortDirOpt = None,
) -> None:
    """Run the integration core alone (port 8703), pointed at Salesforce and a billing adapter."""
    from integration.core import CoreSettings
    from integration.engine import EngineSettings
    from integration.flows.context import FlowSettings
    from sandbox.runtime import core_spec, run_components

    config = _config(
        host=host,
        seed=defaults.DEFAULT_SEED,
        state_dir=state_dir,
        port_dir=port_dir,
        webhook_hosts=DEFAULT_WEBHOOK_HOSTS,
        core_port=port,
    )
    settings = CoreSettings(
        salesforce_url=salesforce_url,
        salesforce_client_id=salesforce_client_id,
        salesforce_client_secret=salesforce_client_secret,
        salesforce_ca_file=str(salesforce_ca_file) if salesforce_ca_file else None,
        billing_url=billing_url,
        billing_api_key=billing_api_key,
        api_token=token,
        public_url=public_url,
        webhook_secrets=tuple(webhook_secret or ()),
        mapping_path=mapping,
        flows=FlowSettings(record_by_record=record_by_record),
        engine=EngineSettings(billing_poll_interval=poll_billing, salesforce_poll_interval=poll_salesforce),
    )
    run_components([core_spec(config, settings)], seed=config.seed, console=Console())


@app.command()
def demo(
    seed: SeedOpt = defaults.DEFAULT_SEED,
    accounts: Annotated[
        int, typer.Option("--accounts", min=10, max=20_000, help="Salesforce accounts to seed.")
    ] = 500,
) -> None:
    """Run the whole Quote-to-Cash flow on free ports: seed, link, bill two periods, sync, reconcile."""
    from q2c.demo import run_demo

    raise typer.Exit(run_demo(seed=seed, accounts=accounts, console=Console()))


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


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def load(
    ctx: typer.Context,
    scenario: Annotated[
        str, typer.Argument(help="link, invoice_sync or simulators (loadtests/locustfiles).")
    ],
    users: Annotated[
        int | None, typer.Option("--users", "-u", min=1, help="Default: the scenario's.")
    ] = None,
    spawn_rate: Annotated[float | None, typer.Option("--spawn-rate", "-r", min=0.1)] = None,
    run_time: Annotated[
        str | None, typer.Option("--run-time", "-t", help="e.g. 30s (an upper bound).")
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=0, help="locust worker processes (0: one process).")
    ] = 0,
    gate: Annotated[bool, typer.Option("--gate/--no-gate", help="Exit 3 on a breached gate.")] = True,
    report_dir: Annotated[Path, typer.Option("--report-dir", help="JSON, HTML and gate reports.")] = Path(
        "reports/load"
    ),
    record_by_record: Annotated[
        bool, typer.Option("--record-by-record/--bulk", help="Start the core as the naive baseline.")
    ] = False,
    compare: Annotated[
        bool, typer.Option("--compare", help="Run bulkified, then record by record: side by side.")
    ] = False,
    seed: SeedOpt = defaults.DEFAULT_SEED,
    workload: Annotated[
        list[str] | None, typer.Option("--workload", help="Override a gates.yaml workload value: key=value.")
    ] = None,
    gates_file: Annotated[Path | None, typer.Option("--gates", exists=True, dir_okay=False)] = None,
    salesforce_url: Annotated[
        str | None, typer.Option("--salesforce-url", help="Target instead of starting.")
    ] = None,
    billing_url: Annotated[str | None, typer.Option("--billing-url")] = None,
    core_url: Annotated[str | None, typer.Option("--core-url")] = None,
) -> None:
    """Run a load scenario headless with its gates (loadtests/gates.yaml): exit 0 pass, 3 breach.
    Arguments after `--` go to locust."""
    from loadtests.runner import LoadError, LoadOptions, run_compare, run_load

    options = LoadOptions(
        scenario=scenario,
        users=users,
        spawn_rate=spawn_rate,
        run_time=run_time,
        workers=workers,
        gate=gate,
        report_dir=report_dir,
        record_by_record=record_by_record,
        seed=seed,
        salesforce_url=salesforce_url,
        billing_url=billing_url,
        core_url=core_url,
        gates_file=gates_file,
        workload=tuple(workload or ()),
        locust_args=tuple(ctx.args),
    )
    try:
        code = run_compare(options) if compare else run_load(options)
    except (LoadError, ValueError) as exc:
        Console(stderr=True).print(f"[red]q2c load: {exc}[/red]")
        raise typer.Exit(2) from None
    raise typer.Exit(code)


def _action(method: str, path: str, core_url: str, token: str, body: object = None) -> object:
    from q2c.actions_cli import ActionError, call

    try:
        return call(core_url, token, method, path, body)
    except ActionError as exc:
        Console(stderr=True).print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


@app.command()
def link(
    account_ids: AccountIdsArg = None,
    core_url: CoreUrlOpt = DEFAULT_CORE_URL,
    token: CoreTokenOpt = defaults.CORE_API_TOKEN,
    output_json: JsonOpt = False,
) -> None:
    """Link Salesforce Accounts to billing accounts (given ids, or every account requesting it) and wait."""
    import json

    from q2c.actions_cli import print_link

    body: dict[str, object] = {"wait": True, "timeout_seconds": 3600}
    if account_ids:
        body["account_ids"] = account_ids
    result = _action("POST", "/actions/link", core_url, token, body)
    assert isinstance(result, dict)
    if output_json:
        typer.echo(json.dumps(result, indent=2))
    else:
        print_link(Console(), result)


@app.command()
def sync(
    account_ids: AccountIdsArg = None,
    core_url: CoreUrlOpt = DEFAULT_CORE_URL,
    token: CoreTokenOpt = defaults.CORE_API_TOKEN,
) -> None:
    """Sync financials and invoices from billing for linked accounts (given ids, or all) and wait."""
    body: dict[str, object] = {"wait": True, "timeout_seconds": 3600}
    if account_ids:
        body["account_ids"] = account_ids
    result = _action("POST", "/actions/sync", core_url, token, body)
    Console().print_json(data=result)


@app.command()
def query(
    account_id: Annotated[str, typer.Argument(help="A Salesforce Account Id.")],
    core_url: CoreUrlOpt = DEFAULT_CORE_URL,
    token: CoreTokenOpt = defaults.CORE_API_TOKEN,
) -> None:
    """What the core knows of one account: its link, last link outcome, financials, open jobs."""
    Console().print_json(data=_action("GET", f"/actions/accounts/{account_id}", core_url, token))


@app.command()
def reconcile(
    core_url: CoreUrlOpt = DEFAULT_CORE_URL,
    token: CoreTokenOpt = defaults.CORE_API_TOKEN,
    output_json: JsonOpt = False,
) -> None:
    """Compare every linked account in Salesforce with billing; exit 1 when anything drifted."""
    import json

    from q2c.actions_cli import print_drift

    report = _action("POST", "/actions/reconcile", core_url, token)
    assert isinstance(report, dict)
    if output_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        print_drift(Console(), report)
    raise typer.Exit(1 if report["drift_count"] else 0)


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


@app.command()
def verify(
    target: Annotated[
        str, typer.Option("--target", envvar="Q2C_VERIFY_TARGET", help="The adapter's base URL.")
    ],
    token: Annotated[str, typer.Option("--token", envvar="Q2C_VERIFY_TOKEN", help="Its API key (Bearer).")],
    webhook_host: Annotated[
        str, typer.Option("--webhook-host", help="Interface the harness's webhook listener binds.")
    ] = "127.0.0.1",
    webhook_port: Annotated[
        int, typer.Option("--webhook-port", min=0, max=65535, help="Listener port (0: a free one).")
    ] = 0,
    webhook_url: Annotated[
        str | None,
        typer.Option("--webhook-url", help="URL the adapter reaches the listener at, if not host:port."),
    ] = None,
    webhook_timeout: Annotated[
        float, typer.Option("--webhook-timeout", min=1, help="Seconds to wait for deliveries and retries.")
    ] = 30.0,
    report_dir: Annotated[
        Path, typer.Option("--report-dir", help="Where report.html, junit.xml and report.json go.")
    ] = Path("q2c-verify-report"),
    baseline: Annotated[
        Path | None, typer.Option("--baseline", help="JSON file of known failures (a ratchet).")
    ] = None,
    update_baseline: Annotated[
        bool, typer.Option("--update-baseline", help="Rewrite --baseline with this run's failures.")
    ] = False,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Run only these stages: fuzz, scenarios, webhooks.")
    ] = None,
    skip: Annotated[list[str] | None, typer.Option("--skip", help="Skip these stages.")] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, help="schemathesis seed (fuzz stage).")] = 1,
    max_examples: Annotated[
        int, typer.Option("--max-examples", min=1, help="Fuzz test cases per operation and phase.")
    ] = 10,
    fuzz_timeout: Annotated[
        float, typer.Option("--fuzz-timeout", min=1, help="Seconds before the fuzz stage is stopped.")
    ] = 600.0,
    fuzz_operation: Annotated[
        list[str] | None, typer.Option("--fuzz-operation", help="Fuzz only these operationIds.")
    ] = None,
    fuzz_rate_limit: Annotated[
        str | None,
        typer.Option("--fuzz-rate-limit", help="Pace the fuzzer, e.g. 20/s (schemathesis --rate-limit)."),
    ] = None,
    rate_limit_burst: Annotated[
        int, typer.Option("--rate-limit-burst", min=0, help="Requests the 429 probe may send (0: skip).")
    ] = 200,
) -> None:
    """Check a billing adapter against the billing adapter contract: fuzz, scenarios, webhooks."""
    from contracts.conformance.fuzz import FuzzOptions
    from contracts.conformance.runner import VerifyOptions, verify_main

    options = VerifyOptions(
        target=target,
        token=token,
        webhook_host=webhook_host,
        webhook_port=webhook_port,
        webhook_url=webhook_url,
        webhook_timeout=webhook_timeout,
        report_dir=report_dir,
        baseline=baseline,
        update_baseline=update_baseline,
        only=tuple(only or ()),
        skip=tuple(skip or ()),
        fuzz=FuzzOptions(
            seed=seed,
            max_examples=max_examples,
            timeout=fuzz_timeout,
            operations=tuple(fuzz_operation or ()),
            rate_limit=fuzz_rate_limit,
        ),
        rate_limit_burst=rate_limit_burst,
    )
    raise typer.Exit(verify_main(options, Console()))


def main() -> None:
    app()
