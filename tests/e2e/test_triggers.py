"""What sets the core going: signed billing webhooks (and what it refuses), the polling
fallback over billing's event log, the Salesforce delta poll, and errors from either side."""

import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from contracts.signing import webhook_headers
from sandbox import scenario
from sandbox.system import SystemOptions
from simulators.billing.app import BillingSettings
from simulators.salesforce.app import SalesforceSettings
from tests.support.sandbox import Sandbox, make_sandbox

EVENT = {"id": "evt_test_1", "type": "invoice.posted", "account_id": "acct_x", "data": {}}


async def post_webhook(
    sandbox: Sandbox, body: bytes, headers: dict[str, str]
) -> tuple[int, dict[str, object] | None]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            sandbox.system.url("core") + "/webhooks/billing",
            data=body,
            headers={"Content-Type": "application/json", **headers},
        ) as response,
    ):
        text = await response.text()
        return response.status, json.loads(text) if text else None


def signed(sandbox: Sandbox, body: bytes, *, webhook_id: str = "evt_test_1", age: int = 0) -> dict[str, str]:
    return webhook_headers(sandbox.system.core.webhook_secrets, webhook_id, int(time.time()) - age, body)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing webhook-id, webhook-timestamp or webhook-signature"),
        ({"webhook-id": "evt_test_1", "webhook-timestamp": "1", "webhook-signature": "v1,AAAA"}, "too old"),
        ("bad-signature", "no matching v1 signature"),
        ("stale", "webhook-timestamp is too old"),
    ],
)
async def test_unsigned_badly_signed_or_stale_webhooks_are_refused_and_not_stored(
    sandbox: Sandbox, headers: dict[str, str] | str, reason: str
) -> None:
    body = json.dumps(EVENT).encode()
    if headers == "bad-signature":
        headers = {**signed(sandbox, body), "webhook-signature": "v1,Zm9yZ2Vk"}
    elif headers == "stale":
        headers = signed(sandbox, body, age=600)  # 10 minutes: past the 5-minute tolerance
    assert isinstance(headers, dict)
    status, problem = await post_webhook(sandbox, body, headers)
    assert status == 401
    assert problem is not None
    assert problem["code"] == "invalid_signature"
    assert reason in str(problem["detail"])
    assert await sandbox.system.core.store.inbox.counts() == {}


async def test_verified_events_are_stored_once_and_malformed_ones_dead_lettered(sandbox: Sandbox) -> None:
    body = json.dumps(EVENT).encode()
    assert (await post_webhook(sandbox, body, signed(sandbox, body)))[0] == 204
    assert (await post_webhook(sandbox, body, signed(sandbox, body)))[0] == 204  # a retry: deduplicated
    garbage = b'{"not": "an event"'
    status, _ = await post_webhook(sandbox, garbage, signed(sandbox, garbage, webhook_id="evt_bad_1"))
    assert status == 202
    inbox = sandbox.system.core.store.inbox
    assert await sandbox.system.core.engine.wait_idle(timeout=30)
    counts = await inbox.counts()
    assert counts == {"processed": 1, "dead": 1}
    (letter,) = await inbox.dead_letters()
    assert letter["event_id"] == "evt_bad_1"
    assert str(letter["reason"]).startswith("malformed event:")


@pytest.fixture
async def polled(tmp_path: Path) -> AsyncIterator[Sandbox]:
    """A core that does not subscribe to webhooks: the polling fallback's world."""
    options = SystemOptions(
        state_dir=tmp_path,
        register_webhooks=False,
        salesforce=SalesforceSettings(seed=9),
        billing=BillingSettings(seed=9, rate_limit=None, counts={"accounts": 0}),
    )
    async with make_sandbox(options) as sandbox:
        yield sandbox


async def test_polling_the_billing_event_log_syncs_like_webhooks(polled: Sandbox) -> None:
    await scenario.create_crm(polled.crm_user, scenario.plan_accounts(30, seed=9))
    await polled.core("POST", "/actions/link", {"wait": True}, expect=200)
    billing_ids = [lk.billing_id for lk in await polled.system.core.store.xref.all_links()]
    await scenario.order_services(polled.billing, billing_ids, seed=9)
    await polled.system.kit("billing").clock.advance(timedelta(days=40))
    assert polled.system.kit("billing").outbox.deliveries() == []  # nobody subscribed
    first = await polled.core("POST", "/actions/poll", {"source": "billing"}, expect=200)
    assert first["found"] > len(billing_ids)
    again = await polled.core("POST", "/actions/poll", {"source": "billing"}, expect=200)
    assert again == {"source": "billing", "found": 0}  # the cursor moved on
    assert await polled.system.core.engine.wait_idle(timeout=120)
    report = await polled.core("POST", "/actions/reconcile", expect=200)
    assert report["invoices_checked"] >= len(billing_ids)
    assert report["drift_count"] == 0


