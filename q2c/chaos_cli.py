"""``q2c chaos``: the chaos gate (loadtests/chaos, docs/chaos.md).

``chaos`` is a plain typer command function, registered on the ``q2c`` app by q2c/cli;
``python -m q2c.chaos_cli`` also runs it alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from contracts import defaults
from q2c.options import SeedOpt, path_option

#: (full, short) defaults: the short gate runs in ``make test`` in well under a minute.
ACCOUNTS = (60, 12)
PERIODS = (2, 1)
TIMEOUT = (600.0, 120.0)


def chaos(
    seed: SeedOpt = defaults.DEFAULT_SEED,
    accounts: Annotated[
        int | None,
        typer.Option(
            "--accounts", min=1, max=5000, help="Salesforce accounts (default 60; 12 with --short)."
        ),
    ] = None,
    periods: Annotated[
        int | None,
        typer.Option("--periods", min=1, max=24, help="Billing periods run (default 2; 1 with --short)."),
    ] = None,
    kills: Annotated[
        int, typer.Option("--kills", min=0, max=20, help="Times the core is SIGKILLed mid-flow.")
    ] = 2,
    report_dir: Annotated[
        Path | None, path_option("--report-dir", help="Write chaos.json and the components' logs here.")
    ] = None,
    short: Annotated[
        bool,
        typer.Option(
            "--short",
            help="The CI version (make chaos-gate): fewer accounts and periods, the same faults and kills.",
        ),
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            min=10,
            help="Seconds before the run gives up (exit 2; default 600, 120 with --short).",
        ),
    ] = None,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            "--fault",
            help='An extra fault rule as JSON, with "target": billing, salesforce or webhooks (repeatable).',
        ),
    ] = None,
) -> None:
    """Chaos gate: the three components as processes, every fault family, the core SIGKILLed and
    restarted; exit 0 only with 0 lost, 0 duplicated and reconcile drift 0."""
    from loadtests.chaos.run import ChaosOptions, run_chaos

    index = 1 if short else 0
    options = ChaosOptions(
        seed=seed,
        accounts=accounts if accounts is not None else ACCOUNTS[index],
        periods=periods if periods is not None else PERIODS[index],
        kills=kills,
        short=short,
        timeout=timeout if timeout is not None else TIMEOUT[index],
        report_dir=report_dir,
        extra_faults=tuple(_fault(text) for text in fault or ()),
    )
    raise typer.Exit(run_chaos(options, Console(width=120)))


def _fault(text: str) -> dict[str, Any]:
    try:
        rule = json.loads(text)
    except ValueError as exc:
        raise typer.BadParameter(f"not JSON: {exc}", param_hint="--fault") from None
    if not isinstance(rule, dict) or rule.get("target", "billing") not in (
        "billing",
        "salesforce",
        "webhooks",
    ):
        raise typer.BadParameter(
            'a JSON object whose "target" is billing, salesforce or webhooks', param_hint="--fault"
        )
    return rule


if __name__ == "__main__":
    typer.run(chaos)
