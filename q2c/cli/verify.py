"""``q2c verify``: a billing adapter against the billing adapter contract."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from q2c.cli.groups import grouped
from q2c.options import path_option


@dataclass(frozen=True)
class VerifyFlags:
    """Every ``q2c verify`` option, declared once; ``options()`` builds the runner's settings."""

    target: Annotated[
        str, typer.Option("--target", envvar="Q2C_VERIFY_TARGET", help="The adapter's base URL.")
    ]
    token: Annotated[str, typer.Option("--token", envvar="Q2C_VERIFY_TOKEN", help="Its API key (Bearer).")]
    webhook_host: Annotated[
        str, typer.Option("--webhook-host", help="Interface the harness's webhook listener binds.")
    ] = "127.0.0.1"
    webhook_port: Annotated[
        int, typer.Option("--webhook-port", min=0, max=65535, help="Listener port (0: a free one).")
    ] = 0
    webhook_url: Annotated[
        str | None,
        typer.Option("--webhook-url", help="URL the adapter reaches the listener at, if not host:port."),
    ] = None
    webhook_timeout: Annotated[
        float, typer.Option("--webhook-timeout", min=1, help="Seconds to wait for deliveries and retries.")
    ] = 30.0
    report_dir: Annotated[
        Path, path_option("--report-dir", help="Where report.html, junit.xml and report.json go.")
    ] = Path("q2c-verify-report")
    baseline: Annotated[
        Path | None, path_option("--baseline", help="JSON file of known failures (a ratchet).")
    ] = None
    update_baseline: Annotated[
        bool, typer.Option("--update-baseline", help="Rewrite --baseline with this run's failures.")
    ] = False
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Run only these stages: fuzz, scenarios, webhooks.")
    ] = None
    skip: Annotated[list[str] | None, typer.Option("--skip", help="Skip these stages.")] = None
    seed: Annotated[int, typer.Option("--seed", min=0, help="schemathesis seed (fuzz stage).")] = 1
    max_examples: Annotated[
        int, typer.Option("--max-examples", min=1, help="Fuzz test cases per operation and phase.")
    ] = 10
    fuzz_timeout: Annotated[
        float, typer.Option("--fuzz-timeout", min=1, help="Seconds before the fuzz stage is stopped.")
    ] = 600.0
    fuzz_operation: Annotated[
        list[str] | None, typer.Option("--fuzz-operation", help="Fuzz only these operationIds.")
    ] = None
    fuzz_rate_limit: Annotated[
        str | None,
        typer.Option("--fuzz-rate-limit", help="Pace the fuzzer, e.g. 20/s (schemathesis --rate-limit)."),
    ] = None
    rate_limit_burst: Annotated[
        int, typer.Option("--rate-limit-burst", min=0, help="Requests the 429 probe may send (0: skip).")
    ] = 200
    require_level: Annotated[
        list[str] | None,
        typer.Option(
            "--require-level",
            help="Exit 1 unless certified for this conformance level: core, orders, billing_operations.",
        ),
    ] = None

    def options(self) -> Any:
        """The ``contracts.conformance.runner.VerifyOptions`` these flags describe."""
        from contracts.conformance.fuzz import FuzzOptions
        from contracts.conformance.runner import VerifyOptions

        return VerifyOptions(
            target=self.target,
            token=self.token,
            webhook_host=self.webhook_host,
            webhook_port=self.webhook_port,
            webhook_url=self.webhook_url,
            webhook_timeout=self.webhook_timeout,
            report_dir=self.report_dir,
            baseline=self.baseline,
            update_baseline=self.update_baseline,
            only=tuple(self.only or ()),
            skip=tuple(self.skip or ()),
            fuzz=FuzzOptions(
                seed=self.seed,
                max_examples=self.max_examples,
                timeout=self.fuzz_timeout,
                operations=tuple(self.fuzz_operation or ()),
                rate_limit=self.fuzz_rate_limit,
            ),
            rate_limit_burst=self.rate_limit_burst,
            require_levels=tuple(
                name.strip()
                for value in self.require_level or ()
                for name in value.split(",")
                if name.strip()
            ),
        )


@grouped
def verify(flags: VerifyFlags) -> None:
    """Check a billing adapter against the billing adapter contract: fuzz, scenarios, webhooks."""
    from contracts.conformance import runner

    raise typer.Exit(runner.verify_main(flags.options(), Console()))
