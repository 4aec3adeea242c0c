"""The whole system with the web component on free ports, and a real Chromium on it."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, async_playwright

from sandbox.system import System, SystemOptions
from simulators.billing.app import BillingSettings
from simulators.salesforce.app import SalesforceSettings
from tests.web.browser import FLAGS, require_chromium
from web.settings import WebSettings


@pytest.fixture
async def system(tmp_path: Path) -> AsyncIterator[System]:
    options = SystemOptions(
        state_dir=tmp_path,
        salesforce=SalesforceSettings(seed=42),
        billing=BillingSettings(seed=42, rate_limit=None),
        # Live sections refresh every half second: tests wait on them with Playwright's expect.
        web=WebSettings(refresh_seconds=0.5),
    )
    async with System(options) as system:
        yield system


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = require_chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(executable), args=FLAGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def context(browser: Browser, system: System) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(base_url=system.url("web"), viewport={"width": 1366, "height": 860})
    context.set_default_timeout(20_000)
    try:
        yield context
    finally:
        await context.close()
