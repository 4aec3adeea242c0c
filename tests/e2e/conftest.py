"""End-to-end fixtures: the whole system in one process, on free ports, with a fresh state dir.

The CRM side is created through the Salesforce REST API by a "CRM user" client, the way an org
gets its data; assertions read both systems through their APIs and meters."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from sandbox.system import SystemOptions
from simulators.billing.app import BillingSettings
from simulators.billing.app import create_app as billing_app
from simulators.salesforce.app import SalesforceSettings
from simulators.salesforce.app import create_app as salesforce_app
from tests.support.sandbox import Sandbox, make_sandbox
from tests.support.servers import running_app


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    options = SystemOptions(
        state_dir=tmp_path,
        salesforce=SalesforceSettings(seed=7),
        billing=BillingSettings(seed=7, rate_limit=None, counts={"accounts": 0}),
    )
    async with make_sandbox(options) as sandbox:
        yield sandbox


@pytest.fixture
def simulators() -> Iterator[tuple[str, str]]:
    """Both simulators in this process (a thread); the core runs in its own process.

    The crash tests leave a killed core's request hanging in a latency fault: the stop cancels it
    after a short grace instead of aiohttp's default 5 s (nothing else is in flight by then)."""
    with (
        running_app(salesforce_app, name="salesforce", shutdown_timeout=0.5) as salesforce,
        running_app(
            lambda: billing_app(BillingSettings(rate_limit=None, counts={"accounts": 0})),
            name="billing",
            shutdown_timeout=0.5,
        ) as billing,
    ):
        yield salesforce.url, billing.url
