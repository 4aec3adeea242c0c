"""The billing simulator's aiohttp app: the billing adapter contract, served natively.

- ``BillingSystem`` (service -> engine -> models) holds the state and the rules, on the kit's virtual clock;
- every event it appends is serialised into the contract's envelope and handed to the kit's
  Outbox, which signs and delivers it to every subscribed endpoint (Standard Webhooks);
- the HTTP layer (``simulators.billing.api``) validates each call against the contract, then
  authenticates, rate-limits, meters and applies idempotency before the handler runs;
- the ``/__sim`` control plane (reset, seed, clock, faults, usage, deliveries) comes from the kit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from aiohttp import web

from contracts.problem_http import ProblemDialect
from simulators.billing.api import serialize
from simulators.billing.api.calls import Handler, caller_of
from simulators.billing.api.routes import HANDLERS, add_routes
from simulators.billing.api.state import (
    BILLING_API,
    DEFAULT_API_KEY,
    DEFAULT_BURST,
    DEFAULT_RATE,
    ApiSettings,
    BillingApi,
)
from simulators.billing.api.subscriptions import wanted
from simulators.billing.models.events import Event
from simulators.billing.models.seed import CONTROL_SEED_MAXIMUMS, SEED_DEFAULTS
from simulators.billing.service.system import BillingSystem, EngineSettings
from simulators.kit import Clock, Outbox, SimKit, create_sim_app


@dataclass(frozen=True)
class BillingSettings:
    seed: int = 42
    webhook_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")
    #: Bearer API keys the contract accepts.
    api_keys: tuple[str, ...] = (DEFAULT_API_KEY,)
    #: Requests per second per API key (None: unlimited) and the burst above it.
    rate_limit: float | None = DEFAULT_RATE
    rate_burst: int = DEFAULT_BURST
    #: Seed counts at start-up (``accounts``, ``services_per_account``); None: the defaults.
    counts: Mapping[str, int] | None = None
    engine: EngineSettings = field(default_factory=EngineSettings)
    #: The virtual clock's start (None: now) and whether it stands still until moved.
    clock_start: datetime | None = None
    clock_frozen: bool = False
    #: Optional capabilities this simulator declares false, their operations answering 422
    #: ``unsupported_operation`` as an adapter without them may (to test clients' fallbacks).
    withheld_capabilities: frozenset[str] = frozenset()


class BillingState:
    """The ``SimulatorState`` the control plane reseeds: the billing system's seeded dataset."""

    seed_defaults: Mapping[str, int] = SEED_DEFAULTS
    seed_maximums: Mapping[str, int] = CONTROL_SEED_MAXIMUMS

    def __init__(self) -> None:
        self.api: BillingApi | None = None

    async def load(self, seed: int, counts: Mapping[str, int]) -> Mapping[str, int]:
        assert self.api is not None, "BillingState is bound to its BillingApi in create_app"
        self.api.idempotency.clear()
        return self.api.system.load_seed(seed, counts)


def publisher(outbox: Outbox) -> Callable[[Event], None]:
    """Events go to the outbox, as the envelope bytes webhooks and the log share, when an endpoint
    subscribes to them. The others are serialised only if someone reads or replays them (the
    event log keeps them; their subjects are snapshots, so the bytes come out the same)."""

    def publish(event: Event) -> None:
        if wanted(outbox, event.type):
            outbox.publish(event.id, event.type, serialize.event_bytes(event))

    return publish


async def _close_system(app: web.Application) -> AsyncIterator[None]:
    yield
    app[BILLING_API].system.close()


def create_app(
    settings: BillingSettings | None = None, *, handlers: Mapping[str, Handler] | None = None
) -> web.Application:
    """The billing simulator. ``handlers`` replaces some operations' handlers (tests)."""
    settings = settings or BillingSettings()
    state = BillingState()
    kit = SimKit.create(
        "billing",
        state,
        seed=settings.seed,
        clock=Clock(start=settings.clock_start, frozen=settings.clock_frozen),
        webhook_hosts=settings.webhook_hosts,
        counts=settings.counts,
    )
    system = BillingSystem(kit.clock, kit.ids, settings.engine, publish=publisher(kit.outbox))
    api = BillingApi(
        kit,
        system,
        ApiSettings(
            api_keys=settings.api_keys,
            rate_limit=settings.rate_limit,
            rate_burst=settings.rate_burst,
            withheld_capabilities=settings.withheld_capabilities,
        ),
    )
    state.api = api
    app = create_sim_app(kit, ProblemDialect(), identify=caller_of)
    app[BILLING_API] = api
    app.cleanup_ctx.append(_close_system)
    add_routes(app, None if handlers is None else {**HANDLERS, **handlers})
    return app
