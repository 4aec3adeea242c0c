"""The running integration core: its settings and what it holds (clients, store, engine)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from contracts import defaults
from integration.clients.billing import BillingClient
from integration.clients.pacing import Pacer
from integration.clients.salesforce import SalesforceClient
from integration.engine import Engine, EngineSettings
from integration.events.consumer import EventConsumer, EventSettings
from integration.flows.context import FlowContext, FlowSettings
from integration.metrics import CoreMetrics
from integration.reconcile import ReconcileProgress
from integration.store import Store

# The catalog (product.*), the inventory (service.*) and order results (order.*) too (issue 14).
WEBHOOK_EVENT_TYPES = ["invoice.*", "payment.*", "account.*", "product.*", "service.*", "order.*"]


@dataclass(frozen=True)
class CoreSettings:
    salesforce_url: str = f"http://{defaults.DEFAULT_HOST}:{defaults.SALESFORCE_PORT}"
    salesforce_client_id: str = defaults.SALESFORCE_CLIENT_ID
    salesforce_client_secret: str = defaults.SALESFORCE_CLIENT_SECRET
    salesforce_ca_file: str | None = None
    billing_url: str = f"http://{defaults.DEFAULT_HOST}:{defaults.BILLING_PORT}"
    billing_api_key: str = defaults.BILLING_API_KEY
    # The adapter's rate limit, when known (requests per second, burst): the core paces itself
    # to it. None: paced by the adapter's 429 Retry-After alone (integration.clients.pacing).
    billing_rate_limit: float | None = None
    billing_rate_burst: int = 1
    api_token: str = defaults.CORE_API_TOKEN
    state_dir: Path = defaults.STATE_DIR
    store_path: Path | None = None  # default: <state_dir>/core.sqlite3
    public_url: str | None = None  # where billing delivers webhooks; None: register later
    webhook_secrets: tuple[str, ...] = ()  # extra secrets to accept (an endpoint registered by hand)
    mapping_path: Path | None = None
    flows: FlowSettings = field(default_factory=FlowSettings)
    engine: EngineSettings = field(default_factory=EngineSettings)
    events: EventSettings = field(default_factory=EventSettings)  # how it hears of Salesforce changes

    @property
    def database(self) -> Path:
        return self.store_path or self.state_dir / "core.sqlite3"


@dataclass
class Core:
    """What the running core holds. One per app, under the CORE key."""

    settings: CoreSettings
    metrics: CoreMetrics
    store: Store
    salesforce: SalesforceClient
    billing: BillingClient
    ctx: FlowContext
    engine: Engine
    webhook_secrets: list[str] = field(default_factory=list)
    webhook_endpoint_id: str | None = None
    pacer: Pacer | None = None  # the billing client's (429s seen, time spent waiting)
    reconcile_progress: ReconcileProgress | None = None  # the latest reconcile's
    events: EventConsumer | None = None  # the Salesforce event consumer (integration.events)

    async def register_webhooks(self, public_url: str) -> str:
        """Subscribe ``{public_url}/webhooks/billing`` to billing's events (once; kept in the
        store so a restart reuses the endpoint and its secret)."""
        url = public_url.rstrip("/") + "/webhooks/billing"
        saved = await self.store.checkpoints.get("webhook_endpoint")
        if saved:
            endpoint = json.loads(saved)
            # Reuse it only if billing still has it, enabled (a reseeded simulator forgets it).
            status, current = await self.billing.request(
                "GET", f"/webhook-endpoints/{endpoint['id']}", operation="get_webhook_endpoint", allow=(404,)
            )
            if endpoint["url"] == url and status == 200 and current.get("enabled", True):
                if sorted(current.get("event_types") or []) != sorted(WEBHOOK_EVENT_TYPES):
                    # An endpoint registered by an older core: subscribe it to today's events.
                    await self.billing.request(
                        "PATCH",
                        f"/webhook-endpoints/{endpoint['id']}",
                        body={"event_types": WEBHOOK_EVENT_TYPES},
                        idempotency_key=f"q2c-webhook-types-{endpoint['id']}-{len(WEBHOOK_EVENT_TYPES)}",
                        operation="update_webhook_endpoint",
                    )
                self._use_endpoint(endpoint)
                return str(endpoint["id"])
        _, created = await self.billing.request(
            "POST",
            "/webhook-endpoints",
            body={"url": url, "event_types": WEBHOOK_EVENT_TYPES, "description": "q2c integration core"},
            idempotency_key=f"q2c-webhook-endpoint-{url}",
            operation="create_webhook_endpoint",
        )
        endpoint = {"id": created["id"], "url": url, "secret": created["secret"]}
        await self.store.checkpoints.set("webhook_endpoint", json.dumps(endpoint))
        self._use_endpoint(endpoint)
        return str(endpoint["id"])

    def _use_endpoint(self, endpoint: dict[str, Any]) -> None:
        self.webhook_endpoint_id = str(endpoint["id"])
        if endpoint["secret"] not in self.webhook_secrets:
            self.webhook_secrets.append(str(endpoint["secret"]))


# Set once by the app's cleanup_ctx, during start-up (before aiohttp freezes the app), and
# never changed after: handlers only ever see a started core.
CORE = web.AppKey("q2c_core", Core)
