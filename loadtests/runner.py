"""``q2c load SCENARIO``: the system under load and locust, each in its own processes.

1. Unless target URLs are given, the system is started with ``python -m loadtests.serve`` (the
   three components in one event loop on free loopback ports, a fresh state directory; the naive
   baseline with ``record_by_record``), ready when its banner ends; its output goes to
   ``<report-dir>/system.log``.
2. locust runs headless as a subprocess (never imported here: gevent's monkey-patching belongs in
   its own process) with ``loadtests/locustfiles/<scenario>.py``, JSON and HTML reports in the
   report directory; with ``workers`` > 0, as a master plus that many worker processes
   (locust's distributed mode) on a free loopback port.
3. The master's exit code is the verdict: 0 pass, 3 breach, 2 could not prepare or measure.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from loadtests import gates as gating

LOCUSTFILES = Path(__file__).with_name("locustfiles")
READY_MARKER = "Press Ctrl-C to stop."
COMPONENTS = ("salesforce", "billing", "core")
PREPARATION_ALLOWANCE = 180.0  # seconds a scenario may take to prepare before its load starts


class LoadError(RuntimeError):
    """The run could not start (bad options, the system did not come up)."""


@dataclass(frozen=True)
class SystemUrls:
    salesforce_url: str
    billing_url: str
    core_url: str


@dataclass(frozen=True)
class LoadOptions:
    scenario: str
    users: int | None = None
    spawn_rate: float | None = None
    run_time: str | None = None
    workers: int = 0
    gate: bool = True
    report_dir: Path = Path("reports/load")
    record_by_record: bool = False
    seed: int = 42
    salesforce_url: str | None = None
    billing_url: str | None = None
    core_url: str | None = None
    gates_file: Path | None = None
    workload: tuple[str, ...] = ()
    locust_args: tuple[str, ...] = ()
    startup_timeout: float = 60.0


def locustfile(scenario: str) -> Path:
    return LOCUSTFILES / f"{scenario}.py"


def seconds(run_time: str) -> float:
    """locust's ``--run-time`` syntax (``90``, ``30s``, ``1m30s``, ``1h``) in seconds."""
    text = run_time.strip()
    if re.fullmatch(r"\d+", text):
        return float(text)
    match = re.fullmatch(r"(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?", text)
    if not text or match is None:
        raise LoadError(f"--run-time {run_time!r}: use e.g. 30s, 2m or 1m30s")
    hours, minutes, secs = (int(group or 0) for group in match.groups())
    return float(hours * 3600 + minutes * 60 + secs)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def system_process(options: LoadOptions, log_path: Path) -> Iterator[SystemUrls]:
    """The system under load in a subprocess, until the block ends (then SIGINT, a clean stop)."""
    with (
        tempfile.TemporaryDirectory(prefix="q2c-load-") as temp,
        log_path.open("w", encoding="utf-8") as log,
    ):
        port_dir = Path(temp) / "ports"
        command = [
            sys.executable,
            "-m",
            "loadtests.serve",
            "--seed",
            str(options.seed),
            "--state-dir",
            str(Path(temp) / "state"),
            "--port-dir",
            str(port_dir),
        ]
        if options.record_by_record:
            command.append("--record-by-record")
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=log,
            stdin=subprocess.DEVNULL,
            encoding="utf-8",
            errors="replace",
            env={**os.environ, "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"},
        )
        ready, pump = _copy_until(process.stdout, log, READY_MARKER)
        try:
            if not ready.wait(options.startup_timeout) or process.poll() is not None:
                raise LoadError(
                    f"the system did not start within {options.startup_timeout:g} s; see {log_path}"
                )
            ports = {name: (port_dir / f"{name}.port").read_text().strip() for name in COMPONENTS}
            yield SystemUrls(*(f"http://127.0.0.1:{ports[name]}" for name in COMPONENTS))
        finally:
            _stop(process, signal.SIGINT, grace=20)
            pump.join(10)  # the rest of its output, before the log closes


