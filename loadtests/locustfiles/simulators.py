"""``simulators``: a realistic call mix straight at both simulators, for capacity planning.

Before the run (master only): a seeded org (``workload.salesforce_accounts`` Accounts, as many
Contacts) and a seeded billing tenant (``workload.billing_accounts`` accounts with a service
each), then the meters' baselines. Half the users are CRM integrations on the Salesforce REST
API (sObject reads and writes, SOQL, sObject Collections reads and updates), half are billing
clients (account, summary and invoice reads, the catalog, orders).

Measured: requests/s served (the simulators' own meters), latency percentiles and requests/s per
endpoint (the master's aggregated request stats), the failure ratio.

This module's name is ``simulators`` inside locust (locust registers a locustfile under its
file name), so neither it nor what it imports may import the ``simulators`` package.
"""

from __future__ import annotations

import base64
import itertools
import random
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from locust import FastHttpUser, between, task

from contracts import defaults
from loadtests.clients import API_VERSION, BILLING_FAMILY, SALESFORCE_FAMILY, Targets, order_body
from loadtests.gates import meter_all_time
from loadtests.harness import Measurement, Run, Scenario, endpoint_table, install

REST = f"/services/data/v{API_VERSION}"
INDUSTRIES = ("Banking", "Consulting", "Energy", "Healthcare", "Manufacturing", "Retail", "Technology")
_user_numbers = itertools.count(1)


def user_number(environment: Any) -> int:
    """Unique across worker processes (each counts its own users), deterministic: it seeds the
    user's choices and names its orders."""
    worker = max(int(getattr(environment.runner, "worker_index", 0)), 0)
    return worker * 10_000 + next(_user_numbers)


