"""The locust side of the load gates, shared by the locustfiles (imported only in locust processes).

A locustfile describes a ``Scenario`` (its users, how to prepare the system, how to measure it)
and calls ``install``, which registers the listeners:

- ``init_command_line_parser``: the ``--q2c-*`` options (target URLs, gates file, workload
  overrides, report directory, ``--q2c-no-gate``); workers get the master's values with each
  spawn message;
- ``test_start`` on every node: point the user classes at their targets; on the master (or the
  single local process) only: reseed both simulators, then the scenario's ``prepare`` (data
  through the vendor APIs, baselines of the meters);
- ``test_stop`` / ``quitting`` on the master only: the scenario's ``measure`` (the simulators'
  meters, the core's metrics, the master's aggregated request stats), the gates evaluated, the
  table printed, ``gate.json`` written, and ``environment.process_exit_code`` set explicitly:
  0 on pass, 3 on a breach, 2 when the run could not be prepared or measured.

``WorkPool`` hands batches of work to users across processes (the master sends each worker its
share with a custom message) and ends the run once every user has found it empty.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import gevent
import gevent.event
import requests
from locust import events
from locust.runners import MasterRunner, WorkerRunner

from contracts import defaults
from loadtests import gates as gating
from loadtests.clients import LOAD_WEBHOOK_SECRET, Billing, ControlPlane, Core, SalesforceUser, Targets, dumps

log = logging.getLogger("q2c.load")

CORE_WEBHOOK_EVENTS = ("invoice.*", "payment.*", "account.*")


@dataclass
class Measurement:
    metrics: dict[str, float | None]
    info: dict[str, Any] = field(default_factory=dict)
    detail: str = ""


@dataclass
class Run:
    """What the master (or the single local process) knows of the current run."""

    environment: Any
    targets: Targets
    gates: gating.ScenarioGates
    workload: dict[str, Any]
    session: requests.Session = field(default_factory=requests.Session)
    started: float = 0.0  # end of preparation: the measured window opens
    finished: float | None = None  # the scenario's work was done (or the users were stopped)
    baseline: dict[str, Any] = field(default_factory=dict)
    workers: int = 0  # worker processes connected at the start (0: a single local process)
    error: str | None = None

    @cached_property
    def salesforce_sim(self) -> ControlPlane:
        return ControlPlane(self.session, self.targets.salesforce_url, "salesforce")

    @cached_property
    def billing_sim(self) -> ControlPlane:
        return ControlPlane(self.session, self.targets.billing_url, "billing")

    @cached_property
    def core(self) -> Core:
        return Core(self.session, self.targets)

    @cached_property
    def crm(self) -> SalesforceUser:
        return SalesforceUser(self.session, self.targets)

    @cached_property
    def billing(self) -> Billing:
        return Billing(self.session, self.targets)

    def seconds(self) -> float:
        end = self.finished if self.finished is not None else time.time()
        return max(end - self.started, 1e-9)

    def stats_entry(self, name: str, method: str) -> Any:
        return self.environment.stats.entries.get((name, method))


@dataclass(frozen=True)
class Scenario:
    name: str
    #: ``/__sim/seed`` counts for each simulator before the run (from the workload): a fresh org
    #: and billing tenant.
    seed_counts: Callable[[Mapping[str, Any]], Mapping[str, Mapping[str, int]]]
    #: Master only, after the reseed: data through the vendor APIs, then the meters' baselines.
    prepare: Callable[[Run], None]
    #: Master only, at quitting: the figures the gates judge.
    measure: Callable[[Run], Measurement]
    #: Every node, at test start: point each user class at its target (and pace it).
    configure_users: Callable[[Targets, Mapping[str, Any]], None]
    #: Every node, at init (e.g. register custom messages).
    on_init: Callable[[Any], None] | None = None
    #: Master only, when preparing failed: release users waiting for work, so the run ends now.
    on_abort: Callable[[Any], None] | None = None


def is_worker(environment: Any) -> bool:
    return isinstance(environment.runner, WorkerRunner) or bool(
        getattr(environment.parsed_options, "worker", False)
    )


def is_master(environment: Any) -> bool:
    return isinstance(environment.runner, MasterRunner)


def targets_from(options: Any) -> Targets:
    return Targets(
        salesforce_url=options.q2c_salesforce_url,
        billing_url=options.q2c_billing_url,
        core_url=options.q2c_core_url,
        core_token=options.q2c_core_token,
        billing_api_key=options.q2c_billing_api_key,
    )


def workload_from(options: Any, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario's workload from gates.yaml, with ``--q2c-workload key=value`` overrides
    (typed like the default they replace)."""
    workload = dict(defaults)
    for item in options.q2c_workload or []:
        key, sep, raw = str(item).partition("=")
        if not sep or key not in workload:
            known = ", ".join(sorted(workload))
            raise ValueError(f"--q2c-workload {item!r}: expected key=value with key in {known}")
        default = workload[key]
        value: Any
        if isinstance(default, bool):
            value = raw.lower() in ("1", "true", "yes", "on")
        elif isinstance(default, int):
            value = int(raw)
        elif isinstance(default, float):
            value = float(raw)
        else:
            value = raw
        workload[key] = value
    return workload


