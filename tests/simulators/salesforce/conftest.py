"""Fixtures for the Salesforce simulator tests.

``live_sf`` runs the simulator over HTTPS (local CA, like ``q2c salesforce --tls``) on
127.0.0.1:0 in a subprocess, for the synchronous simple-salesforce client and for
schemathesis. It hosts two orgs: the default "Q2C Sandbox" and "Tiny Org" with a 40-call daily allocation (limit exhaustion, isolation). The clock is frozen;
tests move it through the control plane."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from simulators.kit.clock import Clock
from simulators.kit.meter import Meter
from simulators.salesforce.app import create_app
from simulators.salesforce.models.orgs import OrgSpec
from simulators.salesforce.models.schema import load_schema
from simulators.salesforce.models.state import SalesforceState
from tests.support.salesforce import (
    ROOT,
    SMALL,
    AiohttpClient,
    LiveSalesforce,
    SfClient,
    oauth_token,
    sf_settings,
)
from tests.support.salesforce_live import START, TINY_ORG


@pytest.fixture(scope="session")
def live_sf(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSalesforce]:
    """The simulator over HTTPS in a subprocess (``live_server.py``), like ``q2c salesforce --tls``."""
    state_dir = tmp_path_factory.mktemp("q2c-state")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.salesforce_live", str(state_dir)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # blocks until the server is listening (or has died)
    if not line.startswith("READY "):
        process.kill()
        process.wait(30)
        raise RuntimeError(f"the simulator did not start: {line!r}")
    port = int(line.split()[1])
    live = LiveSalesforce(
        f"https://127.0.0.1:{port}",
        "127.0.0.1",
        port,
        state_dir / "ca.pem",
        state_dir / "jwt-private-key.pem",
    )
    try:
        yield live
    finally:
        live.close_sessions()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        finally:
            process.stdout.close()


@pytest.fixture
async def sf_state() -> SalesforceState:
    """The models alone (no HTTP): two orgs, a frozen clock, a small seeded dataset."""
    clock = Clock(start=START, frozen=True)
    state = SalesforceState(load_schema(), clock, Meter(clock), (OrgSpec(), TINY_ORG))
    await state.load(7, SMALL)
    return state


@pytest.fixture
def make_client(aiohttp_client: AiohttpClient) -> Callable[..., Awaitable[SfClient]]:
    async def make(**overrides: Any) -> SfClient:
        client = await aiohttp_client(create_app(sf_settings(**overrides)))
        return SfClient(client, await oauth_token(client))

    return make


@pytest.fixture
async def sf(make_client: Callable[..., Awaitable[SfClient]]) -> SfClient:
    """The app in-process (aiohttp test client) with a default-org session."""
    return await make_client()
