"""Fixtures for the Salesforce simulator tests.

``live_sf`` runs the simulator over HTTPS (local CA, like ``q2c salesforce --tls``) on
127.0.0.1:0 in a subprocess, for the synchronous simple-salesforce client and for
schemathesis. It hosts two orgs: the default "Q2C Sandbox" and "Tiny Org" with a 40-call daily allocation (limit exhaustion, isolation). The clock is frozen;
tests move it through the control plane.
"""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient

from simulators.kit.clock import Clock
from simulators.kit.meter import Meter
from simulators.salesforce.api.routes import STATE
from simulators.salesforce.app import SalesforceSettings, create_app
from simulators.salesforce.models.orgs import OrgSpec
from simulators.salesforce.models.schema import load_schema
from simulators.salesforce.models.state import SalesforceState
from tests.simulators.salesforce.live_server import START, TINY_ORG

ROOT = Path(__file__).resolve().parents[3]


def sf_settings(**overrides: Any) -> SalesforceSettings:
    """In-process tests: the two orgs, seed and frozen clock of the live server."""
    base = SalesforceSettings(seed=7, orgs=(OrgSpec(), TINY_ORG), clock_start=START, frozen_clock=True)
    return dataclasses.replace(base, **overrides)


@dataclass
class LiveSalesforce:
    url: str
    host: str
    port: int
    ca: Path
    jwt_key: Path
    sessions: list[requests.Session] = dataclasses.field(default_factory=list)

    def close_sessions(self) -> None:
        while self.sessions:
            self.sessions.pop().close()

    def session(self) -> requests.Session:
        """A requests session trusting the local CA (closed after each test)."""
        session = requests.Session()
        self.sessions.append(session)
        session.verify = str(self.ca)
        # REQUESTS_CA_BUNDLE (if set in the environment) would override ``verify`` per request.
        session.trust_env = False
        return session

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        with self.session() as session:
            response = session.request(method, f"{self.url}/__sim{path}", timeout=60, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def reset(self) -> None:
        """Back to the default dataset (``/__sim/reset`` would keep counts a test seeded)."""
        self.control("POST", "/seed", json={"counts": {}})

    def seed(self, **counts: int) -> Any:
        return self.control("POST", "/seed", json={"counts": counts})

    def advance(self, duration: str) -> None:
        self.control("POST", "/clock", json={"advance_by": duration})

    def token(
        self,
        username: str = "admin@q2c.local",
        password: str = "q2c-passwordq2c-token",
        client_id: str = "q2c-local-client",
        client_secret: str = "q2c-local-secret",
    ) -> str:
        with self.session() as session:
            response = session.post(
                f"{self.url}/services/oauth2/token",
                data={
                    "grant_type": "password",
                    "client_id": client_id,
                    "client_secret": client_secret,
                    "username": username,
                    "password": password,
                },
                timeout=30,
            )
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token


@pytest.fixture(scope="session")
def live_sf(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSalesforce]:
    """The simulator over HTTPS in a subprocess (``live_server.py``), like ``q2c salesforce --tls``."""
    state_dir = tmp_path_factory.mktemp("q2c-state")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.simulators.salesforce.live_server", str(state_dir)],
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


SMALL = {"accounts": 5, "contacts": 5, "products": 3, "orders": 2}


@pytest.fixture
async def sf_state() -> SalesforceState:
    """The models alone (no HTTP): two orgs, a frozen clock, a small seeded dataset."""
    clock = Clock(start=START, frozen=True)
    state = SalesforceState(load_schema(), clock, Meter(clock), (OrgSpec(), TINY_ORG))
    await state.load(7, SMALL)
    return state


@dataclass
class SfClient:
    """An aiohttp test client with a session of the default org, speaking ``/services/data/v59.0``."""

    client: TestClient[web.Request, web.Application]
    token: str
    version: str = "v59.0"

    @property
    def app(self) -> web.Application:
        return self.client.server.app  # type: ignore[return-value]

    @property
    def state(self) -> SalesforceState:
        return self.app[STATE]

    def url(self, path: str) -> str:
        return path if path.startswith(("/services/", "/id/")) else f"/services/data/{self.version}{path}"

    async def call(
        self, method: str, path: str, *, token: str | None = None, **kwargs: Any
    ) -> ClientResponse:
        headers = {"Authorization": f"Bearer {token or self.token}", **kwargs.pop("headers", {})}
        return await self.client.request(method, self.url(path), headers=headers, **kwargs)

    async def json(self, method: str, path: str, status: int, **kwargs: Any) -> Any:
        response = await self.call(method, path, **kwargs)
        text = await response.text()
        assert response.status == status, text
        return await response.json() if text else None

    async def error(self, method: str, path: str, status: int, **kwargs: Any) -> dict[str, Any]:
        body = await self.json(method, path, status, **kwargs)
        assert isinstance(body, list), body
        assert body, body
        first: dict[str, Any] = body[0]
        return first


async def oauth_token(
    client: TestClient[web.Request, web.Application],
    username: str = "admin@q2c.local",
    password: str = "q2c-passwordq2c-token",
    client_id: str = "q2c-local-client",
    client_secret: str = "q2c-local-secret",
) -> str:
    response = await client.post(
        "/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": client_id,
            "client_secret": client_secret,
            "username": username,
            "password": password,
        },
    )
    body = await response.json()
    assert response.status == 200, body
    token: str = body["access_token"]
    return token


AiohttpClient = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]


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
