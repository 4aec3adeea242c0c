"""``q2c up``, ``q2c salesforce``, ``q2c billing`` and ``q2c core``: the servers, each option
declared once in an option group and each settings object built from its group."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from contracts import defaults
from contracts.http_limits import (
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_HEADER_TIMEOUT,
    DEFAULT_KEEPALIVE_TIMEOUT,
    HttpTimeouts,
)
from q2c.cli.groups import grouped
from q2c.options import (
    DEFAULT_WEBHOOK_HOSTS,
    ApiLimitOpt,
    BillingAccountsOpt,
    BillingApiKeyOpt,
    BillingPortOpt,
    BillingRateBurstOpt,
    BillingRateLimitOpt,
    CorePortOpt,
    CountryRuleOpt,
    HostOpt,
    PortDirOpt,
    SalesforcePortOpt,
    SalesforceSchemaOpt,
    SalesforceTlsOpt,
    SeedOpt,
    SessionTimeoutOpt,
    StateDirOpt,
    WebhookHostsOpt,
    path_option,
)
from sandbox.config import RuntimeConfig, parse_hosts

PubSubPortOpt = Annotated[
    int | None,
    typer.Option(
        "--pubsub-port",
        envvar="Q2C_PUBSUB_PORT",
        min=0,
        max=65535,
        help="Port of the Salesforce Pub/Sub API (gRPC); default 8704, or a free port when the "
        "Salesforce port is 0.",
    ),
]
OutboundOpt = Annotated[
    list[Path] | None,
    path_option(
        "--outbound",
        envvar="Q2C_SALESFORCE_OUTBOUND",
        exists=True,
        dir_okay=False,
        help="YAML file of Outbound Message declarations (repeatable; docs/salesforce.md).",
    ),
]


WebPortOpt = Annotated[int, typer.Option("--web-port", envvar="Q2C_WEB_PORT", min=0, max=65535)]


def _timeout(flag: str, variable: str, what: str, default: float) -> Any:
    return typer.Option(
        flag, envvar=variable, min=0.1, help=f"Seconds allowed for {what} (default {default:g})."
    )


@dataclass(frozen=True)
class BindOptions:
    """Where every server command listens and keeps its state, and how long it waits on clients."""

    host: HostOpt = defaults.DEFAULT_HOST
    state_dir: StateDirOpt = defaults.STATE_DIR
    port_dir: PortDirOpt = None
    header_timeout: Annotated[
        float,
        _timeout(
            "--header-timeout", "Q2C_HEADER_TIMEOUT", "a request head (then 408)", DEFAULT_HEADER_TIMEOUT
        ),
    ] = DEFAULT_HEADER_TIMEOUT
    body_timeout: Annotated[
        float,
        _timeout("--body-timeout", "Q2C_BODY_TIMEOUT", "a request body (then 408)", DEFAULT_BODY_TIMEOUT),
    ] = DEFAULT_BODY_TIMEOUT
    keepalive_timeout: Annotated[
        float,
        _timeout(
            "--keepalive-timeout",
            "Q2C_KEEPALIVE_TIMEOUT",
            "an idle keep-alive connection",
            DEFAULT_KEEPALIVE_TIMEOUT,
        ),
    ] = DEFAULT_KEEPALIVE_TIMEOUT

    def timeouts(self) -> HttpTimeouts:
        return HttpTimeouts(
            header=self.header_timeout, body=self.body_timeout, keepalive=self.keepalive_timeout
        )

    def runtime(
        self, seed: int = defaults.DEFAULT_SEED, webhook_hosts: str = DEFAULT_WEBHOOK_HOSTS, **ports: int
    ) -> RuntimeConfig:
        try:
            hosts = parse_hosts(webhook_hosts)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--webhook-hosts") from None
        return RuntimeConfig(
            host=self.host,
            seed=seed,
            state_dir=self.state_dir,
            port_dir=self.port_dir,
            webhook_hosts=hosts,
            **ports,
        )


@dataclass(frozen=True)
class SimulatorOptions(BindOptions):
    """The simulators are also seeded, and deliver webhooks to allowed hosts only."""

    seed: SeedOpt = defaults.DEFAULT_SEED
    webhook_hosts: WebhookHostsOpt = DEFAULT_WEBHOOK_HOSTS

    def config(self, **ports: int) -> RuntimeConfig:
        return self.runtime(self.seed, self.webhook_hosts, **ports)


@dataclass(frozen=True)
class SalesforceOptions:
    """The Salesforce simulator's options (``q2c salesforce`` and ``q2c up``)."""

    tls: SalesforceTlsOpt = False
    schema: SalesforceSchemaOpt = None
    country_rule: CountryRuleOpt = False
    api_limit: ApiLimitOpt = None
    session_timeout: SessionTimeoutOpt = None
    pubsub_port: PubSubPortOpt = None
    outbound: OutboundOpt = None

    def settings(self) -> dict[str, Any]:
        return {
            "schema_files": tuple(self.schema or ()),
            "outbound_files": tuple(self.outbound or ()),
            "country_rule": self.country_rule,
            "api_limit": self.api_limit,
            "session_timeout": self.session_timeout,
            "pubsub_port": self.pubsub_port,
            "pubsub_tls": self.tls,  # the Pub/Sub API serves TLS from the same CA as HTTPS
        }


