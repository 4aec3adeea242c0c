"""Fixtures for the real-client tests: the pinned npm clients, installed once per machine
(``tests/support/node_clients.py``), run against the live HTTPS simulator (``live_sf``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.node_clients import NodeClients, install
from tests.support.salesforce import LiveSalesforce


@pytest.fixture(scope="session")
def node_root() -> Path:
    return install()


@pytest.fixture(scope="module")
def clients(
    node_root: Path, live_sf: LiveSalesforce, tmp_path_factory: pytest.TempPathFactory
) -> NodeClients:
    """The clients with a fresh HOME per test module (the CLI keeps its auth files there)."""
    return NodeClients(node_root, tmp_path_factory.mktemp("node-home"), live_sf.ca)
