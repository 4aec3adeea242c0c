"""Order fixtures: the running sandbox (subscribed to the org's events) with the catalog in the
CRM, and the order desk over it."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.orders.desk import OrderWorld, load_crm_catalog, order_sandbox


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[OrderWorld]:
    async with order_sandbox(tmp_path) as sandbox:
        await load_crm_catalog(sandbox)
        yield OrderWorld(sandbox)
