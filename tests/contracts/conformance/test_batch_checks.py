"""q2c verify checks the optional batch operations when the adapter declares them: a batch create
that creates again on a retried item fails, a claimed batch capability that refuses fails naming
it, and an adapter that does not declare them gets not applicable with the reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.support.conformance import verify_against

from .adapters import VALID_KEY, Adapter, Answer, Forward, problem

Proxied = Callable[[type[Adapter]], Any]
BATCH = ("batch_account_create", "account_summaries", "invoices_updated_since")


class NeverReplaysBatchItems(Adapter):
    """Says every batch item is new (replayed false), as an adapter ignoring the item keys would."""

    def on_response(self, forward: Forward, answer: Answer) -> None:
        if forward.path == "/accounts/batch" and answer.status == 200:
            body = answer.json()
            for result in body["results"]:
                result["replayed"] = False
            answer.set_json(body)


class ClaimsButRefusesBatches(Adapter):
    """Declares the batch capabilities and answers their operations 422 unsupported_operation."""

    def on_request(self, forward: Forward) -> web.Response | None:
        authed = forward.headers.get("Authorization") == f"Bearer {VALID_KEY}"
        if authed and forward.path in ("/accounts/batch", "/account-summaries"):
            return problem(422, "unsupported_operation", f"{forward.path} is not supported by this backend")
        return None


class DeclaresNoBatches(ClaimsButRefusesBatches):
    """Declares the batch capabilities false (and refuses their operations, as it may)."""

    def on_response(self, forward: Forward, answer: Answer) -> None:
        if forward.path == "/capabilities" and answer.status == 200:
            body = answer.json()
            body.update(dict.fromkeys(BATCH, False))
            answer.set_json(body)


@pytest.mark.slow
def test_the_simulator_passes_every_batch_check(billing_url: str, tmp_path: Path) -> None:
    run = verify_against(billing_url, tmp_path / "report", only=("scenarios",))
    for check_id in ("accounts.batch_create", "accounts.summaries_listing", "invoices.updated_since"):
        assert run.check(check_id)["status"] == "passed", run.check(check_id)


@pytest.mark.slow
def test_a_batch_create_that_never_replays_fails(proxied: Proxied, tmp_path: Path) -> None:
    with proxied(NeverReplaysBatchItems) as url:
        run = verify_against(url, tmp_path / "report", only=("scenarios",))
    result = run.check("accounts.batch_create")
    assert result["status"] == "failed"
    assert result["expected"].startswith("item 0 replayed: true with account ")
    assert result["capability"] == "batch_account_create"
    assert run.exit_code == 1


@pytest.mark.slow
def test_a_claimed_batch_capability_that_refuses_fails_naming_it(proxied: Proxied, tmp_path: Path) -> None:
    with proxied(ClaimsButRefusesBatches) as url:
        run = verify_against(url, tmp_path / "report", only=("scenarios",))
    result = run.check("accounts.batch_create")
    assert result["status"] == "failed"
    assert result["actual"].startswith(
        "capabilities.batch_account_create is True (claimed) but createAccountsBatch answered 422 unsupported_operation"
    ), result


@pytest.mark.slow
def test_undeclared_batch_operations_are_not_applicable_with_the_reason(
    proxied: Proxied, tmp_path: Path
) -> None:
    with proxied(DeclaresNoBatches) as url:
        run = verify_against(url, tmp_path / "report", only=("scenarios",))
    for check_id, capability in (
        ("accounts.batch_create", "batch_account_create"),
        ("accounts.summaries_listing", "account_summaries"),
        ("invoices.updated_since", "invoices_updated_since"),
    ):
        result = run.check(check_id)
        assert result["status"] == "not_applicable", result
        assert result["detail"] == f"capabilities.{capability} is False"
