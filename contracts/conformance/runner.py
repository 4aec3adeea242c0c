"""``q2c verify``: preflight, then the stages in this order, then the reports and the exit code.

1. scenarios (scripted business checks) and webhooks first, on a target nobody has fuzzed yet;
2. fuzz (schemathesis), which leaves random data behind;
3. the rate-limit burst last, so its drained bucket slows nothing else;
4. certification: one check per conformance level, and the verdict per level.

Exit codes: 0 every failure is known (baseline) or none, and every ``--require-level`` is
certified; 1 a failure the baseline does not record, or a required level not certified; 2 the
target or the options cannot be used (one line, no traceback).
"""

from __future__ import annotations

import asyncio
import secrets
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from contracts.conformance.baseline import apply_baseline, load_baseline, write_baseline
from contracts.conformance.checks import Context, run_checks
from contracts.conformance.client import TargetClient
from contracts.conformance.console import print_summary
from contracts.conformance.fixtures import load_fixtures
from contracts.conformance.fuzz import FuzzOptions, FuzzUnavailable, run_fuzz, st_command
from contracts.conformance.levels import Conformance, level_checks, verdicts
from contracts.conformance.listener import Listener
from contracts.conformance.preflight import TargetError, check_url, preflight
from contracts.conformance.rate_limit import DEFAULT_BURST, RATE_LIMIT_CHECKS
from contracts.conformance.report_html import html_report
from contracts.conformance.report_junit import junit_xml
from contracts.conformance.results import RUN_STAGES, CheckResult, RunReport, Stage, dumps
from contracts.conformance.scenarios_accounts import ACCOUNT_CHECKS, ERROR_CHECKS, capabilities_document
from contracts.conformance.scenarios_batch import BATCH_CHECKS
from contracts.conformance.scenarios_billing import BILLING_CHECKS
from contracts.conformance.scenarios_operations import OPERATION_CHECKS
from contracts.conformance.spec import Contract, billing_contract
from contracts.conformance.webhooks import WEBHOOK_CHECKS, WebhookSetup

STAGE_NAMES = tuple(stage.value for stage in RUN_STAGES)


@dataclass(frozen=True)
class VerifyOptions:
    target: str
    token: str
    webhook_host: str = "127.0.0.1"
    webhook_port: int = 0
    webhook_url: str | None = None
    webhook_timeout: float = 30.0
    report_dir: Path = Path("q2c-verify-report")
    baseline: Path | None = None
    update_baseline: bool = False
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    fuzz: FuzzOptions = field(default_factory=FuzzOptions)
    rate_limit_burst: int = DEFAULT_BURST
    run_id: str | None = None
    #: Levels the run must certify, or it exits 1 (``--require-level``).
    require_levels: tuple[str, ...] = ()


def parse_stages(values: Iterable[str]) -> set[Stage]:
    """``--only fuzz --only webhooks`` or ``--only fuzz,webhooks``."""
    stages = set()
    for value in values:
        for name in value.split(","):
            name = name.strip().lower()
            if not name:
                continue
            if name not in STAGE_NAMES:
                raise TargetError(f"unknown stage {name!r}; the stages are {', '.join(STAGE_NAMES)}")
            stages.add(Stage(name))
    return stages


def selected_stages(options: VerifyOptions) -> tuple[Stage, ...]:
    only, skip = parse_stages(options.only), parse_stages(options.skip)
    chosen = tuple(s for s in RUN_STAGES if (not only or s in only) and s not in skip)
    if not chosen:
        raise TargetError("--only/--skip leave no stage to run")
    return chosen


async def run_verify(options: VerifyOptions, contract: Contract, stages: tuple[Stage, ...]) -> RunReport:
    target = check_url(options.target)
    if Stage.FUZZ in stages:
        st_command(target, options.token, options.fuzz, options.report_dir / "fuzz")  # fail fast
    started = time.monotonic()
    capabilities = await preflight(target, options.token, contract)
    run_id = options.run_id or secrets.token_hex(4).upper()
    report = RunReport(target, contract.version, stages, capabilities=capabilities, seed=options.fuzz.seed)
    report.notes.append(f"run id {run_id}: the CRM keys this run created contain QV{run_id}")
    async with TargetClient(target, options.token, contract) as client:
        ctx = Context(client, capabilities, run_id, facts={"_burst": options.rate_limit_burst})
        if Stage.SCENARIOS in stages:
            specs = [
                capabilities_document,
                load_fixtures,
                *ACCOUNT_CHECKS,
                *BILLING_CHECKS,
                *OPERATION_CHECKS,
                *BATCH_CHECKS,
                *ERROR_CHECKS,
            ]
            report.extend(await run_checks(specs, ctx, Stage.SCENARIOS))
        if Stage.WEBHOOKS in stages:
            report.extend(await _webhook_stage(options, ctx, report.notes))
        if Stage.FUZZ in stages:
            outcome = await run_fuzz(
                target, options.token, contract, options.fuzz, options.report_dir / "fuzz"
            )
            report.extend(outcome.checks)
            report.coverage.merge(outcome.coverage)
            report.notes.append(f"fuzz: schemathesis report in {options.report_dir / 'fuzz'}")
        if Stage.SCENARIOS in stages:
            report.extend(await run_checks(RATE_LIMIT_CHECKS, ctx, Stage.SCENARIOS))
        report.coverage.merge(client.coverage)
        if ctx.facts.get("rate_limit_observed"):
            report.notes.append(f"rate limit: {ctx.facts['rate_limit_observed']}")
        if ctx.facts.get("clock_moved"):
            report.notes.append("webhooks: the target's /__sim/clock was moved 10 s to make the retry due")
    certify(report, contract)
    report.duration_seconds = time.monotonic() - started
    return report


