"""Financial and invoice sync end to end: billing periods on the virtual clock, webhooks driving
the core, Salesforce matching billing afterwards."""

from datetime import timedelta
from decimal import Decimal

from q2c.demo import first_of_next_month
from sandbox import scenario
from tests.support.sandbox import Sandbox

FINANCIALS = (
    "Id, Total_Amount_Billed__c, First_Invoice_Amount__c, First_Invoice_Date__c, Latest_Invoice_Amount__c, "
    "Latest_Invoice_Date__c, Due_Amount__c, Past_Due_Amount__c"
)
INVOICE_FIELDS = (
    "Billing_Invoice_Id__c, Invoice_Number__c, Account__c, Invoice_Date__c, Due_Date__c, Amount__c, Balance__c, "
    "Status__c, Is_Overdue__c"
)


def amount(money: dict[str, str] | None) -> float | None:
    return None if money is None else float(Decimal(money["amount"]))


async def run_two_periods(sandbox: Sandbox, accounts: int, seed: int) -> list[tuple[str, str]]:
    await scenario.create_crm(sandbox.crm_user, scenario.plan_accounts(accounts, seed=seed))
    await sandbox.core("POST", "/actions/link", {"wait": True, "timeout_seconds": 300}, expect=200)
    links = [(lk.sf_account_id, lk.billing_id) for lk in await sandbox.system.core.store.xref.all_links()]
    await scenario.order_services(sandbox.billing, [b for _, b in links], seed=seed)
    await sandbox.settle()
    clock = sandbox.system.kit("billing").clock
    await clock.advance(to=first_of_next_month(clock.now()) + timedelta(days=1))
    await sandbox.settle()
    await scenario.pay_open_invoices(sandbox.billing, [b for _, b in links][: len(links) // 2])
    await clock.advance(to=first_of_next_month(clock.now()) + timedelta(days=20))
    await sandbox.settle()
    return links


async def test_two_periods_later_salesforce_equals_billing(sandbox: Sandbox) -> None:
    links = await run_two_periods(sandbox, 120, seed=21)
    assert len(links) == 90
    accounts = {r["Id"]: r for r in await sandbox.crm_user.query(f"SELECT {FINANCIALS} FROM Account")}
    synced = {
        r["Billing_Invoice_Id__c"]: r
        for r in await sandbox.crm_user.query(f"SELECT {INVOICE_FIELDS} FROM Billing_Invoice__c")
    }
    past_due_accounts = paid_invoices = 0
    invoice_total = 0
    for sf_id, billing_id in links:
        # Compared in the contract's JSON forms (decimal strings, YYYY-MM-DD), as Salesforce has them.
        summary = (await sandbox.billing.account_summary(billing_id)).model_dump(mode="json")
        record = accounts[sf_id]
        assert record["Total_Amount_Billed__c"] == amount(summary["total_billed"])
        assert record["Due_Amount__c"] == amount(summary["amount_due"])
        assert record["Past_Due_Amount__c"] == amount(summary["past_due_amount"])
        first, latest = summary["first_invoice"], summary["latest_invoice"]
        assert record["First_Invoice_Amount__c"] == amount(first["amount"] if first else None)
        assert record["First_Invoice_Date__c"] == (first["date"] if first else None)
        assert record["Latest_Invoice_Amount__c"] == amount(latest["amount"] if latest else None)
        assert record["Latest_Invoice_Date__c"] == (latest["date"] if latest else None)
        past_due_accounts += amount(summary["past_due_amount"]) > 0  # type: ignore[operator]
        for invoice in [i.model_dump(mode="json") for i in await sandbox.billing.invoices(billing_id)]:
            invoice_total += 1
            row = synced[invoice["id"]]
            assert row["Account__c"] == sf_id
            assert row["Invoice_Number__c"] == invoice["number"]
            assert row["Invoice_Date__c"] == invoice["issue_date"]
            assert row["Amount__c"] == amount(invoice["total"])
            assert row["Balance__c"] == amount(invoice["amount_due"])
            assert row["Is_Overdue__c"] is invoice["is_overdue"]
            paid_invoices += row["Status__c"] == "Paid"
    assert invoice_total == len(synced) > len(links)  # every invoice, and only those, is in Salesforce
    assert past_due_accounts > 0  # the scenario covers both
    assert paid_invoices > 0
    report = await sandbox.core("POST", "/actions/reconcile", expect=200)
    assert (report["accounts_checked"], report["invoices_checked"], report["drift_count"]) == (
        90,
        invoice_total,
        0,
    )


async def test_reconcile_reports_a_field_changed_behind_the_cores_back(sandbox: Sandbox) -> None:
    links = await run_two_periods(sandbox, 20, seed=22)
    sf_id = links[0][0]
    await sandbox.crm_user.update("Account", [{"Id": sf_id, "Due_Amount__c": 123456.78}])
    report = await sandbox.core("POST", "/actions/reconcile", expect=200)
    assert report["drift_count"] == 1
    (drift,) = report["drift"]
    assert (drift["sf_account_id"], drift["field"], drift["salesforce"]) == (
        sf_id,
        "Due_Amount__c",
        123456.78,
    )
