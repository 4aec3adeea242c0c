"""``link``: users request account links in batches through the core's actions API.

Before the run (master only): a fresh org and billing tenant (``/__sim/seed``), then
``workload.accounts`` link-requesting Accounts created through sObject Collections as a CRM
import would (``sandbox.scenario.plan_accounts``, as ``q2c bench link`` does), then the meters'
baselines. The accounts' Ids, in batches of ``workload.batch``, are shared out among the users
(across workers too); each user posts ``/actions/link {account_ids, wait: true}`` per batch and
the run ends when every batch is linked.

Measured: Salesforce calls per linked account (the Salesforce simulator's meter), billing calls
per account (billing's meter), accounts/s, p95 latency of a batch link, the share of accounts
linked (counted in Salesforce: a BAN written back) and the failure ratio.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from locust import FastHttpUser, constant, task
from locust.exception import StopUser

from contracts import defaults
from loadtests.clients import BILLING_FAMILY, SALESFORCE_FAMILY, Targets
from loadtests.gates import meter_all_time
from loadtests.harness import Measurement, Run, Scenario, WorkPool, empty, install, percentile_ms, ratio

LINK_REQUEST = "/actions/link (a batch, wait)"
POOL = WorkPool("q2c-link")


class LinkUser(FastHttpUser):
    wait_time = constant(0)
    network_timeout = 300.0
    connection_timeout = 30.0
    token = defaults.CORE_API_TOKEN

    @task
    def link_batch(self) -> None:
        batch = POOL.take()
        if batch is None:
            POOL.user_done(self.environment)
            raise StopUser()
        body = {"account_ids": batch, "wait": True, "timeout_seconds": 240}
        headers = {"Authorization": f"Bearer {self.token}"}
        with self.client.post(
            "/actions/link", json=body, headers=headers, name=LINK_REQUEST, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {(response.text or '')[:200]}")
                return
            result = response.json()
            linked = int(result.get("outcomes", {}).get("linked", 0))
            if not result.get("done") or linked != len(batch):
                response.failure(f"{linked} of {len(batch)} linked: {result.get('outcomes')}")


def configure_users(targets: Targets, workload: Mapping[str, Any]) -> None:
    LinkUser.host = targets.core_url
    LinkUser.token = targets.core_token


def prepare(run: Run) -> None:
    from sandbox.scenario import plan_accounts  # Faker only: no simulators, no integration flows

    accounts, size = int(run.workload["accounts"]), int(run.workload["batch"])
    planned = plan_accounts(accounts, seed=int(run.workload["seed"]), prospect_share=0, incomplete_share=0)
    ids = run.crm.create("Account", [p.record for p in planned])
    run.baseline["salesforce"] = meter_all_time(run.salesforce_sim.usage(), SALESFORCE_FAMILY)
    run.baseline["billing"] = meter_all_time(run.billing_sim.usage(), BILLING_FAMILY)
    POOL.fill(run.environment, [ids[i : i + size] for i in range(0, len(ids), size)])


def measure(run: Run) -> Measurement:
    run.finished = POOL.finished_at or run.finished
    run.core.wait_idle(120)  # links cut short by --run-time still finish: count them all
    salesforce = meter_all_time(run.salesforce_sim.usage(), SALESFORCE_FAMILY) - run.baseline["salesforce"]
    billing = meter_all_time(run.billing_sim.usage(), BILLING_FAMILY) - run.baseline["billing"]
    # Read after the meters: this query is the harness's, not the core's.
    linked = run.crm.count("FROM Account WHERE Billing_Account_Number__c != null")
    accounts = int(run.workload["accounts"])
    seconds = run.seconds()
    return Measurement(
        metrics={
            "salesforce_calls_per_account": ratio(salesforce, linked),
            "billing_calls_per_account": ratio(billing, linked),
            "accounts_per_second": linked / seconds,
            "link_p95_ms": percentile_ms(run.stats_entry(LINK_REQUEST, "POST"), 0.95),
            "linked_share": ratio(linked, accounts),
        },
        info={
            "accounts": accounts,
            "batch": int(run.workload["batch"]),
            "linked": linked,
            "salesforce_calls": salesforce,
            "billing_calls": billing,
        },
    )


SCENARIO = Scenario(
    name="link",
    seed_counts=empty,
    prepare=prepare,
    measure=measure,
    configure_users=configure_users,
    on_init=POOL.on_init,
    on_abort=POOL.abort,
)
current_run = install(SCENARIO)
