"""``q2c up``: the three components in one event loop, seeded, with clean shutdown."""

from __future__ import annotations

import asyncio

from rich.console import Console
from rich.table import Table

from integration.service import CoreSettings
from integration.service import create_app as create_core_app
from q2c import config as defaults
from q2c.config import RuntimeConfig
from simulators.billing.app import BillingSettings
from simulators.billing.app import create_app as create_billing_app
from simulators.kit.serve import AppSpec, RunningApp, serve
from simulators.salesforce.app import SalesforceSettings
from simulators.salesforce.app import create_app as create_salesforce_app


def salesforce_spec(config: RuntimeConfig) -> AppSpec:
    settings = SalesforceSettings(seed=config.seed, webhook_hosts=config.webhook_hosts)
    return AppSpec(
        "salesforce",
        create_salesforce_app(settings),
        config.host,
        config.salesforce_port,
        config.port_file("salesforce"),
    )


def billing_spec(config: RuntimeConfig) -> AppSpec:
    settings = BillingSettings(seed=config.seed, webhook_hosts=config.webhook_hosts)
    return AppSpec(
        "billing", create_billing_app(settings), config.host, config.billing_port, config.port_file("billing")
    )


def core_spec(
    config: RuntimeConfig, *, salesforce_url: str | None = None, billing_url: str | None = None
) -> AppSpec:
    settings = CoreSettings(
        salesforce_url=salesforce_url or f"http://{config.host}:{config.salesforce_port}",
        billing_url=billing_url or f"http://{config.host}:{config.billing_port}",
    )
    return AppSpec("core", create_core_app(settings), config.host, config.core_port, config.port_file("core"))


def print_banner(console: Console, running: list[RunningApp], seed: int) -> None:
    table = Table(title=f"q2c-sandbox is up (seed {seed})", title_justify="left")
    table.add_column("component")
    table.add_column("url")
    table.add_column("ready at")
    ready_paths = {"core": "/health"}
    for app in running:
        table.add_row(app.name, app.url, app.url + ready_paths.get(app.name, "/__sim/ready"))
    console.print(table)
    creds = Table(title="Local defaults (override with flags or Q2C_* variables)", title_justify="left")
    creds.add_column("what")
    creds.add_column("value")
    creds.add_row(
        "Salesforce user / password / token",
        f"{defaults.SALESFORCE_USERNAME} / {defaults.SALESFORCE_PASSWORD} / {defaults.SALESFORCE_SECURITY_TOKEN}",
    )
    creds.add_row(
        "Salesforce connected app", f"{defaults.SALESFORCE_CLIENT_ID} / {defaults.SALESFORCE_CLIENT_SECRET}"
    )
    creds.add_row("Billing API key", f"Authorization: Bearer {defaults.BILLING_API_KEY}")
    creds.add_row("Core API token", f"Authorization: Bearer {defaults.CORE_API_TOKEN}")
    console.print(creds)
    console.print("Press Ctrl-C to stop.")
    console.file.flush()  # readiness is visible at once even when stdout is a pipe (docker logs)


def run_components(specs: list[AppSpec], *, seed: int, console: Console) -> None:
    async def main() -> None:
        await serve(specs, on_ready=lambda running: print_banner(console, running, seed))

    asyncio.run(main())
