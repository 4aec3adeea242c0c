"""The self-care portal in a real browser: sign in, pay a bill, see the CRM follow through the
console's account 360; a customer never sees another customer's invoice."""

from decimal import Decimal

from playwright.async_api import BrowserContext, expect

from contracts import defaults
from integration.clients.salesforce import SalesforceClient, SalesforceConfig
from sandbox.system import System
from tests.web.api import api
from tests.web.browser import SCREENSHOTS

ADA, GRACE = (email for email, _ in defaults.PORTAL_CUSTOMERS)
CRM_ACCOUNT = "0015G0000000001QAA"  # a seeded Salesforce Account, linked below to BAN000001


async def update_crm(system: System, **fields: object) -> None:
    crm = SalesforceClient(
        SalesforceConfig(
            login_url=system.url("salesforce"),
            client_id=defaults.SALESFORCE_CLIENT_ID,
            client_secret=defaults.SALESFORCE_CLIENT_SECRET,
        )
    )
    try:
        await crm.update("Account", [{"Id": CRM_ACCOUNT, **fields}])
    finally:
        await crm.close()


async def link_and_bill(system: System) -> dict[str, object]:
    """Link the CRM Account to the seeded billing account BAN000001 by its number, bill it now,
    and let the core sync the financial fields; the invoice."""
    await update_crm(system, Billing_Account_Number__c="BAN000001")
    linked = await api(
        system, "core", "POST", "/actions/link", {"account_ids": [CRM_ACCOUNT], "wait": True}, expect=200
    )
    assert linked["outcomes"] == {"linked": 1}, linked
    invoice = await api(system, "billing", "POST", "/accounts/acct_0000000001/bill-now", {}, expect=201)
    await settle(system)
    return invoice  # type: ignore[no-any-return]


async def settle(system: System) -> None:
    await system.kit("billing").outbox.wait_settled(timeout=60)
    await api(system, "core", "POST", "/actions/wait-idle", {"timeout_seconds": 60}, expect=200)


async def test_sign_in_pay_the_bill_and_the_crm_due_amount_follows(
    system: System, context: BrowserContext
) -> None:
    invoice = await link_and_bill(system)
    due = Decimal(invoice["amount_due"]["amount"])  # type: ignore[index]
    assert due > 0

    console = await context.new_page()
    await console.goto(f"/accounts/{CRM_ACCOUNT}")
    crm_due = console.locator("tr[data-field=Due_Amount__c] td.crm")
    await expect(crm_due).to_have_text(str(due))
    await expect(console.locator("#drift-count")).to_have_text("The CRM matches billing.")
    # Someone edits the CRM's copy by hand: account 360 marks that field, and only that one.
    await update_crm(system, Past_Due_Amount__c=12.5)
    await console.reload()
    await expect(console.locator("#drift-count")).to_have_text("1 financial field(s) drift from billing.")
    await expect(console.locator("#financials tr.drift")).to_have_count(1)
    await expect(console.locator("tr[data-field=Past_Due_Amount__c]")).to_have_class("drift")
    await console.screenshot(path=str(SCREENSHOTS / "console-account-360-drift.png"), full_page=True)
    await update_crm(system, Past_Due_Amount__c=0)

    portal = await context.new_page()
    await portal.goto("/portal")
    await expect(portal).to_have_url(f"{system.url('web')}/portal/login")
    await portal.fill("#email", ADA)
    await portal.fill("#password", "wrong")
    await portal.get_by_role("button", name="Sign in").click()
    await expect(portal.locator("#password-error")).to_have_text("That email and password do not match.")
    await portal.fill("#password", defaults.PORTAL_PASSWORD)
    await portal.get_by_role("button", name="Sign in").click()
    await expect(portal.locator("#amount-due")).to_have_text(f"{due} USD")
    await expect(portal.locator("#invoices tbody tr")).to_have_count(1)
    await portal.screenshot(path=str(SCREENSHOTS / "portal-home.png"), full_page=True)

    await portal.fill("#amount", "-3")
    await portal.get_by_role("button", name="Pay now").click()
    await expect(portal.locator("#amount-error")).to_have_text("Enter an amount greater than zero.")
    await portal.fill("#amount", str(due + 1))
    await portal.get_by_role("button", name="Pay now").click()
    await expect(portal.locator("#amount-error")).to_have_text(f"You owe {due}; pay at most that amount.")
    assert (await api(system, "billing", "GET", "/payments?account_id=acct_0000000001"))["data"] == []

    await portal.fill("#amount", str(due))
    await portal.get_by_role("button", name="Pay now").click()
    await expect(portal.locator(".notice")).to_contain_text(f"of {due} USD received")
    await expect(portal.locator("#amount-due")).to_have_text("0.00 USD")
    (payment,) = (await api(system, "billing", "GET", "/payments?account_id=acct_0000000001"))["data"]
    assert payment["amount"] == {"amount": str(due), "currency": "USD"}

    # Billing's webhooks reach the core, which writes the CRM's financial fields.
    await settle(system)
    await console.reload()
    await expect(crm_due).to_have_text("0.0")
    await expect(console.locator("#drift-count")).to_have_text("The CRM matches billing.")
    await console.screenshot(path=str(SCREENSHOTS / "console-account-360.png"), full_page=True)

    await portal.goto(f"/portal/invoices/{invoice['id']}")
    await expect(portal.locator("#lines tbody tr")).to_have_count(len(invoice["lines"]))  # type: ignore[arg-type]
    await expect(portal.locator("#invoice-due")).to_have_text("0.00 USD")


async def test_a_customer_cannot_open_another_customers_invoice(
    system: System, context: BrowserContext
) -> None:
    invoice = await api(system, "billing", "POST", "/accounts/acct_0000000001/bill-now", {}, expect=201)
    grace = await context.new_page()
    await grace.goto("/portal/login")
    await grace.fill("#email", GRACE)
    await grace.fill("#password", defaults.PORTAL_PASSWORD)
    await grace.get_by_role("button", name="Sign in").click()
    await expect(grace.locator("h1")).to_contain_text("BAN000002")

    response = await grace.goto(f"/portal/invoices/{invoice['id']}")
    assert response is not None
    assert response.status == 404
    await expect(grace.locator(".down")).to_have_text("There is no such invoice on your account.")
    assert invoice["number"] not in await grace.content()

    # A POST without the session's CSRF token is refused, whoever sends it.
    refused = await context.request.post(f"{system.url('web')}/portal/pay", form={"amount": "1.00"})
    assert refused.status == 403
    assert "This form has expired" in await refused.text()
    assert (await api(system, "billing", "GET", "/payments?account_id=acct_0000000002"))["data"] == []


async def test_signed_out_visitors_are_sent_to_sign_in(system: System, context: BrowserContext) -> None:
    page = await context.new_page()
    await page.goto("/portal/invoices/inv_0000000001")
    await expect(page).to_have_url(f"{system.url('web')}/portal/login")