@dataclass(frozen=True)
class BillingOptions:
    """The billing simulator's options (``q2c billing`` and ``q2c up``)."""

    rate_limit: BillingRateLimitOpt = 25.0
    rate_burst: BillingRateBurstOpt = 50
    api_key: BillingApiKeyOpt = None
    accounts: BillingAccountsOpt = None

    def settings(self) -> dict[str, Any]:
        """Keyword arguments of ``sandbox.runtime.billing_settings`` (rate 0: unlimited)."""
        return {
            "rate_limit": self.rate_limit or None,
            "rate_burst": self.rate_burst,
            "api_keys": tuple(self.api_key or (defaults.BILLING_API_KEY,)),
            "accounts": self.accounts,
        }


def _schema_error(exc: ValueError) -> typer.BadParameter:
    """A ``--schema`` file that cannot be used (SchemaError), or an ``--outbound`` one
    (DeclarationError): a usage error, not a traceback."""
    from simulators.salesforce.outbound.declarations import DeclarationError

    hint = "--outbound" if isinstance(exc, DeclarationError) else "--schema"
    return typer.BadParameter(str(exc), param_hint=hint)


@grouped
def up(
    serve: SimulatorOptions,
    salesforce: SalesforceOptions,
    billing: BillingOptions,
    salesforce_port: SalesforcePortOpt = defaults.SALESFORCE_PORT,
    billing_port: BillingPortOpt = defaults.BILLING_PORT,
    core_port: CorePortOpt = defaults.CORE_PORT,
    web_port: WebPortOpt = defaults.WEB_PORT,
) -> None:
    """Run the Salesforce simulator, the billing simulator, the integration core and the web console
    in one process."""
    from integration.core import CoreSettings
    from integration.events.consumer import EventSettings
    from sandbox.runtime import billing_settings, run_system, salesforce_settings
    from sandbox.system import SystemOptions
    from web.settings import WebSettings

    config = serve.config(salesforce_port=salesforce_port, billing_port=billing_port, core_port=core_port)
    try:
        sf_settings = salesforce_settings(config, **salesforce.settings())
    except ValueError as exc:
        raise _schema_error(exc) from None
    options = SystemOptions(
        host=config.host,
        salesforce_port=config.salesforce_port,
        billing_port=config.billing_port,
        core_port=config.core_port,
        state_dir=config.state_dir,
        port_dir=config.port_dir,
        salesforce=sf_settings,
        billing=billing_settings(config, **billing.settings()),
        tls=salesforce.tls,
        timeouts=serve.timeouts(),
        web=WebSettings(),
        web_port=web_port,
        # The core hears of Salesforce changes as `q2c core` does by default: over CometD.
        core=CoreSettings(events=EventSettings(mode="cometd")),
    )
    run_system(options, seed=config.seed, console=Console())


@grouped
def salesforce(
    serve: SimulatorOptions,
    options: SalesforceOptions,
    port: Annotated[
        int, typer.Option("--port", "--salesforce-port", envvar="Q2C_SALESFORCE_PORT", min=0, max=65535)
    ] = defaults.SALESFORCE_PORT,
) -> None:
    """Run the Salesforce simulator alone (port 8701)."""
    from sandbox.runtime import run_components, salesforce_spec

    config = serve.config(salesforce_port=port)
    try:
        spec = salesforce_spec(config, tls=options.tls, timeouts=serve.timeouts(), **options.settings())
    except ValueError as exc:
        raise _schema_error(exc) from None
    run_components([spec], seed=config.seed, console=Console())


@grouped
def billing(
    serve: SimulatorOptions,
    options: BillingOptions,
    port: Annotated[
        int, typer.Option("--port", "--billing-port", envvar="Q2C_BILLING_PORT", min=0, max=65535)
    ] = defaults.BILLING_PORT,
) -> None:
    """Run the billing simulator alone (port 8702)."""
    from sandbox.runtime import billing_spec, run_components

    config = serve.config(billing_port=port)
    spec = billing_spec(config, timeouts=serve.timeouts(), **options.settings())
    run_components([spec], seed=config.seed, console=Console())


