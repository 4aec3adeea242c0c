"""``q2c load``'s process plan, checked without running anything: locust runs headless in its
own processes (a master plus N workers for --workers N) and never in this one."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from loadtests.runner import (
    LoadError,
    LoadOptions,
    SystemUrls,
    locust_commands,
    locustfile,
    seconds,
    side_by_side,
)

URLS = SystemUrls("http://127.0.0.1:1001", "http://127.0.0.1:1002", "http://127.0.0.1:1003")


def q2c(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("q2c")), *args]


def value(command: list[str], option: str) -> str:
    return command[command.index(option) + 1]


def test_one_process_runs_the_scenario_headless_with_json_and_html_reports(tmp_path: Path) -> None:
    options = LoadOptions("link", report_dir=tmp_path, users=3, run_time="20s", workload=("accounts=400",))
    master, workers, run_seconds = locust_commands(options, URLS, "bulkified")
    assert workers == []
    assert run_seconds == 20
    assert master[:3] == [sys.executable, "-m", "locust"]
    assert value(master, "-f") == str(locustfile("link"))
    assert Path(value(master, "-f")).is_file()
    assert "--headless" in master
    assert "--master" not in master
    assert value(master, "--users") == "3"
    # 20 s of load once prepared; locust's own run time (it counts the preparation) is a backstop.
    assert value(master, "--q2c-run-time") == "20"
    assert value(master, "--run-time") == "200s"
    assert value(master, "--json-file") == str(tmp_path.resolve() / "report")
    assert value(master, "--html") == str(tmp_path.resolve() / "report.html")
    assert value(master, "--q2c-core-url") == "http://127.0.0.1:1003"
    assert value(master, "--q2c-workload") == "accounts=400"
    assert "--q2c-no-gate" not in master


def test_workers_run_in_distributed_mode_a_master_and_n_worker_processes(tmp_path: Path) -> None:
    options = LoadOptions("invoice_sync", report_dir=tmp_path, workers=2, gate=False)
    master, workers, run_seconds = locust_commands(options, URLS, "bulkified")
    assert run_seconds == 15  # the scenario's own run time (gates.yaml)
    assert "--master" in master
    assert value(master, "--expect-workers") == "2"
    assert value(master, "--master-bind-host") == "127.0.0.1"
    port = value(master, "--master-bind-port")
    assert len(workers) == 2
    for worker in workers:
        assert "--worker" in worker
        assert "--headless" not in worker
        assert (value(worker, "--master-host"), value(worker, "--master-port")) == ("127.0.0.1", port)
        assert value(worker, "-f") == value(master, "-f") == str(locustfile("invoice_sync"))
    assert "--q2c-no-gate" in master


@pytest.mark.parametrize(
    ("text", "expected"), [("45", 45), ("30s", 30), ("2m", 120), ("1m30s", 90), ("1h", 3600)]
)
def test_run_times_read_like_locusts(text: str, expected: float) -> None:
    assert seconds(text) == expected


def test_a_bad_run_time_is_refused() -> None:
    with pytest.raises(LoadError, match="--run-time"):
        seconds("soon")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nonsense"], "unknown scenario 'nonsense'"),
        (["link", "--core-url", "http://127.0.0.1:9"], "give all three"),
        (["link", "--run-time", "soon"], "--run-time 'soon'"),
    ],
)
def test_q2c_load_refuses_bad_options_before_starting_anything(
    tmp_path: Path, args: list[str], message: str
) -> None:
    done = subprocess.run(
        q2c("load", *args, "--report-dir", str(tmp_path / "r")),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "300"},
    )
    assert done.returncode == 2, done.stderr
    assert message in " ".join(done.stderr.split())


def test_compare_puts_both_runs_side_by_side_with_the_ratio_and_verdicts() -> None:
    bulk = {"metrics": {"salesforce_calls_per_account": 0.01, "fail_ratio": 0.0}, "info": {"linked": 1000}}
    naive = {
        "breaches": ["salesforce_calls_per_account"],
        "metrics": {"salesforce_calls_per_account": 1.005, "fail_ratio": 0.0},
        "info": {"linked": 1000},
    }
    text = side_by_side("link", {"bulkified": (0, bulk), "record-by-record": (3, naive)})
    rows = {
        line.split("|")[0].strip(): [c.strip() for c in line.split("|")[1:]] for line in text.splitlines()
    }
    assert rows["salesforce_calls_per_account"] == ["0.01", "1.005", "100.5x"]
    assert rows["linked"] == ["1000", "1000", ""]  # no ratio where nothing changed
    assert rows["verdict (exit code)"][:2] == ["pass (0)", "breach of salesforce_calls_per_account (3)"]
