"""Levels, dependencies, baselines and diagnostics without a server: the contract's conformance
section, claims and gates, the per-level verdict, root failures counted once, per-stage baseline
writes, curl reproductions that carry every header, and reports that never cut a value."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from contracts.conformance.baseline import apply_baseline, load_baseline, write_baseline
from contracts.conformance.checks import CheckSpec, Context, NotApplicable, check, run_checks
from contracts.conformance.client import TargetClient
from contracts.conformance.fuzz import CONFIG
from contracts.conformance.levels import Conformance
from contracts.conformance.report_html import html_report
from contracts.conformance.report_junit import junit_xml
from contracts.conformance.results import CheckResult, Exchange, RunReport, Stage, Status, curl
from contracts.conformance.runner import certify
from contracts.conformance.spec import billing_contract

FULL = {"levels": ["core", "orders", "billing_operations"], "bill_runs": True, "invoice_void": True,
        "payment_reverse": True, "webhooks": "native", "event_log": True, "etl": "native"}  # fmt: skip


def test_every_contract_operation_belongs_to_exactly_one_level() -> None:
    contract = billing_contract()
    conformance = Conformance.of(contract)
    assert conformance.names == ("core", "orders", "billing_operations")
    placed = [op for level in conformance.levels for op in level.operations]
    assert sorted(placed) == sorted(contract.operations), set(placed) ^ set(contract.operations)
    for gate in conformance.gates:
        assert set(gate.operations) <= set(contract.operations), gate


def test_claims_and_gates_decide_which_operations_must_be_honoured() -> None:
    conformance = Conformance.of(billing_contract())
    assert conformance.claimed({}) == conformance.names  # absent: every level is claimed
    thin = {"levels": ["core"], "webhooks": "polled", "event_log": True, "etl": "none"}
    assert conformance.claimed(thin) == ("core",)
    assert conformance.expected(thin, "createAccount")
    assert not conformance.expected(thin, "createOrder")  # outside the claimed levels
    assert not conformance.expected(thin, "createWebhookEndpoint")  # gated: webhooks polled
    assert conformance.expected(thin, "listEvents")
    assert not conformance.expected({**FULL, "etl": "none"}, "quoteServiceEtl")
    assert conformance.expected(FULL, "quoteServiceEtl")
    assert not conformance.expected({**FULL, "webhook_secret_rotation": False}, "rotateWebhookEndpointSecret")


def _report(capabilities: dict[str, Any], *checks: CheckResult) -> RunReport:
    report = RunReport("http://t", "1.0.0", (Stage.SCENARIOS,), capabilities=capabilities)
    report.extend(checks)
    return report


def test_a_level_is_certified_only_when_claimed_with_its_capabilities_and_no_failure() -> None:
    contract = billing_contract()
    passed = [
        CheckResult("a", Stage.SCENARIOS, "a", Status.PASSED, level="core"),
        CheckResult("o", Stage.SCENARIOS, "o", Status.PASSED, level="orders"),
        CheckResult("b", Stage.SCENARIOS, "b", Status.PASSED, level="billing_operations"),
    ]
    report = _report({**FULL, "invoice_void": False}, *passed)
    report.coverage.refused["createOrder"] = "curl -X POST http://t/orders"
    certify(report, contract)
    levels = {level["level"]: level for level in report.levels}
    assert report.certified == ["core"]
    assert levels["billing_operations"]["claimed"] is True
    assert levels["billing_operations"]["reasons"] == ["failed: levels.billing_operations"]
    by_id = {c.id: c for c in report.checks}
    assert by_id["levels.billing_operations"].actual == (
        "capabilities.invoice_void is False, the level requires it"
    )
    assert by_id["levels.orders"].actual == "createOrder (POST /orders) answered 422 unsupported_operation"
    assert by_id["levels.orders"].reproduce == "curl -X POST http://t/orders"
    # The verdict and the index per level are in every report format.
    document = report.to_json(contract)
    assert document["certified_levels"] == ["core"]
    assert {lv["level"]: lv["certified"] for lv in document["levels"]} == {
        "core": True,
        "orders": False,
        "billing_operations": False,
    }
    assert 'data-level="orders" data-claimed="true" data-certified="false"' in html_report(report, contract)
    junit = junit_xml(report, contract)
    assert '<property name="level.core" value="certified" />' in junit
    assert '<property name="level.orders" value="not certified" />' in junit
    assert '<property name="level.core.index" value="' in junit


def test_refusals_outside_the_claimed_levels_are_reported_not_counted() -> None:
    contract = billing_contract()
    report = _report(
        {"levels": ["core"]}, CheckResult("a", Stage.SCENARIOS, "a", Status.PASSED, level="core")
    )
    report.coverage.refused["createBillRun"] = "the fuzz stage"
    certify(report, contract)
    assert report.certified == ["core"]
    levels = {level["level"]: level for level in report.levels}
    assert levels["billing_operations"]["unsupported_operations"] == ["createBillRun"]
    assert levels["billing_operations"]["reasons"] == ["not claimed (capabilities.levels)"]
    assert any("createBillRun" in note for note in report.notes)
    assert report.failures == []


class _Client:
    token = "k"
    exchanges: list[Exchange] = []  # noqa: RUF012 - read-only in these tests
    contract = billing_contract()


def _spec(
    id_: str, *, needs: tuple[str, ...] = (), provides: tuple[str, ...] = (), outcome: str = "pass"
) -> CheckSpec:
    async def run(ctx: Context) -> None:
        if outcome == "fail":
            from contracts.conformance.checks import CheckFailed

            raise CheckFailed("something", "something else")
        if outcome == "n/a":
            raise NotApplicable("capabilities.bill_now is False")
        for fact in provides:
            ctx.facts[fact] = True

    return check(id_, id_, needs=needs, provides=provides)(run)


async def _run(*specs: CheckSpec) -> dict[str, CheckResult]:
    ctx = Context(_Client(), {}, "R")  # type: ignore[arg-type]
    return {r.id: r for r in await run_checks(list(specs), ctx, Stage.SCENARIOS)}


async def test_a_failure_caused_by_another_points_at_the_root_and_is_counted_once() -> None:
    results = await _run(
        _spec("root", provides=("invoice",), outcome="fail"),
        _spec("child", needs=("invoice",), provides=("payment",)),
        _spec("grandchild", needs=("payment",)),
    )
    assert results["child"].caused_by == "root"
    assert results["grandchild"].caused_by == "root"
    assert results["child"].actual.startswith("not checked: root failed, so invoice was not established")
    report = _report({}, *results.values())
    assert [c.id for c in report.roots] == ["root"]
    assert report.applicable == 1
    assert report.score == 0.0
    # A baselined root makes its dependents known too.
    apply_baseline(report, {"root": {"id": "root"}})
    assert report.new_failures == []


async def test_a_check_whose_provider_is_not_applicable_is_not_applicable_with_the_reason() -> None:
    results = await _run(
        _spec("bill", provides=("invoices",), outcome="n/a"), _spec("pay", needs=("invoices",))
    )
    assert results["pay"].status is Status.NOT_APPLICABLE
    assert results["pay"].detail == (
        "needs invoices from bill, which is not applicable: capabilities.bill_now is False"
    )


def _baseline(path: Path, *entries: tuple[str, str]) -> None:
    failures = [{"id": i, "stage": s, "title": i} for i, s in entries]
    document = {"format": "q2c-verify-baseline/1", "contract_version": "1.0.0", "failures": failures}
    path.write_text(json.dumps(document), encoding="utf-8")


def test_a_baseline_update_from_a_partial_run_keeps_the_other_stages_and_says_what_changed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "baseline.json"
    _baseline(
        path,
        ("fuzz.getAccount.response_schema_conformance", "fuzz"),
        ("summary.matches_invoices", "scenarios"),
    )
    previous = load_baseline(path)
    report = _report(
        {},
        CheckResult("pagination.walk", Stage.SCENARIOS, "p", Status.FAILED),
        CheckResult("summary.matches_invoices", Stage.SCENARIOS, "s", Status.PASSED),
        CheckResult("payments.apply", Stage.SCENARIOS, "x", Status.FAILED, caused_by="pagination.walk"),
    )
    change = write_baseline(path, report, previous)
    written = [e["id"] for e in json.loads(path.read_text(encoding="utf-8"))["failures"]]
    assert written == ["fuzz.getAccount.response_schema_conformance", "pagination.walk"]
    assert change.added == ["pagination.walk"]
    assert change.removed == ["summary.matches_invoices"]
    assert change.kept == {"fuzz": 1}
    assert change.describe() == (
        f"baseline {path} written: 2 known failures; added 1 (pagination.walk); "
        "removed 1 (summary.matches_invoices); kept 1 fuzz (stages that did not run)"
    )


def test_curl_carries_every_header_and_the_fuzz_settings_keep_idempotency_keys() -> None:
    exchange = Exchange(
        "POST",
        "http://t/accounts",
        {
            "Authorization": "[Filtered]",
            "Idempotency-Key": "q2cv-1",
            "If-Match": '"3"',
            "X-Custom": "kept",
            "User-Agent": "schemathesis",
            "Content-Length": "2",
        },
        b"{}",
        422,
        {},
        b"",
    )
    command = curl(exchange)
    assert "'Idempotency-Key: q2cv-1'" in command
    assert "'X-Custom: kept'" in command
    assert '"Authorization: Bearer $Q2C_VERIFY_TOKEN"' in command
    assert "User-Agent" not in command
    assert "Content-Length" not in command
    assert 'keys-to-sanitize = ["authorization"]' in CONFIG
    assert 'sensitive-markers = ["authorization"]' in CONFIG


def test_reports_never_cut_a_value() -> None:
    body = "x" * 5000
    exchange = Exchange(
        "GET", "http://t/accounts", {}, None, 500, {"Content-Type": "text/plain"}, body.encode()
    )
    assert exchange.summary().endswith(body)
    contract = billing_contract()
    failure = CheckResult("a", Stage.SCENARIOS, "a", Status.FAILED, ("getAccount",), "e", exchange.summary())
    report = _report({}, failure)
    certify(report, contract)
    html = html_report(report, contract)
    assert body in html
    assert "getAccount (GET /accounts/{id}; contract #/paths/~1accounts~1{id}/get)" in html
    assert body in junit_xml(report, contract)


async def test_no_token_probes_count_for_neither_the_index_nor_the_operations() -> None:
    async def refuse(request: web.Request) -> web.Response:
        return web.json_response({"code": "unauthorized"}, status=401)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", refuse)
    async with (
        TestServer(app, host="127.0.0.1", port=0) as server,
        TargetClient(str(server.make_url("")), "k", billing_contract()) as client,
    ):
        await client.request("GET", "/accounts", auth=None)
        await client.request("GET", "/accounts", auth="Bearer wrong")
        assert client.coverage.seen == set()
        await client.request("GET", "/accounts")
        assert client.coverage.seen == {("listAccounts", 401)}
