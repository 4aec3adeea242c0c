"""The core subscribed to Salesforce events, over CometD (aiosfstream-ng) and over the Pub/Sub API,
against the simulator: link requests and quick actions with no polling at all, resuming from the
stored position after a stop, and recovery when that position has expired."""

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from integration.events.model import ACCOUNT_CHANGES, BILLING_ACTIONS
from sandbox import scenario
from tests.support.core_events import caught_up, consumer, customer, event_sandbox, latest
from tests.support.sandbox import Sandbox

LINK_FIELDS = (
    "Id, Billing_Account_Number__c, Billing_Account_Id__c, Billing_Sync_Status__c, Billing_Link_Requested__c"
)


@pytest.fixture(params=["cometd", "pubsub"])
async def sandbox(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Sandbox]:
    async with event_sandbox(tmp_path, request.param) as sandbox:
        yield sandbox


async def accounts(sandbox: Sandbox, ids: list[str]) -> dict[str, dict[str, object]]:
    quoted = ",".join(f"'{i}'" for i in ids)
    records = await sandbox.crm_user.query(f"SELECT {LINK_FIELDS} FROM Account WHERE Id IN ({quoted})")
    return {str(r["Id"]): r for r in records}


async def test_setting_the_link_flag_links_the_account_with_no_polling(sandbox: Sandbox) -> None:
    core = sandbox.system.core
    assert core.settings.engine.salesforce_poll_interval == 0  # events are the only trigger
    created = await sandbox.crm_user.create(
        "Account",
        [customer(1), customer(2), customer(3, Billing_Link_Requested__c=False)],
    )
    requested, prospect = [r.id for r in created[:2] if r.id], created[2].id
    assert prospect is not None
    await caught_up(sandbox)
    # The prospect asks later, by an update: a change event, not a create.
    await sandbox.crm_user.update("Account", [{"Id": prospect, "Billing_Link_Requested__c": True}])
    await caught_up(sandbox)

    billing = {a["external_id"]: a for a in await sandbox.billing_accounts()}
    assert sorted(billing) == sorted([*requested, prospect])  # each created once
    records = await accounts(sandbox, [*requested, prospect])
    for sf_id, record in records.items():
        assert record["Billing_Account_Number__c"] == billing[sf_id]["number"]
        assert (record["Billing_Sync_Status__c"], record["Billing_Link_Requested__c"]) == ("Linked", False)
    assert core.metrics.channel_events.labels(ACCOUNT_CHANGES)._value.get() >= 4


async def test_the_sync_action_syncs_that_account(sandbox: Sandbox) -> None:
    created = await sandbox.crm_user.create("Account", [customer(1), customer(2)])
    first, second = (str(r.id) for r in created)
    await caught_up(sandbox)
    query = f"SELECT Id, Total_Amount_Billed__c FROM Account WHERE Id IN ('{first}', '{second}')"
    before = {r["Id"]: r["Total_Amount_Billed__c"] for r in await sandbox.crm_user.query(query)}
    assert before == {first: None, second: None}  # linked, never synced

    await sandbox.crm_user.create("Billing_Action__e", [{"Action__c": "sync", "Record_Id__c": first}])
    await caught_up(sandbox)

    after = {r["Id"]: r["Total_Amount_Billed__c"] for r in await sandbox.crm_user.query(query)}
    assert after == {first: 0, second: None}  # that account, and only that one
    counts = await sandbox.system.core.store.channels.counts()
    assert counts[BILLING_ACTIONS] == {"processed": 1}


async def test_open_links_without_the_flag_and_bad_actions_are_kept_with_the_reason(sandbox: Sandbox) -> None:
    created = await sandbox.crm_user.create("Account", [customer(1, Billing_Link_Requested__c=False)])
    account = str(created[0].id)
    await sandbox.crm_user.create(
        "Billing_Action__e",
        [
            {"Action__c": "open", "Record_Id__c": account},
            {"Action__c": "refund", "Record_Id__c": account},
            {"Action__c": "query", "Record_Id__c": "nonsense"},
        ],
    )
    await caught_up(sandbox)
    assert [a["external_id"] for a in await sandbox.billing_accounts()] == [account]
    store = sandbox.system.core.store
    rows = await store.db.execute_fetchall(
        "SELECT reason FROM channel_events WHERE channel = ? AND status = 'dead' ORDER BY replay_id",
        (BILLING_ACTIONS,),
    )
    assert [row[0] for row in rows] == [
        "Action__c must be one of open, sync, query, quote_etl, retry_task, not 'refund'",
        "Record_Id__c is not an account id: 'nonsense'",
    ]


