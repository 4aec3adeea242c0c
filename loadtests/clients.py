"""Synchronous HTTP clients for the load harness: the simulators' control planes, the core's actions
API and metrics, a CRM user of the Salesforce REST API and a billing API client.

They run inside locust processes (gevent-patched ``requests``), so they import nothing from
``simulators``, ``integration`` or ``sandbox.system``: locust registers a locustfile under its file
name, and ``loadtests/locustfiles/simulators.py`` would shadow the ``simulators`` package.
"""

from __future__ import annotations

import base64
import itertools
import json
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from contracts import defaults

SALESFORCE_FAMILY = "DailyApiRequests"
BILLING_FAMILY = "billing_api"
API_VERSION = "62.0"
COLLECTION_SIZE = 200
LOAD_CALLER = "q2c-load"  # billing's X-Q2C-Client: load-generator calls are metered apart
#: The secret the load harness subscribes the core's webhook endpoint with after reseeding
#: billing (a reseed drops every endpoint); the core under load accepts it (``loadtests.serve``).
LOAD_WEBHOOK_SECRET = "whsec_cTJjLWxvYWQtd2ViaG9vay1zZWNyZXQtMzItYnl0ZXM="


class TargetError(RuntimeError):
    """A target answered something the harness cannot work with."""


def _check(response: requests.Response, what: str) -> Any:
    if response.status_code >= 300:
        raise TargetError(f"{what}: HTTP {response.status_code}: {response.text[:500]}")
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


@dataclass(frozen=True)
class Targets:
    salesforce_url: str
    billing_url: str
    core_url: str
    core_token: str = defaults.CORE_API_TOKEN
    billing_api_key: str = defaults.BILLING_API_KEY
    salesforce_client_id: str = defaults.SALESFORCE_CLIENT_ID
    salesforce_client_secret: str = defaults.SALESFORCE_CLIENT_SECRET


