"""The subscription inventory: billing services reach ``Billing_Service__c`` through
``sync_services`` / ``write_inventory``, including the changes that start in billing with no CRM
order (automatic renewals, term-end cancellations, month-to-month rollovers).

Both simulators and the core run in this process with billing's webhooks NOT registered, so the
flows run only when a test calls them (what is in the CRM is what the flow under test wrote).
Services are created through billing orders directly (``POST /orders`` on billing, no CRM order).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from integration.flows.inventory import (
    InventoryReport,
    inventory_drift,
    inventory_record,
    sync_services,
    write_inventory,
)
from simulators.kit.faults import FaultRuleSpec
from tests.support.inventory_world import InventoryWorld, inventory_world


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[InventoryWorld]:
    async with inventory_world(tmp_path) as built:
        yield built


async def test_services_ordered_in_billing_reach_the_inventory(world: InventoryWorld) -> None:
    account = await world.account()
    order = await world.order(
        account,
        {
            "action": "new",
            "external_id": "line-1",
            "product_code": "INET-100",
            "quantity": 2,
            "term_months": 12,
        },
        {"action": "add_on", "product_code": "IP-STATIC", "quantity": 1, "parent_external_id": "line-1"},
    )
    base, addon = (item.result_service_id for item in order.items)
    assert base
    assert addon

    calls = world.salesforce_calls()

    report = await sync_services(world.ctx, [addon, base])

    # One read (what the CRM holds), then two upserts: the parent's wave, then the add-on's
    # (referencing it); nothing refused, nothing fetched twice.
    assert world.salesforce_calls() - calls == 3
    assert world.billing_calls("getService") == 2
    assert set(report.written) == {base, addon}
    assert report.unlinked == {}
    assert report.failed == {}
    assert report.refused == {}
    records = await world.inventory()
    parent = records[base]
    assert parent["Status__c"] == "Active"
    assert parent["Quantity__c"] == 2
    assert parent["Price__c"] == 99.0
    assert parent["Amount__c"] == 198.0
    assert parent["Currency__c"] == "USD"
    assert parent["Term_Months__c"] == 12
    assert parent["Renewal_Type__c"] == "Renew"
    assert parent["Account__c"] == world.crm_accounts[account]
    assert parent["Product__c"] == world.crm_products["INET-100"]
    service = await world.ctx.billing.get_service(base)
    assert service.current_term is not None
    assert parent["Start_Date__c"] == service.start_date.isoformat()
    assert parent["End_Date__c"] == str(service.current_term.end_date)
    # The add-on was written after its parent (same call, later wave) and points at it.
    assert records[addon]["Parent_Service__c"] == parent["Id"]
    assert records[addon]["Product__c"] == world.crm_products["IP-STATIC"]
    assert await world.drift() == []


async def test_a_resync_with_nothing_changed_writes_nothing(world: InventoryWorld) -> None:
    account = await world.account()
    order = await world.order(account, {"action": "new", "product_code": "INET-100"})
    service_id = order.items[0].result_service_id
    assert service_id
    first = await sync_services(world.ctx, [service_id])
    calls = world.salesforce_calls()

    second = await sync_services(world.ctx, [service_id, service_id])

    assert world.salesforce_calls() - calls == 1  # the read; no write
    assert second.written == {}
    assert second.unchanged == [service_id]
    records = await world.inventory()
    assert list(records) == [service_id]
    assert first.written == {service_id: records[service_id]["Id"]}


async def test_an_automatic_renewal_moves_the_term_end(world: InventoryWorld) -> None:
    account = await world.account()
    term = await world.term_option("INET-100", 1, "renew")
    order = await world.order(account, {"action": "new", "product_code": "INET-100", "term_option_id": term})
    service_id = order.items[0].result_service_id
    assert service_id
    await sync_services(world.ctx, [service_id])
    before = (await world.inventory())[service_id]

    await world.advance(days=45)  # past the 1-month term: billing renews it (service.renewed)
    renewed = await world.ctx.billing.get_service(service_id)
    assert renewed.current_term is not None
    assert renewed.current_term.type == "auto_renewed"
    stale = await world.drift()
    assert [(d.record, d.field) for d in stale] == [(service_id, "End_Date__c")]
    assert stale[0].billing == str(renewed.current_term.end_date)

    await sync_services(world.ctx, [service_id])

    after = (await world.inventory())[service_id]
    assert after["Status__c"] == "Active"
    assert after["Renewal_Type__c"] == "Renew"
    assert after["End_Date__c"] == str(renewed.current_term.end_date)
    assert after["End_Date__c"] > before["End_Date__c"]
    assert after["Term_Months__c"] == 1
    assert after["Start_Date__c"] == before["Start_Date__c"]
    assert await world.drift() == []


async def test_a_term_end_cancellation_reaches_the_inventory(world: InventoryWorld) -> None:
    account = await world.account()
    term = await world.term_option("INET-100", 2, "cancel")
    order = await world.order(
        account,
        {"action": "new", "external_id": "b", "product_code": "INET-100", "term_option_id": term},
        {"action": "add_on", "product_code": "IP-STATIC", "parent_external_id": "b"},
    )
    base, addon = (item.result_service_id for item in order.items)
    assert base
    assert addon
    await sync_services(world.ctx, [base, addon])
    assert (await world.inventory())[base]["Renewal_Type__c"] == "Cancel"

    await world.advance(days=75)  # past the 2-month term: billing ends it (service.cancelled)
    await sync_services(world.ctx, [base, addon])

    records = await world.inventory()
    ended = await world.ctx.billing.get_service(base)
    assert ended.status == "expired"
    assert ended.end_date is not None
    assert records[base]["Status__c"] == "Expired"
    assert records[base]["End_Date__c"] == ended.end_date.isoformat()
    assert records[addon]["Status__c"] == "Expired"  # add-ons follow their parent
    assert await world.drift() == []


async def test_a_month_to_month_rollover_reaches_the_inventory(world: InventoryWorld) -> None:
    account = await world.account()
    term = await world.term_option("INET-100", 1, "month_to_month")
    order = await world.order(account, {"action": "new", "product_code": "INET-100", "term_option_id": term})
    service_id = order.items[0].result_service_id
    assert service_id
    await sync_services(world.ctx, [service_id])
    assert (await world.inventory())[service_id]["Term_Months__c"] == 1

    await world.advance(days=45)
    await sync_services(world.ctx, [service_id])

    record = (await world.inventory())[service_id]
    assert record["Status__c"] == "Active"
    assert record["Renewal_Type__c"] == "Month-to-Month"
    assert record["End_Date__c"] is None
    assert record["Term_Months__c"] is None
    assert await world.drift() == []


async def test_replace_sets_replaced_by_on_the_old_record(world: InventoryWorld) -> None:
    account = await world.account()
    first = await world.order(account, {"action": "new", "product_code": "INET-100"})
    old = first.items[0].result_service_id
    assert old
    await sync_services(world.ctx, [old])
    second = await world.order(account, {"action": "replace", "service_id": old, "product_code": "INET-1000"})
    new = second.items[0].result_service_id
    assert new
    assert new != old

    # Only the old service's event: the replacement it points at is fetched and written first.
    report = await sync_services(world.ctx, [old])

    assert set(report.written) == {old, new}
    records = await world.inventory()
    assert records[old]["Status__c"] == "Replaced"
    assert records[old]["Replaced_By__c"] == records[new]["Id"]
    assert records[new]["Status__c"] == "Active"
    assert records[new]["Product__c"] == world.crm_products["INET-1000"]
    assert await world.drift() == []


async def test_a_service_of_an_unlinked_account_is_reported_not_failed(world: InventoryWorld) -> None:
    linked = await world.account()
    unlinked = await world.account(linked=False)
    ok = (await world.order(linked, {"action": "new", "product_code": "INET-100"})).items[0].result_service_id
    lost = (
        (await world.order(unlinked, {"action": "new", "product_code": "INET-100"}))
        .items[0]
        .result_service_id
    )
    assert ok
    assert lost

    report = await sync_services(world.ctx, [ok, lost])

    assert set(report.written) == {ok}
    assert report.unlinked == {lost: unlinked}
    assert report.failed == {}  # the engine would not retry it: the account must be linked first
    assert set(await world.inventory()) == {ok}
    # The reconcile does not count a service of an unlinked account as drift either.
    assert await inventory_drift(world.ctx) == (1, [])


async def test_write_inventory_sets_the_order_references(world: InventoryWorld) -> None:
    account = await world.account()
    order = await world.order(account, {"action": "new", "product_code": "INET-100"})
    service = await world.ctx.billing.get_service(order.items[0].result_service_id or "")
    crm_order, crm_item = await world.crm_order_line(account)
    report = InventoryReport()

    written = await write_inventory(
        world.ctx, [service], order_refs={service.id: (crm_order, crm_item)}, report=report
    )

    record = (await world.inventory())[service.id]
    assert written == {service.id: record["Id"]} == report.written
    assert record["Order__c"] == crm_order
    assert record["Order_Product__c"] == crm_item
    # A later sync with no order references leaves them as they are.
    await sync_services(world.ctx, [service.id])
    again = (await world.inventory())[service.id]
    assert again["Order__c"] == crm_order
    assert again["Order_Product__c"] == crm_item


async def test_a_product_missing_in_the_crm_is_synced_from_the_catalog_first(
    world: InventoryWorld,
) -> None:
    account = await world.account()
    order = await world.order(account, {"action": "new", "product_code": "SIP-10"})
    service_id = order.items[0].result_service_id
    assert service_id
    product_id = world.products["SIP-10"]
    assert not await world.crm.query(f"SELECT Id FROM Product2 WHERE Billing_Product_Id__c = '{product_id}'")

    report = await sync_services(world.ctx, [service_id])

    assert report.products_synced == [product_id], report
    assert set(report.written) == {service_id}
    (product,) = await world.crm.query(
        f"SELECT Id FROM Product2 WHERE Billing_Product_Id__c = '{product_id}'"
    )
    assert (await world.inventory())[service_id]["Product__c"] == product["Id"]


async def test_a_catalog_that_cannot_be_read_leaves_the_service_to_retry(world: InventoryWorld) -> None:
    account = await world.account()
    order = await world.order(account, {"action": "new", "product_code": "SIP-10"})
    service_id = order.items[0].result_service_id
    assert service_id
    product_id = world.products["SIP-10"]
    fault = {"method": "GET", "path": f"/products/{product_id}", "effect": {"type": "status", "status": 503}}
    world.billing_kit.faults.add(FaultRuleSpec.model_validate(fault))

    report = await sync_services(world.ctx, [service_id])

    assert report.written == {}
    assert report.refused == {}
    assert "503" in report.failed[service_id]  # transient: the engine's retry brings it in
    assert product_id in report.catalog_failed
    world.billing_kit.faults.clear()
    retried = await sync_services(world.ctx, [service_id])
    assert set(retried.written) == {service_id}
    assert retried.products_synced == [product_id]


async def test_a_service_gone_from_billing_is_refused_not_retried(world: InventoryWorld) -> None:
    report = await sync_services(world.ctx, ["svc_does_not_exist"])
    assert report.written == {}
    assert report.failed == {}
    assert "404" in report.refused["svc_does_not_exist"]


async def test_the_record_names_the_owned_fields_only() -> None:
    """Order__c / Order_Product__c belong to the order flow: the mapping never sends them."""
    from tests.support.inventory_world import sample_service

    record = inventory_record(sample_service())
    assert "Order__c" not in record
    assert "Order_Product__c" not in record
    assert record["Account__r"] == {"Billing_Account_Id__c": "acct_1"}
    assert record["Product__r"] == {"Billing_Product_Id__c": "prod_1"}
    assert record["Parent_Service__c"] is None
    assert record["Replaced_By__c"] is None


async def test_inventory_drift_names_the_field_edited_in_the_crm(world: InventoryWorld) -> None:
    account = await world.account()
    order = await world.order(
        account,
        {"action": "new", "external_id": "p", "product_code": "INET-100", "quantity": 2},
        {"action": "add_on", "product_code": "IP-STATIC", "parent_external_id": "p"},
    )
    base, addon = (item.result_service_id for item in order.items)
    assert base
    assert addon
    await sync_services(world.ctx, [base, addon])
    assert await world.drift() == []
    records = await world.inventory()

    # A person edits the quantity and detaches the add-on in the CRM; a stray record appears.
    (edited,) = await world.crm.update(
        "Billing_Service__c",
        [{"Id": records[base]["Id"], "Quantity__c": 5}],
    )
    (detached,) = await world.crm.update(
        "Billing_Service__c", [{"Id": records[addon]["Id"], "Parent_Service__c": None}]
    )
    (stray,) = await world.crm.create(
        "Billing_Service__c", [{"Name": "Stray", "Billing_Service_Id__c": "svc_x"}]
    )
    assert edited.success
    assert detached.success
    assert stray.success

    checked, drift = await inventory_drift(world.ctx)

    assert checked == 2
    assert sorted((d.record, d.field, d.salesforce, d.billing) for d in drift) == [
        (base, "Quantity__c", 5.0, 2),
        (addon, "Parent_Service__c", None, base),
        ("svc_x", "(not in billing)", "svc_x", None),
    ]
    assert {d.sf_account_id for d in drift if d.record != "svc_x"} == {world.crm_accounts[account]}
    # A sync repairs what billing masters (the stray record is a person's to remove).
    await sync_services(world.ctx, [base, addon])
    assert [d.record for d in await world.drift()] == ["svc_x"]


async def test_a_missing_inventory_record_is_drift(world: InventoryWorld) -> None:
    account = await world.account()
    order = await world.order(account, {"action": "new", "product_code": "INET-100"})
    service_id = order.items[0].result_service_id
    assert service_id

    drift = await world.drift()

    assert [(d.record, d.field, d.salesforce) for d in drift] == [(service_id, "(missing)", None)]


async def test_four_hundred_services_cost_four_salesforce_calls(world: InventoryWorld) -> None:
    """Batched: two IN-list reads (300 ids each at most), then one 200-record upsert per wave
    (the bases, then their add-ons)."""
    account = await world.account()
    ids: list[str] = []
    for batch in range(2):
        items: list[dict[str, Any]] = []
        for n in range(100):
            key = f"b{batch}-{n}"
            items.append({"action": "new", "external_id": key, "product_code": "INET-100"})
            items.append({"action": "add_on", "product_code": "IP-STATIC", "parent_external_id": key})
        order = await world.order(account, *items)
        ids += [str(item.result_service_id) for item in order.items]
    calls = world.salesforce_calls()

    report = await sync_services(world.ctx, ids)

    assert len(report.written) == 400
    assert world.salesforce_calls() - calls == 2 + 2
    assert len(await world.inventory()) == 400
    assert await world.drift() == []