def add_options(parser: Any) -> None:
    group = parser.add_argument_group("q2c load gates")
    group.add_argument(
        "--q2c-salesforce-url",
        env_var="Q2C_SALESFORCE_URL",
        default="http://127.0.0.1:8701",
        help="Salesforce simulator base URL",
    )
    group.add_argument(
        "--q2c-billing-url",
        env_var="Q2C_BILLING_URL",
        default="http://127.0.0.1:8702",
        help="Billing simulator base URL",
    )
    group.add_argument(
        "--q2c-core-url",
        env_var="Q2C_CORE_URL",
        default="http://127.0.0.1:8703",
        help="Integration core base URL",
    )
    group.add_argument("--q2c-core-token", env_var="Q2C_CORE_TOKEN", default=defaults.CORE_API_TOKEN)
    group.add_argument("--q2c-billing-api-key", default=defaults.BILLING_API_KEY)
    group.add_argument(
        "--q2c-webhook-secret",
        default=LOAD_WEBHOOK_SECRET,
        help="Secret the core's webhook endpoint is subscribed with after billing is reseeded",
    )
    group.add_argument(
        "--q2c-gates", default=str(gating.GATES_FILE), help="The gates file (thresholds, workload)"
    )
    group.add_argument(
        "--q2c-workload",
        action="append",
        default=[],
        help="Override a workload value: key=value (repeatable)",
    )
    group.add_argument("--q2c-no-gate", action="store_true", default=False, help="Report only: always exit 0")
    group.add_argument("--q2c-report-dir", default="", help="Write gate.json here")
    group.add_argument("--q2c-label", default="", help="A label for the report (e.g. the core's mode)")
    group.add_argument(
        "--q2c-run-time",
        type=float,
        default=0.0,
        help="Seconds of load once the run is prepared (0: only locust's --run-time, which includes "
        "the preparation)",
    )


_installed: list[str] = []


@dataclass
class _State:
    run: Run | None = None
    error: str | None = None


def install(scenario: Scenario) -> Callable[[], Run | None]:
    """Register the scenario's listeners; returns an accessor for the master's current run."""
    if _installed:
        raise RuntimeError(
            f"one load scenario per locust process: {_installed[0]!r} is installed, not {scenario.name!r} "
            "(pass one locustfile with -f)"
        )
    _installed.append(scenario.name)
    state = _State()

    def on_parser(parser: Any, **_: Any) -> None:
        add_options(parser)

    def on_init(environment: Any, **_: Any) -> None:
        if scenario.on_init is not None:
            scenario.on_init(environment)

    def on_test_start(environment: Any, **_: Any) -> None:
        options = environment.parsed_options
        try:
            scenario_gates = gating.load_gates(scenario.name, Path(options.q2c_gates))
            workload = workload_from(options, scenario_gates.workload)
            targets = targets_from(options)
            scenario.configure_users(targets, workload)
        except Exception as exc:
            message = f"cannot configure the {scenario.name} scenario: {exc}"
            log.error(message)
            state.error = message
            if not is_worker(environment):
                gevent.spawn(environment.runner.quit)
            return
        if is_worker(environment):
            return
        run = Run(environment, targets, scenario_gates, workload)
        run.workers = len(environment.runner.clients) if is_master(environment) else 0
        state.run = run
        try:
            counts = scenario.seed_counts(workload)
            for name, sim in (("salesforce", run.salesforce_sim), ("billing", run.billing_sim)):
                sim.seed(counts.get(name, {}))
            scenario.prepare(run)
        except Exception as exc:
            log.error("preparing the %s scenario failed:\n%s", scenario.name, traceback.format_exc())
            run.error = f"preparing the run failed: {exc}"
            if scenario.on_abort is not None:
                scenario.on_abort(environment)
            gevent.spawn(environment.runner.quit)
            return
        run.started = run.started or time.time()
        window = float(options.q2c_run_time or 0)
        if window > 0:
            gevent.spawn_later(window, _end_window, environment, scenario.name, window)
        log.info("%s: prepared; measuring from now on", scenario.name)

    def on_test_stop(environment: Any, **_: Any) -> None:
        run = state.run
        if run is not None and not is_worker(environment) and run.finished is None:
            run.finished = time.time()

    def on_quitting(environment: Any, **_: Any) -> None:
        if not is_worker(environment):
            environment.process_exit_code = conclude(scenario, environment, state.run, state.error)

    for hook, listener in (
        (events.init_command_line_parser, on_parser),
        (events.init, on_init),
        (events.test_start, on_test_start),
        (events.test_stop, on_test_stop),
        (events.quitting, on_quitting),
    ):
        _listen(hook, listener)
    return lambda: state.run


