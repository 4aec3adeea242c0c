"""The harness's parts without a server: contract matching, coverage figures, curl, schemathesis
event parsing, stage selection, and its schemathesis settings against the repository's."""

from __future__ import annotations

import base64
import json
import shlex
import tomllib
from pathlib import Path

import pytest

from contracts.conformance.fuzz import CONFIG, parse_events
from contracts.conformance.preflight import TargetError
from contracts.conformance.rate_limit import is_loopback
from contracts.conformance.results import CheckResult, Coverage, Exchange, RunReport, Stage, Status, curl
from contracts.conformance.runner import VerifyOptions, selected_stages
from contracts.conformance.spec import billing_contract

ROOT = Path(__file__).resolve().parents[3]


def test_requests_are_matched_to_operations_literal_segments_first() -> None:
    contract = billing_contract()
    assert contract.match("GET", "/accounts/acct_1/summary").operation_id == "getAccountSummary"  # type: ignore[union-attr]
    assert contract.match("GET", "/accounts/acct_1").operation_id == "getAccount"  # type: ignore[union-attr]
    assert contract.match("POST", "/accounts/acct_1/bill-now").operation_id == "billAccountNow"  # type: ignore[union-attr]
    assert contract.match("GET", "/accounts?external_id=x").operation_id == "listAccounts"  # type: ignore[union-attr]
    assert contract.match("PUT", "/accounts") is None
    assert contract.match("GET", "/__sim/clock") is None


def test_coverage_counts_documented_responses_and_lists_undocumented_ones() -> None:
    contract = billing_contract()
    coverage = Coverage()
    coverage.add("getAccount", 200)
    coverage.add("getAccount", 404)
    coverage.add("getAccount", 418)
    coverage.add(None, 200)
    figures = coverage.figures(contract)
    assert figures["operations"]["exercised"] == 1
    assert figures["operations"]["total"] == len(contract.operations)
    assert figures["responses"]["exercised"] == 2
    assert figures["responses"]["total"] == len(contract.documented_responses())
    assert figures["undocumented"] == ["getAccount 418"]
    assert figures["per_operation"]["getAccount"]["exercised"] == ["200", "404"]


def test_the_score_counts_only_applicable_checks() -> None:
    report = RunReport("http://t", "1.0.0", (Stage.SCENARIOS,))
    report.extend(
        [
            CheckResult("a", Stage.SCENARIOS, "a", Status.PASSED),
            CheckResult("b", Stage.SCENARIOS, "b", Status.PASSED),
            CheckResult("c", Stage.SCENARIOS, "c", Status.FAILED),
            CheckResult("d", Stage.SCENARIOS, "d", Status.NOT_APPLICABLE),
        ]
    )
    assert report.score == pytest.approx(2 / 3)
    report.checks[2].known = True
    assert report.new_failures == []


def test_curl_reproduces_the_request_and_hides_the_api_key() -> None:
    exchange = Exchange(
        "POST",
        "http://127.0.0.1:8702/accounts",
        {"Authorization": "Bearer secret-key", "Content-Type": "application/json", "Idempotency-Key": "k 1"},
        '{"name":"Zoë\'s"}'.encode(),
        201,
        {},
        b"",
    )
    command = curl(exchange, token="secret-key")
    assert "secret-key" not in command
    assert '"Authorization: Bearer $Q2C_VERIFY_TOKEN"' in command
    words = shlex.split(command.replace("$Q2C_VERIFY_TOKEN", "TOKEN"))
    assert words[:5] == ["curl", "-sS", "-i", "-X", "POST"]
    assert words[words.index("--data-binary") + 1] == '{"name":"Zoë\'s"}'
    assert "Idempotency-Key: k 1" in words
    assert words[-1] == "http://127.0.0.1:8702/accounts"


def _b64(text: str) -> dict[str, str]:
    return {"$base64": base64.b64encode(text.encode()).decode()}


