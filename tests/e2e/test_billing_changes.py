"""Changes that start in billing reach the CRM inventory with no CRM order (issue 14, flow 4),
through the running core: billing's ``service.*`` webhooks -> the engine's ``service`` jobs ->
``sync_services``. Services are ordered in billing directly (``POST /orders`` on billing); months
pass on billing's virtual clock; automatic renewals, a term-end cancellation (with its add-on) and
a month-to-month rollover reach ``Billing_Service__c``; a replacement sets ``Replaced_By__c``;
the reconcile ends at drift 0."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from contracts.generated import billing_models as wire
from integration.flows.inventory import inventory_record
from sandbox import scenario
from tests.support.sandbox import Sandbox

FIELDS = (
    "Id, Billing_Service_Id__c, Status__c, Start_Date__c, End_Date__c, Term_Months__c, Renewal_Type__c, "
    "Quantity__c, Price__c, Account__c, Parent_Service__c, Replaced_By__c, "
    "Parent_Service__r.Billing_Service_Id__c, Replaced_By__r.Billing_Service_Id__c"
)


async def term_option(sandbox: Sandbox, product_id: str, months: int, end_action: str) -> str:
    """A short term (the seed offers 12/24/36 months) through billing's catalog management."""
    _, product = await sandbox.billing.request(
        "POST",
        f"/products/{product_id}/term-options",
        body={"name": f"{months} months, then {end_action}", "term_months": months, "end_action": end_action},
        idempotency_key=f"term-{product_id}-{months}",
        operation="add_term_option",
    )
    return next(str(t["id"]) for t in product["term_options"] if t["term_months"] == months)


async def order(sandbox: Sandbox, account_id: str, key: str, *items: dict[str, Any]) -> wire.Order:
    body = wire.OrderCreate.model_validate(
        {"account_id": account_id, "external_id": key, "items": list(items)}
    )
    placed = await sandbox.billing.create_order(body, idempotency_key=key)
    assert placed.status == "completed", placed
    return placed


async def inventory(sandbox: Sandbox) -> dict[str, dict[str, Any]]:
    records = await sandbox.crm_user.query(f"SELECT {FIELDS} FROM Billing_Service__c")
    return {r["Billing_Service_Id__c"]: r for r in records}


async def assert_inventory_is_billing(sandbox: Sandbox, service_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Each service's record holds what billing says now (the sync's own mapping, field by field)."""
    records = await inventory(sandbox)
    for service_id in service_ids:
        service = await sandbox.billing.get_service(service_id)
        record = records[service_id]
        expected = inventory_record(service)
        for name in (
            "Status__c",
            "Start_Date__c",
            "End_Date__c",
            "Term_Months__c",
            "Renewal_Type__c",
            "Price__c",
        ):
            assert record[name] == expected[name], (service_id, name, record[name], expected[name])
        assert (record["Parent_Service__r"] or {}).get("Billing_Service_Id__c") == service.parent_service_id
        assert (record["Replaced_By__r"] or {}).get("Billing_Service_Id__c") == service.replaced_by_service_id
    return records


async def test_changes_that_start_in_billing_reach_the_inventory(sandbox: Sandbox) -> None:
    await scenario.create_crm(
        sandbox.crm_user, scenario.plan_accounts(3, seed=14, prospect_share=0, incomplete_share=0)
    )
    linked = await sandbox.core("POST", "/actions/link", {"wait": True, "timeout_seconds": 120}, expect=200)
    assert linked["outcomes"] == {"linked": 3}
    renewing, ending, rolling = [link.billing_id for link in await sandbox.system.core.store.xref.all_links()]
    products = {p.code: p.id for p in await sandbox.billing.products()}
    monthly = await term_option(sandbox, products["INET-100"], 1, "renew")
    two_months = await term_option(sandbox, products["INET-100"], 2, "cancel")
    month_to_month = await term_option(sandbox, products["INET-1000"], 1, "month_to_month")
    await sandbox.core("POST", "/actions/catalog-sync", {"wait": True, "timeout_seconds": 120}, expect=200)

    first = await order(
        sandbox,
        renewing,
        "o-renew",
        {"action": "new", "external_id": "r", "product_id": products["INET-100"], "term_option_id": monthly},
        {"action": "add_on", "product_id": products["IP-STATIC"], "parent_external_id": "r"},
    )
    second = await order(
        sandbox,
        ending,
        "o-end",
        {
            "action": "new",
            "external_id": "e",
            "product_id": products["INET-100"],
            "term_option_id": two_months,
        },
        {"action": "add_on", "product_id": products["IP-STATIC"], "parent_external_id": "e"},
    )
    third = await order(
        sandbox,
        rolling,
        "o-roll",
        {"action": "new", "product_id": products["INET-1000"], "term_option_id": month_to_month},
    )
    renew, renew_addon, end, end_addon = (
        str(item.result_service_id) for placed in (first, second) for item in placed.items
    )
    roll = str(third.items[0].result_service_id)
    services = [renew, renew_addon, end, end_addon, roll]
    await sandbox.settle()

    # The activations reached the CRM by their webhooks alone (no CRM order, no call here).
    before = await assert_inventory_is_billing(sandbox, services)
    assert {before[s]["Status__c"] for s in services} == {"Active"}
    assert before[renew_addon]["Parent_Service__c"] == before[renew]["Id"]
    assert before[roll]["Term_Months__c"] == 1

    clock = sandbox.system.kit("billing").clock
    await clock.advance(by=timedelta(days=40))  # past the 1-month terms
    await sandbox.settle()

    after = await assert_inventory_is_billing(sandbox, services)
    assert after[renew]["End_Date__c"] > before[renew]["End_Date__c"]  # automatic renewal
    assert after[renew_addon]["End_Date__c"] == after[renew]["End_Date__c"]  # the add-on follows
    assert after[roll]["Renewal_Type__c"] == "Month-to-Month"
    assert after[roll]["End_Date__c"] is None  # rolled over: no commitment, no term end
    assert after[roll]["Term_Months__c"] is None
    assert after[end]["Status__c"] == "Active"

    await clock.advance(by=timedelta(days=40))  # past the 2-month term that ends in a cancel
    await sandbox.settle()

    ended = await assert_inventory_is_billing(sandbox, services)
    assert ended[end]["Status__c"] == "Expired"
    assert ended[end_addon]["Status__c"] == "Expired"
    assert ended[end]["End_Date__c"] is not None

    replaced = await order(
        sandbox,
        renewing,
        "o-replace",
        {"action": "replace", "service_id": renew, "product_id": products["INET-1000"]},
    )
    successor = str(replaced.items[0].result_service_id)
    await sandbox.settle()
    records = await assert_inventory_is_billing(sandbox, [*services, successor])
    assert records[renew]["Status__c"] == "Replaced"
    assert records[renew]["Replaced_By__c"] == records[successor]["Id"]

    report = await sandbox.core("POST", "/actions/reconcile", expect=200)
    assert report["services_checked"] == len(services) + 1
    assert [d for d in report["drift"] if d["object"] == "Billing_Service__c"] == []
    assert report["drift_count"] == 0, report["drift"]