def _listen(hook: Any, listener: Callable[..., None]) -> None:
    hook.add_listener(listener)  # locust's EventHook.add_listener is untyped


def _end_window(environment: Any, name: str, window: float) -> None:
    log.info("%s: %g s of load measured; ending the run", name, window)
    environment.runner.quit()


def conclude(scenario: Scenario, environment: Any, run: Run | None, error: str | None) -> int:
    """Measure, judge, print and record; the process exit code."""
    try:
        return _conclude(scenario, environment, run, error)
    finally:
        if run is not None:
            run.session.close()


def _conclude(scenario: Scenario, environment: Any, run: Run | None, error: str | None) -> int:
    options = environment.parsed_options
    report_dir = Path(options.q2c_report_dir) if options.q2c_report_dir else None
    gated = not options.q2c_no_gate
    if run is None or run.error is not None:
        message = (run.error if run else None) or error or "the test never started"
        _emit_error(report_dir, scenario.name, message)
        return gating.EXIT_ERROR
    if not run.started:
        message = "the run ended before its preparation did: give it a longer --run-time"
        _emit_error(report_dir, scenario.name, message)
        return gating.EXIT_ERROR
    try:
        measurement = scenario.measure(run)
    except Exception as exc:
        log.error("measuring the %s scenario failed:\n%s", scenario.name, traceback.format_exc())
        message = f"measuring the run failed: {exc}"
        _emit_error(report_dir, scenario.name, message)
        return gating.EXIT_ERROR
    total = environment.stats.total
    metrics = {"fail_ratio": float(total.fail_ratio), **measurement.metrics}
    info = {
        "label": options.q2c_label or None,
        "users": options.num_users,
        "workers": run.workers,
        "requests": total.num_requests,
        "failures": total.num_failures,
        "seconds": round(run.seconds(), 3),
        **measurement.info,
    }
    verdict = gating.evaluate(run.gates, metrics)
    text = gating.render_table(verdict, gated=gated, extra={k: v for k, v in info.items() if v is not None})
    if measurement.detail:
        text = f"{text}\n{measurement.detail}"
    record = {
        "scenario": scenario.name,
        "gated": gated,
        "passed": verdict.passed,
        "breaches": verdict.breaches,
        "exit_code": verdict.exit_code if gated else gating.EXIT_PASS,
        "results": [result.to_json() for result in verdict.results],
        "metrics": {k: _json_number(v) for k, v in metrics.items()},
        "info": info,
        "workload": run.workload,
    }
    _emit(report_dir, text, record)
    return verdict.exit_code if gated else gating.EXIT_PASS


def _emit_error(report_dir: Path | None, scenario: str, message: str) -> None:
    record = {"scenario": scenario, "exit_code": gating.EXIT_ERROR, "error": message}
    _emit(report_dir, f"Load gate: {scenario}\nRESULT: ERROR: {message}", record)


