"""The fuzz stage: schemathesis over the contract (all phases, all checks, seeded, no example
database), run as a subprocess through ``contracts.gate``, then read back from its NDJSON event
stream into one check per operation and schemathesis check (``fuzz.createAccount.
response_schema_conformance``) and into the coverage of documented responses.

The schemathesis settings are written next to the report (``fuzz/schemathesis.toml``) and passed
with ``--config-file``: a partner's working directory has no say in them, and the file shows
exactly what ran.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts.conformance.results import (
    TOKEN_PLACEHOLDER,
    CheckResult,
    Coverage,
    Exchange,
    Stage,
    Status,
    curl,
    refused,
)
from contracts.conformance.spec import Contract, contract_file
from contracts.gate import schemathesis_command

# Kept equal to the billing contract's [[project]] in the repository's schemathesis.toml (a test
# compares them): 412 and 422 answer schema-valid requests whose outcome depends on state.
CONFIG = """\
# Written by q2c verify: the schemathesis settings of its fuzz stage.
[cache]
enabled = false

[phases.stateful]
max-steps = 6

# The contract declares its links; inferring more from Location headers and URLs in response
# bodies (schemathesis' "location-headers") crashes the whole run ("Invalid IPv6 URL") on a URL
# urlsplit refuses, such as a webhook endpoint an earlier fuzz run left in the adapter.
[phases.stateful.inference]
algorithms = ["dependency-analysis"]

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "412", "422", "429", "5xx"]

# Only the API key is a secret: Idempotency-Key (which the default "key" marker would mask) must
# stay in the recorded requests, or an idempotency failure's curl would not reproduce it.
[output.sanitization]
keys-to-sanitize = ["authorization"]
sensitive-markers = ["authorization"]
"""


class FuzzUnavailable(RuntimeError):
    """schemathesis (the ``verify`` extra) is not installed."""


@dataclass(frozen=True)
class FuzzOptions:
    seed: int = 1
    max_examples: int = 10
    timeout: float = 600.0
    operations: Sequence[str] = ()
    rate_limit: str | None = None
    request_timeout: float = 10.0


@dataclass
class FuzzOutcome:
    checks: list[CheckResult] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)
    command: list[str] = field(default_factory=list)
    returncode: int | None = None


def st_command(target: str, token: str, options: FuzzOptions, out_dir: Path) -> list[str]:
    extra = ["--request-timeout", str(options.request_timeout), "--no-color"]
    for operation_id in options.operations:
        extra += ["--include-operation-id", operation_id]
    if options.rate_limit:
        extra += ["--rate-limit", options.rate_limit]
    command = schemathesis_command(
        contract_file(),
        target,
        seed=options.seed,
        max_examples=options.max_examples,
        headers=[f"Authorization: Bearer {token}"],
        junit_path=out_dir / "junit.xml",
        ndjson_path=out_dir / "events.ndjson",
        config_file=out_dir / "schemathesis.toml",
        extra=extra,
    )
    if not Path(command[0]).exists():
        found = shutil.which("st")
        if found is None:
            raise FuzzUnavailable(
                "the fuzz stage needs schemathesis: pip install 'q2c-sandbox[verify]' (or --skip fuzz)"
            )
        command[0] = found
    return command


async def run_fuzz(
    target: str, token: str, contract: Contract, options: FuzzOptions, out_dir: Path
) -> FuzzOutcome:
    # The subprocess and the file work run in a thread: the event loop stays free.
    return await asyncio.to_thread(_fuzz, target, token, contract, options, out_dir)


def _run_st(command: list[str], out_dir: Path, timeout: float) -> int | None:
    """schemathesis' exit code, or None when it ran past ``timeout`` (it is then killed)."""
    with (out_dir / "schemathesis.log").open("wb") as log:
        try:
            return subprocess.run(
                command, cwd=out_dir, stdout=log, stderr=log, timeout=timeout, check=False
            ).returncode
        except subprocess.TimeoutExpired:
            return None


def _fuzz(target: str, token: str, contract: Contract, options: FuzzOptions, out_dir: Path) -> FuzzOutcome:
    # schemathesis runs in out_dir: every path it is given must be absolute, or it would be
    # resolved twice (``rep/fuzz/rep/fuzz/schemathesis.toml``).
    out_dir = out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "schemathesis.toml").write_text(CONFIG, encoding="utf-8")
    command = st_command(target, token, options, out_dir)
    outcome = FuzzOutcome(command=command)
    outcome.returncode = _run_st(command, out_dir, options.timeout)
    log_path = out_dir / "schemathesis.log"
    ndjson = out_dir / "events.ndjson"
    parsed = parse_events(ndjson, contract, token) if ndjson.exists() else ParsedRun()
    outcome.coverage = parsed.coverage
    outcome.checks = parsed.results()
    run_check = CheckResult(
        "fuzz.run",
        Stage.FUZZ,
        "schemathesis ran every phase to completion",
        Status.PASSED,
        detail=" ".join(command).replace(token, TOKEN_PLACEHOLDER),
    )
    if outcome.returncode is None or outcome.returncode not in (0, 1) or parsed.fatal:
        run_check.status = Status.FAILED
        run_check.expected = "schemathesis to finish (exit 0 or 1)"
        if outcome.returncode is None:
            run_check.actual = f"still running after {options.timeout:g}s; stopped"
        else:
            run_check.actual = parsed.fatal or f"exit {outcome.returncode}: {_tail(log_path)}"
    elif (
        outcome.returncode == 1
        and not parsed.ignored
        and not any(c.status is Status.FAILED for c in outcome.checks)
    ):
        run_check.status = Status.FAILED
        run_check.expected = "schemathesis failures listed in its event stream"
        run_check.actual = f"exit 1 with none recorded: {_tail(log_path)}"
    outcome.checks.insert(0, run_check)
    return outcome


