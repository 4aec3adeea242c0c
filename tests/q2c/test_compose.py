"""No Docker engine runs here, so check docker-compose.yml statically against the real CLI and
the real routes: every command is a q2c subcommand, every healthcheck URL is a route that
answers 200 on a running component."""

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from pytest_aiohttp import AiohttpClient

from integration.service import create_app as core_app
from simulators.billing.app import create_app as billing_app
from simulators.salesforce.app import create_app as salesforce_app
from web.app import create_app as web_app

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
APPS = {"salesforce": salesforce_app, "billing": billing_app, "core": core_app, "web": web_app}


def test_compose_has_the_expected_services() -> None:
    assert set(SERVICES) == {"salesforce", "billing", "core", "web", "locust-master", "locust-worker"}


def test_every_service_command_is_a_real_q2c_subcommand() -> None:
    q2c = str(Path(sys.executable).with_name("q2c"))
    for name, service in SERVICES.items():
        command = service["command"]
        assert command[0] == "q2c", name
        done = subprocess.run(
            [q2c, command[1], "--help"], capture_output=True, text=True, check=False, timeout=60
        )
        assert done.returncode == 0, f"{name}: q2c {command[1]} --help failed: {done.stderr}"
        assert "Usage" in done.stdout, name


def test_every_environment_variable_is_one_the_cli_reads() -> None:
    cli = "".join(path.read_text() for path in (ROOT / "q2c").rglob("*.py"))
    for name, service in SERVICES.items():
        for variable in service.get("environment", {}):
            if variable.startswith("Q2C_"):
                assert f'"{variable}"' in cli, f"{name} sets {variable}, which no q2c option reads"


async def test_every_healthcheck_url_is_a_route_that_answers(aiohttp_client: AiohttpClient) -> None:
    checked = 0
    for name, service in SERVICES.items():
        if "healthcheck" not in service:
            continue
        test = " ".join(service["healthcheck"]["test"])
        match = re.search(r"http://127\.0\.0\.1:(\d+)(/[^'\"]*)", test)
        assert match, f"{name}: no URL in healthcheck {test!r}"
        port, path = match.groups()
        env = service["environment"]
        assert port in env.values(), f"{name} healthcheck port {port} is not the port it is told to use"
        client = await aiohttp_client(APPS[name]())
        response = await client.get(path)
        assert response.status == 200, f"{name}: GET {path} -> {response.status}"
        checked += 1
    assert checked == 4
