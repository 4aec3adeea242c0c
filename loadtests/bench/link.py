"""``q2c bench link``: accounts linked per second end to end (Salesforce simulator, billing
simulator and the integration core in one process), bulkified and record by record, in one run.

Both runs seed the same accounts through the Salesforce REST API (not timed), then time
``POST /actions/link`` with ``wait`` (selection query, billing lookups and creates, write-back)
and read the Salesforce calls from the simulator's own meter.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
from rich.console import Console
from rich.table import Table

from contracts import defaults
from integration.clients.salesforce import SalesforceClient, SalesforceConfig
from integration.core import CoreSettings
from integration.flows.context import FlowSettings
from sandbox import scenario
from sandbox.system import System, SystemOptions
from simulators.billing.app import BillingSettings

#: What an adapter without batch create looks like to the core (one POST /accounts per account).
NO_BATCH = frozenset({"batch_account_create"})


async def measure(
    accounts: int, *, record_by_record: bool, withheld: frozenset[str] = frozenset(), seed: int = 5
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="q2c-bench-link-") as state:
        options = SystemOptions(
            state_dir=Path(state),
            billing=BillingSettings(
                seed=seed, rate_limit=None, counts={"accounts": 0}, withheld_capabilities=withheld
            ),
            core=replace(CoreSettings(), flows=FlowSettings(record_by_record=record_by_record)),
            register_webhooks=False,
        )
        async with System(options) as system:
            await system.kit("salesforce").reseed(seed, {"accounts": 0})
            crm_user = SalesforceClient(
                SalesforceConfig(
                    login_url=system.url("salesforce"),
                    client_id=defaults.SALESFORCE_CLIENT_ID,
                    client_secret=defaults.SALESFORCE_CLIENT_SECRET,
                )
            )
            try:
                planned = scenario.plan_accounts(accounts, seed=seed, prospect_share=0, incomplete_share=0)
                await scenario.create_crm(crm_user, planned)
            finally:
                await crm_user.close()
            meter = system.kit("salesforce").meter
            billing_meter = system.kit("billing").meter
            calls_before, billing_before = meter.used(), billing_meter.used()
            headers = {"Authorization": f"Bearer {defaults.CORE_API_TOKEN}"}
            started = time.perf_counter()
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3600)) as session,
                session.post(
                    system.url("core") + "/actions/link",
                    json={"wait": True, "timeout_seconds": 3600},
                    headers=headers,
                ) as response,
            ):
                result = await response.json()
            elapsed = time.perf_counter() - started
            calls = meter.used() - calls_before
            billing_calls = billing_meter.used() - billing_before
    linked = int(result["outcomes"].get("linked", 0))
    if linked != accounts:
        raise RuntimeError(f"only {linked} of {accounts} accounts linked: {result['outcomes']}")
    return {
        "accounts": accounts,
        "seconds": round(elapsed, 3),
        "accounts_per_second": round(accounts / elapsed, 1),
        "salesforce_calls": calls,
        "salesforce_calls_per_account": round(calls / accounts, 5),
        "billing_calls": billing_calls,
        "billing_calls_per_account": round(billing_calls / accounts, 5),
    }


def run(console: Console, *, quick: bool) -> dict[str, Any]:
    accounts = 1_000 if quick else 10_000
    with console.status(f"bulkified: linking {accounts} accounts..."):
        bulk = asyncio.run(measure(accounts, record_by_record=False))
    with console.status(f"bulkified, without batch create in billing: linking {accounts} accounts..."):
        single = asyncio.run(measure(accounts, record_by_record=False, withheld=NO_BATCH))
    with console.status(f"record by record: linking {accounts} accounts..."):
        naive = asyncio.run(measure(accounts, record_by_record=True))
    figures = {
        "accounts": accounts,
        "bulkified": bulk,
        "bulkified_without_batch_create": single,
        "record_by_record": naive,
        "calls_ratio_naive_over_bulk": round(naive["salesforce_calls"] / bulk["salesforce_calls"], 1),
        "time_ratio_naive_over_bulk": round(naive["seconds"] / bulk["seconds"], 2),
        "goals": {
            "accounts_per_second": ">= 2,000",
            "salesforce_calls_per_account": "<= 0.006",
            "billing_calls_per_account": "<= 0.01",
        },
    }
    table = Table(title=f"q2c bench link ({accounts} accounts, one process)", title_justify="left")
    columns = (
        "mode",
        "seconds",
        "accounts/s",
        "Salesforce calls",
        "SF calls/account",
        "billing calls/account",
    )
    for column in columns:
        table.add_column(column, justify="right")
    modes = (("bulkified", bulk), ("bulkified, no batch create", single), ("record by record", naive))
    for name, row in modes:
        table.add_row(
            name,
            str(row["seconds"]),
            str(row["accounts_per_second"]),
            str(row["salesforce_calls"]),
            str(row["salesforce_calls_per_account"]),
            str(row["billing_calls_per_account"]),
        )
    console.print(table)
    console.print(
        f"record by record uses {figures['calls_ratio_naive_over_bulk']}x the calls and "
        f"{figures['time_ratio_naive_over_bulk']}x the time"
    )
    return figures