async def test_a_stopped_core_resumes_from_its_stored_position_with_exactly_the_missed_events(
    sandbox: Sandbox,
) -> None:
    events = consumer(sandbox)
    store = sandbox.system.core.store
    await sandbox.crm_user.create("Account", [customer(1)])
    await caught_up(sandbox)
    position = await store.channels.position(ACCOUNT_CHANGES)
    assert position is not None
    assert position.replay_id is not None
    stopped_at = position.replay_id

    await events.stop()
    missed = await sandbox.crm_user.create("Account", [customer(2), customer(3)])
    await sandbox.crm_user.update("Account", [{"Id": missed[1].id, "Name": "Renamed while down"}])
    newest = latest(sandbox)[ACCOUNT_CHANGES]
    await events.start()
    await caught_up(sandbox)

    rows = await store.db.execute_fetchall(
        "SELECT replay_id FROM channel_events WHERE channel = ? AND replay_id > ? ORDER BY replay_id",
        (ACCOUNT_CHANGES, stopped_at),
    )
    received = [row[0] for row in rows]
    assert received[: newest - stopped_at] == list(range(stopped_at + 1, newest + 1))  # in order, none lost
    billing = sorted(a["external_id"] for a in await sandbox.billing_accounts())
    assert len(billing) == 3 == len(set(billing))  # nothing done twice


async def test_an_expired_position_is_recovered_by_a_full_scan_then_live(sandbox: Sandbox) -> None:
    events = consumer(sandbox)
    core = sandbox.system.core
    await sandbox.crm_user.create("Account", [customer(1)])
    await caught_up(sandbox)
    await events.stop()
    lost = await sandbox.crm_user.create("Account", [customer(2)])  # its event expires unseen
    await sandbox.system.kit("salesforce").clock.advance(timedelta(hours=73))
    retained = await sandbox.crm_user.create("Account", [customer(3)])  # before the core is back
    await events.start()
    await caught_up(sandbox)
    live = await sandbox.crm_user.create("Account", [customer(4)])  # after: delivered live
    await caught_up(sandbox)

    billing = sorted(a["external_id"] for a in await sandbox.billing_accounts())
    expected = [lost[0].id, retained[0].id, live[0].id]
    assert all(i in billing for i in expected)
    assert len(billing) == 4 == len(set(billing))
    assert core.metrics.channel_recoveries.labels(ACCOUNT_CHANGES)._value.get() == 1
    assert await core.store.checkpoints.get("events_scan_needed") == ""


async def test_a_change_to_a_mapped_field_syncs_and_query_pulls_billings_values_back(
    sandbox: Sandbox,
) -> None:
    created = await sandbox.crm_user.create("Account", [customer(1)])
    account = str(created[0].id)
    await caught_up(sandbox)
    query = (
        f"SELECT Billing_Cycle__c, BillingCity, Total_Amount_Billed__c FROM Account WHERE Id = '{account}'"
    )
    (linked,) = await sandbox.crm_user.query(query)
    assert (linked["Billing_Cycle__c"], linked["Total_Amount_Billed__c"]) == (scenario.CYCLE_NAMES[0], None)

    # A mapped field (an address component: Pub/Sub sends it in the nested address's bitmap).
    await sandbox.crm_user.update("Account", [{"Id": account, "BillingCity": "Shelbyville"}])
    await caught_up(sandbox)
    (synced,) = await sandbox.crm_user.query(query)
    assert synced["Total_Amount_Billed__c"] == 0  # the sync ran for this account

    # Someone edits the cycle in the CRM; `query` pulls billing's (the master's) value back.
    await sandbox.crm_user.update("Account", [{"Id": account, "Billing_Cycle__c": scenario.CYCLE_NAMES[1]}])
    await sandbox.crm_user.create("Billing_Action__e", [{"Action__c": "query", "Record_Id__c": account}])
    await caught_up(sandbox)
    (pulled,) = await sandbox.crm_user.query(query)
    assert (pulled["Billing_Cycle__c"], pulled["BillingCity"]) == (scenario.CYCLE_NAMES[0], "Shelbyville")
