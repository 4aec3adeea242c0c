"""Every flag and ``Q2C_*`` variable reaches the settings it names (each option group is declared
once and shared by the commands that take it), and docs/configuration.md lists every variable."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

import sandbox.runtime
from contracts.http_limits import HttpTimeouts
from q2c.cli import app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What the server commands would run, instead of running it."""
    seen: dict[str, Any] = {}
    monkeypatch.setattr(
        sandbox.runtime, "run_system", lambda options, **kw: seen.update(system=options, **kw)
    )
    monkeypatch.setattr(sandbox.runtime, "run_components", lambda specs, **kw: seen.update(specs=specs, **kw))
    monkeypatch.setattr(
        sandbox.runtime,
        "core_spec",
        lambda config, settings, timeouts=None: seen.update(core_timeouts=timeouts) or (config, settings),
    )
    return seen


def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result


def test_up_reads_every_variable(captured: dict[str, Any], tmp_path: Path) -> None:
    invoke(
        "up",
        env={
            "Q2C_HOST": "127.0.0.2",
            "Q2C_SEED": "9",
            "Q2C_STATE_DIR": str(tmp_path / "s"),
            "Q2C_PORT_DIR": str(tmp_path / "p"),
            "Q2C_WEBHOOK_HOSTS": "core,localhost",
            "Q2C_SALESFORCE_PORT": "0",
            "Q2C_BILLING_PORT": "0",
            "Q2C_CORE_PORT": "0",
            "Q2C_SALESFORCE_TLS": "1",
            "Q2C_SALESFORCE_COUNTRY_RULE": "1",
            "Q2C_SALESFORCE_API_LIMIT": "500",
            "Q2C_SALESFORCE_SESSION_TIMEOUT": "60",
            "Q2C_BILLING_RATE_LIMIT": "0",
            "Q2C_BILLING_RATE_BURST": "7",
            "Q2C_BILLING_API_KEY": "k1",
            "Q2C_BILLING_ACCOUNTS": "3",
            "Q2C_HEADER_TIMEOUT": "5",
            "Q2C_BODY_TIMEOUT": "6.5",
            "Q2C_KEEPALIVE_TIMEOUT": "7",
        },
    )
    options = captured["system"]
    assert (options.host, captured["seed"], options.tls) == ("127.0.0.2", 9, True)
    assert (options.state_dir, options.port_dir) == (tmp_path / "s", tmp_path / "p")
    assert (options.salesforce_port, options.billing_port, options.core_port) == (0, 0, 0)
    assert options.salesforce.webhook_hosts == options.billing.webhook_hosts == ("core", "localhost")
    assert options.salesforce.country_rule is True
    assert options.salesforce.orgs[0].api_limit == 500
    assert options.salesforce.session_timeout == timedelta(seconds=60)
    assert (options.billing.rate_limit, options.billing.rate_burst) == (None, 7)
    assert (options.billing.api_keys, options.billing.counts) == (("k1",), {"accounts": 3})
    assert options.timeouts == HttpTimeouts(header=5.0, body=6.5, keepalive=7.0)


@pytest.mark.parametrize("command", ["salesforce", "billing"])
def test_the_simulator_commands_take_the_timeout_flags(captured: dict[str, Any], command: str) -> None:
    invoke(command, "--port", "0", "--header-timeout", "2", "--body-timeout", "3", "--keepalive-timeout", "4")
    (spec,) = captured["specs"]
    assert spec.timeouts == HttpTimeouts(header=2.0, body=3.0, keepalive=4.0)


def test_a_timeout_must_be_positive(captured: dict[str, Any]) -> None:
    result = CliRunner().invoke(app, ["billing", "--body-timeout", "0"])
    assert result.exit_code == 2
    assert "--body-timeout" in result.output


@pytest.mark.parametrize("flag", ["--tls", "--salesforce-tls"])
@pytest.mark.parametrize("command", ["up", "salesforce"])
def test_both_tls_spellings_work_on_both_commands(
    captured: dict[str, Any], command: str, flag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(sandbox.runtime, "salesforce_spec", lambda config, tls, **kw: seen.update(tls=tls))
    invoke(command, flag, "--state-dir", "st")
    assert seen.get("tls", captured.get("system") and captured["system"].tls) is True


def test_the_simulator_commands_take_port_and_their_own_port_flag(captured: dict[str, Any]) -> None:
    for command, flag in [("salesforce", "--salesforce-port"), ("billing", "--billing-port")]:
        for spelling in ("--port", flag):
            invoke(command, spelling, "0", "--seed", "4")
            (spec,) = captured["specs"]
            assert (spec.port, captured["seed"]) == (0, 4)


def test_core_reads_every_flag(captured: dict[str, Any], tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("{}")
    invoke(
        "core",
        "--port",
        "0",
        "--salesforce-url",
        "https://sf.example",
        "--salesforce-client-id",
        "cid",
        "--salesforce-client-secret",
        "secret",
        "--salesforce-ca-file",
        str(tmp_path / "ca.pem"),
        "--billing-url",
        "http://b.example",
        "--billing-api-key",
        "bk",
        "--token",
        "tok",
        "--webhook-secret",
        "whsec_a",
        "--webhook-secret",
        "whsec_b",
        "--public-url",
        "http://core.example",
        "--poll-billing",
        "5",
        "--poll-salesforce",
        "6",
        "--record-by-record",
        "--mapping",
        str(mapping),
    )
    ((config, settings),) = captured["specs"]
    assert config.core_port == 0
    assert captured["core_timeouts"] == HttpTimeouts()
    assert (settings.salesforce_url, settings.salesforce_client_id, settings.salesforce_client_secret) == (
        "https://sf.example",
        "cid",
        "secret",
    )
    assert settings.salesforce_ca_file == str(tmp_path / "ca.pem")
    assert (settings.billing_url, settings.billing_api_key, settings.api_token) == (
        "http://b.example",
        "bk",
        "tok",
    )
    assert settings.webhook_secrets == ("whsec_a", "whsec_b")
    assert settings.public_url == "http://core.example"
    assert (settings.engine.billing_poll_interval, settings.engine.salesforce_poll_interval) == (5, 6)
    assert settings.flows.record_by_record is True
    assert settings.mapping_path == mapping


def test_an_unusable_webhook_hosts_value_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["billing", "--webhook-hosts", " , "])
    assert result.exit_code == 2
    assert "give at least one webhook host" in result.output


def _options() -> Iterator[Any]:
    def walk(command: Any) -> Iterator[Any]:
        yield from getattr(command, "params", [])
        for sub in getattr(command, "commands", {}).values():
            yield from walk(sub)

    yield from walk(typer.main.get_command(app))


def test_configuration_doc_lists_every_variable_and_its_flags() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    with_variables = [p for p in _options() if p.envvar]
    assert len({p.envvar for p in with_variables}) >= 30
    missing = sorted({p.envvar for p in with_variables if f"`{p.envvar}`" not in doc})
    assert missing == []
    flags = sorted({o for p in with_variables for o in p.opts if o.startswith("--") and f"`{o}`" not in doc})
    assert flags == []