class SalesforceApiUser(FastHttpUser):
    """A CRM integration: reads by id, SOQL, small updates, creates, collections."""

    wait_time = between(0.0, 0.01)
    client_id = defaults.SALESFORCE_CLIENT_ID
    client_secret = defaults.SALESFORCE_CLIENT_SECRET

    def on_start(self) -> None:
        self.number = user_number(self.environment)
        self.rng = random.Random(self.number)
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        with self.client.post(
            "/services/oauth2/token",
            data=urlencode({"grant_type": "client_credentials"}),
            headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
            name="SF POST /services/oauth2/token",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                raise RuntimeError("Salesforce login failed")
            self.auth = {"Authorization": f"Bearer {response.json()['access_token']}"}
        soql = quote("SELECT Id FROM Account ORDER BY Id LIMIT 500")
        page = self.client.get(
            f"{REST}/query?q={soql}", headers=self.auth, name="SF GET /query (SOQL)"
        ).json()
        self.account_ids = [str(record["Id"]) for record in page["records"]]

    def _account(self) -> str:
        return self.rng.choice(self.account_ids)

    @task(5)
    def read_account(self) -> None:
        self.client.get(
            f"{REST}/sobjects/Account/{self._account()}",
            headers=self.auth,
            name="SF GET /sobjects/Account/{id}",
        )

    @task(3)
    def soql(self) -> None:
        industry = self.rng.choice(INDUSTRIES)
        soql = quote(
            f"SELECT Id, Name, Industry, AnnualRevenue FROM Account WHERE Industry = '{industry}' LIMIT 50"
        )
        self.client.get(f"{REST}/query?q={soql}", headers=self.auth, name="SF GET /query (SOQL)")

    @task(2)
    def update_account(self) -> None:
        self.client.patch(
            f"{REST}/sobjects/Account/{self._account()}",
            json={"Phone": f"(555) 010-{self.rng.randrange(10_000):04d}"},
            headers=self.auth,
            name="SF PATCH /sobjects/Account/{id}",
        )

    @task(1)
    def create_contact(self) -> None:
        self.client.post(
            f"{REST}/sobjects/Contact",
            json={"LastName": f"Load {self.number}", "AccountId": self._account()},
            headers=self.auth,
            name="SF POST /sobjects/Contact",
        )

    @task(1)
    def collection_update(self) -> None:
        records = [
            {"attributes": {"type": "Account"}, "Id": account_id, "Description": f"load {self.number}"}
            for account_id in self.rng.sample(self.account_ids, 25)
        ]
        self.client.patch(
            f"{REST}/composite/sobjects",
            json={"allOrNone": False, "records": records},
            headers=self.auth,
            name="SF PATCH /composite/sobjects (25 records)",
        )

    @task(1)
    def collection_read(self) -> None:
        ids = ",".join(self.rng.sample(self.account_ids, 25))
        self.client.get(
            f"{REST}/composite/sobjects/Account?ids={ids}&fields=Id,Name,Phone",
            headers=self.auth,
            name="SF GET /composite/sobjects/Account (25 ids)",
        )


class BillingApiUser(FastHttpUser):
    """A billing client: account, summary and invoice reads, the catalog, orders."""

    wait_time = between(0.0, 0.01)
    api_key = defaults.BILLING_API_KEY

    def on_start(self) -> None:
        self.number = user_number(self.environment)
        self.rng = random.Random(self.number)
        self.orders = itertools.count(1)
        self.auth = {"Authorization": f"Bearer {self.api_key}", "X-Q2C-Client": f"q2c-load-{self.number}"}
        page = self.client.get("/accounts?limit=100", headers=self.auth, name="billing GET /accounts").json()
        self.account_ids = [str(account["id"]) for account in page["data"]]
        products = self.client.get(
            "/products?limit=100", headers=self.auth, name="billing GET /products"
        ).json()
        self.product_id = next(str(p["id"]) for p in products["data"] if p["code"] == "INET-100")

    def _account(self) -> str:
        return self.rng.choice(self.account_ids)

    @task(4)
    def read_account(self) -> None:
        self.client.get(f"/accounts/{self._account()}", headers=self.auth, name="billing GET /accounts/{id}")

    @task(3)
    def read_summary(self) -> None:
        self.client.get(
            f"/accounts/{self._account()}/summary",
            headers=self.auth,
            name="billing GET /accounts/{id}/summary",
        )

    @task(2)
    def list_invoices(self) -> None:
        self.client.get(
            f"/invoices?account_id={self._account()}&limit=20",
            headers=self.auth,
            name="billing GET /invoices",
        )

    @task(1)
    def list_products(self) -> None:
        self.client.get("/products?limit=50", headers=self.auth, name="billing GET /products")

    @task(1)
    def order(self) -> None:
        key = f"load-{self.number}-{next(self.orders)}"
        body = order_body(self._account(), self.product_id)
        body["external_id"] = f"order-{key}"
        body["items"][0]["external_id"] = f"line-{key}"
        self.client.post(
            "/orders", json=body, headers={**self.auth, "Idempotency-Key": key}, name="billing POST /orders"
        )


def configure_users(targets: Targets, workload: Mapping[str, Any]) -> None:
    SalesforceApiUser.host = targets.salesforce_url
    BillingApiUser.host = targets.billing_url
    BillingApiUser.api_key = targets.billing_api_key


def seed_counts(workload: Mapping[str, Any]) -> Mapping[str, Mapping[str, int]]:
    accounts = int(workload["salesforce_accounts"])
    return {
        "salesforce": {"accounts": accounts, "contacts": accounts},
        "billing": {"accounts": int(workload["billing_accounts"]), "services_per_account": 1},
    }


def prepare(run: Run) -> None:
    run.baseline["salesforce"] = meter_all_time(run.salesforce_sim.usage(), SALESFORCE_FAMILY)
    run.baseline["billing"] = meter_all_time(run.billing_sim.usage(), BILLING_FAMILY)


def measure(run: Run) -> Measurement:
    seconds = run.seconds()
    salesforce = meter_all_time(run.salesforce_sim.usage(), SALESFORCE_FAMILY) - run.baseline["salesforce"]
    billing = meter_all_time(run.billing_sim.usage(), BILLING_FAMILY) - run.baseline["billing"]
    detail, worst_p95 = endpoint_table(run.environment, seconds)
    return Measurement(
        metrics={
            "requests_per_second": (salesforce + billing) / seconds,
            "worst_endpoint_p95_ms": worst_p95 if run.environment.stats.total.num_requests else None,
        },
        info={
            "salesforce_calls": salesforce,
            "billing_calls": billing,
            "salesforce_requests_per_second": round(salesforce / seconds, 1),
            "billing_requests_per_second": round(billing / seconds, 1),
        },
        detail=detail,
    )


SCENARIO = Scenario(
    name="simulators",
    seed_counts=seed_counts,
    prepare=prepare,
    measure=measure,
    configure_users=configure_users,
)
current_run = install(SCENARIO)
