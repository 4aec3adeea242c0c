"""The system under load, in its own process (``python -m loadtests.serve``): the Salesforce
simulator, the billing simulator and the integration core in one event loop on free ports, as
``q2c up`` runs them (``sandbox.runtime.run_system``), with the settings a load run needs:

- billing unthrottled (no 25/s rate limit: the gates measure calls, not the limiter);
- the Salesforce org's daily API allocation raised, so long capacity runs are not cut off;
- the core accepting the load harness's webhook secret (a billing reseed drops every webhook
  endpoint; the harness subscribes the core again with it);
- optionally the naive baseline (``--record-by-record``: one Salesforce call per record).

Readiness: the banner's last line (``Press Ctrl-C to stop.``) on stdout, with
``<component>.port`` files in ``--port-dir``. SIGINT or SIGTERM stops it cleanly.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from rich.console import Console

from integration.core import CoreSettings
from integration.flows.context import FlowSettings
from loadtests.clients import LOAD_WEBHOOK_SECRET
from sandbox.runtime import run_system
from sandbox.system import SystemOptions
from simulators.billing.app import BillingSettings
from simulators.salesforce.app import SalesforceSettings
from simulators.salesforce.models.orgs import OrgSpec

READY_MARKER = "Press Ctrl-C to stop."
LOAD_API_LIMIT = 100_000_000


def options_for(
    *,
    seed: int,
    state_dir: Path,
    port_dir: Path,
    host: str = "127.0.0.1",
    record_by_record: bool = False,
    webhook_secret: str = LOAD_WEBHOOK_SECRET,
) -> SystemOptions:
    return SystemOptions(
        host=host,
        state_dir=state_dir,
        port_dir=port_dir,
        salesforce=SalesforceSettings(seed=seed, orgs=(replace(OrgSpec(), api_limit=LOAD_API_LIMIT),)),
        billing=BillingSettings(seed=seed, rate_limit=None, counts={"accounts": 0}),
        core=CoreSettings(
            flows=FlowSettings(record_by_record=record_by_record),
            webhook_secrets=(webhook_secret,),
        ),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m loadtests.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--port-dir", type=Path, required=True)
    parser.add_argument("--record-by-record", action="store_true")
    parser.add_argument("--webhook-secret", default=LOAD_WEBHOOK_SECRET)
    args = parser.parse_args(argv)
    options = options_for(
        seed=args.seed,
        state_dir=args.state_dir,
        port_dir=args.port_dir,
        host=args.host,
        record_by_record=args.record_by_record,
        webhook_secret=args.webhook_secret,
    )
    run_system(options, seed=args.seed, console=Console(width=200))


if __name__ == "__main__":
    main()
