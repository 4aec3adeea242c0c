"""The quick actions and the polling fallback: retry_tasks, quote_etl, activated_orders_pending."""

from decimal import Decimal

from integration.flows.orders import activated_orders_pending, process_orders, quote_etl, retry_tasks
from tests.integration.flows.orders.support import (
    OrderWorld,
    accounts,
    crm_catalog,
    line,
    order_row,
    orders,
    tasks_by_line,
    tasks_of,
)

SUB = "prod_0000000001"


async def test_retry_tasks_runs_a_failed_task_again_after_the_data_is_fixed(world: OrderWorld) -> None:
    catalog = await crm_catalog(world)
    [account] = await accounts(world, 1, BillingCity=None)
    [(order_id, _)] = await orders(world, catalog, [(account, [line(SUB)])])
    await process_orders(world.ctx, [order_id])
    [link] = [t for t in await tasks_of(world, order_id) if t["Billing_Operation__c"] == "link_account"]
    assert link["Is_Error__c"] is True
    assert await process_orders(world.ctx, [order_id]) is not None
    assert world.billing_orders_posted() == 0  # a failed task stays failed until retried

    await world.update("Account", [{"Id": account, "BillingCity": "Springfield"}])  # a person fixes it
    to_process = await retry_tasks(world.ctx, [link["Id"], "1WL000000000000AAA"])

    assert to_process == [order_id]
    [reset] = [t for t in await tasks_of(world, order_id) if t["Id"] == link["Id"]]
    assert (reset["Status"], reset["Is_Error__c"], reset["Error_Message__c"]) == ("Ready", False, None)
    report = await process_orders(world.ctx, to_process)
    assert len(report.billing_orders) == 1
    assert {t["Status"] for t in await tasks_of(world, order_id)} == {"Completed"}
    row = await order_row(world, order_id)
    assert (row["Billing_Sync_Status__c"], row["Billing_Sync_Error__c"]) == ("Synced", None)
    assert await retry_tasks(world.ctx, [link["Id"]]) == []  # not failed any more: left alone


async def test_quote_etl_fills_the_cancel_line_of_a_draft_order_and_the_task_uses_it(
    world: OrderWorld,
) -> None:
    catalog = await crm_catalog(world)
    [account] = await accounts(world, 1)
    [(first, [new_line])] = await orders(world, catalog, [(account, [line(SUB, Term_Months__c=12)])])
    await process_orders(world.ctx, [first])
    [service] = await world.query(
        f"SELECT Id, Billing_Service_Id__c FROM Billing_Service__c WHERE Order_Product__c = '{new_line}'"
    )
    [(draft, [cancel, other])] = await orders(
        world,
        catalog,
        [(account, [line(SUB, "Cancel", Billing_Service__c=service["Id"]), line(SUB)])],
        activate=False,
    )

    report = await quote_etl(world.ctx, [cancel, other, "802000000000000AAA"])

    quote = await world.billing.quote_etl(
        service["Billing_Service_Id__c"], _request(), idempotency_key="t-etl"
    )
    assert report.written == {cancel: Decimal(quote.amount.amount)}
    assert Decimal(quote.amount.amount) > 0
    assert report.skipped == {other: "not a Cancel line", "802000000000000AAA": "no such order line"}
    [row] = await world.query(f"SELECT ETL_Amount__c FROM OrderItem WHERE Id = '{cancel}'")
    assert Decimal(str(row["ETL_Amount__c"])) == Decimal(quote.amount.amount)

    await world.update("Order", [{"Id": draft, "Status": "Activated"}])
    quotes_before = sum(1 for e in world.billing_kit.journal if e.operation == "quoteServiceEtl")
    await process_orders(world.ctx, [draft])

    etl_task = [t for t in await tasks_of(world, draft) if t["Billing_Operation__c"] == "quote_etl"]
    assert [t["Status"] for t in etl_task] == ["Completed"]
    assert quotes_before == 2  # the quick action's and the test's own
    assert (
        sum(1 for e in world.billing_kit.journal if e.operation == "quoteServiceEtl") == quotes_before
    )  # reused
    assert (await world.billing.get_service(service["Billing_Service_Id__c"])).status == "cancelled"


def _request():  # type: ignore[no-untyped-def]
    from contracts.generated import billing_models as wire

    return wire.EtlQuoteRequest()


async def test_quote_etl_refuses_a_cancel_line_without_a_service(world: OrderWorld) -> None:
    catalog = await crm_catalog(world)
    [account] = await accounts(world, 1)
    [(_, [cancel])] = await orders(world, catalog, [(account, [line(SUB, "Cancel")])], activate=False)

    report = await quote_etl(world.ctx, [cancel])

    assert report.refused == {
        cancel: "Billing_Service__c: a Cancel line needs the billing service it cancels"
    }
    assert report.written == {}