def _copy_until(
    stream: IO[str] | None, sink: IO[str], marker: str
) -> tuple[threading.Event, threading.Thread]:
    """Copy ``stream`` into ``sink`` from a thread (so the child never blocks on a full pipe);
    the event is set once a line contains ``marker`` (or the stream ends)."""
    seen = threading.Event()

    def pump() -> None:
        assert stream is not None
        for line in stream:
            sink.write(line)
            sink.flush()
            if marker in line:
                seen.set()
        seen.set()

    thread = threading.Thread(target=pump, name="q2c-load-system-output", daemon=True)
    thread.start()
    return seen, thread


def _stop(process: subprocess.Popen[Any], signum: int, grace: float) -> None:
    if process.poll() is None:
        process.send_signal(signum)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def locust_commands(
    options: LoadOptions, targets: SystemUrls, label: str
) -> tuple[list[str], list[list[str]], float]:
    """The master's (or single process's) command line, each worker's, and the run time (s)."""
    # Over 80 lines on purpose: every locust flag is built here, once, so the master, the workers
    # and the single-process run can never disagree on one.
    scenario_gates = gating.load_gates(options.scenario, options.gates_file)
    workload = scenario_gates.workload
    users = options.users if options.users is not None else int(workload.get("users", 1))
    run_time = options.run_time or str(workload.get("run_time", "60s"))
    run_seconds = seconds(run_time)
    # The run time is the load once prepared (the harness ends the run then); locust's own
    # --run-time, which also counts the preparation, is only a backstop.
    backstop = f"{int(run_seconds + PREPARATION_ALLOWANCE)}s"
    spawn_rate = options.spawn_rate if options.spawn_rate is not None else 100.0
    report = options.report_dir.resolve()
    file = str(locustfile(options.scenario))
    common = ["-f", file]
    master = [
        sys.executable,
        "-m",
        "locust",
        *common,
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        f"{spawn_rate:g}",
        "--run-time",
        backstop,
        "--q2c-run-time",
        f"{run_seconds:g}",
        "--stop-timeout",
        "10",
        "--only-summary",
        "--json-file",
        str(report / "report"),
        "--html",
        str(report / "report.html"),
        "--q2c-salesforce-url",
        targets.salesforce_url,
        "--q2c-billing-url",
        targets.billing_url,
        "--q2c-core-url",
        targets.core_url,
        "--q2c-report-dir",
        str(report),
        "--q2c-gates",
        str((options.gates_file or gating.GATES_FILE).resolve()),
        "--q2c-label",
        label,
    ]
    for item in options.workload:
        master += ["--q2c-workload", item]
    if not options.gate:
        master.append("--q2c-no-gate")
    workers: list[list[str]] = []
    if options.workers > 0:
        port = free_port()
        master += [
            "--master",
            "--master-bind-host",
            "127.0.0.1",
            "--master-bind-port",
            str(port),
            "--expect-workers",
            str(options.workers),
            "--expect-workers-max-wait",
            "60",
        ]
        worker = [
            sys.executable,
            "-m",
            "locust",
            *common,
            "--worker",
            "--master-host",
            "127.0.0.1",
            "--master-port",
            str(port),
            "--loglevel",
            "WARNING",
        ]
        workers = [list(worker) for _ in range(options.workers)]
    master += list(options.locust_args)
    return master, workers, run_seconds


def run_locust(options: LoadOptions, targets: SystemUrls, label: str) -> int:
    master_command, worker_commands, run_seconds = locust_commands(options, targets, label)
    timeout = run_seconds + PREPARATION_ALLOWANCE + 120  # stop timeout, measurement: bounded
    master = subprocess.Popen(master_command, stdin=subprocess.DEVNULL)
    workers = [subprocess.Popen(command, stdin=subprocess.DEVNULL) for command in worker_commands]
    try:
        try:
            code = master.wait(timeout)
        except subprocess.TimeoutExpired:
            print(f"q2c load: locust did not finish within {timeout:g} s; stopping it", file=sys.stderr)
            _stop(master, signal.SIGTERM, grace=30)
            return gating.EXIT_ERROR
        for worker in workers:
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.wait(30)
        return code
    finally:
        for process in (master, *workers):
            _stop(process, signal.SIGTERM, grace=10)


