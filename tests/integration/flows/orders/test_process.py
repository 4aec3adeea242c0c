"""process_orders over the real simulators: work orders and tasks from the templates, the task
state machine, one billing order per CRM order, results and inventory."""

from typing import Any

from integration.flows.orders import process_orders
from tests.integration.flows.orders.support import (
    OrderWorld,
    accounts,
    crm_catalog,
    line,
    order_row,
    orders,
    tasks_by_line,
    tasks_of,
    work_orders_of,
)

SUB, ADDON, APPROVAL = "prod_0000000001", "prod_0000000007", "prod_0000000003"


async def _template(
    world: OrderWorld, name: str, operation: str, tasks: list[tuple[str, str | None]], **fields: Any
) -> str:
    """A template with tasks ``(name, billing operation or None for a manual task)``."""
    [template] = await world.create(
        "Work_Order_Template__c", [{"Name": name, "Operation__c": operation, **fields}]
    )
    await world.create(
        "Work_Order_Task_Definition__c",
        [
            {
                "Name": task,
                "Template__c": template,
                "Sequence__c": (n + 1) * 10,
                "Task_Type__c": "Manual" if op is None else "Automated",
                "Billing_Operation__c": op,
            }
            for n, (task, op) in enumerate(tasks)
        ],
    )
    return template


async def test_new_service_with_an_add_on_becomes_one_billing_order_and_the_inventory(
    world: OrderWorld,
) -> None:
    catalog = await crm_catalog(world)
    [account] = await accounts(world, 1)  # not linked yet: the link task links it
    [(order_id, [parent, add_on])] = await orders(
        world, catalog, [(account, [line(SUB, Term_Months__c=12), line(ADDON, "Add-On", parent=0)])]
    )

    report = await process_orders(world.ctx, [order_id])

    assert report.failed == {}
    assert report.work_orders_created == 2
    assert report.tasks_created == 7
    work_orders = await work_orders_of(world, order_id)
    assert [wo["Order_Product__c"] for wo in work_orders] == sorted([parent, add_on])
    assert {wo["Status"] for wo in work_orders} == {"Completed"}
    assert {wo["AccountId"] for wo in work_orders} == {account}
    tasks = await tasks_of(world, order_id)
    by_line: dict[str, list[str]] = {}
    for task in tasks:
        assert (task["Status"], task["Is_Error__c"]) == ("Completed", False), task
        by_line.setdefault(task["WorkOrder"]["Order_Product__c"], []).append(task["Billing_Operation__c"])
    # Copied from the defaults in Sequence__c order: New links first, Add-On has no link task.
    assert by_line[parent] == ["link_account", "submit_order", "await_result", "write_inventory"]
    assert by_line[add_on] == ["submit_order", "await_result", "write_inventory"]
    row = await order_row(world, order_id)
    assert (row["Billing_Sync_Status__c"], row["Billing_Sync_Error__c"]) == ("Synced", None)
    [linked] = await world.query(f"SELECT Billing_Account_Id__c FROM Account WHERE Id = '{account}'")
    billing_orders = await world.billing.orders(account_id=linked["Billing_Account_Id__c"])
    assert [o.id for o in billing_orders] == [row["Billing_Order_Id__c"]]  # one for the CRM order
    assert [(i.external_id, i.action, i.parent_external_id) for i in billing_orders[0].items] == [
        (parent, "new", None),
        (add_on, "add_on", parent),
    ]
    services = {
        s.external_id: s for s in await world.billing.services(account_id=linked["Billing_Account_Id__c"])
    }
    assert services[parent].current_term is not None
    assert services[parent].current_term.months == 12
    inventory = await world.query(
        "SELECT Billing_Service_Id__c, Status__c, Order__c, Order_Product__c, Parent_Service__r.Billing_Service_Id__c "
        "FROM Billing_Service__c ORDER BY Billing_Service_Id__c"
    )
    assert [(r["Order_Product__c"], r["Status__c"], r["Order__c"]) for r in inventory] == [
        (parent, "Active", order_id),
        (add_on, "Active", order_id),
    ]
    assert inventory[1]["Parent_Service__r"]["Billing_Service_Id__c"] == services[parent].id
    lines = await world.query(
        f"SELECT Id, Billing_Service_Id__c FROM OrderItem WHERE OrderId = '{order_id}' ORDER BY Id"
    )
    assert [r["Billing_Service_Id__c"] for r in lines] == [services[parent].id, services[add_on].id]


