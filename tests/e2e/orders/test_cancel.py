"""Cancel with early termination liability: the ETL quote on the draft order's line before
activation, the service cancelled after it, the early-termination line on billing's next invoice
and that invoice in the CRM through invoice sync."""

from datetime import timedelta
from decimal import Decimal

from contracts.generated import billing_models as wire
from q2c.demo import first_of_next_month
from sandbox.orders import LineSpec
from tests.e2e.orders.desk import OrderWorld, new_service


async def test_cancel_quotes_the_etl_before_activation_and_bills_it_on_the_next_invoice(
    world: OrderWorld,
) -> None:
    (account,) = await world.customers(1)
    record = await new_service(world, account, "INET-100", quantity=2, term_months=12)
    service_id = record["Billing_Service_Id__c"]
    await world.advance(days=20)  # a few weeks into the 12-month term
    today = world.today()

    # A Cancel line added to a draft order: the core fills ETL_Amount__c from billing's quote.
    (placed,) = await world.place(
        world.spec(account, LineSpec("Cancel", service_id=record["Id"])), activate=False
    )
    (line,) = await world.items(placed)
    quote = await world.sandbox.billing.quote_etl(
        service_id, wire.EtlQuoteRequest(effective_date=today), idempotency_key=f"test-quote-{service_id}"
    )
    etl = Decimal(quote.amount.amount)
    assert etl > 0  # remaining months of a 12-month term
    assert line["ETL_Amount__c"] == float(etl)
    # A draft order is not an order yet: nothing went to billing, the service runs on.
    assert (await world.billing_service(service_id))["status"] == "active"
    assert len(await world.sandbox.billing.orders()) == 1  # the New order only

    await world.activate([placed])
    await world.assert_line_done(placed.item_ids[0])
    order = await world.order(placed.order_id)
    assert (order["Billing_Sync_Status__c"], order["Billing_Sync_Error__c"]) == ("Synced", None)
    after = await world.service_record(record["Id"])
    service = await world.assert_inventory_matches(after)
    assert service["status"] == "cancelled"
    assert service["cancel_reason"] == "customer_request"
    assert Decimal(service["etl_amount"]["amount"]) == etl
    assert service["end_date"] == (today - timedelta(days=1)).isoformat()
    assert (after["Status__c"], after["End_Date__c"]) == ("Cancelled", service["end_date"])

    # The next bill run: the early termination is a line of the invoice, and the invoice is in the CRM.
    clock = world.sandbox.system.kit("billing").clock
    await clock.advance(to=first_of_next_month(clock.now()) + timedelta(days=1))
    await world.settle()
    billing_account = (await world.billing_service(service_id))["account_id"]
    invoices = [i for i in await world.sandbox.billing.invoices(billing_account) if i.status != "draft"]
    (invoice,) = [i for i in invoices if any(line.charge_type == "early_termination" for line in i.lines)]
    (etl_line,) = [line for line in invoice.lines if line.charge_type == "early_termination"]
    assert (etl_line.service_id, Decimal(etl_line.amount.amount)) == (service_id, etl)
    assert invoice.issue_date > today
    (synced,) = await world.crm.query(
        "SELECT Account__c, Amount__c, Invoice_Number__c FROM Billing_Invoice__c "
        f"WHERE Billing_Invoice_Id__c = '{invoice.id}'"
    )
    assert synced["Account__c"] == account
    assert synced["Invoice_Number__c"] == invoice.number
    assert synced["Amount__c"] == float(Decimal(invoice.total.amount))
    assert Decimal(invoice.total.amount) >= etl
