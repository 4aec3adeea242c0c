"""SIGKILL the core (a subprocess subscribed over CometD) while Salesforce events flow, restart
it on the same store: every link request and quick action is processed exactly once in effect
(each billing account created once, no link lost), including those published while it was down."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from contracts import defaults
from integration.clients.billing import BillingClient, BillingConfig
from integration.clients.salesforce import SalesforceClient, SalesforceConfig
from tests.support.core_events import customer, latest_over_http, sim
from tests.support.core_process import CoreProcess

BATCH = 10


@pytest.fixture
async def crm(simulators: tuple[str, str]) -> AsyncIterator[SalesforceClient]:
    client = SalesforceClient(
        SalesforceConfig(
            login_url=simulators[0],
            client_id=defaults.SALESFORCE_CLIENT_ID,
            client_secret=defaults.SALESFORCE_CLIENT_SECRET,
        )
    )
    yield client
    await client.close()


async def link_requests(crm: SalesforceClient, start: int, *, flag: bool = True) -> list[str]:
    created = await crm.create(
        "Account", [customer(n, Billing_Link_Requested__c=flag) for n in range(start, start + BATCH)]
    )
    assert all(r.success for r in created)
    return [str(r.id) for r in created]


async def action(crm: SalesforceClient, name: str, account_id: str) -> None:
    (result,) = await crm.create("Billing_Action__e", [{"Action__c": name, "Record_Id__c": account_id}])
    assert result.success


@pytest.mark.slow
async def test_sigkill_while_events_flow_then_restart_processes_every_event_once(
    tmp_path: Path, simulators: tuple[str, str], crm: SalesforceClient
) -> None:
    salesforce_url, billing_url = simulators
    # No seeded products: the core's initial catalog load then only creates and upserts, and the
    # one-shot fault below is left for the link write-back it is about.
    await sim(salesforce_url, "POST", "/__sim/seed", {"counts": {"accounts": 0, "products": 0, "orders": 0}})
    # The core's first link write-back hangs: it is caught with billing accounts created and
    # Salesforce not yet told, events received and positions stored.
    hang = {"method": "PATCH", "path": "/services/data/*/composite/sobjects", "sequence": ["latency:30000"]}
    await sim(salesforce_url, "POST", "/__sim/faults", hang)
    first = await link_requests(crm, 0)  # before the core ever ran: replayed at its first start

    core = CoreProcess(tmp_path, salesforce_url, billing_url, "--events", "cometd")
    await core.start()
    try:
        body = {"timeout_seconds": 5, "events": await latest_over_http(salesforce_url)}
        status, problem = await core.call("POST", "/actions/wait-idle", body)
        assert (status, problem["detail"]) == (408, "still busy after 5 s")  # the hung write-back
        # More events flow while it is stuck: link requests, a sync and an open quick action.
        second = await link_requests(crm, 100)
        opened_while_up = (await link_requests(crm, 200, flag=False))[0]
        await action(crm, "sync", first[0])
        await action(crm, "open", opened_while_up)
        core.kill()
    finally:
        core.stop()

    billing = BillingClient(BillingConfig(billing_url, defaults.BILLING_API_KEY))
    try:
        linked_before = await crm.query("SELECT Id FROM Account WHERE Billing_Account_Number__c != null")
        assert linked_before == []  # killed before Salesforce heard of any link
        assert len(await billing.collect("/accounts")) >= BATCH  # billing got ahead of Salesforce

        # Published while the core is down: only the stored position can bring these back.
        third = await link_requests(crm, 300)
        opened_while_down = (await link_requests(crm, 400, flag=False))[0]
        await action(crm, "open", opened_while_down)
        await sim(salesforce_url, "DELETE", "/__sim/faults")

        restarted = CoreProcess(tmp_path, salesforce_url, billing_url, "--events", "cometd")
        await restarted.start()
        try:
            body = {"timeout_seconds": 300, "events": await latest_over_http(salesforce_url)}
            status, idle = await restarted.call("POST", "/actions/wait-idle", body)
            assert (status, idle) == (200, {"idle": True})
            status, report = await restarted.call("GET", "/actions/status")
            assert status == 200
        finally:
            restarted.stop()

        in_billing = await billing.collect("/accounts")
    finally:
        await billing.close()
    requested = [*first, *second, *third, opened_while_up, opened_while_down]
    by_external_id: dict[str, list[dict[str, Any]]] = {}
    for account in in_billing:
        by_external_id.setdefault(account["external_id"], []).append(account)
    assert len(in_billing) == len(requested) == 3 * BATCH + 2  # nothing created twice
    assert set(by_external_id) == set(requested)  # nothing lost
    records = {
        r["Id"]: r
        for r in await crm.query(
            "SELECT Id, Billing_Account_Number__c, Billing_Sync_Status__c, Billing_Link_Requested__c FROM Account"
        )
    }
    for account_id in requested:
        (billing_account,) = by_external_id[account_id]
        record = records[account_id]
        assert record["Billing_Account_Number__c"] == billing_account["number"]
        assert (record["Billing_Sync_Status__c"], record["Billing_Link_Requested__c"]) == ("Linked", False)
    assert not any(channel["events"].get("new") for channel in report["events"]["channels"].values())
    assert not any(channel["events"].get("dead") for channel in report["events"]["channels"].values())