async def test_the_product_template_beats_the_enrichment_and_the_default(world: OrderWorld) -> None:
    catalog = await crm_catalog(world)
    own = await _template(
        world,
        "New Virtual Server",
        "New",
        [("Link", "link_account"), ("Submit", "submit_order")],
        Product__c=catalog[SUB].product,
    )
    enriched = await _template(
        world, "Enriched New", "New", [("Link", "link_account"), ("Submit", "submit_order")]
    )
    wrong_operation = await _template(world, "Enriched Cancel", "Cancel", [("Submit", "submit_order")])
    second = "prod_0000000002"
    fourth = "prod_0000000004"
    await world.update(
        "Product2",
        [
            {"Id": catalog[SUB].product, "Work_Order_Template__c": enriched},  # loses to the product's own
            {"Id": catalog[second].product, "Work_Order_Template__c": enriched},
            {"Id": catalog[fourth].product, "Work_Order_Template__c": wrong_operation},  # not for New
        ],
    )
    [account] = await accounts(world, 1)
    [(order_id, lines)] = await orders(world, catalog, [(account, [line(SUB), line(second), line(fourth)])])

    await process_orders(world.ctx, [order_id])

    chosen = {
        wo["Order_Product__c"]: wo["Work_Order_Template__c"] for wo in await work_orders_of(world, order_id)
    }
    [default] = await world.query("SELECT Id FROM Work_Order_Template__c WHERE Name = 'Default New'")
    assert chosen == {lines[0]: own, lines[1]: enriched, lines[2]: default["Id"]}
    subjects = [
        t["Subject"]
        for t in await tasks_of(world, order_id)
        if t["WorkOrder"]["Order_Product__c"] == lines[0]
    ]
    assert subjects == ["Link", "Submit"]


async def test_a_manual_task_holds_the_whole_order_until_a_person_completes_it(world: OrderWorld) -> None:
    catalog = await crm_catalog(world)
    await _template(
        world,
        "New With Survey",
        "New",
        [
            ("Link", "link_account"),
            ("Site survey", None),
            ("Submit", "submit_order"),
            ("Wait", "await_result"),
        ],
        Product__c=catalog[SUB].product,
    )
    [account] = await accounts(world, 1)
    [(order_id, [surveyed, plain])] = await orders(
        world, catalog, [(account, [line(SUB), line("prod_0000000002")])]
    )

    first = await process_orders(world.ctx, [order_id])

    assert first.waiting == [order_id]
    assert first.billing_orders == []
    assert world.billing_orders_posted() == 0  # nothing went to billing while a person is due
    tasks = {(t["WorkOrder"]["Order_Product__c"], t["Subject"]): t for t in await tasks_of(world, order_id)}
    survey = tasks[(surveyed, "Site survey")]
    assert survey["Status"] == "Ready"
    assert tasks[(surveyed, "Link")]["Status"] == "Completed"
    assert tasks[(surveyed, "Submit")]["Status"] == "Pending"
    assert tasks[(plain, "Submit the billing order")]["Status"] == "Ready"  # held for the other line
    assert (await order_row(world, order_id))["Billing_Sync_Status__c"] == "Pending"
    assert await process_orders(world.ctx, [order_id]) is not None
    assert world.billing_orders_posted() == 0  # a second run before the person: still held

    await world.update("WorkOrderLineItem", [{"Id": survey["Id"], "Status": "Completed"}])  # the person
    second = await process_orders(world.ctx, [order_id])

    assert len(second.billing_orders) == 1
    assert world.billing_orders_posted() == 1
    [billing_order] = await world.billing.orders()
    assert sorted(i.external_id or "" for i in billing_order.items) == sorted([surveyed, plain])
    assert (await order_row(world, order_id))["Billing_Sync_Status__c"] == "Synced"


async def test_a_line_billing_refuses_fails_alone_and_the_rest_is_submitted(world: OrderWorld) -> None:
    catalog = await crm_catalog(world)
    # A CRM product whose billing id billing does not know (a stale catalog).
    [product] = await world.create(
        "Product2", [{"Name": "Ghost", "Billing_Product_Id__c": "prod_ghost", "IsActive": True}]
    )
    [entry] = await world.create(
        "PricebookEntry",
        [{"Pricebook2Id": world.standard_book, "Product2Id": product, "UnitPrice": 10, "IsActive": True}],
    )
    catalog = {**catalog, "prod_ghost": type(catalog[SUB])(product, entry, 10.0)}
    [account] = await accounts(world, 1)
    [(order_id, [good, ghost, other])] = await orders(
        world, catalog, [(account, [line(SUB), line("prod_ghost"), line("prod_0000000002")])]
    )

    report = await process_orders(world.ctx, [order_id])

    assert report.failed == {}
    assert report.tasks_failed == 1
    tasks = await tasks_by_line(world, order_id)
    failed = tasks[(ghost, "submit_order")]
    assert failed["Is_Error__c"] is True
    assert failed["Error_Message__c"].startswith(
        "Billing refused the order: unknown_product (items.1.product_id): "
    )
    assert tasks[(ghost, "await_result")]["Status"] == "Pending"  # the work order stopped there
    assert tasks[(good, "write_inventory")]["Status"] == "Completed"
    assert tasks[(other, "write_inventory")]["Status"] == "Completed"
    statuses = {wo["Order_Product__c"]: wo["Status"] for wo in await work_orders_of(world, order_id)}
    assert statuses == {good: "Completed", ghost: "Cannot Complete", other: "Completed"}
    row = await order_row(world, order_id)
    assert row["Billing_Sync_Status__c"] == "Error"
    assert "unknown_product" in row["Billing_Sync_Error__c"]
    [billing_order] = await world.billing.orders()  # the refused request created nothing
    assert sorted(i.external_id or "" for i in billing_order.items) == sorted([good, other])