def _seconds(flag: str, variable: str, what: str) -> Any:
    return typer.Option(flag, envvar=variable, min=0, help=f"Seconds between {what} (0: off).")


class EventsMode(StrEnum):
    """How the core hears of Salesforce changes (``--events``)."""

    COMETD = "cometd"
    PUBSUB = "pubsub"
    POLL = "poll"


@dataclass(frozen=True)
class CoreOptions:
    """The integration core's options: where Salesforce and the billing adapter are, how it runs."""

    salesforce_url: Annotated[
        str,
        typer.Option("--salesforce-url", envvar="Q2C_SALESFORCE_URL", help="Salesforce login/instance URL."),
    ] = f"http://{defaults.DEFAULT_HOST}:{defaults.SALESFORCE_PORT}"
    salesforce_client_id: Annotated[
        str, typer.Option("--salesforce-client-id", envvar="Q2C_SALESFORCE_CLIENT_ID")
    ] = defaults.SALESFORCE_CLIENT_ID
    salesforce_client_secret: Annotated[
        str, typer.Option("--salesforce-client-secret", envvar="Q2C_SALESFORCE_CLIENT_SECRET")
    ] = defaults.SALESFORCE_CLIENT_SECRET
    salesforce_ca_file: Annotated[
        Path | None,
        path_option(
            "--salesforce-ca-file",
            envvar="Q2C_SALESFORCE_CA_FILE",
            help="CA bundle to trust (the simulator's .q2c/ca.pem with --tls).",
        ),
    ] = None
    billing_url: Annotated[
        str, typer.Option("--billing-url", envvar="Q2C_BILLING_URL", help="Billing adapter base URL.")
    ] = f"http://{defaults.DEFAULT_HOST}:{defaults.BILLING_PORT}"
    billing_api_key: Annotated[str, typer.Option("--billing-api-key", envvar="Q2C_BILLING_API_KEY")] = (
        defaults.BILLING_API_KEY
    )
    token: Annotated[str, typer.Option("--token", envvar="Q2C_CORE_TOKEN", help="The actions API token.")] = (
        defaults.CORE_API_TOKEN
    )
    webhook_secret: Annotated[
        list[str] | None,
        typer.Option(
            "--webhook-secret",
            envvar="Q2C_CORE_WEBHOOK_SECRETS",
            help="Also accept webhooks signed with this whsec_ secret (an endpoint subscribed by hand; repeatable).",
        ),
    ] = None
    public_url: Annotated[
        str | None,
        typer.Option(
            "--public-url",
            envvar="Q2C_CORE_PUBLIC_URL",
            help="The URL billing delivers webhooks to (subscribed at start).",
        ),
    ] = None
    poll_billing: Annotated[
        float,
        _seconds(
            "--poll-billing", "Q2C_CORE_POLL_BILLING", "polls of billing's event log (rely on webhooks)"
        ),
    ] = 0.0
    poll_salesforce: Annotated[
        float,
        _seconds(
            "--poll-salesforce", "Q2C_CORE_POLL_SALESFORCE", "delta polls of Salesforce for link requests"
        ),
    ] = 0.0
    events: Annotated[
        EventsMode,
        typer.Option(
            "--events",
            envvar="Q2C_CORE_EVENTS",
            help="How the core hears of Salesforce changes: Streaming API (CometD), Pub/Sub API (gRPC),"
            " or the SystemModstamp delta poll (every --poll-salesforce seconds, 30 when 0). An org"
            " without the channels falls back to polling.",
        ),
    ] = EventsMode.COMETD
    pubsub_target: Annotated[
        str | None,
        typer.Option(
            "--pubsub-target",
            envvar="Q2C_CORE_PUBSUB_TARGET",
            help="host:port of the org's Pub/Sub API (default: the Salesforce host, port 8704;"
            " api.pubsub.salesforce.com:7443 for a real org).",
        ),
    ] = None
    record_by_record: Annotated[
        bool,
        typer.Option(
            "--record-by-record/--bulk",
            envvar="Q2C_CORE_RECORD_BY_RECORD",
            help="The naive baseline: one Salesforce call per record (for load-gate comparisons).",
        ),
    ] = False
    mapping: Annotated[
        Path | None,
        path_option(
            "--mapping",
            envvar="Q2C_CORE_MAPPING",
            exists=True,
            dir_okay=False,
            help="Your own object and field mapping (default: integration/mapping/mapping.yaml).",
        ),
    ] = None

    def settings(self) -> Any:
        """The ``integration.core.CoreSettings`` these options describe."""
        from integration.core import CoreSettings
        from integration.engine import EngineSettings
        from integration.events.consumer import EventSettings
        from integration.flows.context import FlowSettings

        return CoreSettings(
            salesforce_url=self.salesforce_url,
            salesforce_client_id=self.salesforce_client_id,
            salesforce_client_secret=self.salesforce_client_secret,
            salesforce_ca_file=str(self.salesforce_ca_file) if self.salesforce_ca_file else None,
            billing_url=self.billing_url,
            billing_api_key=self.billing_api_key,
            api_token=self.token,
            public_url=self.public_url,
            webhook_secrets=tuple(self.webhook_secret or ()),
            mapping_path=self.mapping,
            flows=FlowSettings(record_by_record=self.record_by_record),
            engine=EngineSettings(
                billing_poll_interval=self.poll_billing,
                # --events poll: the event consumer runs the poll (once, not twice).
                salesforce_poll_interval=0.0 if self.events is EventsMode.POLL else self.poll_salesforce,
            ),
            events=EventSettings(
                mode=self.events.value,
                poll_interval=self.poll_salesforce or EventSettings.poll_interval,
                pubsub_target=self.pubsub_target,
            ),
        )