def _json_number(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value


def _emit(report_dir: Path | None, text: str, record: dict[str, Any]) -> None:
    print(text, flush=True)  # --json-file suppresses locust's own summary: this is the console's
    if report_dir is not None:
        report_dir.mkdir(parents=True, exist_ok=True)
        (report_dir / "gate.json").write_text(dumps(record) + "\n")


# -- helpers the scenarios share ---------------------------------------------------------------

#: An empty org and billing tenant: the scenario creates what it needs through the vendor APIs.
EMPTY: Mapping[str, Mapping[str, int]] = {
    "salesforce": {"accounts": 0, "contacts": 0, "orders": 0},
    "billing": {"accounts": 0},
}


def empty(workload: Mapping[str, Any]) -> Mapping[str, Mapping[str, int]]:
    return EMPTY


@contextlib.contextmanager
def step(what: str) -> Iterator[None]:
    """Log how long one preparation step took (preparation is not measured, but it is timed)."""
    started = time.perf_counter()
    yield
    log.info("  %s: %.2f s", what, time.perf_counter() - started)


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.nan


def percentile_ms(entry: Any, q: float) -> float | None:
    """A request entry's response-time percentile (ms), from the master's aggregated stats."""
    if entry is None or not entry.num_requests:
        return None
    return float(entry.get_response_time_percentile(q))


def settle(run: Run, timeout: float = 120.0) -> None:
    """Billing has delivered every webhook and the core has processed everything it was sent."""
    run.billing_sim.wait_webhooks_delivered(timeout)
    run.core.wait_idle(timeout)


def endpoint_table(environment: Any, seconds: float) -> tuple[str, float]:
    """Requests/s and latency percentiles per endpoint (the master's aggregated request stats),
    as text, and the worst p95 (ms)."""
    rows = [("endpoint", "requests", "fails", "req/s", "p50 ms", "p95 ms", "p99 ms")]
    worst = 0.0
    for (name, method), entry in sorted(environment.stats.entries.items()):
        if not entry.num_requests:
            continue
        p95 = float(entry.get_response_time_percentile(0.95))
        worst = max(worst, p95)
        rows.append(
            (
                name if method in name.split() else f"{method} {name}",
                str(entry.num_requests),
                str(entry.num_failures),
                f"{entry.num_requests / seconds:.1f}",
                f"{entry.get_response_time_percentile(0.5):.0f}",
                f"{p95:.0f}",
                f"{entry.get_response_time_percentile(0.99):.0f}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["Per endpoint (load generator's view, aggregated on the master):"]
    for row in rows:
        lines.append(
            "  "
            + " | ".join(
                cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
            )
        )
    return "\n".join(lines), worst


class WorkPool:
    """Batches of work handed to users across processes.

    The master fills it: in a single process directly, distributed by sending each worker its
    share (a custom message, delivered before the spawn message that follows ``test_start``).
    A user takes one batch at a time; a user that finds the pool empty reports done, and once
    every user (``-u``) has, the master ends the run: the measured window is the work itself.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._batches: deque[Any] = deque()
        self._filled = gevent.event.Event()
        self._done_users = 0
        self.finished_at: float | None = None

    def on_init(self, environment: Any) -> None:
        runner = environment.runner
        if isinstance(runner, WorkerRunner):
            runner.register_message(f"{self.name}:fill", self._on_fill)
        elif isinstance(runner, MasterRunner):
            runner.register_message(f"{self.name}:done", self._on_done)

    def fill(self, environment: Any, batches: Sequence[Any]) -> None:
        self._done_users = 0
        self.finished_at = None
        runner = environment.runner
        if isinstance(runner, MasterRunner):
            workers = [node.id for node in runner.clients.all]
            users = int(environment.parsed_options.num_users or 0)
            if users < len(workers):  # a worker without users would keep its share
                raise ValueError(
                    f"{users} users for {len(workers)} workers: give each worker a user at least"
                )
            self._send(runner, workers, batches)
        else:
            self._load(list(batches))

    def abort(self, environment: Any) -> None:
        """No work after all (preparing failed): users find the pool empty at once."""
        runner = environment.runner
        if isinstance(runner, MasterRunner):
            self._send(runner, [node.id for node in runner.clients.all], [])
        else:
            self._load([])

    def _send(self, runner: Any, workers: list[str], batches: Sequence[Any]) -> None:
        for index, client_id in enumerate(workers):
            share = list(batches[index :: len(workers)])
            runner.send_message(f"{self.name}:fill", {"batches": share}, client_id)

    def take(self, timeout: float = 60.0) -> Any | None:
        if not self._filled.wait(timeout):
            log.error("%s: no work arrived within %s s", self.name, timeout)
            return None
        return self._batches.popleft() if self._batches else None

    def user_done(self, environment: Any) -> None:
        runner = environment.runner
        if isinstance(runner, WorkerRunner):
            # This user's requests reach the master's stats before its "done" does (one ordered
            # channel), so the master never judges a run missing a worker's last report.
            runner._send_stats()
            runner.send_message(f"{self.name}:done", {})
        else:
            self._count_done(environment)

    def _load(self, batches: list[Any]) -> None:
        self._batches.clear()
        self._batches.extend(batches)
        self._filled.set()

    def _on_fill(self, environment: Any, msg: Any, **_: Any) -> None:
        self._load(list(msg.data["batches"]))

    def _on_done(self, environment: Any, msg: Any, **_: Any) -> None:
        self._count_done(environment)

    def _count_done(self, environment: Any) -> None:
        self._done_users += 1
        if self._done_users == int(environment.parsed_options.num_users or 1):
            self.finished_at = time.time()
            log.info("%s: every user found the pool empty; ending the run", self.name)
            gevent.spawn(environment.runner.quit)
