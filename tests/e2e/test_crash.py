"""SIGKILL the core in the middle of a 2,000-account link, restart it on the same store, and it
finishes: no billing account created twice, no Salesforce account left unlinked."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from contracts import defaults
from integration.clients.billing import BillingClient, BillingConfig
from integration.clients.salesforce import SalesforceClient, SalesforceConfig
from sandbox import scenario
from tests.support.core_process import CoreProcess

N = 2000


@pytest.fixture
async def clients(simulators: tuple[str, str]) -> AsyncIterator[tuple[SalesforceClient, BillingClient]]:
    salesforce_url, billing_url = simulators
    crm = SalesforceClient(
        SalesforceConfig(
            login_url=salesforce_url,
            client_id=defaults.SALESFORCE_CLIENT_ID,
            client_secret=defaults.SALESFORCE_CLIENT_SECRET,
        )
    )
    billing = BillingClient(BillingConfig(billing_url, defaults.BILLING_API_KEY))
    yield crm, billing
    await crm.close()
    await billing.close()


@pytest.mark.slow
async def test_sigkill_mid_link_then_restart_finishes_without_duplicates(
    tmp_path: Path, simulators: tuple[str, str], clients: tuple[SalesforceClient, BillingClient]
) -> None:
    salesforce_url, billing_url = simulators
    crm_user, billing = clients
    async with aiohttp.ClientSession() as session:
        await session.post(f"{salesforce_url}/__sim/seed", json={"counts": {"accounts": 0}})
        # Write-backs 1-7 go through; the 8th hangs, so the core is caught mid-batch with billing
        # accounts created but Salesforce not yet told.
        fault = {
            "method": "PATCH",
            "path": "/services/data/*/composite/sobjects",
            "sequence": ["ok"] * 7 + ["latency:30000"],
        }
        assert (await session.post(f"{salesforce_url}/__sim/faults", json=fault)).status == 201
    crm = await scenario.create_crm(
        crm_user, scenario.plan_accounts(N, seed=41, prospect_share=0, incomplete_share=0)
    )

    core = CoreProcess(tmp_path, salesforce_url, billing_url)
    await core.start()
    try:
        status, queued = await core.call("POST", "/actions/link", {})
        assert (status, queued["selected"]) == (202, N)
        status, _ = await core.call("POST", "/actions/wait-idle", {"timeout_seconds": 5})
        assert status == 408  # stuck in the hung write-back, as arranged
        core.kill()
    finally:
        core.stop()

    linked_before = await crm_user.query("SELECT Id FROM Account WHERE Billing_Account_Number__c != null")
    assert 0 < len(linked_before) < N  # the crash really happened mid-link
    created_before = len(await billing.collect("/accounts"))
    assert created_before > len(linked_before)  # billing got ahead of Salesforce

    async with aiohttp.ClientSession() as session:
        assert (await session.delete(f"{salesforce_url}/__sim/faults")).status == 204
    restarted = CoreProcess(tmp_path, salesforce_url, billing_url)
    await restarted.start()
    try:
        status, idle = await restarted.call("POST", "/actions/wait-idle", {"timeout_seconds": 300})
        assert (status, idle) == (200, {"idle": True})
    finally:
        restarted.stop()

    accounts = {
        r["Id"]: r
        for r in await crm_user.query(
            "SELECT Id, Billing_Account_Number__c, Billing_Account_Id__c, Billing_Sync_Status__c FROM Account"
        )
    }
    in_billing = await billing.collect("/accounts")
    by_external_id: dict[str, list[dict[str, Any]]] = {}
    for account in in_billing:
        by_external_id.setdefault(account["external_id"], []).append(account)
    assert len(in_billing) == N  # nothing created twice
    assert set(by_external_id) == set(crm.ids)  # nothing missing
    for account_id in crm.ids:
        (billing_account,) = by_external_id[account_id]
        record = accounts[account_id]
        assert record["Billing_Sync_Status__c"] == "Linked"
        assert record["Billing_Account_Number__c"] == billing_account["number"]
        assert record["Billing_Account_Id__c"] == billing_account["id"]