@grouped
def core(
    bind: BindOptions,
    options: CoreOptions,
    port: Annotated[
        int, typer.Option("--port", "--core-port", envvar="Q2C_CORE_PORT", min=0, max=65535)
    ] = defaults.CORE_PORT,
) -> None:
    """Run the integration core alone (port 8703), pointed at Salesforce and a billing adapter."""
    from sandbox.runtime import core_spec, run_components

    config = bind.runtime(core_port=port)
    spec = core_spec(config, options.settings(), timeouts=bind.timeouts())
    run_components([spec], seed=config.seed, console=Console())


@dataclass(frozen=True)
class WebOptions:
    """The web console's options: where the other components are (``q2c web``)."""

    salesforce_url: Annotated[
        str, typer.Option("--salesforce-url", envvar="Q2C_SALESFORCE_URL", help="Salesforce URL.")
    ] = f"http://{defaults.DEFAULT_HOST}:{defaults.SALESFORCE_PORT}"
    billing_url: Annotated[
        str, typer.Option("--billing-url", envvar="Q2C_BILLING_URL", help="Billing simulator URL.")
    ] = f"http://{defaults.DEFAULT_HOST}:{defaults.BILLING_PORT}"
    core_url: Annotated[
        str, typer.Option("--core-url", envvar="Q2C_CORE_URL", help="Integration core URL.")
    ] = f"http://{defaults.DEFAULT_HOST}:{defaults.CORE_PORT}"
    session_key: Annotated[
        str | None,
        typer.Option(
            "--session-key",
            envvar="Q2C_WEB_SESSION_KEY",
            help="Fernet key for the session cookie (default: a new key per start).",
        ),
    ] = None
    customer: Annotated[
        list[str] | None,
        typer.Option(
            "--customer",
            envvar="Q2C_WEB_CUSTOMERS",
            help="A portal customer, email=BAN or email:password=BAN (repeatable; default: the demo customers).",
        ),
    ] = None

    def settings(self) -> Any:
        """The ``web.settings.WebSettings`` these options describe."""
        from cryptography.fernet import Fernet

        from web.settings import WebSettings, demo_customers, parse_customer

        try:
            customers = tuple(parse_customer(c) for c in self.customer) if self.customer else demo_customers()
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--customer") from None
        if self.session_key is not None:
            try:
                Fernet(self.session_key)
            except ValueError as exc:
                raise typer.BadParameter(str(exc), param_hint="--session-key") from None
        return WebSettings(
            salesforce_url=self.salesforce_url,
            billing_url=self.billing_url,
            core_url=self.core_url,
            session_key=self.session_key,
            customers=customers,
        )


@grouped
def web(
    bind: BindOptions,
    options: WebOptions,
    port: Annotated[
        int, typer.Option("--port", "--web-port", envvar="Q2C_WEB_PORT", min=0, max=65535)
    ] = defaults.WEB_PORT,
) -> None:
    """Run the web console and customer portal alone (port 8700), pointed at the other components."""
    from sandbox.runtime import run_components, web_spec

    config = bind.runtime()
    spec = web_spec(config, options.settings(), port, timeouts=bind.timeouts())
    run_components([spec], seed=config.seed, console=Console())


def register(app: typer.Typer) -> None:
    for command in (up, salesforce, billing, core, web):
        app.command()(command)
