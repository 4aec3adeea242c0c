"""``q2c chaos``: the three components as separate processes, every fault family on, the core
SIGKILLed at seeded moments and restarted on the same store; the verdict once the system is idle.

1. start ``q2c salesforce`` and ``q2c billing`` (seeded, billing unthrottled: 429s come from the
   fault rules), empty the org, start ``q2c core`` (pollers on: Salesforce link requests and
   billing's event log, the fallback for dropped webhooks) and subscribe it to billing's webhooks;
2. install the fault families (plan.py);
3. link phase: the Salesforce accounts are created in waves as a CRM import would (prospects and
   accounts missing billing data among them); the core's poller finds the link requests; a kill
   armed in a wave fires once the core made its seeded number of billing account creates;
4. a service is ordered in billing for every linked account;
5. billing periods on billing's virtual clock; a kill armed in a period fires after a seeded
   number of the core's Salesforce writes;
6. fault rules off, idle once more, then the verdict (report.py).

Bounded by ``timeout``: a run that cannot get idle ends with exit 2 and the last reading.
"""

from __future__ import annotations

import re
import tempfile
import time
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests
from rich.console import Console

from loadtests.chaos.observe import ChaosTimeout, Observer
from loadtests.chaos.plan import (
    CORE_SALESFORCE_CALLER,
    SALESFORCE_COLLECTIONS,
    ChaosPlan,
    KillPoint,
    make_plan,
)
from loadtests.chaos.report import EXIT_ERROR, EXIT_FAIL, EXIT_PASS, fired, judge, render, write_json
from loadtests.chaos.supervisor import Component, ComponentError, Supervisor
from loadtests.clients import LOAD_WEBHOOK_SECRET, ControlPlane, TargetError, order_body

CORE_WEBHOOK_EVENTS = ("invoice.*", "payment.*", "account.*")
EMPTY_ORG = {"accounts": 0, "contacts": 0, "orders": 0}
TAKEN_BACK = re.compile(r"took back (\d+) jobs leased by a previous process")


@dataclass(frozen=True)
class ChaosOptions:
    seed: int = 42
    accounts: int = 60
    periods: int = 2
    kills: int = 2
    short: bool = False
    timeout: float = 600.0
    report_dir: Path | None = None
    #: Seconds between the core's polls (Salesforce link requests, billing's event log).
    poll_interval: float = 0.5
    #: Extra fault rules: ``{"target": "billing" | "salesforce" | "webhooks", **rule}`` (a way to
    #: plant a defect the system cannot recover from, or to try a fault of your own).
    extra_faults: tuple[dict[str, Any], ...] = ()
    fault_rate: float = 0.08


@dataclass
class Run:
    options: ChaosOptions
    plan: ChaosPlan
    deadline: float
    supervisor: Supervisor
    observer: Observer | None = None
    kinds: dict[str, str] = field(default_factory=dict)  # Salesforce Id -> planned kind
    faults: list[dict[str, Any]] = field(default_factory=list)
    kills: list[dict[str, Any]] = field(default_factory=list)
    flow: dict[str, int] = field(default_factory=lambda: {"orders": 0, "payments": 0})
    seconds: dict[str, float] = field(default_factory=dict)  # per step of the run
    started: float = field(default_factory=time.monotonic)

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        began = time.monotonic()
        try:
            yield
        finally:
            self.seconds[step] = time.monotonic() - began

    @property
    def obs(self) -> Observer:
        assert self.observer is not None
        return self.observer


