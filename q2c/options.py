"""The ``q2c`` command-line options shared by several commands, each with its ``Q2C_*`` variable."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from contracts import defaults


def path_option(*names: str, **settings: Any) -> Any:
    """The one declaration of a path option: a relative path is resolved against the current
    directory when the command line is parsed, so it means the same thing to every stage and
    every subprocess a command starts, whatever their working directory."""
    return typer.Option(*names, resolve_path=True, **settings)


HostOpt = Annotated[str, typer.Option("--host", envvar="Q2C_HOST", help="Interface to bind.")]
SeedOpt = Annotated[int, typer.Option("--seed", envvar="Q2C_SEED", min=0, help="Seed for ids and data.")]
StateDirOpt = Annotated[
    Path, path_option("--state-dir", envvar="Q2C_STATE_DIR", help="Local state: SQLite, TLS CA, snapshots.")
]
PortDirOpt = Annotated[
    Path | None,
    path_option(
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
BillingRateLimitOpt = Annotated[
    float,
    typer.Option(
        "--billing-rate-limit",
        envvar="Q2C_BILLING_RATE_LIMIT",
        min=0,
        help="Billing API requests per second per API key (0: unlimited); over it, 429 + Retry-After.",
    ),
]
BillingRateBurstOpt = Annotated[
    int,
    typer.Option(
        "--billing-rate-burst", envvar="Q2C_BILLING_RATE_BURST", min=1, help="Burst above the rate."
    ),
]
BillingApiKeyOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--billing-api-key",
        envvar="Q2C_BILLING_API_KEY",
        help=f"Billing API key accepted as 'Authorization: Bearer <key>' (repeatable; default {defaults.BILLING_API_KEY}).",
    ),
]
BillingAccountsOpt = Annotated[
    int | None,
    typer.Option("--billing-accounts", envvar="Q2C_BILLING_ACCOUNTS", min=0, help="Seeded billing accounts."),
]


SalesforceTlsOpt = Annotated[
    bool,
    typer.Option(
        "--tls/--no-tls",
        "--salesforce-tls/--no-salesforce-tls",
        envvar="Q2C_SALESFORCE_TLS",
        help="Serve the Salesforce simulator over HTTPS from a local CA (<state-dir>/ca.pem); "
        "simple-salesforce needs it (REQUESTS_CA_BUNDLE=.q2c/ca.pem).",
    ),
]
SalesforceSchemaOpt = Annotated[
    list[Path] | None,
    path_option(
        "--schema",
        "--salesforce-schema",
        envvar="Q2C_SALESFORCE_SCHEMA",
        exists=True,
        dir_okay=False,
        help="YAML file adding custom fields, objects and validation rules (repeatable).",
    ),
]
CountryRuleOpt = Annotated[
    bool,
    typer.Option(
        "--country-rule/--no-country-rule",
        envvar="Q2C_SALESFORCE_COUNTRY_RULE",
        help="Activate the validation rule requiring ISO 3166 alpha-2 codes in Account.BillingCountry.",
    ),
]
ApiLimitOpt = Annotated[
    int | None,
    typer.Option(
        "--api-limit",
        envvar="Q2C_SALESFORCE_API_LIMIT",
        min=1,
        help="DailyApiRequests allocation per org (default 100,000); past it calls get 403 REQUEST_LIMIT_EXCEEDED.",
    ),
]
SessionTimeoutOpt = Annotated[
    int | None,
    typer.Option(
        "--session-timeout",
        envvar="Q2C_SALESFORCE_SESSION_TIMEOUT",
        min=1,
        help="Seconds of inactivity (virtual clock) before a Salesforce session expires (default 7200).",
    ),
]


CoreUrlOpt = Annotated[
    str, typer.Option("--core-url", envvar="Q2C_CORE_URL", help="The integration core's base URL.")
]
CoreTokenOpt = Annotated[str, typer.Option("--token", envvar="Q2C_CORE_TOKEN", help="The core's API token.")]
DEFAULT_CORE_URL = f"http://{defaults.DEFAULT_HOST}:{defaults.CORE_PORT}"
AccountIdsArg = Annotated[
    list[str] | None, typer.Argument(help="Salesforce Account Ids (default: every requested one).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
