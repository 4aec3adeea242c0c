"""``invoice_sync``: billing's virtual clock moves a day at a time, invoices post at a steady rate,
webhooks drive the core, and the core writes invoices and financials to Salesforce.

Before the run (master only): a fresh org and billing tenant; billing's clock moved to the 1st
of next month; ``workload.accounts`` Accounts on the monthly anniversary cycle created in
Salesforce and linked through the core; one service ordered per account, a 28th of them each
virtual day, so each day of a month bills the same number of accounts; the core's webhook
endpoint subscribed again (a billing reseed drops it) with the load secret the core accepts;
the clock moved on to the next 1st; everything settled and the baselines read (meters, the
core's lag histogram, invoices in Salesforce).

The users step billing's clock (``POST /__sim/clock {advance_by}``) at a constant pace. When they
stop, the run settles (every webhook delivered, the core idle) before the figures are read.

Measured: Salesforce calls per invoice synced (the Salesforce simulator's meter), invoices/s
(posted by billing and written to Salesforce), webhook-to-Salesforce lag p50/p95 (the core's
``q2c_webhook_to_salesforce_lag_seconds`` histogram, between the two readings).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import gevent.pool
from locust import FastHttpUser, constant_pacing, task

from loadtests.clients import BILLING_FAMILY, SALESFORCE_FAMILY, Targets, order_body
from loadtests.gates import bucket_delta, histogram_buckets, histogram_quantile, meter_all_time
from loadtests.harness import (
    CORE_WEBHOOK_EVENTS,
    Measurement,
    Run,
    Scenario,
    empty,
    install,
    percentile_ms,
    ratio,
    settle,
    step,
)

LAG_HISTOGRAM = "q2c_webhook_to_salesforce_lag_seconds"
ANNIVERSARY = "Monthly anniversary"
DAYS = 28  # anchors on the 1st to the 28th: every month has them
CLOCK_REQUEST = "/__sim/clock (advance billing's clock)"
INVOICES = "FROM Billing_Invoice__c"


class ClockUser(FastHttpUser):
    wait_time = constant_pacing(0.5)
    network_timeout = 120.0
    advance_by = "P1D"

    @task
    def advance(self) -> None:
        with self.client.post(
            "/__sim/clock", json={"advance_by": self.advance_by}, name=CLOCK_REQUEST, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {(response.text or '')[:200]}")


def configure_users(targets: Targets, workload: Mapping[str, Any]) -> None:
    ClockUser.host = targets.billing_url
    ClockUser.advance_by = str(workload["advance_by"])
    ClockUser.wait_time = constant_pacing(float(workload["every"]))


def first_of_next_month(moment: datetime) -> datetime:
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


def prepare(run: Run) -> None:
    from sandbox.scenario import plan_accounts  # Faker only: no simulators, no integration flows

    accounts = int(run.workload["accounts"])
    now = datetime.fromisoformat(run.billing_sim.now())
    run.billing_sim.clock(advance_to=(first_of_next_month(now) + timedelta(hours=1)).isoformat())
    planned = plan_accounts(accounts, seed=int(run.workload["seed"]), prospect_share=0, incomplete_share=0)
    for account in planned:
        account.record["Billing_Cycle__c"] = ANNIVERSARY
    with step(f"{accounts} accounts created in Salesforce"):
        run.crm.create("Account", [p.record for p in planned])
    with step("linked through the core"):
        result = run.core.action("/actions/link", {"wait": True, "timeout_seconds": 600})
    linked = int(result.get("outcomes", {}).get("linked", 0))
    if linked != accounts:
        raise RuntimeError(f"only {linked} of {accounts} accounts linked: {result.get('outcomes')}")
    rows = run.crm.query(
        "SELECT Billing_Account_Id__c FROM Account WHERE Billing_Account_Id__c != null ORDER BY Id"
    )
    billing_ids = [str(row["Billing_Account_Id__c"]) for row in rows]
    product = next(p for p in run.billing.collect("/products") if p["code"] == "INET-100")
    pool = gevent.pool.Pool(8)
    with step(f"services ordered over {DAYS} virtual days"):
        for day in range(DAYS):
            for account_id in billing_ids[day::DAYS]:
                body = order_body(account_id, str(product["id"]))
                pool.spawn(run.billing.post, "/orders", body, f"load-order-{account_id}")
            pool.join(raise_error=True)
            run.billing_sim.clock(advance_by="P1D")
    # Webhooks from now on (the reseed dropped the core's endpoint): the setup's account and
    # service events are not the traffic measured, invoices are.
    run.billing_sim.add_webhook_endpoint(
        run.targets.core_url.rstrip("/") + "/webhooks/billing",
        CORE_WEBHOOK_EVENTS,
        run.environment.parsed_options.q2c_webhook_secret,
    )
    with step("on to the 1st of the month after, settled"):
        # From there on, each step bills one day's share of the accounts.
        now = datetime.fromisoformat(run.billing_sim.now())
        run.billing_sim.clock(advance_to=(first_of_next_month(now) + timedelta(hours=1)).isoformat())
        settle(run)
    run.baseline["invoices"] = run.crm.count(INVOICES)  # before the meter reading: ours, not the core's
    run.baseline["salesforce"] = meter_all_time(run.salesforce_sim.usage(), SALESFORCE_FAMILY)
    run.baseline["billing"] = meter_all_time(run.billing_sim.usage(), BILLING_FAMILY)
    run.baseline["lag"] = histogram_buckets(run.core.metrics(), LAG_HISTOGRAM)
    run.baseline["linked"] = linked


def measure(run: Run) -> Measurement:
    settle(run)
    settled = time.time()
    salesforce = meter_all_time(run.salesforce_sim.usage(), SALESFORCE_FAMILY) - run.baseline["salesforce"]
    billing = meter_all_time(run.billing_sim.usage(), BILLING_FAMILY) - run.baseline["billing"]
    lag = bucket_delta(histogram_buckets(run.core.metrics(), LAG_HISTOGRAM), run.baseline["lag"])
    invoices = run.crm.count(INVOICES) - int(run.baseline["invoices"])  # after the meter reading
    seconds = max(settled - run.started, 1e-9)
    steps = run.stats_entry(CLOCK_REQUEST, "POST")
    return Measurement(
        metrics={
            "salesforce_calls_per_invoice": ratio(salesforce, invoices),
            "invoices_per_second": invoices / seconds,
            "lag_p50_seconds": histogram_quantile(0.5, lag),
            "lag_p95_seconds": histogram_quantile(0.95, lag),
        },
        info={
            "accounts": run.baseline["linked"],
            "clock_steps": steps.num_requests if steps is not None else 0,
            "clock_step_p95_ms": percentile_ms(steps, 0.95),
            "invoices": invoices,
            "salesforce_calls": salesforce,
            "billing_calls": billing,
            "syncs_observed": int(lag[-1][1]) if lag else 0,
            "seconds_until_settled": round(seconds, 3),
        },
    )


SCENARIO = Scenario(
    name="invoice_sync",
    seed_counts=empty,
    prepare=prepare,
    measure=measure,
    configure_users=configure_users,
)
current_run = install(SCENARIO)