def run_chaos(options: ChaosOptions, console: Console) -> int:
    """The whole gate; the exit code (0 pass, 1 lost/duplicated/drift, 2 could not finish)."""
    plan = make_plan(
        seed=options.seed,
        accounts=options.accounts,
        periods=options.periods,
        kills=options.kills,
        short=options.short,
        rate=options.fault_rate,
    )
    started = time.monotonic()
    record: dict[str, Any] = {"plan": plan.to_json(), "options": _options_json(options)}
    with _work_dir(options.report_dir) as work:
        record["logs"] = str(work) if options.report_dir is not None else None  # a temp dir goes
        supervisor = Supervisor(_components(options, work))
        run = Run(options, plan, started + options.timeout, supervisor)
        with supervisor:
            try:
                _drive(run)
                record["verdict"] = judge(run.obs, run.kinds).to_json()
            except ChaosTimeout as exc:
                record["error"] = f"timed out after {options.timeout:g} s: {exc}"
                record["last_reading"] = exc.reading.to_json() if exc.reading else None
            except (ComponentError, TargetError, FaultsRefused) as exc:
                record["error"] = str(exc)
            except Exception as exc:  # the report still names it rather than a bare traceback
                record["error"] = f"{type(exc).__name__}: {exc}"
                record["traceback"] = traceback.format_exc()
            finally:
                if run.observer is not None:
                    record["stalls"] = run.observer.stalls
                    run.observer.close()
        record.update(
            faults=run.faults,
            kills=run.kills,
            flow=run.flow,
            seconds=run.seconds,
            elapsed_seconds=time.monotonic() - started,
        )
        record["exit_code"] = _exit_code(record)
        render(console, record)
        path = write_json(options.report_dir, record)
        if path is not None:
            console.print(f"report: {path}")
    return int(record["exit_code"])


def _exit_code(record: dict[str, Any]) -> int:
    if record.get("error"):
        return EXIT_ERROR
    return EXIT_PASS if record["verdict"]["passed"] else EXIT_FAIL


def _options_json(options: ChaosOptions) -> dict[str, Any]:
    return {
        "seed": options.seed,
        "accounts": options.accounts,
        "periods": options.periods,
        "kills": options.kills,
        "short": options.short,
        "timeout": options.timeout,
        "extra_faults": list(options.extra_faults),
    }


@contextmanager
def _work_dir(report_dir: Path | None) -> Iterator[Path]:
    """Component logs and the core's store: under the report directory when there is one (kept
    for the post-mortem), else a throw-away directory."""
    if report_dir is not None:
        work = report_dir / "run"
        work.mkdir(parents=True, exist_ok=True)
        for old in work.glob("*.log"):
            old.unlink()
        for old in (work / "state").glob("core.sqlite3*"):
            old.unlink()
        yield work
        return
    with tempfile.TemporaryDirectory(prefix="q2c-chaos-") as temp:
        yield Path(temp)


def _components(options: ChaosOptions, work: Path) -> list[Component]:
    state = str(work / "state")
    seed = str(options.seed)
    return [
        Component("salesforce", ["--seed", seed, "--state-dir", state], work),
        Component(
            "billing",
            ["--seed", seed, "--state-dir", state, "--billing-rate-limit", "0", "--billing-accounts", "0"],
            work,
        ),
        # Its arguments need the others' URLs. INFO: the log says which jobs a restart took back.
        Component("core", [], work, ready_path="/health", env={"Q2C_LOG_LEVEL": "INFO"}),
    ]


def _drive(run: Run) -> None:
    supervisor, options = run.supervisor, run.options
    supervisor["salesforce"].launch()
    supervisor["billing"].launch()
    salesforce_url = supervisor["salesforce"].wait_ready()
    billing_url = supervisor["billing"].wait_ready()
    core = supervisor["core"]
    poll = str(options.poll_interval)
    core.arguments = [
        *("--salesforce-url", salesforce_url, "--billing-url", billing_url),
        *("--state-dir", str(core.work_dir / "state"), "--webhook-secret", LOAD_WEBHOOK_SECRET),
        *("--poll-billing", poll, "--poll-salesforce", poll),
    ]
    with requests.Session() as session:  # the org's seed accounts are not the run's
        session.headers["X-Sim-Fault"] = "ok"
        ControlPlane(session, salesforce_url, "salesforce").seed(EMPTY_ORG)
    core_url = core.start()
    run.observer = Observer(salesforce_url, billing_url, core_url, poll_interval=options.poll_interval)
    run.obs.billing_sim.add_webhook_endpoint(
        core_url + "/webhooks/billing", CORE_WEBHOOK_EVENTS, LOAD_WEBHOOK_SECRET
    )
    run.seconds["start"] = time.monotonic() - run.started
    _install_faults(run)
    with run.timed("link"):
        _link_phase(run)
    with run.timed("orders"):
        _order_services(run)
    with run.timed("periods"):
        _periods(run)
    with run.timed("settle"):
        _faults_off(run)
        run.obs.wait_idle(run.deadline, "the end of the run (faults lifted)")


# -- faults -------------------------------------------------------------------------------------