def judge(report: RunReport, contract: Contract) -> None:
    """The verdict per level (again after the baseline marked known failures)."""
    conformance = Conformance.of(contract)
    index = {
        level.name: report.coverage.figures(contract, level.operations)["responses"]
        for level in conformance.levels
    }
    found = verdicts(conformance, report.capabilities, report.checks, index, report.coverage.refused)
    report.levels = [verdict.to_json() for verdict in found]


def certify(report: RunReport, contract: Contract) -> None:
    """Give every check its level, add one check per level, and the verdict per level."""
    conformance = Conformance.of(contract)
    for check in report.checks:
        if check.level is None:
            levels = [conformance.level_of(op) for op in check.operations]
            check.level = next((lv for lv in levels if lv is not None), "core")
    refusals = report.coverage.refused
    report.extend(level_checks(conformance, contract, report.capabilities, report.checks, refusals))
    judge(report, contract)
    outside = sorted(op for op in refusals if not conformance.expected(report.capabilities, op))
    if outside:
        report.notes.append(
            "unsupported (422 unsupported_operation, outside the claimed levels or gated by a capability "
            f"declared unsupported; not counted as conformance): {', '.join(outside)}"
        )


async def _webhook_stage(options: VerifyOptions, scenario: Context, notes: list[str]) -> list[CheckResult]:
    listener = Listener(options.webhook_host, options.webhook_port, f"/q2c-verify/{scenario.run_id.lower()}")
    try:
        await listener.start()
    except OSError as exc:
        raise TargetError(
            f"cannot listen for webhooks on {options.webhook_host}:{options.webhook_port}: {exc.strerror or exc}"
        ) from None
    notes.append(f"webhooks: listener on {listener.url}, registered as {options.webhook_url or listener.url}")
    shared = {k: v for k, v in scenario.facts.items() if k in ("fixtures", "_keys", "_burst")}
    ctx = Context(scenario.client, scenario.capabilities, scenario.run_id, facts=shared)
    ctx.facts["_webhooks"] = WebhookSetup(listener, options.webhook_timeout, options.webhook_url)
    specs = ([] if "fixtures" in shared else [load_fixtures]) + WEBHOOK_CHECKS
    try:
        return await run_checks(specs, ctx, Stage.WEBHOOKS)
    finally:
        await listener.stop()
        scenario.facts.update({k: v for k, v in ctx.facts.items() if k in ("clock_moved", "_keys")})


def _write(report: RunReport, contract: Contract, directory: Path) -> list[Path]:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        files = {
            directory / "report.html": html_report(report, contract),
            directory / "junit.xml": junit_xml(report, contract),
            directory / "report.json": dumps(report.to_json(contract)) + "\n",
        }
        for path, text in files.items():
            path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise TargetError(f"cannot write the report to {directory}: {exc.strerror or exc}") from None
    return list(files)


def verify_main(options: VerifyOptions, console: Console | None = None) -> int:
    console = console or Console()
    contract = billing_contract()
    try:
        stages = selected_stages(options)
        baseline = (
            load_baseline(options.baseline, creating=options.update_baseline) if options.baseline else {}
        )
        if options.update_baseline and options.baseline is None:
            raise TargetError("--update-baseline needs --baseline FILE")
        unknown = sorted(set(options.require_levels) - set(Conformance.of(contract).names))
        if unknown:
            raise TargetError(
                f"unknown level {unknown[0]!r}; the levels are {', '.join(Conformance.of(contract).names)}"
            )
        report = asyncio.run(run_verify(options, contract, stages))
        apply_baseline(report, baseline)
        judge(report, contract)  # known failures still block a level: the reasons say which
        if options.update_baseline and options.baseline is not None:
            change = write_baseline(options.baseline, report, baseline)
            report.notes.append(change.describe())
            console.print(change.describe(), markup=False, highlight=False, soft_wrap=True)
        files = _write(report, contract, options.report_dir)
    except (TargetError, FuzzUnavailable) as exc:
        console.print(f"q2c verify: {exc}", markup=False, highlight=False, soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        console.print("q2c verify: interrupted", markup=False, highlight=False)
        return 130
    except Exception as exc:  # a bug in the harness: one line here, the traceback in a file
        log = options.report_dir / "verify-error.log"
        try:
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(traceback.format_exc(), encoding="utf-8")
        except OSError:
            pass
        console.print(
            f"q2c verify: internal error {type(exc).__name__}: {exc} (traceback in {log})",
            markup=False,
            soft_wrap=True,
        )
        return 2
    print_summary(console, report, contract, files)
    missing = [level for level in options.require_levels if level not in report.certified]
    if missing:
        console.print(
            f"q2c verify: not certified for the required level(s) {', '.join(missing)}", markup=False
        )
    return 1 if report.new_failures or missing else 0
