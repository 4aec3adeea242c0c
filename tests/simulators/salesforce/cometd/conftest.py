"""Fixtures for the Streaming API tests: the app in-process with short CometD timeouts (real
time: long polling is a wall-clock protocol) and a raw Bayeux client on a default-org session."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tests.support.cometd import FAST, Bayeux
from tests.support.node_clients import NodeClients, install
from tests.support.salesforce import LiveSalesforce, SfClient


@pytest.fixture
async def sf(make_client: Callable[..., Awaitable[SfClient]]) -> SfClient:
    return await make_client(cometd=FAST)


@pytest.fixture
def bayeux(sf: SfClient) -> Bayeux:
    return Bayeux(sf.client, sf.token)


@pytest.fixture(scope="session")
def node_root() -> Path:
    return install()


@pytest.fixture(scope="module")
def clients(
    node_root: Path, live_sf: LiveSalesforce, tmp_path_factory: pytest.TempPathFactory
) -> NodeClients:
    """The pinned npm clients (``tests/support/node_clients.py``) with a fresh HOME per module."""
    return NodeClients(node_root, tmp_path_factory.mktemp("node-home"), live_sf.ca)