def _fault_path(target: str) -> tuple[str, str]:
    """(simulator, control-plane path) of a fault target."""
    return ("billing", "/webhooks/faults") if target == "webhooks" else (target, "/faults")


def _install_faults(run: Run) -> None:
    families: list[tuple[str, str, list[dict[str, Any]]]] = [
        (f.name, f.target, list(f.rules)) for f in run.plan.faults
    ]
    for n, extra in enumerate(run.options.extra_faults, 1):
        rule = {k: v for k, v in extra.items() if k != "target"}
        families.append((f"extra fault {n}", str(extra.get("target", "billing")), [rule]))
    for name, target, rules in families:
        sim_name, path = _fault_path(target)
        sim = run.obs.billing_sim if sim_name == "billing" else run.obs.salesforce_sim
        entry: dict[str, Any] = {"name": name, "target": target, "rule_ids": [], "state": "installed"}
        for rule in rules:
            response = run.obs.session.post(f"{sim.base}/__sim{path}", json=rule, timeout=30)
            if response.status_code >= 300:
                entry["state"] = f"unavailable: HTTP {response.status_code}: {_problem_text(response)}"
                break
            entry["rule_ids"].append(str(response.json().get("id")))
        run.faults.append(entry)
    # Every family or nothing: a gate that silently skipped one would pass untested.
    refused = [f"{f['name']} ({f['state']})" for f in run.faults if f["state"] != "installed"]
    if refused:
        raise FaultsRefused(f"fault families not installed: {'; '.join(refused)}")


class FaultsRefused(RuntimeError):
    """A simulator refused a fault rule of the plan (or of --fault)."""


def _problem_text(response: requests.Response) -> str:
    """The problem+json ``detail`` (the control plane's dialect), else the start of the body."""
    try:
        detail = str(response.json().get("detail") or "")
    except (ValueError, AttributeError):
        detail = ""
    return (detail or " ".join(response.text.split()))[:160]


def _faults_off(run: Run) -> None:
    """Read each rule's counters, then lift every rule (the verdict's reads are the core's too)."""
    for target in ("billing", "salesforce", "webhooks"):
        sim_name, path = _fault_path(target)
        sim = run.obs.billing_sim if sim_name == "billing" else run.obs.salesforce_sim
        response = run.obs.session.get(f"{sim.base}/__sim{path}", timeout=30)
        if response.status_code != 200:
            continue
        body = response.json()
        rules: list[dict[str, Any]] = (
            (body.get("data") or body.get("rules") or []) if isinstance(body, dict) else body
        )
        by_id = {str(rule.get("id")): rule for rule in rules}
        for family in run.faults:
            if family["target"] == target and family["state"] == "installed":
                family |= fired([by_id[i] for i in family["rule_ids"] if i in by_id])
        run.obs.session.delete(f"{sim.base}/__sim{path}", timeout=30)


# -- phases -------------------------------------------------------------------------------------


def _link_phase(run: Run) -> None:
    from sandbox.scenario import plan_accounts  # Faker only

    plan = run.plan
    planned = plan_accounts(
        plan.accounts,
        seed=plan.seed,
        prospect_share=plan.prospect_share,
        incomplete_share=plan.incomplete_share,
    )
    start = 0
    for wave, size in enumerate(plan.wave_sizes()):
        batch = planned[start : start + size]
        start += size
        armed = plan.kills_in("link", wave)
        marks = [run.obs.journal_mark(k.trigger) for k in armed[:1]]
        if armed:
            _hold_next_write_back(run)
        ids = run.obs.crm.create("Account", [p.record for p in batch])
        run.kinds.update({i: p.kind for i, p in zip(ids, batch, strict=True)})
        _kills(run, armed, marks)
        run.obs.wait_idle(run.deadline, f"the link wave {wave + 1}")


def _hold_next_write_back(run: Run) -> None:
    """Delay the core's next Salesforce write-back (one call, 1.5 s). Billing creates a wave's
    accounts in one batch call when it declares batch create, and the write-back follows at once:
    without the delay the kill armed on the creates would land after the whole link. With it, it
    lands between billing's creates and Salesforce hearing of them, the window that must not
    create an account twice on restart."""
    rule = {
        "caller": CORE_SALESFORCE_CALLER,
        "path": SALESFORCE_COLLECTIONS,
        "effect": {"type": "latency", "fixed_ms": 1500},
        "times": 1,
    }
    response = run.obs.session.post(f"{run.obs.salesforce_sim.base}/__sim/faults", json=rule, timeout=30)
    if response.status_code >= 300:
        raise FaultsRefused(f"the write-back delay: HTTP {response.status_code}: {_problem_text(response)}")


