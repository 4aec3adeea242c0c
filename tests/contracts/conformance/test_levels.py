"""Certification per conformance level: adapters that claim more than they honour fail the level
(naming the capability or the operation), adapters that claim less are certified for what they
claim, a thin adapter's invoice checks come by its declared means or are not applicable with the
reason (never a cascade), and a failure's dependents point at their root, counted once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.support.conformance import Verified, verify_against, with_fuzz

from .adapters import BROKEN, VALID_KEY, Adapter, Answer, Forward, problem

Proxied = Callable[[type[Adapter]], Any]

BILLING_OPERATIONS = ("/bill-runs", "/bill-now", "/void", "/reverse", "/etl-quote")


def _refuse(forward: Forward, paths: tuple[str, ...]) -> web.Response | None:
    """422 unsupported_operation for an authenticated request to one of ``paths`` (a path that
    ends with one, or, for ``/bill-runs``, anything under it)."""
    if forward.method not in ("GET", "POST") or forward.headers.get("Authorization") != f"Bearer {VALID_KEY}":
        return None  # authentication comes first, as in any adapter
    if forward.path.startswith("/orders/"):
        return None  # /void here means invoices; orders are another level
    under = "/bill-runs" in paths and forward.path.startswith("/bill-runs")
    if under or (forward.method == "POST" and forward.path.endswith(paths)):
        return problem(422, "unsupported_operation", f"{forward.path} is not supported by this backend")
    return None


def _declare(answer: Answer, **changes: Any) -> None:
    body = answer.json()
    body.update(changes)
    answer.set_json(body)


class RefusesBillRuns(Adapter):
    """Claims every level (no `levels`) and bill runs with approval, but refuses /bill-runs."""

    def on_request(self, forward: Forward) -> web.Response | None:
        return _refuse(forward, ("/bill-runs",))

    def on_response(self, forward: Forward, answer: Answer) -> None:
        if forward.path == "/capabilities" and answer.status == 200:
            body = answer.json()
            body.pop("levels", None)
            answer.set_json(body)


class RefusesRotation(Adapter):
    """Claims webhook_secret_rotation (a core capability) and refuses it."""

    def on_request(self, forward: Forward) -> web.Response | None:
        return _refuse(forward, ("/rotate-secret",))


class CoreAndOrdersOnly(Adapter):
    """Declares the levels core and orders only, no means to bill (no control plane either, as a
    partner's adapter), and refuses billing operations."""

    def on_request(self, forward: Forward) -> web.Response | None:
        if forward.path.startswith("/__sim/"):
            return problem(404, "not_found", "no control plane here")
        return _refuse(forward, BILLING_OPERATIONS)

    def on_response(self, forward: Forward, answer: Answer) -> None:
        if forward.path == "/capabilities" and answer.status == 200:
            _declare(
                answer,
                levels=["core", "orders"],
                bill_now=False,
                bill_runs=False,
                bill_run_approval=False,
                etl="none",
                invoice_void=False,
                payment_reverse=False,
            )


class BillsByClockOnly(Adapter):
    """No bill-now, no bill runs (refused, and declared so), but the simulator's clock is there:
    invoices come from the cycle's own bill date."""

    def on_request(self, forward: Forward) -> web.Response | None:
        return _refuse(forward, ("/bill-now", "/bill-runs"))

    def on_response(self, forward: Forward, answer: Answer) -> None:
        if forward.path == "/capabilities" and answer.status == 200:
            _declare(
                answer, bill_now=False, bill_runs=False, bill_run_approval=False, levels=["core", "orders"]
            )


class BillsByRunOnly(Adapter):
    """Has no bill-now (and says so): invoices come from bill runs."""

    def on_request(self, forward: Forward) -> web.Response | None:
        return _refuse(forward, ("/bill-now",))

    def on_response(self, forward: Forward, answer: Answer) -> None:
        if forward.path == "/capabilities" and answer.status == 200:
            _declare(answer, bill_now=False)


def _levels(run: Verified) -> dict[str, dict[str, Any]]:
    return {level["level"]: level for level in run.report["levels"]}


@pytest.mark.slow
def test_an_adapter_refusing_operations_of_a_claimed_level_fails_that_level_naming_the_capability(
    proxied: Proxied, tmp_path: Path
) -> None:
    with proxied(RefusesBillRuns) as url:
        run = verify_against(url, tmp_path / "report", skip=("fuzz",))
    assert run.exit_code == 1, run.output
    bill_run = run.check("billing.bill_run")
    assert bill_run["status"] == "failed"
    assert bill_run["expected"] == "status 202"
    assert bill_run["actual"].startswith(
        "capabilities.bill_runs is True (claimed) but createBillRun answered 422 unsupported_operation: 422"
    ), bill_run
    assert bill_run["reproduce"].startswith("curl ")
    assert "/bill-runs" in bill_run["reproduce"]
    level_check = run.check("levels.billing_operations")
    assert level_check["status"] == "failed"
    assert "createBillRun (POST /bill-runs) answered 422 unsupported_operation" in level_check["actual"]
    assert level_check["caused_by"] == "billing.bill_run"
    levels = _levels(run)
    assert levels["billing_operations"]["claimed"] is True
    assert levels["billing_operations"]["certified"] is False
    assert "billing.bill_run" in levels["billing_operations"]["reasons"][0]
    assert levels["core"]["certified"] is True
    assert levels["orders"]["certified"] is True
    assert run.report["certified_levels"] == ["core", "orders"]
    assert "level billing_operations: NOT certified" in run.output
    # The level check follows from billing.bill_run: one root, counted once.
    assert run.report["applicable"] == run.report["counts"]["passed"] + 1
    assert run.failed() == {"billing.bill_run", "levels.billing_operations"}


@pytest.mark.slow
def test_a_claimed_core_capability_that_refuses_fails_naming_it(proxied: Proxied, tmp_path: Path) -> None:
    with proxied(RefusesRotation) as url:
        run = verify_against(url, tmp_path / "report", only=("webhooks",))
    assert run.exit_code == 1, run.output
    rotate = run.check("webhooks.rotate_secret")
    assert rotate["status"] == "failed"
    assert rotate["capability"] == "webhook_secret_rotation"
    assert rotate["actual"].startswith(
        "capabilities.webhook_secret_rotation is True (claimed) but rotateWebhookEndpointSecret answered "
        "422 unsupported_operation"
    ), rotate
    assert _levels(run)["core"]["certified"] is False
    assert "FAILED webhooks.rotate_secret" in run.output


@pytest.mark.slow
def test_an_adapter_claiming_fewer_levels_is_certified_for_those_and_invoice_checks_are_not_applicable(
    proxied: Proxied, tmp_path: Path
) -> None:
    # The fuzz stage, on two operations of the unclaimed level, meets their refusals.
    fuzz = with_fuzz(operations=("createBillRun", "voidInvoice"))
    with proxied(CoreAndOrdersOnly) as url:
        run = verify_against(url, tmp_path / "report", fuzz=fuzz)
    assert run.exit_code == 0, run.output
    assert run.failed() == set()
    assert run.report["score"] == 1.0
    assert run.report["certified_levels"] == ["core", "orders"]
    levels = _levels(run)
    assert levels["billing_operations"]["claimed"] is False
    assert levels["billing_operations"]["reasons"] == ["not claimed (capabilities.levels)"]
    assert run.check("levels.billing_operations")["status"] == "not_applicable"
    assert "level billing_operations: not claimed" in run.output
    reason = (
        "no declared means to obtain an invoice: capabilities.bill_now and capabilities.bill_runs are "
        "False and False, and the target has no simulator clock (GET /__sim/clock 404)"
    )
    assert run.check("billing.bill_now")["detail"] == reason
    # Invoice-dependent checks are not applicable, naming the missing means: never a cascade.
    for check_id in ("payments.apply", "summary.matches_invoices"):
        check = run.check(check_id)
        assert check["status"] == "not_applicable", check
        assert check["detail"] == f"needs invoices from billing.bill_now, which is not applicable: {reason}"
    assert run.check("payments.reverse")["detail"] == "capabilities.payment_reverse is False"
    # The webhook stage expects no invoice.posted from an adapter that cannot bill.
    assert {c["status"] for c in run.report["checks"] if c["stage"] == "webhooks"} == {"passed"}
    # The refused billing operations are reported as unsupported, outside the claimed levels.
    assert levels["billing_operations"]["unsupported_operations"] == ["createBillRun", "voidInvoice"]
    assert any(n.startswith("unsupported (422 unsupported_operation") for n in run.report["notes"])


@pytest.mark.slow
def test_without_bill_now_or_bill_runs_invoices_come_from_the_simulators_clock(
    proxied: Proxied, tmp_path: Path
) -> None:
    with proxied(BillsByClockOnly) as url:
        run = verify_against(url, tmp_path / "report", skip=("fuzz",))
    assert run.exit_code == 0, run.output
    assert run.failed() == set()
    for check_id in ("billing.bill_now", "payments.apply", "summary.matches_invoices", "webhooks.headers"):
        assert run.check(check_id)["status"] == "passed", run.check(check_id)
    assert run.report["certified_levels"] == ["core", "orders"]


@pytest.mark.slow
def test_without_bill_now_invoices_come_from_a_bill_run(proxied: Proxied, tmp_path: Path) -> None:
    with proxied(BillsByRunOnly) as url:
        run = verify_against(url, tmp_path / "report", skip=("fuzz",))
    assert run.exit_code == 0, run.output
    assert run.failed() == set()
    for check_id in ("billing.bill_now", "payments.apply", "summary.matches_invoices", "webhooks.delivered"):
        assert run.check(check_id)["status"] == "passed", run.check(check_id)
    assert run.report["certified_levels"] == ["core", "orders", "billing_operations"]


@pytest.mark.slow
def test_a_root_failure_is_counted_once_and_its_dependents_point_at_it(
    proxied: Proxied, tmp_path: Path
) -> None:
    with proxied(BROKEN["missing_field"]) as url:
        run = verify_against(url, tmp_path / "report", only=("scenarios",))
    assert run.exit_code == 1, run.output
    dependents = [c for c in run.report["checks"] if c["caused_by"]]
    assert dependents, run.output
    get = run.check("accounts.get")
    assert get["caused_by"] == "accounts.create"
    assert get["actual"].startswith("not checked: accounts.create failed, so account was not established")
    roots = [c for c in run.report["checks"] if c["status"] == "failed" and not c["caused_by"]]
    assert run.report["applicable"] == run.report["counts"]["passed"] + len(roots)
    assert run.report["score"] == run.report["counts"]["passed"] / run.report["applicable"]
    assert "caused by accounts.create (counted there)" in run.output


@pytest.mark.slow
@pytest.mark.contract
def test_the_reference_simulator_is_certified_at_every_level(billing_url: str, tmp_path: Path) -> None:
    run = verify_against(billing_url, tmp_path / "report", skip=("fuzz",))
    assert run.exit_code == 0, run.output
    assert run.report["certified_levels"] == ["core", "orders", "billing_operations"]
    assert all(level["claimed"] and not level["reasons"] for level in run.report["levels"])
    assert run.report["counts"]["not_applicable"] == 0


@pytest.mark.slow
def test_require_level_fails_the_run_when_that_level_is_not_certified(
    proxied: Proxied, tmp_path: Path
) -> None:
    with proxied(CoreAndOrdersOnly) as url:
        passing = verify_against(url, tmp_path / "a", skip=("fuzz",), require_levels=("core", "orders"))
        failing = verify_against(
            url, tmp_path / "b", skip=("fuzz",), require_levels=("billing_operations",), run_id="TESTRUN2"
        )
    assert passing.exit_code == 0, passing.output
    assert failing.exit_code == 1, failing.output
    assert failing.failed() == set()
    assert "q2c verify: not certified for the required level(s) billing_operations" in failing.output
