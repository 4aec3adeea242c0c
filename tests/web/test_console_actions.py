"""The console's controls in a real browser: replay a failed delivery, move the clock, add a
fault rule and watch it fire; forms answer bad input next to the field."""

from typing import Any

from playwright.async_api import BrowserContext, expect

from sandbox.system import System
from tests.web.api import api
from tests.web.browser import SCREENSHOTS


async def test_replay_a_failed_delivery_and_see_the_new_attempt(
    system: System, context: BrowserContext
) -> None:
    # Scheduled retries wait for the virtual clock, so only the replay can add an attempt.
    await api(system, "billing", "POST", "/__sim/clock", {"freeze": True}, expect=200)
    await api(
        system, "billing", "POST", "/__sim/webhooks/endpoints", {"url": "http://127.0.0.1:9/gone"}, expect=201
    )
    await api(
        system, "billing", "POST", "/__sim/webhooks/events", {"type": "account.updated", "data": {"id": "x"}}
    )
    deliveries = await api(system, "billing", "GET", "/__sim/webhooks/deliveries")
    failed = [d for d in deliveries["data"] if d["attempts"] and d["attempts"][-1]["status"] is None]
    assert failed, deliveries
    message, endpoint = failed[0]["message_id"], failed[0]["endpoint_id"]

    def attempts_of(data: list[dict[str, Any]]) -> int:
        return sum(
            len(d["attempts"]) for d in data if (d["message_id"], d["endpoint_id"]) == (message, endpoint)
        )

    before = attempts_of(deliveries["data"])

    page = await context.new_page()
    await page.goto("/billing")
    attempts = page.locator(f"tr[data-message='{message}'][data-endpoint='{endpoint}'] ol.attempts li")
    await expect(attempts).to_have_count(before)
    await page.get_by_role("button", name=f"Replay {message} to {endpoint}").first.click()
    await expect(page.locator(".notice")).to_have_text(f"Replayed {message}.")
    # The live section shows the replay's attempt as soon as billing has made it.
    await expect(attempts).to_have_count(before + 1)
    after = await api(system, "billing", "GET", "/__sim/webhooks/deliveries")
    assert attempts_of(after["data"]) == before + 1


async def test_advance_the_clock_a_billing_period_and_see_invoices(
    system: System, context: BrowserContext
) -> None:
    page = await context.new_page()
    await page.goto("/billing/accounts/acct_0000000001")
    await expect(page.locator("#invoices tbody")).to_contain_text("None.")

    await page.goto("/billing")
    await page.fill("#clock-date", "2001-01-01")
    await page.get_by_role("button", name="Advance to date").click()
    await expect(page.locator("#date-error")).to_contain_text("The clock only moves forward")

    await page.get_by_role("button", name="Advance a billing period").click()
    clock = await api(system, "billing", "GET", "/__sim/clock")
    await expect(page.locator(".notice")).to_have_text(f"Clock moved to {clock['today']}.")
    assert clock["today"].endswith("-01")
    await page.screenshot(path=str(SCREENSHOTS / "console-billing-clock.png"))

    invoices = await api(system, "billing", "GET", "/invoices?account_id=acct_0000000001")
    assert invoices["data"], "the bill run made no invoice"
    await page.goto("/billing/accounts/acct_0000000001")
    await expect(page.locator("#invoices tbody tr")).to_have_count(len(invoices["data"]))
    await expect(page.locator("#invoices")).to_contain_text(invoices["data"][0]["number"])
    await page.screenshot(path=str(SCREENSHOTS / "console-billing-account.png"), full_page=True)


async def test_add_a_fault_rule_see_it_fire_and_remove_it(system: System, context: BrowserContext) -> None:
    page = await context.new_page()
    await page.goto("/faults")
    # Bad input: the form says what is wrong next to the field, in the simulator's words.
    await page.select_option("#f-simulator", "billing")
    await page.fill("#f-status", "abc")
    await page.get_by_role("button", name="Add rule").click()
    await expect(page.locator("#status-error")).to_have_text("Give an HTTP error status between 400 and 599.")
    await page.fill("#f-status", "503")
    await page.fill("#f-operation", "getAcount")
    await page.get_by_role("button", name="Add rule").click()
    await expect(page.locator("#operation-error")).to_contain_text("getAcount")

    await page.fill("#f-operation", "getAccount")
    await page.fill("#f-times", "1")
    await page.get_by_role("button", name="Add rule").click()
    rules = await api(system, "billing", "GET", "/__sim/faults")
    (rule,) = rules["data"]
    assert (rule["operation"], rule["effect"]["status"], rule["times"]) == ("getAccount", 503, 1)
    row = page.locator(f"tr[data-rule='{rule['id']}']")
    await expect(row.locator(".fired")).to_have_text("0")

    assert (await api(system, "billing", "GET", "/accounts/acct_0000000001"))["status"] == 503
    await expect(row.locator(".fired")).to_have_text("1")  # the live section picks it up
    await page.screenshot(path=str(SCREENSHOTS / "console-faults.png"), full_page=True)

    await page.get_by_role("button", name=f"Remove rule {rule['id']}").click()
    await expect(page.locator(".notice")).to_have_text(f"Removed rule {rule['id']} from billing.")
    assert (await api(system, "billing", "GET", "/__sim/faults"))["data"] == []