def test_schemathesis_events_become_checks_per_operation_and_coverage(tmp_path: Path) -> None:
    ok = {"name": "response_schema_conformance", "status": "success"}
    failed = {
        "name": "response_schema_conformance",
        "status": "failure",
        "failure_info": {
            "failure": {
                "code": "ST108",
                "title": "Response violates schema",
                "message": "'number' is required",
                "operation": "GET /accounts/{id}",
            }
        },
    }
    recorder = {
        "label": "GET /accounts/{id}",
        "cases": {
            "c1": {"value": {"method": "GET", "path": "/accounts/{id}"}},
            "c2": {"value": {"method": "GET", "path": "/accounts/{id}"}},
        },
        "checks": {"c1": [ok, {"name": "ignored_auth", "status": "skip"}], "c2": [failed]},
        "interactions": {
            "c1": {
                "request": {"method": "GET", "uri": "http://t/accounts/a1", "headers": {}},
                "response": {"status_code": 404, "headers": {}, "content": _b64("{}")},
            },
            "c2": {
                "request": {
                    "method": "GET",
                    "uri": "http://t/accounts/a2",
                    "headers": {"Authorization": ["[Filtered]"]},
                },
                "response": {
                    "status_code": 200,
                    "headers": {"content-type": ["application/json"]},
                    "content": _b64('{"id":"a2"}'),
                },
            },
        },
    }
    stateful = {
        "label": "Stateful tests",
        "cases": {"s1": {"value": {"method": "POST", "path": "/accounts"}}},
        "checks": {"s1": [{"name": "not_a_server_error", "status": "success"}]},
        "interactions": {
            "s1": {
                "request": {"method": "POST", "uri": "http://t/accounts", "headers": {}},
                "response": {"status_code": 201, "headers": {}},
            }
        },
    }
    lines = [
        {"ScenarioFinished": {"recorder": recorder}},
        {"ScenarioFinished": {"recorder": stateful}},
        {"NonFatalError": {"label": "GET /bill-runs", "info": {"message": "connection reset"}}},
        "not json",
    ]
    path = tmp_path / "events.ndjson"
    path.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines), encoding="utf-8"
    )
    parsed = parse_events(path, billing_contract(), token="k")
    results = {r.id: r for r in parsed.results()}
    schema = results["fuzz.getAccount.response_schema_conformance"]
    assert schema.status is Status.FAILED
    assert "ST108" in schema.expected
    assert "'number' is required" in schema.expected
    assert schema.actual.startswith('200 application/json {"id":"a2"}')
    assert schema.reproduce.endswith("http://t/accounts/a2")
    assert "$Q2C_VERIFY_TOKEN" in schema.reproduce
    assert "fuzz.getAccount.ignored_auth" not in results  # only ever skipped
    assert results["fuzz.createAccount.not_a_server_error"].status is Status.PASSED
    assert results["fuzz.listBillRuns.error"].actual == "connection reset"
    assert parsed.coverage.seen == {("getAccount", 404), ("getAccount", 200), ("createAccount", 201)}


def test_the_fuzz_settings_match_the_repositorys_for_the_billing_contract() -> None:
    ours = tomllib.loads(CONFIG)
    repository = tomllib.loads((ROOT / "schemathesis.toml").read_text(encoding="utf-8"))
    project = next(
        p for p in repository["project"] if p["title"] == billing_contract().document["info"]["title"]
    )
    assert (
        ours["checks"]["positive_data_acceptance"]["expected-statuses"]
        == project["checks"]["positive_data_acceptance"]["expected-statuses"]
    )
    assert ours["phases"]["stateful"]["max-steps"] == repository["phases"]["stateful"]["max-steps"]


def test_stages_are_chosen_with_only_and_skip() -> None:
    def stages(**kw: tuple[str, ...]) -> list[str]:
        return [s.value for s in selected_stages(VerifyOptions("http://t", "k", **kw))]

    assert stages() == ["fuzz", "scenarios", "webhooks"]
    assert stages(only=("webhooks,scenarios",)) == ["scenarios", "webhooks"]
    assert stages(skip=("fuzz",), only=("fuzz", "webhooks")) == ["webhooks"]
    with pytest.raises(TargetError, match="unknown stage 'lint'"):
        stages(only=("lint",))


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8702", True),
        ("http://localhost:1", True),
        ("http://[::1]:8702", True),
        ("http://10.0.0.5:8702", False),
        ("https://billing.example.com", False),
    ],
)
def test_the_rate_limit_burst_is_for_loopback_targets_only(url: str, loopback: bool) -> None:
    assert is_loopback(url) is loopback
