"""SIGKILL the core (its own process, subscribed to the org's events over CometD) while it carries
out 500 order lines, restart it on the same store: every line ends with exactly one billing
service, each CRM order with exactly one billing order, every task Completed and every order
Synced: nothing duplicated, nothing missed.

The kill is deterministic: billing answers the first ``KILL_AFTER`` orders of the run and holds
the rest (a latency fault), so the core is caught with billing ahead of the CRM; the test kills
it as soon as billing's webhooks report those orders completed (an awaited event, not a sleep)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from contracts import defaults
from integration.clients.billing import BillingClient, BillingConfig
from integration.clients.salesforce import SalesforceClient, soql_in
from integration.flows.link import QUERY_CHUNK
from loadtests.bench.orders import (
    CHANGED_QUANTITY,
    billing_orders_per_crm_order,
    change_orders,
    customers,
    desk_client,
    opening_orders,
    services_by_account,
    sync_statuses,
)
from sandbox.orders import PlacedOrder, place_orders
from tests.support.core_events import latest_over_http, sim
from tests.support.core_process import CoreProcess
from tests.support.servers import running_app

ACCOUNTS = 100  # one order of 5 lines each: 500 lines (400 New, 100 of them add-ons; 100 changes)
KILL_AFTER = 30  # billing orders the core gets through before it is caught
HOLD = {"method": "POST", "path": "/orders", "sequence": ["ok"] * KILL_AFTER + ["latency:30000"] * 70}


async def settle(core: CoreProcess, salesforce_url: str) -> None:
    """Until the core has taken in every org event so far and has nothing left to do."""
    body = {"timeout_seconds": 300, "events": await latest_over_http(salesforce_url)}
    assert await core.call("POST", "/actions/wait-idle", body) == (200, {"idle": True})


class CompletedOrders:
    """Billing's ``order.completed`` webhooks, delivered to an endpoint of the test's own: set
    ``reached`` once ``count`` orders not in ``ignore`` completed."""

    def __init__(self, count: int, ignore: set[str]) -> None:
        self.count, self.ignore = count, ignore
        self.seen: set[str] = set()
        self.reached = asyncio.Event()
        self.loop = asyncio.get_running_loop()

    async def receive(self, request: web.Request) -> web.Response:
        event = await request.json()
        data = event.get("data") or {}
        if event.get("type") == "order.completed" and data.get("external_id") not in self.ignore:
            self.seen.add(str(data["id"]))
            if len(self.seen) >= self.count:
                self.loop.call_soon_threadsafe(self.reached.set)  # the receiver runs in its own thread
        return web.Response(status=204)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/hook", self.receive)
        return app


@contextlib.contextmanager
def receiving(watcher: CompletedOrders) -> Iterator[str]:
    with running_app(watcher.app, name="order-webhooks") as receiver:
        yield receiver.url + "/hook"


@pytest.fixture
async def clients(simulators: tuple[str, str]) -> AsyncIterator[tuple[SalesforceClient, BillingClient]]:
    salesforce_url, billing_url = simulators
    crm = desk_client(
        salesforce_url, client_id=defaults.SALESFORCE_CLIENT_ID, secret=defaults.SALESFORCE_CLIENT_SECRET
    )
    billing = BillingClient(BillingConfig(billing_url, defaults.BILLING_API_KEY))
    yield crm, billing
    await crm.close()
    await billing.close()


async def query_in(crm: SalesforceClient, select: str, field: str, ids: list[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ids), QUERY_CHUNK):
        rows += await crm.query(f"{select} WHERE {field} IN {soql_in(ids[start : start + QUERY_CHUNK])}")
    return rows


@pytest.mark.slow
async def test_sigkill_while_500_order_lines_are_processed_then_restart_finishes_each_once(
    tmp_path: Path, simulators: tuple[str, str], clients: tuple[SalesforceClient, BillingClient]
) -> None:
    salesforce_url, billing_url = simulators
    crm, billing = clients
    await sim(salesforce_url, "POST", "/__sim/seed", {"counts": {"accounts": 0}})
    day = (await sim(billing_url, "GET", "/__sim/clock"))["now"][:10]

    core = CoreProcess(tmp_path, salesforce_url, billing_url, "--events", "cometd")
    await core.start()
    try:
        status, _ = await core.call("POST", "/actions/catalog-sync", {"wait": True, "timeout_seconds": 120})
        assert status == 200
        # Customers with a service each (their first order links them): what the changes act on.
        account_ids = await customers(crm, ACCOUNTS, seed=23)
        opened = await place_orders(crm, opening_orders(account_ids, day))
        await settle(core, salesforce_url)
        assert await sync_statuses(crm, [p.order_id for p in opened]) == {"Synced": ACCOUNTS}
        services = await services_by_account(crm, account_ids)

        watcher = CompletedOrders(KILL_AFTER, ignore={p.order_id for p in opened})
        with receiving(watcher) as hook:
            _, endpoint = await billing.request(
                "POST",
                "/webhook-endpoints",
                body={"url": hook, "event_types": ["order.completed"]},
                idempotency_key="crash-test-watcher",
                operation="create_webhook_endpoint",
            )
            await sim(billing_url, "POST", "/__sim/faults", HOLD)
            placed = await place_orders(crm, change_orders(account_ids, services, day))
            await asyncio.wait_for(watcher.reached.wait(), timeout=300)
            core.kill()
    finally:
        core.stop()

    measured = [p.order_id for p in placed]
    in_billing = billing_orders_per_crm_order(await billing.collect("/orders"))
    assert sum(in_billing.get(o, 0) for o in measured) == KILL_AFTER  # caught mid-run, as arranged
    statuses = await sync_statuses(crm, measured)
    assert statuses.get("Synced", 0) < ACCOUNTS, statuses  # the CRM had not heard of them all

    await sim(billing_url, "DELETE", "/__sim/faults")
    restarted = CoreProcess(tmp_path, salesforce_url, billing_url, "--events", "cometd")
    await restarted.start()
    try:
        await settle(restarted, salesforce_url)
    finally:
        restarted.stop()
    await billing.request(
        "DELETE", f"/webhook-endpoints/{endpoint['id']}", operation="delete_webhook_endpoint", allow=(404,)
    )

    await assert_each_line_carried_out_once(crm, billing, opened, placed, services)


async def assert_each_line_carried_out_once(
    crm: SalesforceClient,
    billing: BillingClient,
    opened: list[PlacedOrder],
    placed: list[PlacedOrder],
    services: dict[str, str],
) -> None:
    orders = [p.order_id for p in [*opened, *placed]]
    assert await sync_statuses(crm, orders) == {"Synced": len(orders)}
    per_order = billing_orders_per_crm_order(await billing.collect("/orders"))
    assert {o: per_order.get(o, 0) for o in orders} == dict.fromkeys(orders, 1)  # none twice

    # Work orders: one per line, Completed, every task Completed without error.
    lines = [item for p in [*opened, *placed] for item in p.item_ids]
    work_orders = await query_in(
        crm, "SELECT Id, Status, Order_Product__c FROM WorkOrder", "Order__c", orders
    )
    assert sorted(w["Order_Product__c"] for w in work_orders) == sorted(lines)
    assert {w["Status"] for w in work_orders} == {"Completed"}
    tasks = await query_in(crm, "SELECT Id, Status, Is_Error__c FROM WorkOrderLineItem", "OrderId", orders)
    assert len(tasks) >= 3 * len(lines)
    assert {(t["Status"], t["Is_Error__c"]) for t in tasks} == {("Completed", False)}

    # Billing: each New line made exactly one service (its external id is the line); nothing else.
    accounts = await query_in(
        crm, "SELECT Id, Billing_Account_Id__c FROM Account", "Id", [p.spec.account_id for p in opened]
    )
    in_billing: dict[str, list[dict[str, Any]]] = {}
    for account in accounts:
        for service in await billing.collect("/services", {"account_id": account["Billing_Account_Id__c"]}):
            in_billing.setdefault(str(service["external_id"]), []).append(service)
    new_lines = [
        item
        for p in [*opened, *placed]
        for item, line in zip(p.item_ids, p.spec.lines, strict=True)
        if line.action in ("New", "Add-On")
    ]
    assert sorted(in_billing) == sorted(new_lines)
    assert all(len(found) == 1 for found in in_billing.values())

    # The CRM inventory: one record per billing service, pointing at its line; changes applied.
    inventory = await query_in(
        crm,
        "SELECT Id, Billing_Service_Id__c, Order_Product__c, Quantity__c, Status__c FROM Billing_Service__c",
        "Account__c",
        [p.spec.account_id for p in opened],
    )
    assert sorted(r["Billing_Service_Id__c"] for r in inventory) == sorted(
        found[0]["id"] for found in in_billing.values()
    )
    by_line = {r["Order_Product__c"]: r for r in inventory}
    assert sorted(by_line) == sorted(new_lines)
    changed = set(services.values())
    for record in inventory:
        service = in_billing[record["Order_Product__c"]][0]
        assert (service["status"], record["Status__c"]) == ("active", "Active")
        expected = CHANGED_QUANTITY if record["Id"] in changed else service["quantity"]
        assert service["quantity"] == record["Quantity__c"] == expected
