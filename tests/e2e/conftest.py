"""End-to-end fixtures: the whole system in one process, on free ports, with a fresh state dir.

The CRM side is created through the Salesforce REST API by a "CRM user" client, the way an org
gets its data; assertions read both systems through their APIs and meters."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sandbox.system import SystemOptions
from simulators.billing.app import BillingSettings
from simulators.salesforce.app import SalesforceSettings
from tests.support.sandbox import Sandbox, make_sandbox


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    options = SystemOptions(
        state_dir=tmp_path,
        salesforce=SalesforceSettings(seed=7),
        billing=BillingSettings(seed=7, rate_limit=None, counts={"accounts": 0}),
    )
    async with make_sandbox(options) as sandbox:
        yield sandbox