class ControlPlane:
    """A simulator's ``/__sim`` control plane (unmetered)."""

    def __init__(self, session: requests.Session, base_url: str, name: str) -> None:
        self.session, self.base, self.name = session, base_url.rstrip("/"), name

    def _call(self, method: str, path: str, body: Any = None, timeout: float = 60) -> Any:
        response = self.session.request(method, f"{self.base}/__sim{path}", json=body, timeout=timeout)
        return _check(response, f"{self.name} {method} /__sim{path}")

    def seed(self, counts: Mapping[str, int], seed: int | None = None) -> dict[str, Any]:
        """A fresh dataset (the simulator's own seed unless given): state, meter, journal,
        faults, clock and webhook endpoints all start over."""
        body: dict[str, Any] = {"counts": dict(counts)}
        if seed is not None:
            body["seed"] = seed
        result: dict[str, Any] = self._call("POST", "/seed", body, timeout=120)
        return result

    def usage(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/usage")
        return result

    def clock(self, **body: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/clock", body, timeout=120)
        return result

    def now(self) -> str:
        return str(self._call("GET", "/clock")["now"])

    def add_webhook_endpoint(self, url: str, event_types: Sequence[str], secret: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "POST",
            "/webhooks/endpoints",
            {"url": url, "event_types": list(event_types), "secret": secret, "description": "q2c load"},
        )
        return result

    def wait_webhooks_delivered(self, timeout: float) -> None:
        """Until no delivery is pending (each wait is the control plane's long-poll, not a sleep)."""
        deadline = time.monotonic() + timeout
        while True:
            pending = self._call("GET", "/webhooks/deliveries?state=pending&limit=1")
            if not pending["total"]:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TargetError(f"{self.name}: {pending['total']} webhook deliveries still pending")
            message_id = pending["data"][-1]["message_id"]
            response = self.session.post(
                f"{self.base}/__sim/webhooks/deliveries/wait",
                json={"message_id": message_id, "state": "succeeded", "timeout_seconds": min(remaining, 30)},
                timeout=min(remaining, 30) + 10,
            )
            if response.status_code not in (200, 408):
                _check(response, f"{self.name} POST /__sim/webhooks/deliveries/wait")


class Core:
    """The integration core's actions API and metrics."""

    def __init__(self, session: requests.Session, targets: Targets) -> None:
        self.session, self.base = session, targets.core_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {targets.core_token}"}

    def action(self, path: str, body: Any = None, timeout: float = 600) -> Any:
        response = self.session.post(f"{self.base}{path}", json=body, headers=self.headers, timeout=timeout)
        return _check(response, f"core POST {path}")

    def wait_idle(self, timeout: float) -> None:
        self.action("/actions/wait-idle", {"timeout_seconds": timeout}, timeout=timeout + 10)

    def metrics(self) -> str:
        return str(_check(self.session.get(f"{self.base}/metrics", timeout=30), "core GET /metrics"))


class SalesforceUser:
    """A CRM user of the Salesforce REST API (client credentials, sObject Collections, SOQL)."""

    def __init__(self, session: requests.Session, targets: Targets) -> None:
        self.session, self.targets = session, targets
        self.instance_url = ""
        self.headers: dict[str, str] = {}
        self.base = f"/services/data/v{API_VERSION}"

    def login(self) -> None:
        secret = f"{self.targets.salesforce_client_id}:{self.targets.salesforce_client_secret}"
        response = self.session.post(
            self.targets.salesforce_url.rstrip("/") + "/services/oauth2/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": "Basic " + base64.b64encode(secret.encode()).decode()},
            timeout=30,
        )
        body = _check(response, "Salesforce token")
        self.instance_url = str(body["instance_url"]).rstrip("/")
        self.headers = {"Authorization": f"Bearer {body['access_token']}"}

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        if not self.headers:
            self.login()
        url = f"{self.instance_url}{self.base}{path}"
        return _check(self.session.request(method, url, json=body, headers=self.headers, timeout=120), path)

    def create(self, sobject: str, records: Sequence[Mapping[str, Any]]) -> list[str]:
        """Create through sObject Collections, 200 a call, as a CRM import does; the new Ids."""
        ids: list[str] = []
        for chunk in _chunks(records, COLLECTION_SIZE):
            results = self._call(
                "POST",
                "/composite/sobjects",
                {"allOrNone": True, "records": [{"attributes": {"type": sobject}, **r} for r in chunk]},
            )
            failed = [r for r in results if not r.get("success")]
            if failed:
                raise TargetError(f"Salesforce refused {len(failed)} {sobject} records: {failed[0]}")
            ids += [str(r["id"]) for r in results]
        return ids

    def query(self, soql: str) -> list[dict[str, Any]]:
        page = self._call("GET", f"/query?q={quote(soql)}")
        records: list[dict[str, Any]] = list(page["records"])
        while not page.get("done", True) and page.get("nextRecordsUrl"):
            url = self.instance_url + str(page["nextRecordsUrl"])
            page = _check(self.session.get(url, headers=self.headers, timeout=120), "query more")
            records += page["records"]
        return records

    def count(self, soql_from_where: str) -> int:
        page = self._call("GET", f"/query?q={quote('SELECT COUNT() ' + soql_from_where)}")
        return int(page["totalSize"])


class Billing:
    """The billing adapter contract, as a load client that names itself (``X-Q2C-Client``)."""

    def __init__(self, session: requests.Session, targets: Targets, caller: str = LOAD_CALLER) -> None:
        self.session, self.base = session, targets.billing_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {targets.billing_api_key}", "X-Q2C-Client": caller}
        self._keys = itertools.count(1)

    def get(self, path: str) -> Any:
        response = self.session.get(f"{self.base}{path}", headers=self.headers, timeout=60)
        return _check(response, f"billing GET {path}")

    def post(self, path: str, body: Any, idempotency_key: str) -> Any:
        headers = {**self.headers, "Idempotency-Key": idempotency_key}
        response = self.session.post(f"{self.base}{path}", json=body, headers=headers, timeout=60)
        return _check(response, f"billing POST {path}")

    def collect(self, path: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        separator = "&" if "?" in path else "?"
        cursor: str | None = None
        while True:
            page = self.get(f"{path}{separator}limit=100" + (f"&cursor={cursor}" if cursor else ""))
            items += page["data"]
            if not page.get("has_more"):
                return items
            cursor = str(page["next_cursor"])


def order_body(account_id: str, product_id: str, quantity: int = 1) -> dict[str, Any]:
    """One new service on an account (the shape ``sandbox.scenario.order_services`` sends)."""
    return {
        "account_id": account_id,
        "external_id": f"load-order-{account_id}",
        "items": [
            {
                "action": "new",
                "external_id": f"load-line-{account_id}-1",
                "product_id": product_id,
                "quantity": quantity,
            }
        ],
    }


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def dumps(value: Any) -> str:
    return json.dumps(value, indent=2, default=str)
