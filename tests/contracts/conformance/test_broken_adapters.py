"""Broken adapters in front of the simulator: ``q2c verify`` fails each with the specific check that
names the broken rule, and passes the unbroken proxy."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.support.conformance import verify_against, with_fuzz

from .adapters import BROKEN, Adapter, Answer, Forward, problem

# broken rule -> the checks that must fail for it
EXPECTED: dict[str, set[str]] = {
    "wrong_status": {"billing.bill_now"},
    "missing_field": {"accounts.create"},
    "ignored_auth": {"auth.enforced"},
    "ignored_idempotency": {"idempotency.replay", "idempotency.mismatch"},
    "bad_signature": {"webhooks.signature"},
    "missing_signature": {"webhooks.headers", "webhooks.signature"},
    "skipping_pagination": {"pagination.walk"},
    "non_ascii_500": {"accounts.non_ascii_name"},
    "retry_changes_id": {"webhooks.retry_keeps_id"},
    "summary_disagrees": {"summary.matches_invoices"},
}

# The check that names the rule, and what its failure says (expected / actual): a check failing
# for another reason is not enough.
MESSAGES: dict[str, tuple[str, str, str]] = {
    "wrong_status": ("billing.bill_now", "status 201", "200"),
    "missing_field": ("accounts.create", "schema", '"number" is a required property'),
    "ignored_auth": ("auth.enforced", "401 unauthorized", "refusals missing"),
    "ignored_idempotency": ("idempotency.replay", "status 201 replayed", "409"),
    "bad_signature": ("webhooks.signature", "signature", "no matching v1 signature"),
    "missing_signature": ("webhooks.headers", "webhook-signature", "a header missing"),
    "skipping_pagination": ("pagination.walk", "with every record", "skipped"),
    "non_ascii_500": ("accounts.non_ascii_name", "status 201", "500"),
    "retry_changes_id": ("webhooks.retry_keeps_id", "webhook-id", "r1"),
    "summary_disagrees": ("summary.matches_invoices", "figures from GET /invoices", "summary: total_billed"),
}

# A check the breakage must leave alone: the harness names the broken rule, not everything.
UNTOUCHED: dict[str, str] = {
    "wrong_status": "accounts.create",
    "missing_field": "capabilities.document",
    "ignored_auth": "accounts.create",
    "ignored_idempotency": "accounts.external_id_conflict",
    "bad_signature": "webhooks.retry_keeps_id",
    "missing_signature": "webhooks.envelope",
    "skipping_pagination": "summary.matches_invoices",
    "non_ascii_500": "accounts.create",
    "retry_changes_id": "webhooks.signature",
    "summary_disagrees": "pagination.walk",
}

Proxied = Callable[[type[Adapter]], Any]


@pytest.mark.slow
@pytest.mark.parametrize("broken", sorted(EXPECTED))
def test_verify_fails_a_broken_adapter_with_the_check_that_names_the_rule(
    broken: str, proxied: Proxied, tmp_path: Path
) -> None:
    with proxied(BROKEN[broken]) as url:
        run = verify_against(url, tmp_path / "report", skip=("fuzz",))
    assert run.exit_code == 1, run.output
    failed = run.failed()
    assert EXPECTED[broken] <= failed, (broken, sorted(failed))
    check_id, expected_text, actual_text = MESSAGES[broken]
    first = run.check(check_id)
    assert expected_text in first["expected"], first
    assert actual_text in first["actual"] + first["detail"], first
    assert run.check(UNTOUCHED[broken])["status"] == "passed", run.check(UNTOUCHED[broken])
    assert first["reproduce"].startswith("curl "), first
    assert run.report["score"] < 1.0
    for check_id in EXPECTED[broken]:
        assert f"FAILED {check_id}" in run.output


@pytest.mark.slow
def test_verify_passes_the_unbroken_proxy(proxied: Proxied, tmp_path: Path) -> None:
    with proxied(Adapter) as url:
        run = verify_against(url, tmp_path / "report", skip=("fuzz",))
    assert run.exit_code == 0, run.output
    assert run.failed() == set()
    assert run.report["score"] == 1.0
    assert run.check("webhooks.retry_keeps_id")["status"] == "passed"
    assert run.check("rate_limit.retry_after")["status"] == "passed"


@pytest.mark.slow
@pytest.mark.contract
def test_the_fuzz_stage_names_a_missing_required_field_and_ignored_auth(
    proxied: Proxied, tmp_path: Path
) -> None:
    fuzz = with_fuzz(operations=("getAccount", "listAccounts"))
    with proxied(BROKEN["missing_field"]) as url:
        run = verify_against(url, tmp_path / "missing", only=("fuzz",), fuzz=fuzz)
    assert run.exit_code == 1, run.output
    check = run.check("fuzz.getAccount.response_schema_conformance")
    assert check["status"] == "failed"
    assert "ST108" in check["expected"] or "schema" in check["expected"].lower(), check
    assert check["reproduce"].startswith("curl "), check
    assert "$Q2C_VERIFY_TOKEN" in check["reproduce"]
    with proxied(BROKEN["ignored_auth"]) as url:
        run = verify_against(url, tmp_path / "auth", only=("fuzz",), fuzz=fuzz)
    assert run.exit_code == 1, run.output
    assert run.check("fuzz.getAccount.ignored_auth")["status"] == "failed"
    assert run.check("fuzz.getAccount.response_schema_conformance")["status"] == "passed"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_the_listener_binds_the_given_port_and_is_reached_at_the_given_url(
    billing_url: str, tmp_path: Path
) -> None:
    port = _free_port()
    url = f"http://localhost:{port}/through/a/tunnel"
    run = verify_against(
        billing_url, tmp_path / "report", only=("webhooks",), webhook_port=port, webhook_url=url
    )
    assert run.exit_code == 0, run.output
    assert {c["status"] for c in run.report["checks"]} == {"passed"}
    assert run.report["stages"] == ["webhooks"]
    assert (
        f"webhooks: listener on http://127.0.0.1:{port}/q2c-verify/testrun1, registered as {url}"
        in run.report["notes"]
    )


class DeclaresLess(Adapter):
    """A thinner backend: no ETL, no rerate, polled events, no idempotency (and says so)."""

    def on_response(self, forward: Forward, answer: Answer) -> None:
        if forward.path == "/capabilities" and answer.status == 200:
            body = answer.json()
            body.update(etl="none", webhooks="polled", idempotency=False)
            body["order_actions"] = [a for a in body["order_actions"] if a != "rerate"]
            answer.set_json(body)


class ClaimsRerate(Adapter):
    """Declares `rerate` in its capabilities but refuses every rerate item."""

    def on_request(self, forward: Forward) -> web.Response | None:
        body = forward.json()
        items = body.get("items", []) if forward.path == "/orders" and isinstance(body, dict) else []
        if any(item.get("action") == "rerate" for item in items):
            return problem(422, "unsupported_operation", "rerate is not supported by this backend")
        return None


@pytest.mark.slow
def test_capabilities_declared_unsupported_are_not_applicable(proxied: Proxied, tmp_path: Path) -> None:
    with proxied(DeclaresLess) as url:
        run = verify_against(url, tmp_path / "report", skip=("fuzz",))
    assert run.exit_code == 0, run.output
    skipped = {c["id"]: c["detail"] for c in run.report["checks"] if c["status"] == "not_applicable"}
    assert skipped["orders.rerate"] == "'rerate' is not in capabilities.order_actions"
    assert skipped["services.etl_quote"] == "capabilities.etl is 'none'"
    assert skipped["billing.final_invoice_etl"] == "capabilities.etl is 'none'"
    assert skipped["idempotency.replay"] == "capabilities.idempotency is false"
    assert skipped["webhooks.retry_keeps_id"] == "capabilities.webhooks is 'polled'"
    assert {i for i in skipped if i.startswith("webhooks.")} == {
        c["id"] for c in run.report["checks"] if c["stage"] == "webhooks"
    }
    assert run.report["score"] == 1.0
    assert run.check("orders.cancel")["status"] == "passed"


@pytest.mark.slow
def test_a_capability_claimed_but_not_honoured_fails(proxied: Proxied, tmp_path: Path) -> None:
    with proxied(ClaimsRerate) as url:
        run = verify_against(url, tmp_path / "report", only=("scenarios",))
    assert run.exit_code == 1, run.output
    rerate = run.check("orders.rerate")
    assert rerate["status"] == "failed"
    assert rerate["expected"] == "status 201 or 202"
    assert rerate["actual"].startswith("capabilities.order_actions is ")
    assert "(claimed) but createOrder answered 422 unsupported_operation" in rerate["actual"]
    # The orders level fails with it, pointing at it as its root.
    assert run.failed() == {"orders.rerate", "levels.orders"}
    assert run.check("levels.orders")["caused_by"] == "orders.rerate"
    assert "orders" not in run.report["certified_levels"]