async def test_activated_orders_pending_lists_activated_orders_not_synced_yet(world: OrderWorld) -> None:
    catalog = await crm_catalog(world)
    customers = await accounts(world, 3)
    [(done, _)] = await orders(world, catalog, [(customers[0], [line(SUB)])])
    await process_orders(world.ctx, [done])
    [(waiting, _)] = await orders(world, catalog, [(customers[1], [line(SUB)])])
    [(draft, _)] = await orders(world, catalog, [(customers[2], [line(SUB)])], activate=False)

    assert await activated_orders_pending(world.ctx, None) == [waiting]
    assert await activated_orders_pending(world.ctx, "2999-01-01T00:00:00Z") == []
    assert draft not in await activated_orders_pending(world.ctx, "2000-01-01T00:00:00Z")


async def test_a_line_retried_after_its_order_went_to_billing_goes_in_a_supplementary_order(
    world: OrderWorld,
) -> None:
    catalog = await crm_catalog(world)
    [account] = await accounts(world, 1)
    [(first, [one, two])] = await orders(
        world, catalog, [(account, [line(SUB, Term_Months__c=12), line(SUB)])]
    )
    await process_orders(world.ctx, [first])
    inventory = {
        r["Order_Product__c"]: r["Id"]
        for r in await world.query("SELECT Id, Order_Product__c FROM Billing_Service__c")
    }
    [(amendment, [reterm, _change])] = await orders(
        world,
        catalog,
        [
            (
                account,
                [
                    line(SUB, "Re-Term", Term_Months__c=7, Billing_Service__c=inventory[one]),  # no such term
                    line(SUB, "Change Quantity", Quantity=2, Billing_Service__c=inventory[two]),
                ],
            )
        ],
    )
    await process_orders(world.ctx, [amendment])
    tasks = await tasks_by_line(world, amendment)
    failed = tasks[(reterm, "submit_order")]
    assert failed["Is_Error__c"] is True
    assert failed["Error_Message__c"].startswith(
        "Billing refused the order: invalid_term (items.0.term_months): "
    )
    main = (await order_row(world, amendment))["Billing_Order_Id__c"]
    assert main is not None  # the other line went to billing

    await world.update("OrderItem", [{"Id": reterm, "Term_Months__c": 24}])  # a person fixes the line
    await process_orders(world.ctx, await retry_tasks(world.ctx, [failed["Id"]]))
    await process_orders(world.ctx, [amendment])  # again: finds the supplement, posts nothing

    row = await order_row(world, amendment)
    assert row["Billing_Sync_Status__c"] == "Synced"
    assert row["Billing_Order_Id__c"] == main
    billing_id = (await world.query(f"SELECT Billing_Account_Id__c FROM Account WHERE Id = '{account}'"))[0]
    posted = [
        o
        for o in await world.billing.orders(account_id=billing_id["Billing_Account_Id__c"])
        if o.external_id != first
    ]
    assert sorted((o.external_id or "")[:18] for o in posted) == [amendment, amendment]
    [supplement] = [o for o in posted if o.id != main]
    assert [i.external_id for i in supplement.items] == [reterm]
    [reterm_service] = await world.query(
        f"SELECT Term_Months__c FROM Billing_Service__c WHERE Id = '{inventory[one]}'"
    )
    assert reterm_service["Term_Months__c"] == 24


async def test_retrying_a_failed_result_posts_the_line_again(world: OrderWorld) -> None:
    catalog = await crm_catalog(world)
    [account] = await accounts(world, 1)
    [(order_id, [only])] = await orders(
        world, catalog, [(account, [line("prod_0000000003")])]
    )  # needs approval
    await process_orders(world.ctx, [order_id])
    voided = (await order_row(world, order_id))["Billing_Order_Id__c"]
    status, _ = await world.billing.request("POST", f"/orders/{voided}/void", body={})
    assert status == 200
    await process_orders(world.ctx, [order_id])  # what the order.* webhook runs
    [wait] = [t for t in await tasks_of(world, order_id) if t["Billing_Operation__c"] == "await_result"]
    assert (wait["Is_Error__c"], wait["Error_Message__c"]) == (True, "Billing voided the order")

    await process_orders(world.ctx, await retry_tasks(world.ctx, [wait["Id"]]))

    billing_id = (await world.query(f"SELECT Billing_Account_Id__c FROM Account WHERE Id = '{account}'"))[0]
    posted = await world.billing.orders(account_id=billing_id["Billing_Account_Id__c"])
    [again] = [o for o in posted if o.id != voided]
    assert (again.external_id or "").startswith(f"{order_id}-")
    assert [i.external_id for i in again.items] == [only]
    status, _ = await world.billing.request("POST", f"/orders/{again.id}/approve", body={})
    assert status == 200
    await process_orders(world.ctx, [order_id])
    assert {t["Status"] for t in await tasks_of(world, order_id)} == {"Completed"}
    assert (await order_row(world, order_id))["Billing_Sync_Status__c"] == "Synced"
