"""The gates' judgement, table and readings: pure code, no locust, no HTTP."""

import math
from pathlib import Path

import pytest

from loadtests import gates
from loadtests.gates import GateFileError, Threshold


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gates.yaml"
    path.write_text(text)
    return path


def test_the_versioned_gates_file_describes_every_scenario_with_calls_and_latency_gates() -> None:
    for scenario in gates.SCENARIOS:
        loaded = gates.load_gates(scenario)
        metrics = {t.metric for t in loaded.thresholds}
        assert "fail_ratio" in metrics, scenario
        assert loaded.workload["run_time"], scenario
    link = {t.metric: t for t in gates.load_gates("link").thresholds}
    assert link["salesforce_calls_per_account"].bound == "max"
    # Between the bulkified core (~0.01 a record) and the naive one (~1.0): the gate can tell them apart.
    assert 0.01 < link["salesforce_calls_per_account"].limit < 0.5
    sync = {t.metric: t for t in gates.load_gates("invoice_sync").thresholds}
    assert {
        "salesforce_calls_per_invoice",
        "invoices_per_second",
        "lag_p50_seconds",
        "lag_p95_seconds",
    } <= set(sync)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("scenarios: {}", "version: 1"),
        ("version: 1\nscenarios: {other: {gates: {x: {max: 1}}}}", "no scenario 'link'"),
        ("version: 1\nscenarios: {link: {gates: {}}}", "has no gates"),
        ("version: 1\nscenarios: {link: {gates: {x: {max: 1, min: 0}}}}", "exactly one numeric"),
        ("version: 1\nscenarios: {link: {gates: {x: {max: yes}}}}", "exactly one numeric"),
        ("version: 1\nscenarios: {link: {gates: {x: {max: 1, below: 2}}}}", "unknown keys"),
        ("version: 1\nscenarios: {link: {gates: {x: 3}}}", "must be a mapping"),
    ],
)
def test_a_malformed_gates_file_is_refused_with_the_reason(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(GateFileError, match=message):
        gates.load_gates("link", write(tmp_path, text))


def test_thresholds_hold_on_their_side_of_the_limit_only() -> None:
    at_most = Threshold("calls", "max", 0.02)
    at_least = Threshold("rate", "min", 100)
    assert at_most.holds(0.02)
    assert at_most.holds(0.0)
    assert not at_most.holds(0.0201)
    assert at_least.holds(100)
    assert not at_least.holds(99.9)
    assert not at_most.holds(math.nan)
    assert not at_least.holds(math.nan)


def test_a_breach_and_an_unmeasured_metric_fail_the_verdict_and_are_named(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "version: 1\nscenarios:\n  link:\n    gates:\n"
        "      salesforce_calls_per_account: {max: 0.02}\n"
        "      accounts_per_second: {min: 100}\n"
        "      link_p95_ms: {max: 1000, unit: ms}\n",
    )
    loaded = gates.load_gates("link", path)
    passing = gates.evaluate(
        loaded, {"salesforce_calls_per_account": 0.01, "accounts_per_second": 500, "link_p95_ms": 900}
    )
    assert passing.passed
    assert passing.exit_code == 0
    assert passing.breaches == []
    failing = gates.evaluate(loaded, {"salesforce_calls_per_account": 1.005, "accounts_per_second": 500})
    assert failing.exit_code == gates.EXIT_BREACH == 3
    assert failing.breaches == ["salesforce_calls_per_account", "link_p95_ms"]
    table = gates.render_table(failing, extra={"accounts": 1000})
    rows = {line.split("|")[0].strip(): line for line in table.splitlines() if "|" in line}
    assert "<= 0.02" in rows["salesforce_calls_per_account"]
    assert "1.005" in rows["salesforce_calls_per_account"]
    assert rows["salesforce_calls_per_account"].rstrip().endswith("BREACH")
    assert rows["accounts_per_second"].rstrip().endswith("pass")
    assert "not measured" in rows["link_p95_ms"]
    assert "accounts: 1000" in table
    assert table.splitlines()[-1] == "RESULT: BREACH of salesforce_calls_per_account, link_p95_ms"
    assert [r["passed"] for r in (x.to_json() for x in failing.results)] == [False, True, False]


def test_meter_readings_are_all_time_per_family_and_optionally_per_caller() -> None:
    usage = {
        "families": {
            "DailyApiRequests": {
                "used": 3,  # the rolling window: advancing a virtual clock drops calls from it
                "all_time": 12,
                "scopes": {
                    "org1": {
                        "callers": {"q2c-local-client": {"used": 3, "all_time": 10}, "other": {"all_time": 2}}
                    }
                },
            }
        }
    }
    assert gates.meter_all_time(usage, "DailyApiRequests") == 12
    assert gates.meter_all_time(usage, "DailyApiRequests", caller="q2c-local-client") == 10
    assert gates.meter_all_time(usage, "billing_api") == 0


EXPOSITION = """\
# HELP q2c_webhook_to_salesforce_lag_seconds From webhook receipt to the Salesforce write
# TYPE q2c_webhook_to_salesforce_lag_seconds histogram
q2c_webhook_to_salesforce_lag_seconds_bucket{le="0.1"} 0.0
q2c_webhook_to_salesforce_lag_seconds_bucket{le="0.5"} 10.0
q2c_webhook_to_salesforce_lag_seconds_bucket{le="1.0"} 90.0
q2c_webhook_to_salesforce_lag_seconds_bucket{le="+Inf"} 100.0
q2c_webhook_to_salesforce_lag_seconds_count 100.0
q2c_batch_size_bucket{flow="link",le="1.0"} 7.0
"""


def test_histogram_quantiles_interpolate_like_prometheus() -> None:
    buckets = gates.histogram_buckets(EXPOSITION, "q2c_webhook_to_salesforce_lag_seconds")
    assert buckets == [(0.1, 0.0), (0.5, 10.0), (1.0, 90.0), (math.inf, 100.0)]
    assert gates.histogram_quantile(0.5, buckets) == pytest.approx(0.75)  # 50th of 100: 40/80 into (0.5, 1]
    assert gates.histogram_quantile(0.05, buckets) == pytest.approx(0.3)  # 5th: half way into (0.1, 0.5]
    assert gates.histogram_quantile(0.95, buckets) == 1.0  # in +Inf: the largest finite bound
    assert math.isnan(gates.histogram_quantile(0.5, [(0.1, 0.0), (math.inf, 0.0)]))
    with pytest.raises(ValueError, match="between 0 and 1"):
        gates.histogram_quantile(1.5, buckets)


def test_only_the_observations_between_two_readings_count() -> None:
    before = [(0.5, 10.0), (1.0, 10.0), (math.inf, 10.0)]
    after = [(0.5, 10.0), (1.0, 30.0), (math.inf, 30.0)]
    delta = gates.bucket_delta(after, before)
    assert delta == [(0.5, 0.0), (1.0, 20.0), (math.inf, 20.0)]
    assert gates.histogram_quantile(0.5, delta) == pytest.approx(0.75)