async def test_the_salesforce_delta_poll_links_new_requests_once(sandbox: Sandbox) -> None:
    crm = await scenario.create_crm(sandbox.crm_user, scenario.plan_accounts(40, seed=10))
    found = await sandbox.core("POST", "/actions/poll", {"source": "salesforce"}, expect=200)
    assert found["found"] == len(crm.ids_of("customer")) + len(crm.ids_of("incomplete"))
    assert await sandbox.system.core.engine.wait_idle(timeout=120)
    assert (await sandbox.core("POST", "/actions/poll", {"source": "salesforce"}, expect=200))["found"] == 0
    linked = await sandbox.crm_user.query("SELECT Id FROM Account WHERE Billing_Sync_Status__c = 'Linked'")
    assert len(linked) == len(crm.ids_of("customer"))


async def test_a_request_in_the_same_second_as_the_last_poll_is_not_missed(sandbox: Sandbox) -> None:
    """SystemModstamp has a one-second grain: a link request written later in the second the last
    poll saw must still be found (found by the chaos gate: it stayed requested forever)."""
    sandbox.system.kit("salesforce").clock.freeze()  # every write below lands in one second
    first, second, third = scenario.plan_accounts(3, seed=11, prospect_share=0, incomplete_share=0)
    (a,) = await sandbox.crm_user.create("Account", [first.record])
    assert (await sandbox.core("POST", "/actions/poll", {"source": "salesforce"}, expect=200))["found"] == 1
    (b,) = await sandbox.crm_user.create("Account", [second.record])
    assert (await sandbox.core("POST", "/actions/poll", {"source": "salesforce"}, expect=200))["found"] == 1
    (c,) = await sandbox.crm_user.create("Account", [third.record])
    assert (await sandbox.core("POST", "/actions/poll", {"source": "salesforce"}, expect=200))["found"] == 1
    # ... and nothing already taken is taken again in that second.
    assert (await sandbox.core("POST", "/actions/poll", {"source": "salesforce"}, expect=200))["found"] == 0
    assert await sandbox.system.core.engine.wait_idle(timeout=120)
    ids = ", ".join(f"'{r.id}'" for r in (a, b, c))
    linked = await sandbox.crm_user.query(
        f"SELECT Id FROM Account WHERE Id IN ({ids}) AND Billing_Sync_Status__c = 'Linked'"
    )
    assert len(linked) == 3


BLOCKING_RULE = {
    "Account": {
        "validationRules": [
            {
                "name": "No_Link_For_Blocked",
                "errorMessage": "Blocked accounts cannot be linked to billing",
                "errorDisplayField": "Name",
                "conditions": [
                    {"field": "Name", "op": "matches", "value": "Blocked.*"},
                    {"field": "Billing_Sync_Status__c", "op": "equals", "value": "Linked"},
                ],
            }
        ]
    }
}


@pytest.fixture
async def strict_org(tmp_path: Path) -> AsyncIterator[Sandbox]:
    options = SystemOptions(
        state_dir=tmp_path,
        salesforce=SalesforceSettings(seed=12, schema_files=(BLOCKING_RULE,)),  # type: ignore[arg-type]
        billing=BillingSettings(seed=12, rate_limit=None, counts={"accounts": 0}),
    )
    async with make_sandbox(options) as sandbox:
        yield sandbox


async def test_a_write_back_refused_by_salesforce_marks_that_record_and_the_rest_proceed(
    strict_org: Sandbox,
) -> None:
    planned = scenario.plan_accounts(10, seed=12, prospect_share=0, incomplete_share=0)
    planned[4].record["Name"] = "Blocked Industries"
    crm = await scenario.create_crm(strict_org.crm_user, planned)
    result = await strict_org.core("POST", "/actions/link", {"wait": True}, expect=200)
    blocked = crm.ids[4]
    assert result["outcomes"] == {"linked": 9, "refused": 1}
    assert result["refused"][blocked] == (
        "Salesforce refused the write-back: FIELD_CUSTOM_VALIDATION_EXCEPTION: "
        "Blocked accounts cannot be linked to billing"
    )
    records = {
        r["Id"]: r
        for r in await strict_org.crm_user.query(
            "SELECT Id, Billing_Sync_Status__c, Billing_Sync_Error__c FROM Account"
        )
    }
    assert records[blocked]["Billing_Sync_Status__c"] == "Error"
    assert "Blocked accounts cannot be linked to billing" in records[blocked]["Billing_Sync_Error__c"]
    assert sum(r["Billing_Sync_Status__c"] == "Linked" for r in records.values()) == 9


async def test_the_webhook_endpoint_is_reused_and_recreated_when_billing_forgot_it(sandbox: Sandbox) -> None:
    core, outbox = sandbox.system.core, sandbox.system.kit("billing").outbox
    url = sandbox.system.url("core")
    first = core.webhook_endpoint_id
    assert await core.register_webhooks(url) == first  # kept in the store: reused
    assert len(outbox.endpoints()) == 1
    await sandbox.system.kit("billing").reseed(7, {"accounts": 0})  # a reseeded billing forgets it
    assert outbox.endpoints() == []
    await core.register_webhooks(url)
    (endpoint,) = outbox.endpoints()
    assert endpoint.url == f"{url}/webhooks/billing"
    assert endpoint.secret in core.webhook_secrets
