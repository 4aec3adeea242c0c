"""Bulkification budgets, read from the Salesforce simulator's own meter (deterministic, so tests)."""

import math
from datetime import timedelta

from sandbox import scenario
from tests.support.sandbox import Sandbox

N = 2000


async def test_link_and_sync_2000_accounts_within_the_call_budgets(sandbox: Sandbox) -> None:
    # Sync batches per step of the scenario, not per wall-clock batching window: the budget
    # is about bulkification, and must not depend on how fast this machine delivers webhooks.
    sandbox.hold_sync()
    planned = scenario.plan_accounts(N, seed=31, prospect_share=0, incomplete_share=0)
    await scenario.create_crm(sandbox.crm_user, planned)

    before = sandbox.salesforce_calls()
    result = await sandbox.core("POST", "/actions/link", {"wait": True, "timeout_seconds": 600}, expect=200)
    link_calls = sandbox.salesforce_calls() - before
    assert result["outcomes"] == {"linked": N}
    assert link_calls <= math.ceil(N / 200) + math.ceil(N / 2000) + 5, link_calls

    store = sandbox.system.core.store
    billing_ids = [link.billing_id for link in await store.xref.all_links()]
    await scenario.order_services(sandbox.billing, billing_ids, seed=31)
    await sandbox.settle()  # orders activate services (first financial sync); now bill them
    before, invoices_before = sandbox.salesforce_calls(), await store.xref.invoice_count()
    # Accounts are spread over three bill cycles (1st, 15th, anniversary): a month and a bit
    # later every one of them has billed.
    await sandbox.system.kit("billing").clock.advance(timedelta(days=33))
    await sandbox.settle()
    sync_calls = sandbox.salesforce_calls() - before
    invoices = await store.xref.invoice_count() - invoices_before
    assert invoices >= 2000
    assert sync_calls <= math.ceil(invoices / 200) * 2 + 10, (sync_calls, invoices)
