"""``q2c web`` alone (pointed at the other components by flag or variable) and ``q2c up`` with it."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

import sandbox.runtime
from contracts import defaults
from q2c.cli import app
from web.settings import PortalCustomer


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(sandbox.runtime, "run_system", lambda options, **kw: seen.update(system=options))
    monkeypatch.setattr(sandbox.runtime, "run_components", lambda specs, **kw: seen.update(specs=specs))
    monkeypatch.setattr(
        sandbox.runtime,
        "web_spec",
        lambda config, settings, port, timeouts=None: seen.update(settings=settings, port=port) or "spec",
    )
    return seen


def test_web_takes_the_other_components_urls_and_its_customers(captured: dict[str, Any]) -> None:
    result = CliRunner().invoke(
        app,
        ["web", "--core-url", "http://core:8703", "--customer", "x@y.z:pw=BAN9", "--port", "0"],
        env={"Q2C_SALESFORCE_URL": "http://sf:8701", "Q2C_BILLING_URL": "http://billing:8702"},
    )
    assert result.exit_code == 0, result.output
    settings = captured["settings"]
    assert settings.urls() == {
        "salesforce": "http://sf:8701",
        "billing": "http://billing:8702",
        "core": "http://core:8703",
    }
    assert settings.customers == (PortalCustomer("x@y.z", "pw", "BAN9"),)
    assert captured["port"] == 0
    assert captured["specs"] == ["spec"]


def test_web_refuses_a_malformed_customer(captured: dict[str, Any]) -> None:
    result = CliRunner().invoke(app, ["web", "--customer", "nobody"], env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert "expected email=BAN" in result.output


def test_web_refuses_a_session_key_that_is_not_a_fernet_key(captured: dict[str, Any]) -> None:
    result = CliRunner().invoke(app, ["web", "--session-key", "too-short"], env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert "Fernet key must be 32 url-safe base64-encoded bytes" in result.output
    assert "settings" not in captured


def test_up_starts_the_web_console_on_8700(captured: dict[str, Any]) -> None:
    result = CliRunner().invoke(app, ["up"])
    assert result.exit_code == 0, result.output
    assert captured["system"].web_port == defaults.WEB_PORT == 8700
    assert captured["system"].web is not None