def _order_services(run: Run) -> None:
    rows = run.obs.crm.query(
        "SELECT Billing_Account_Id__c FROM Account WHERE Billing_Account_Id__c != null ORDER BY Id"
    )
    product = next(p for p in run.obs.billing.collect("/products") if p["code"] == "INET-100")
    for row in rows:
        account_id = str(row["Billing_Account_Id__c"])
        run.obs.billing.post(
            "/orders", order_body(account_id, str(product["id"])), f"chaos-order-{account_id}"
        )
        run.flow["orders"] += 1
    run.obs.wait_idle(run.deadline, "the orders")


def _periods(run: Run) -> None:
    for period in range(run.plan.periods):
        armed = run.plan.kills_in("periods", period)
        marks = [run.obs.journal_mark(k.trigger) for k in armed[:1]]
        now = datetime.fromisoformat(run.obs.billing_sim.now())
        # The 1st and the 15th of the next month both fall due: each cycle bills once a period.
        run.obs.billing_sim.clock(advance_to=(_first_of_next_month(now) + timedelta(days=16)).isoformat())
        _kills(run, armed, marks)
        run.obs.wait_idle(run.deadline, f"billing period {period + 1}")
        _pay_half(run, period)
        run.obs.wait_idle(run.deadline, f"the payments of period {period + 1}")


def _pay_half(run: Run, period: int) -> None:
    """Every other linked account pays what it owes (payment webhooks, financials change);
    the rest go past due."""
    rows = run.obs.crm.query(
        "SELECT Billing_Account_Id__c FROM Account WHERE Billing_Account_Id__c != null ORDER BY Id"
    )
    for row in rows[period % 2 :: 2]:
        account_id = str(row["Billing_Account_Id__c"])
        invoices = run.obs.billing.collect(f"/invoices?account_id={account_id}")
        due = sum(
            (
                Decimal(str(i["amount_due"]["amount"]))
                for i in invoices
                if i["status"] in ("posted", "partially_paid")
            ),
            Decimal(0),
        )
        if due <= 0:
            continue
        body = {
            "account_id": account_id,
            "amount": {"amount": f"{due:.2f}", "currency": invoices[0]["currency"]},
            "method": "ach",
            "reference": f"chaos-{account_id}-{period}",
        }
        run.obs.billing.post("/payments", body, f"chaos-payment-{account_id}-{period}")
        run.flow["payments"] += 1


def _kills(run: Run, armed: Sequence[KillPoint], marks: list[int]) -> None:
    """Each armed kill in turn: wait for its trigger, SIGKILL the core, restart it."""
    core = run.supervisor["core"]
    for n, point in enumerate(armed):
        mark = marks[n] if n < len(marks) else run.obs.journal_mark(point.trigger)
        reached = run.obs.wait_for_count(point.trigger, mark, point.count, run.deadline)
        seen = run.obs.count_since(point.trigger, mark)
        core.kill()
        restart = time.perf_counter()
        log_offset = core.log_path.stat().st_size
        core.restart()
        run.kills.append(
            {
                "describe": point.describe(),
                "phase": point.phase,
                "trigger": point.trigger,
                "count": point.count,
                "seen": seen,
                "mid_flow": reached,
                "restart_seconds": time.perf_counter() - restart,
                "jobs_taken_back": _jobs_taken_back(core.log_path, log_offset),
            }
        )


def _jobs_taken_back(log_path: Path, offset: int) -> int:
    """What the restarted core's engine says it took back from its killed predecessor (the jobs
    that were leased, i.e. in flight, when the SIGKILL came)."""
    with log_path.open(encoding="utf-8", errors="replace") as log:
        log.seek(offset)
        found = TAKEN_BACK.search(log.read())
    return int(found.group(1)) if found else 0


def _first_of_next_month(moment: datetime) -> datetime:
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return datetime(year, month, 1, 12, tzinfo=UTC)
