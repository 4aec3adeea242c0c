"""Helpers for the Salesforce simulator tests: settings, the live HTTPS server, an API client."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient

from simulators.salesforce.api.routes import STATE
from simulators.salesforce.app import SalesforceSettings
from simulators.salesforce.models.orgs import OrgSpec
from simulators.salesforce.models.state import SalesforceState
from tests.support.salesforce_live import START, TINY_ORG

ROOT = Path(__file__).resolve().parents[2]


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


SMALL = {"accounts": 5, "contacts": 5, "products": 3, "orders": 2}


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
