"""Billing's account.created webhook can arrive, and its sync run, before the core has stored
the link (the creates of a batch are still in flight): that sync found nothing linked, an account
without invoices never got another event, and reconcile reported its financials as drift. The
link now syncs such accounts again once it is stored."""

import aiohttp

from sandbox import scenario
from tests.support.sandbox import Sandbox

FINANCIALS = "Id, Total_Amount_Billed__c, Due_Amount__c, Past_Due_Amount__c"
N = 10


async def test_an_account_synced_before_its_link_was_stored_is_synced_again(sandbox: Sandbox) -> None:
    # The last create of the batch is slow: the first nine accounts' webhooks are delivered and
    # synced while the link batch (and so the stored link) still waits for it.
    fault = {"method": "POST", "path": "/accounts", "sequence": ["ok"] * (N - 1) + ["latency:5000"]}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{sandbox.system.url('billing')}/__sim/faults", json=fault) as response,
    ):
        assert response.status == 201
    planned = scenario.plan_accounts(N, seed=8, prospect_share=0, incomplete_share=0)
    await scenario.create_crm(sandbox.crm_user, planned)

    await sandbox.core("POST", "/actions/link", {"wait": True}, expect=200)
    await sandbox.settle()

    records = await sandbox.crm_user.query(f"SELECT {FINANCIALS} FROM Account")
    assert len(records) == N
    for record in records:  # billed nothing yet: zeros, written by the core (not null)
        assert (record["Total_Amount_Billed__c"], record["Due_Amount__c"], record["Past_Due_Amount__c"]) == (
            0,
            0,
            0,
        )
    report = await sandbox.core("POST", "/actions/reconcile", expect=200)
    assert (report["accounts_checked"], report["drift_count"]) == (N, 0)
