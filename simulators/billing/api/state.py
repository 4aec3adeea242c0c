"""The billing API's state, kept under one ``web.AppKey``: the billing system behind the contract,
the idempotency store, the rate limiter and the API settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from contracts import defaults
from simulators.billing.api.idempotency import IdempotencyStore
from simulators.billing.service.system import BillingSystem
from simulators.kit import RateLimiter, SimKit

DEFAULT_API_KEY = defaults.BILLING_API_KEY
DEFAULT_RATE = 25.0
DEFAULT_BURST = 50


@dataclass(frozen=True)
class ApiSettings:
    #: Accepted bearer API keys.
    api_keys: tuple[str, ...] = (DEFAULT_API_KEY,)
    #: Requests per second per API key (None: no rate limit) and the burst allowed above it.
    rate_limit: float | None = DEFAULT_RATE
    rate_burst: int = DEFAULT_BURST
    #: Optional capabilities declared false (their operations answer 422 unsupported_operation).
    withheld_capabilities: frozenset[str] = frozenset()


@dataclass
class BillingApi:
    kit: SimKit
    system: BillingSystem
    settings: ApiSettings
    idempotency: IdempotencyStore = field(default_factory=IdempotencyStore)
    limiter: RateLimiter | None = None

    def __post_init__(self) -> None:
        if self.limiter is None and self.settings.rate_limit is not None:
            self.limiter = RateLimiter(self.settings.rate_limit, self.settings.rate_burst)


BILLING_API = web.AppKey("q2c_billing_api", BillingApi)
