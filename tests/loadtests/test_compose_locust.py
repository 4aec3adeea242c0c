"""docker-compose's locust services run the real locustfiles, as master and workers, pointed at
the compose services; each locustfile imports and lists its users in a locust process of its own."""

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from loadtests.gates import SCENARIOS
from loadtests.runner import locustfile

ROOT = Path(__file__).resolve().parents[2]
SERVICES: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
USERS = {
    "link": ["LinkUser"],
    "invoice_sync": ["ClockUser"],
    "simulators": ["SalesforceApiUser", "BillingApiUser"],
}


def locustfile_of(service: str, scenario: str | None) -> Path:
    command: list[str] = SERVICES[service]["command"]
    value = command[command.index("-f") + 1]
    # Compose interpolation: ${Q2C_LOAD_SCENARIO:-link} from the host environment.
    value = re.sub(r"\$\{Q2C_LOAD_SCENARIO:-(\w+)\}", lambda m: scenario or m.group(1), value)
    assert value.startswith("/app/"), value  # the image's WORKDIR (Dockerfile)
    return ROOT / value.removeprefix("/app/")


@pytest.mark.parametrize("scenario", [None, *SCENARIOS])
def test_master_and_workers_run_one_real_locustfile(scenario: str | None) -> None:
    master = locustfile_of("locust-master", scenario)
    assert master == locustfile_of("locust-worker", scenario) == locustfile(scenario or "link")
    assert master.is_file()


def test_the_master_targets_the_compose_services_and_the_workers_their_master() -> None:
    master, worker = SERVICES["locust-master"], SERVICES["locust-worker"]
    assert "--master" in master["command"]
    assert "--worker" in worker["command"]
    assert worker["command"][worker["command"].index("--master-host") + 1] == "locust-master"
    env = master["environment"]
    for variable, service in (
        ("Q2C_SALESFORCE_URL", "salesforce"),
        ("Q2C_BILLING_URL", "billing"),
        ("Q2C_CORE_URL", "core"),
    ):
        port = SERVICES[service]["ports"][0].split(":")[-1]
        assert env[variable] == f"http://{service}:{port}", variable


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_each_locustfile_loads_in_its_own_locust_process(scenario: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(locustfile(scenario)), "--list"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.split()[2:]) == sorted(USERS[scenario]), done.stdout  # "Available Users:"
