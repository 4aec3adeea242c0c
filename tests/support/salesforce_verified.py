"""Wire-level tests that also run against a real org ("verified", as moto's ``aws_verified``).

A test marked ``sf_verified`` takes the ``sf_target`` fixture and runs twice: against the live
simulator, and against a real org when the environment names one (skipped otherwise, with the
reason shown by ``-ra``). Anyone with an org can so check the simulator's fidelity and report a
difference (docs/salesforce.md, "Checking fidelity against a real org")::

    export Q2C_VERIFY_SF_INSTANCE_URL=https://my-dev-ed.develop.my.salesforce.com
    export Q2C_VERIFY_SF_ACCESS_TOKEN=$(sf org display --json -o me | jq -r .result.accessToken)
    pytest -m sf_verified -ra

or, instead of a token, ``Q2C_VERIFY_SF_LOGIN_URL`` (default https://login.salesforce.com),
``Q2C_VERIFY_SF_USERNAME``, ``Q2C_VERIFY_SF_PASSWORD`` (password + security token),
``Q2C_VERIFY_SF_CLIENT_ID`` and ``Q2C_VERIFY_SF_CLIENT_SECRET`` (OAuth password flow).
Verified tests create the records they need and delete them afterwards.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import requests

API_VERSION = "v59.0"
PREFIX = "Q2C_VERIFY_SF_"
NO_ORG = (
    "no real org configured: set Q2C_VERIFY_SF_INSTANCE_URL and Q2C_VERIFY_SF_ACCESS_TOKEN "
    "(or the Q2C_VERIFY_SF_USERNAME/PASSWORD/CLIENT_ID/CLIENT_SECRET login variables) to run this "
    "test against it"
)


@dataclass
class WireTarget:
    """Where a verified test sends its requests: the simulator or a real org."""

    name: str
    url: str
    token: str
    verify: str | bool = True
    session: requests.Session = field(default_factory=requests.Session, repr=False)

    def __post_init__(self) -> None:
        self.session.verify = self.verify
        self.session.trust_env = False

    @property
    def is_simulator(self) -> bool:
        return self.name == "simulator"

    def data(self, path: str) -> str:
        return f"{self.url}/services/data/{API_VERSION}{path}"

    def request(self, method: str, url: str, *, auth: bool = True, **kwargs: Any) -> requests.Response:
        headers = {**({"Authorization": f"Bearer {self.token}"} if auth else {}), **kwargs.pop("headers", {})}
        return self.session.request(
            method, url if "://" in url else self.url + url, headers=headers, timeout=60, **kwargs
        )

    def close(self) -> None:
        self.session.close()


def real_org() -> WireTarget | None:
    """The org named by the environment, or None."""
    env = os.environ
    url, token = env.get(PREFIX + "INSTANCE_URL"), env.get(PREFIX + "ACCESS_TOKEN")
    if url and token:
        return WireTarget("real-org", url.rstrip("/"), token)
    needed = ("USERNAME", "PASSWORD", "CLIENT_ID", "CLIENT_SECRET")
    if not all(env.get(PREFIX + name) for name in needed):
        return None
    login = env.get(PREFIX + "LOGIN_URL", "https://login.salesforce.com").rstrip("/")
    response = requests.post(
        f"{login}/services/oauth2/token",
        data={
            "grant_type": "password",
            "username": env[PREFIX + "USERNAME"],
            "password": env[PREFIX + "PASSWORD"],
            "client_id": env[PREFIX + "CLIENT_ID"],
            "client_secret": env[PREFIX + "CLIENT_SECRET"],
        },
        timeout=60,
    )
    response.raise_for_status()
    body = response.json()
    return WireTarget("real-org", str(body["instance_url"]).rstrip("/"), str(body["access_token"]))
