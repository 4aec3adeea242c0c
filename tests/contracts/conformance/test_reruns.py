"""Re-runs are safe: verify twice against the same adapter, without restarting it, gives the same
result, with the data of the first run still in it, including webhook endpoints whose URLs
(allowed by the contract's pattern) Python's urlsplit refuses, such as an earlier fuzz run can
leave behind. Those once crashed the whole fuzz stage ("Invalid IPv6 URL")."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.conformance import verify_against, with_fuzz

from .adapters import Adapter, Answer, Forward, HookTarget

Proxied = Callable[[type[Adapter]], Any]
KEPT_URL = "http://[::1:80/q2c-fuzz-leftover"  # matches ^https?://[!-~]+$; urlsplit raises


class KeepsOddUrls(Adapter):
    """Lists every webhook endpoint with a URL an earlier run registered: one urlsplit refuses."""

    def _swap_hook_url(self, forward: Forward, origin: str) -> None:
        # Deliveries go straight from the simulator to the listener: the URL is left as sent.
        body = forward.json()
        self.hooks.append(HookTarget(str(body.get("url", "")) if isinstance(body, dict) else ""))

    def on_response(self, forward: Forward, answer: Answer) -> None:
        if (
            forward.method != "GET"
            or not forward.path.startswith("/webhook-endpoints")
            or answer.status != 200
        ):
            return
        body = answer.json()
        if not isinstance(body, dict) or forward.path.endswith("/attempts"):
            return
        for item in body.get("data", [body]):
            if isinstance(item, dict) and "url" in item:
                item["url"] = KEPT_URL
        answer.set_json(body)


def _outcome(report: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    return {c["id"]: (c["status"], c["caused_by"] is None) for c in report["checks"]}


@pytest.mark.slow
@pytest.mark.contract
def test_verify_twice_against_the_same_adapter_gives_the_same_result(
    proxied: Proxied, tmp_path: Path
) -> None:
    fuzz = with_fuzz(operations=("listWebhookEndpoints", "getWebhookEndpoint", "updateWebhookEndpoint"))
    with proxied(KeepsOddUrls) as url:
        first = verify_against(url, tmp_path / "first", fuzz=fuzz, run_id="RERUN001")
        second = verify_against(url, tmp_path / "second", fuzz=fuzz, run_id="RERUN002")
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert second.check("fuzz.run")["status"] == "passed", second.check("fuzz.run")
    assert _outcome(second.report) == _outcome(first.report)
    assert second.report["certified_levels"] == first.report["certified_levels"]
    assert second.report["score"] == first.report["score"] == 1.0
