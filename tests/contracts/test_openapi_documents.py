"""Every OpenAPI document the project ships is valid OpenAPI (openapi-spec-validator): the four
contracts in contracts/*.yaml and every ``/openapi.yaml`` a server serves (the served ones are
built at run time, e.g. the control plane's, so they are checked as served)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web
from openapi_spec_validator import validate
from pytest_aiohttp import AiohttpClient

from contracts import SPECS, load_spec
from integration.service import create_app as core_app
from simulators.billing.app import create_app as billing_app
from simulators.salesforce.app import create_app as salesforce_app

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"

SERVED: dict[str, tuple[Callable[[], web.Application], str]] = {
    "salesforce": (salesforce_app, "/openapi.yaml"),
    "salesforce-control-plane": (salesforce_app, "/__sim/openapi.yaml"),
    "billing": (billing_app, "/openapi.yaml"),
    "billing-control-plane": (billing_app, "/__sim/openapi.yaml"),
    "core": (core_app, "/openapi.yaml"),
}


def test_every_shipped_contract_is_listed() -> None:
    assert sorted(SPECS.values()) == sorted(p.name for p in CONTRACTS.glob("*.yaml"))


@pytest.mark.parametrize("name", sorted(SPECS))
def test_contract_file_is_valid_openapi(name: str) -> None:
    validate(load_spec(name))


@pytest.mark.parametrize("name", sorted(SERVED))
async def test_served_document_is_valid_openapi(name: str, aiohttp_client: AiohttpClient) -> None:
    factory, path = SERVED[name]
    client = await aiohttp_client(factory())
    response = await client.get(path)
    assert response.status == 200
    document: Any = yaml.safe_load(await response.text())
    assert isinstance(document, dict)
    assert document["openapi"].startswith("3.")
    validate(document)