def run_load(options: LoadOptions) -> int:
    """Run one scenario; the exit code (0 pass, 3 breach, 2 error)."""
    if options.scenario not in gating.SCENARIOS:
        raise LoadError(f"unknown scenario {options.scenario!r}; choose one of {', '.join(gating.SCENARIOS)}")
    urls = (options.salesforce_url, options.billing_url, options.core_url)
    if any(urls) and not all(urls):
        raise LoadError("give all three of --salesforce-url, --billing-url and --core-url, or none")
    if options.workers < 0:
        raise LoadError("--workers cannot be negative")
    gating.load_gates(options.scenario, options.gates_file)  # a malformed gates file fails fast
    if options.run_time is not None:
        seconds(options.run_time)
    options.report_dir.mkdir(parents=True, exist_ok=True)
    for stale in ("gate.json", "report.json", "report.html"):
        (options.report_dir / stale).unlink(missing_ok=True)
    if all(urls):
        targets = SystemUrls(*(str(url) for url in urls))
        return run_locust(options, targets, "external targets")
    label = "record by record (naive)" if options.record_by_record else "bulkified"
    with system_process(options, options.report_dir / "system.log") as targets:
        print(
            f"q2c load {options.scenario}: system up ({label}): salesforce {targets.salesforce_url}, "
            f"billing {targets.billing_url}, core {targets.core_url}; reports in {options.report_dir}",
            flush=True,
        )
        return run_locust(options, targets, label)


MODES = (("bulkified", False), ("record-by-record", True))


def run_compare(options: LoadOptions) -> int:
    """The scenario against the bulkified core, then against the naive baseline (each a fresh
    system, same workload), side by side; the exit code is the bulkified run's verdict."""
    if options.salesforce_url or options.record_by_record:
        raise LoadError("--compare starts the system itself, bulkified then record by record")
    runs: dict[str, tuple[int, dict[str, object]]] = {}
    for mode, naive in MODES:
        sub = replace(options, record_by_record=naive, report_dir=options.report_dir / mode)
        code = run_load(sub)
        gate_file = sub.report_dir / "gate.json"
        runs[mode] = (code, json.loads(gate_file.read_text()) if gate_file.exists() else {})
    text = side_by_side(options.scenario, runs)
    print(text, flush=True)
    (options.report_dir / "compare.json").write_text(
        json.dumps({mode: {"exit_code": code, **gate} for mode, (code, gate) in runs.items()}, indent=2)
        + "\n"
    )
    return runs["bulkified"][0]


def side_by_side(scenario: str, runs: dict[str, tuple[int, dict[str, object]]]) -> str:
    """Every gated metric and figure of both runs in one table, with the naive/bulkified ratio."""
    (bulk_code, bulk), (naive_code, naive) = runs["bulkified"], runs["record-by-record"]
    names: list[str] = []
    for gate in (bulk, naive):
        for section in ("metrics", "info"):
            values = gate.get(section, {})
            assert isinstance(values, dict)
            names += [
                name for name, value in values.items() if isinstance(value, int | float) and name not in names
            ]
    rows = [("figure", "bulkified", "record by record", "naive / bulkified")]
    for name in names:
        left, right = _figure(bulk, name), _figure(naive, name)
        ratio = f"{right / left:.1f}x" if left and right is not None and right != left else ""
        rows.append((name, _text(left), _text(right), ratio))
    rows.append(("verdict (exit code)", _verdict(bulk_code, bulk), _verdict(naive_code, naive), ""))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [f"q2c load {scenario} --compare: the same workload, bulkified then record by record"]
    for index, row in enumerate(rows):
        lines.append(
            " | ".join(
                cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
            )
        )
        if index == 0:
            lines.append("-+-".join("-" * width for width in widths))
    return "\n".join(lines)


def _figure(gate: dict[str, object], name: str) -> float | None:
    for section in ("metrics", "info"):
        values = gate.get(section, {})
        if isinstance(values, dict) and isinstance(values.get(name), int | float):
            return float(values[name])
    return None


def _text(value: float | None) -> str:
    if value is None:
        return "-"
    if value.is_integer() and abs(value) < 1e12:
        return str(int(value))
    return f"{value:.4g}" if abs(value) < 100 else f"{value:.1f}"


def _verdict(code: int, gate: dict[str, object]) -> str:
    breaches = gate.get("breaches") or []
    assert isinstance(breaches, list)
    if code == gating.EXIT_PASS:
        return "pass (0)"
    if code == gating.EXIT_BREACH:
        return f"breach of {', '.join(map(str, breaches))} ({code})"
    return f"error ({code})"
