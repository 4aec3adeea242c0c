"""The console in a real browser, on a running system: each page shows what the APIs say."""

from playwright.async_api import BrowserContext, expect

from sandbox.system import System
from tests.web.api import api
from tests.web.browser import SCREENSHOTS


async def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


async def test_every_console_page_shows_counts_that_match_the_apis(
    system: System, context: BrowserContext
) -> None:
    page = await context.new_page()

    await page.goto("/")
    for name in ("salesforce", "billing", "core"):
        row = page.locator(f"tr[data-component={name}]")
        await expect(row).to_contain_text(system.url(name))
        await expect(row).to_contain_text("up")
    status = await api(system, "core", "GET", "/actions/status")
    await expect(page.locator("#linked")).to_have_text(str(status["linked_accounts"]))
    await shot(page, "console-overview")

    # Three Salesforce calls that 404: the journal filtered on 404 lists exactly those.
    for _ in range(3):
        await api(system, "salesforce", "GET", "/services/data/v62.0/sobjects/Account/001000000000000AAA")
    journal = await api(system, "salesforce", "GET", "/__sim/requests?status=401")
    await page.goto("/salesforce?status=401")
    await expect(page.locator("#journal-count")).to_have_text(str(len(journal["data"])))
    assert len(journal["data"]) == 3
    await expect(page.locator("#journal tbody tr")).to_have_count(3)
    await page.goto("/salesforce?status=abc")
    await expect(page.locator("#status-error")).to_have_text("Give an HTTP status between 100 and 599.")
    await page.goto("/salesforce")
    await expect(page.locator("#usage tr.usage-row").first).to_be_visible()
    await shot(page, "console-salesforce")

    await page.goto("/billing")
    accounts = await api(system, "billing", "GET", "/accounts?limit=50")
    await expect(page.locator("#accounts tbody tr")).to_have_count(len(accounts["data"]))
    await expect(page.locator("#accounts tbody tr").first).to_contain_text(accounts["data"][0]["number"])
    deliveries = await api(system, "billing", "GET", "/__sim/webhooks/deliveries")
    await expect(page.locator("#deliveries-total")).to_have_text(str(deliveries["total"]))
    endpoints = await api(system, "billing", "GET", "/__sim/webhooks/endpoints")
    await expect(page.locator("#endpoints tbody tr")).to_have_count(len(endpoints["data"]))
    await shot(page, "console-billing")

    await page.goto("/core")
    await expect(page.locator("#linked")).to_have_text(str(status["linked_accounts"]))
    await page.get_by_role("button", name="Reconcile now").click()
    report = await api(system, "core", "POST", "/actions/reconcile", {})
    await expect(page.locator("#reconcile-summary")).to_contain_text(
        f"Checked {report['accounts_checked']} accounts"
    )
    await shot(page, "console-core")

    await page.goto("/faults")
    await expect(page.locator("#rules-billing")).to_contain_text("No rules.")


async def test_a_component_that_is_down_shows_as_down_and_the_rest_still_renders(
    system: System, context: BrowserContext
) -> None:
    billing_url = system.url("billing")
    await system.running.pop("billing").runner.cleanup()  # billing goes away mid-session
    page = await context.new_page()
    response = await page.goto("/billing")
    assert response is not None
    assert response.status == 200
    await expect(page.locator(".down").first).to_contain_text(f"billing is down at {billing_url}")
    await page.goto("/")
    await expect(page.locator("tr[data-component=billing]")).to_contain_text("down")
    await expect(page.locator("tr[data-component=salesforce]")).to_contain_text("up")
    # Never a stack trace, even for a page that needs billing to answer at all.
    await page.goto("/billing/accounts/acct_0000000001")
    assert "Traceback" not in await page.content()
