"""The billing simulator's aiohttp app.

At this stage it serves only the control plane (and the outbox behind it): the billing contract
and engine arrive with their own issue. Nothing here pretends to answer contract calls yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from simulators.kit import SimKit, create_sim_app
from simulators.kit.problem_http import ProblemDialect


@dataclass(frozen=True)
class BillingSettings:
    seed: int = 42
    webhook_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")


class BillingState:
    seed_defaults: Mapping[str, int] = {}
    seed_maximums: Mapping[str, int] = {}

    async def load(self, seed: int, counts: Mapping[str, int]) -> Mapping[str, int]:
        return {}


def create_app(settings: BillingSettings | None = None) -> web.Application:
    settings = settings or BillingSettings()
    kit = SimKit.create("billing", BillingState(), seed=settings.seed, webhook_hosts=settings.webhook_hosts)
    return create_sim_app(kit, ProblemDialect())
