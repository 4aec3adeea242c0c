"""The Salesforce simulator's aiohttp app.

At this stage it serves only the control plane: the org model, REST, SOQL, composite and Bulk
API 2.0 arrive with their own issue. Nothing here pretends to answer vendor calls yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from simulators.kit import SimKit, create_sim_app
from simulators.salesforce.errors import SalesforceDialect


@dataclass(frozen=True)
class SalesforceSettings:
    seed: int = 42
    webhook_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")


class SalesforceState:
    seed_defaults: Mapping[str, int] = {}
    seed_maximums: Mapping[str, int] = {}

    async def load(self, seed: int, counts: Mapping[str, int]) -> Mapping[str, int]:
        return {}


def create_app(settings: SalesforceSettings | None = None) -> web.Application:
    settings = settings or SalesforceSettings()
    kit = SimKit.create(
        "salesforce", SalesforceState(), seed=settings.seed, webhook_hosts=settings.webhook_hosts
    )
    return create_sim_app(kit, SalesforceDialect())
