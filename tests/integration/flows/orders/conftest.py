"""Fixtures for the order flow tests: both simulators in this process and a FlowContext over
real clients (the core's own wiring, without its engine, so nothing else processes orders)."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.flows.orders.support import OrderWorld, order_world


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[OrderWorld]:
    async with order_world(tmp_path) as built:
        yield built