def _tail(path: Path, lines: int = 6) -> str:
    text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return " | ".join(line.strip() for line in text[-lines:] if line.strip())


# -- NDJSON -----------------------------------------------------------------------------------------


@dataclass
class _Tally:
    operation_id: str
    label: str
    check: str
    passed: int = 0
    failure: dict[str, Any] | None = None
    exchange: Exchange | None = None


@dataclass
class ParsedRun:
    token: str = ""
    coverage: Coverage = field(default_factory=Coverage)
    tallies: dict[tuple[str, str], _Tally] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)
    #: schemathesis errors that say nothing of the adapter (they still make it exit 1).
    ignored: list[str] = field(default_factory=list)
    fatal: str = ""

    def results(self) -> list[CheckResult]:
        results = []
        for tally in sorted(self.tallies.values(), key=lambda t: (t.operation_id, t.check)):
            if tally.failure is None and not tally.passed:
                continue  # the check never ran to a verdict (skipped every time)
            result = CheckResult(
                f"fuzz.{tally.operation_id}.{tally.check}",
                Stage.FUZZ,
                f"{tally.label}: {tally.check}",
                Status.PASSED,
                operations=(tally.operation_id,),
            )
            if tally.failure is not None:
                result.status = Status.FAILED
                failure = tally.failure
                result.expected = f"{failure.get('code', '')} {failure.get('title', '')}: {failure.get('message', '')}".strip()
                result.actual = tally.exchange.summary() if tally.exchange else "see the schemathesis report"
                if tally.exchange is not None:
                    result.reproduce = curl(tally.exchange, self.token)
            results.append(result)
        for label, message in self.errors:
            results.append(
                CheckResult(
                    f"fuzz.{label}.error",
                    Stage.FUZZ,
                    f"{label}: schemathesis error",
                    Status.FAILED,
                    expected="requests the fuzzer can complete",
                    actual=message,
                )
            )
        return results


def _events(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            with contextlib.suppress(ValueError):
                event = json.loads(line)
                if isinstance(event, dict) and len(event) == 1:
                    (kind, data), *_ = event.items()
                    if isinstance(data, dict):
                        yield kind, data


def _decode(body: Any) -> bytes | None:
    if isinstance(body, dict) and "$base64" in body:
        return base64.b64decode(body["$base64"])
    if isinstance(body, str):
        return body.encode()
    return None


def _exchange(interaction: dict[str, Any], operation_id: str) -> Exchange:
    request, response = interaction.get("request", {}), interaction.get("response") or {}
    headers = {
        name: values[0] if isinstance(values, list) and values else str(values)
        for name, values in request.get("headers", {}).items()
    }
    if headers.get("Authorization") == "[Filtered]":
        headers["Authorization"] = f"Bearer {TOKEN_PLACEHOLDER}"
    response_headers = {
        name: values[0] if isinstance(values, list) and values else str(values)
        for name, values in response.get("headers", {}).items()
    }
    return Exchange(
        method=str(request.get("method", "GET")),
        url=str(request.get("uri", "")),
        request_headers=headers,
        request_body=_decode(request.get("body")),
        status=int(response.get("status_code") or 0),
        response_headers=response_headers,
        response_body=_decode(response.get("content")) or b"",
        operation_id=operation_id,
    )


def parse_events(path: Path, contract: Contract, token: str = "") -> ParsedRun:
    run = ParsedRun(token=token)
    for kind, data in _events(path):
        if kind == "ScenarioFinished":
            _scenario(run, contract, data.get("recorder") or {})
        elif kind == "NonFatalError":
            label = str(data.get("label", "unknown"))
            operation = contract.by_label(label)
            info = data.get("info") or data.get("value") or {}
            message = str(info.get("message", info) if isinstance(info, dict) else info)
            if "excluded by filters" in message:
                run.ignored.append(message)  # --fuzz-operation left the stateful phase no links
                continue
            run.errors.append((operation.operation_id if operation else label.replace(" ", "_"), message))
        elif kind == "FatalError":
            info = data.get("exception") or data.get("info") or data
            run.fatal = str(info.get("message", info) if isinstance(info, dict) else info)
    return run


def _scenario(run: ParsedRun, contract: Contract, recorder: dict[str, Any]) -> None:
    cases = recorder.get("cases") or {}
    interactions = recorder.get("interactions") or {}
    for case_id, checks in (recorder.get("checks") or {}).items():
        value = (cases.get(case_id) or {}).get("value") or {}
        operation = contract.by_label(f"{value.get('method', '')} {value.get('path', '')}")
        interaction = interactions.get(case_id)
        if operation is not None and interaction and interaction.get("response"):
            run.coverage.add(operation.operation_id, int(interaction["response"].get("status_code") or 0))
            exchange = _exchange(interaction, operation.operation_id)
            if refused(exchange) and operation.operation_id not in run.coverage.refused:
                run.coverage.refused[operation.operation_id] = curl(exchange, run.token)
        for entry in checks:
            failure = ((entry.get("failure_info") or {}).get("failure")) or {}
            target = contract.by_label(str(failure.get("operation", ""))) or operation
            if target is None:
                continue
            key = (target.operation_id, str(entry.get("name")))
            tally = run.tallies.setdefault(key, _Tally(target.operation_id, target.label, key[1]))
            if entry.get("status") == "failure":
                if tally.failure is None:
                    tally.failure = failure or {"title": "check failed"}
                    if interaction:
                        tally.exchange = _exchange(interaction, target.operation_id)
            elif entry.get("status") == "success":
                tally.passed += 1
