"""``q2c up``: the three components in one event loop, seeded, with clean shutdown."""

from __future__ import annotations

import asyncio
import signal
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from contracts import defaults
from contracts.http_limits import HttpTimeouts
from integration.core import CoreSettings
from integration.service import create_app as create_core_app
from sandbox.config import RuntimeConfig
from sandbox.logs import configure as configure_logs
from sandbox.system import System, SystemOptions, with_tls
from simulators.billing.app import BillingSettings
from simulators.billing.app import create_app as create_billing_app
from simulators.kit.serve import AppSpec, RunningApp, serve
from simulators.salesforce.app import SalesforceSettings
from simulators.salesforce.app import create_app as create_salesforce_app
from simulators.salesforce.outbound.declarations import load_declarations
from simulators.salesforce.pubsub.server import PubSubSettings
from web.app import create_app as create_web_app
from web.settings import WebSettings


def salesforce_settings(
    config: RuntimeConfig,
    *,
    schema_files: tuple[Path, ...] = (),
    country_rule: bool = False,
    api_limit: int | None = None,
    session_timeout: int | None = None,
    pubsub_port: int | None = None,
    pubsub_tls: bool = False,
    outbound_files: tuple[Path, ...] = (),
) -> SalesforceSettings:
    """The Pub/Sub API server listens on ``pubsub_port`` (None: 8704, or a free port when the
    Salesforce port is 0, so parallel test systems never collide); ``pubsub_tls``: gRPC over TLS
    from the local CA under the state directory, as the simulator's HTTPS with ``--tls``."""
    if pubsub_port is None:
        pubsub_port = 0 if config.salesforce_port == 0 else defaults.PUBSUB_PORT
    tls_dir = config.state_dir if pubsub_tls else None
    pubsub = PubSubSettings(host=config.host, port=pubsub_port, tls_state_dir=tls_dir)
    settings = SalesforceSettings(
        seed=config.seed,
        webhook_hosts=config.webhook_hosts,
        schema_files=schema_files,
        country_rule=country_rule,
        pubsub=pubsub,
        outbound_files=outbound_files,
    )
    for path in outbound_files:  # a bad file is a usage error now, not a traceback at start-up
        load_declarations(path)
    if api_limit is not None:
        settings = replace(settings, orgs=tuple(replace(org, api_limit=api_limit) for org in settings.orgs))
    if session_timeout is not None:
        settings = replace(settings, session_timeout=timedelta(seconds=session_timeout))
    return settings


def salesforce_spec(
    config: RuntimeConfig, *, tls: bool = False, timeouts: HttpTimeouts | None = None, **options: Any
) -> AppSpec:
    """The Salesforce simulator alone; with ``tls``, HTTPS from the local CA under the state
    directory (``.q2c/ca.pem``), and the default connected app accepts JWTs signed with
    ``.q2c/jwt-private-key.pem``."""
    settings = salesforce_settings(config, **options)
    ssl_context = None
    if tls:
        ssl_context, settings = with_tls(settings, config.state_dir)
    return AppSpec(
        "salesforce",
        create_salesforce_app(settings),
        config.host,
        config.salesforce_port,
        config.port_file("salesforce"),
        ssl_context,
        timeouts=timeouts,
    )


def billing_settings(
    config: RuntimeConfig,
    *,
    api_keys: tuple[str, ...] = (defaults.BILLING_API_KEY,),
    rate_limit: float | None = 25.0,
    rate_burst: int = 50,
    accounts: int | None = None,
) -> BillingSettings:
    """``rate_limit`` requests/s per API key (None: unlimited) with a ``rate_burst``;
    ``accounts`` seeded accounts (None: the seed's default)."""
    return BillingSettings(
        seed=config.seed,
        webhook_hosts=config.webhook_hosts,
        api_keys=api_keys,
        rate_limit=rate_limit,
        rate_burst=rate_burst,
        counts=None if accounts is None else {"accounts": accounts},
    )


def billing_spec(config: RuntimeConfig, *, timeouts: HttpTimeouts | None = None, **options: Any) -> AppSpec:
    return AppSpec(
        "billing",
        create_billing_app(billing_settings(config, **options)),
        config.host,
        config.billing_port,
        config.port_file("billing"),
        timeouts=timeouts,
    )


def core_spec(
    config: RuntimeConfig, settings: CoreSettings, *, timeouts: HttpTimeouts | None = None
) -> AppSpec:
    """The integration core alone, its state under the configured state directory."""
    settings = replace(settings, state_dir=config.state_dir)
    return AppSpec(
        "core",
        create_core_app(settings),
        config.host,
        config.core_port,
        config.port_file("core"),
        timeouts=timeouts,
    )


def web_spec(
    config: RuntimeConfig, settings: WebSettings, port: int, *, timeouts: HttpTimeouts | None = None
) -> AppSpec:
    """The web console and portal alone (``q2c web``), a client of the URLs in ``settings``."""
    return AppSpec(
        "web", create_web_app(settings), config.host, port, config.port_file("web"), timeouts=timeouts
    )


def print_banner(console: Console, running: list[RunningApp], seed: int) -> None:
    table = Table(title=f"q2c-sandbox is up (seed {seed})", title_justify="left")
    table.add_column("component")
    table.add_column("url")
    table.add_column("ready at")
    ready_paths = {"core": "/health", "web": "/"}
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
    creds.add_row(
        "Portal customers (web /portal)",
        f"{', '.join(email for email, _ in defaults.PORTAL_CUSTOMERS)} / {defaults.PORTAL_PASSWORD}",
    )
    console.print(creds)
    console.print("Press Ctrl-C to stop.")
    console.file.flush()  # readiness is visible at once even when stdout is a pipe (docker logs)


def run_system(options: SystemOptions, *, seed: int, console: Console) -> None:
    """``q2c up``: the whole system until SIGINT/SIGTERM, then a clean stop."""
    configure_logs()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            async with System(options) as system:
                print_banner(console, list(system.running.values()), seed)
                await stop.wait()
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)

    asyncio.run(main())


def run_components(specs: list[AppSpec], *, seed: int, console: Console) -> None:
    configure_logs()

    async def main() -> None:
        await serve(specs, on_ready=lambda running: print_banner(console, running, seed))

    asyncio.run(main())
