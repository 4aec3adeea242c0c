"""Reconcile of 2,000 linked accounts under the billing simulator's DEFAULT rate limit (25
requests/s, burst 50) completes with drift 0.

Billing's rate limiter and the core's billing client share one virtual clock (``JumpClock``): the
limiter refills by it and the client's pacing waits advance it, while I/O takes no virtual time.
The 2,000+ summary reads then cost their honest ~80 s of rate-limited time without the test
waiting for them in real time. Setting the scene (2,000 links, services, one billing period)
runs with the limit off; the limit is switched on, at its defaults, for the reconcile only.
"""

import dataclasses
import logging
import time
from datetime import timedelta
from pathlib import Path

import pytest

from integration.core import CoreSettings
from integration.reconcile import PAGE_SIZE, ReconcileProgress, ReconcileReport, reconcile
from integration.service import billing_client
from q2c.demo import first_of_next_month
from sandbox import scenario
from sandbox.system import SystemOptions
from simulators.billing.api.state import BILLING_API, DEFAULT_BURST, DEFAULT_RATE
from simulators.billing.app import BillingSettings
from simulators.kit import RateLimiter
from simulators.salesforce.app import SalesforceSettings
from tests.support.sandbox import JumpClock, Sandbox, make_sandbox

ACCOUNTS = 2000
PER_ACCOUNT = frozenset({"batch_account_create", "account_summaries", "invoices_updated_since"})
WITH_SERVICES = 400  # invoices for several pages of the tenant-wide listing


@pytest.mark.slow
async def test_reconcile_of_2000_accounts_under_the_default_billing_limit(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    options = SystemOptions(
        state_dir=tmp_path,
        salesforce=SalesforceSettings(seed=12),
        # The per-account path (an adapter without the batch capabilities): what the limit bites.
        billing=BillingSettings(
            seed=12, rate_limit=None, counts={"accounts": 0}, withheld_capabilities=PER_ACCOUNT
        ),
    )
    caplog.set_level(logging.INFO, logger="integration.reconcile")
    async with make_sandbox(options) as sandbox:
        planned = scenario.plan_accounts(ACCOUNTS, seed=12, prospect_share=0, incomplete_share=0)
        await scenario.create_crm(sandbox.crm_user, planned)
        linked = await sandbox.core(
            "POST", "/actions/link", {"wait": True, "timeout_seconds": 600}, expect=200
        )
        assert linked["outcomes"] == {"linked": ACCOUNTS}
        core = sandbox.system.core
        billing_ids = [link.billing_id for link in await core.store.xref.all_links()]
        await scenario.order_services(sandbox.billing, billing_ids[:WITH_SERVICES], seed=12)
        await sandbox.settle()
        clock = sandbox.system.kit("billing").clock
        await clock.advance(to=first_of_next_month(clock.now()) + timedelta(days=1))
        await sandbox.settle()

        # Told nothing of the limit, the core learns it from 429 Retry-After.
        blind = await reconcile_under_default_limit(sandbox, core.settings)
        # Told the adapter's limit, it paces itself under it and is (almost) never refused.
        told = await reconcile_under_default_limit(
            sandbox,
            dataclasses.replace(
                core.settings, billing_rate_limit=DEFAULT_RATE, billing_rate_burst=DEFAULT_BURST
            ),
        )

    for run in (blind, told):
        report = run.report
        assert report.accounts == ACCOUNTS
        assert report.drift == []
        assert report.invoices > 2 * PAGE_SIZE
        assert run.progress.to_json() == {"accounts": ACCOUNTS, "checked": ACCOUNTS, "done": True}
        # Every account's summary, the listing pages and the reference data, at 25/s after the
        # burst of 50: the limit really applied, and the core waited it out instead of failing.
        assert run.calls >= ACCOUNTS + 2 + report.invoices // PAGE_SIZE
        assert run.virtual_seconds >= (run.calls - DEFAULT_BURST) / DEFAULT_RATE
        # Each 429 the simulator sent was answered by a hold of every call, not a retry loop.
        assert run.refused == run.throttled
        print(  # the figures docs/benchmarks.md records
            f"\nreconcile {ACCOUNTS} accounts, {report.invoices} invoices: {run.calls} billing calls, "
            f"{run.throttled} answered 429, {run.virtual_seconds:.1f} s of rate-limited time, {run.wall:.1f} s wall"
        )
    assert blind.throttled > 0
    assert told.throttled <= 2  # float rounding at the bucket's edge at most
    assert "reconcile: 1000 of 2000 accounts read from billing" in caplog.text


@dataclasses.dataclass
class Run:
    report: ReconcileReport
    progress: ReconcileProgress
    calls: int
    throttled: int
    refused: int
    virtual_seconds: float
    wall: float


async def reconcile_under_default_limit(sandbox: Sandbox, settings: CoreSettings) -> Run:
    """One reconcile with billing at its default limit, on a fresh virtual clock and bucket."""
    pace = JumpClock()
    api = sandbox.system.apps["billing"][BILLING_API]
    api.limiter = RateLimiter(DEFAULT_RATE, DEFAULT_BURST, now=pace.now)
    billing, pacer = billing_client(settings, clock=pace)
    ctx = dataclasses.replace(sandbox.system.core.ctx, billing=billing, _reference=None)
    journal = sandbox.system.kit("billing").journal
    last_seq = journal.query(limit=1)[0].seq
    progress = ReconcileProgress()
    started = time.perf_counter()
    try:
        report = await reconcile(ctx, progress)
    finally:
        await billing.close()
    return Run(
        report,
        progress,
        billing.calls,
        pacer.throttled,
        len(journal.query(status=429, since_seq=last_seq, limit=1_000_000)),
        pace.now(),
        time.perf_counter() - started,
    )


@pytest.mark.slow
async def test_reconcile_action_paces_itself_in_real_time(tmp_path: Path) -> None:
    """The issue as reported: 300 linked accounts, billing at its default limit in real time,
    ``POST /actions/reconcile`` through the running core (its own paced client). It used to
    exhaust its 429 retries and answer 500; it takes ~10 s of pacing and reports drift 0.
    (An adapter without the batch capabilities: with them, 300 accounts are a few calls.)"""
    options = SystemOptions(
        state_dir=tmp_path,
        salesforce=SalesforceSettings(seed=7),
        billing=BillingSettings(
            seed=7, rate_limit=None, counts={"accounts": 0}, withheld_capabilities=PER_ACCOUNT
        ),
    )
    async with make_sandbox(options) as sandbox:
        await _reconcile_300_in_real_time(sandbox)


async def _reconcile_300_in_real_time(sandbox: Sandbox) -> None:
    planned = scenario.plan_accounts(300, seed=5, prospect_share=0, incomplete_share=0)
    await scenario.create_crm(sandbox.crm_user, planned)
    await sandbox.core("POST", "/actions/link", {"wait": True, "timeout_seconds": 300}, expect=200)
    await sandbox.settle()
    api = sandbox.system.apps["billing"][BILLING_API]
    api.limiter = RateLimiter(DEFAULT_RATE, DEFAULT_BURST)

    report = await sandbox.core("POST", "/actions/reconcile", expect=200)

    assert (report["accounts_checked"], report["drift_count"]) == (300, 0)
    status = await sandbox.core("GET", "/actions/status", expect=200)
    assert status["reconcile"] == {"accounts": 300, "checked": 300, "done": True}
    assert status["billing"]["throttled"] > 0  # the limit applied, and was waited out