async def test_an_account_missing_billing_data_is_refused_per_field_and_nothing_reaches_billing(
    world: OrderWorld,
) -> None:
    catalog = await crm_catalog(world)
    [account] = await accounts(world, 1, BillingStreet=None, Billing_Primary_Email__c=None)
    [(order_id, [_only])] = await orders(world, catalog, [(account, [line(SUB)])])
    journal_before = len(world.billing_kit.journal)

    report = await process_orders(world.ctx, [order_id])

    assert report.failed == {}
    assert report.billing_orders == []
    [link] = [t for t in await tasks_of(world, order_id) if t["Billing_Operation__c"] == "link_account"]
    assert link["Is_Error__c"] is True
    assert link["Error_Message__c"].startswith("Cannot create the billing account: ")
    assert "BillingStreet" in link["Error_Message__c"] or "address" in link["Error_Message__c"]
    row = await order_row(world, order_id)
    assert row["Billing_Sync_Status__c"] == "Error"
    assert row["Billing_Sync_Error__c"].startswith("line ")
    assert link["Error_Message__c"] in row["Billing_Sync_Error__c"]
    writes = [e for e in list(world.billing_kit.journal)[journal_before:] if e.method != "GET"]
    assert writes == []  # no account, no order
    assert row["Billing_Order_Id__c"] is None


async def test_an_order_waiting_for_approval_completes_on_the_next_run(world: OrderWorld) -> None:
    catalog = await crm_catalog(world)
    [account] = await accounts(world, 1)
    [(order_id, [only])] = await orders(world, catalog, [(account, [line(APPROVAL)])])

    first = await process_orders(world.ctx, [order_id])

    assert first.waiting == [order_id]
    [wait] = [t for t in await tasks_of(world, order_id) if t["Billing_Operation__c"] == "await_result"]
    assert wait["Status"] == "In Progress"
    billing_id = (await order_row(world, order_id))["Billing_Order_Id__c"]
    status, _ = await world.billing.request("POST", f"/orders/{billing_id}/approve", body={})
    assert status == 200

    second = await process_orders(world.ctx, [order_id])  # what the order.completed webhook runs

    assert second.waiting == []
    assert second.billing_orders == []
    assert (await order_row(world, order_id))["Billing_Sync_Status__c"] == "Synced"
    [record] = await world.query("SELECT Status__c, Order_Product__c FROM Billing_Service__c")
    assert (record["Status__c"], record["Order_Product__c"]) == ("Active", only)


async def test_drafts_and_unknown_ids_are_skipped(world: OrderWorld) -> None:
    catalog = await crm_catalog(world)
    [account] = await accounts(world, 1)
    [(draft, _)] = await orders(world, catalog, [(account, [line(SUB)])], activate=False)

    report = await process_orders(world.ctx, [draft, "801000000000000AAA"])

    assert report.skipped == {draft: "not activated (Status Draft)", "801000000000000AAA": "no such order"}
    assert await work_orders_of(world, draft) == []


async def test_a_price_book_mismatch_fails_its_line_before_billing(world: OrderWorld) -> None:
    catalog = await crm_catalog(world)
    [eur] = await world.query(
        "SELECT Id, Pricebook2Id, UnitPrice, Product2Id FROM PricebookEntry "
        f"WHERE Pricebook2.Name = 'Billing EUR' AND Product2Id = '{catalog[SUB].product}'"
    )
    euro_catalog = {SUB: type(catalog[SUB])(eur["Product2Id"], eur["Id"], eur["UnitPrice"])}
    stale = "prod_0000000002"
    await world.update("PricebookEntry", [{"Id": catalog[stale].entry, "Billing_Price_Id__c": "price_gone"}])
    usd_customers = await accounts(world, 2)
    [(in_euros, [euro_line])] = await orders(
        world, euro_catalog, [(usd_customers[0], [line(SUB)])], book=eur["Pricebook2Id"]
    )
    [(mixed, [good, gone])] = await orders(world, catalog, [(usd_customers[1], [line(SUB), line(stale)])])

    report = await process_orders(world.ctx, [in_euros, mixed])

    assert report.failed == {}
    failed = {
        t["WorkOrder"]["Order_Product__c"]: t["Error_Message__c"]
        for order_id in (in_euros, mixed)
        for t in await tasks_of(world, order_id)
        if t["Is_Error__c"]
    }
    assert failed == {
        euro_line: "Price book mismatch: the line is priced in EUR, the billing account bills in USD",
        gone: f"Price book mismatch: billing's product {stale} has no price price_gone "
        "(the line's price book entry is stale: sync the catalog)",
    }
    assert (await order_row(world, in_euros))["Billing_Order_Id__c"] is None  # nothing went to billing
    [billing_order] = await world.billing.orders()
    assert [i.external_id for i in billing_order.items] == [good]
