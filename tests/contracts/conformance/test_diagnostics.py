"""Diagnostics a partner can act on: a webhook stage that receives nothing says so (with the
listener's address and the URL the adapter was given) and its dependents point at that root; a
slow retry names --webhook-timeout."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.support.conformance import verify_against

from .adapters import Adapter, Forward, problem

Proxied = Callable[[type[Adapter]], Any]


class NoClock(Adapter):
    """Hides the simulator's control plane: the harness must wait for the retry in real time."""

    def on_request(self, forward: Forward) -> web.Response | None:
        if forward.path.startswith("/__sim/"):
            return problem(404, "not_found", "no control plane here")
        return None


@pytest.mark.slow
def test_a_webhook_stage_that_receives_nothing_says_where_it_listened_and_what_the_adapter_was_given(
    billing_url: str, tmp_path: Path
) -> None:
    given = "http://127.0.0.1:9/q2c-verify/unreachable"
    run = verify_against(
        billing_url, tmp_path / "report", only=("webhooks",), webhook_url=given, webhook_timeout=2.0
    )
    assert run.exit_code == 1, run.output
    delivered = run.check("webhooks.delivered")
    assert delivered["status"] == "failed"
    assert "within --webhook-timeout 2s" in delivered["expected"]
    assert "no delivery reached the listener at all (it listens on http://127.0.0.1:" in delivered["actual"]
    assert f"the adapter was given {given}): can the adapter reach that URL?" in delivered["actual"]
    # Its dependents point at it, and the score counts it once.
    for check_id in (
        "webhooks.headers",
        "webhooks.signature",
        "webhooks.retry_keeps_id",
        "webhooks.sequence",
    ):
        assert run.check(check_id)["caused_by"] == "webhooks.delivered", run.check(check_id)
    roots = {c["id"] for c in run.report["checks"] if c["status"] == "failed" and not c["caused_by"]}
    assert "webhooks.delivered" in roots
    assert run.report["applicable"] == run.report["counts"]["passed"] + len(roots)


@pytest.mark.slow
def test_a_retry_later_than_the_timeout_names_the_timeout(proxied: Proxied, tmp_path: Path) -> None:
    with proxied(NoClock) as url:
        run = verify_against(url, tmp_path / "report", only=("webhooks",), webhook_timeout=2.0)
    retry = run.check("webhooks.retry_keeps_id")
    assert retry["status"] == "failed", retry
    assert retry["expected"] == "a retry of the delivery answered 500 within --webhook-timeout 2s"
    assert retry["actual"] == (
        "no retry arrived within 2s of the first attempt: raise --webhook-timeout if the adapter retries later"
    )
    assert run.check("webhooks.delivered")["status"] == "passed"
