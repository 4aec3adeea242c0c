"""The integration core's aiohttp app: health, Prometheus metrics and its OpenAPI document.

The flows (link, financial and invoice sync), the webhook receiver and the actions API arrive
with their own issue; this app does not pretend to serve them yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from contracts import spec_text
from integration.metrics import CoreMetrics


@dataclass(frozen=True)
class CoreSettings:
    salesforce_url: str = "http://127.0.0.1:8701"
    billing_url: str = "http://127.0.0.1:8702"
    api_token: str = "q2c-core-token"


METRICS = web.AppKey("q2c_core_metrics", CoreMetrics)
SETTINGS = web.AppKey("q2c_core_settings", CoreSettings)


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "component": "core"})


async def metrics(request: web.Request) -> web.Response:
    body = request.app[METRICS].exposition()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def openapi(request: web.Request) -> web.Response:
    return web.Response(text=spec_text("integration"), content_type="application/yaml")


def create_app(settings: CoreSettings | None = None) -> web.Application:
    app = web.Application()
    app[SETTINGS] = settings or CoreSettings()
    app[METRICS] = CoreMetrics()
    app.router.add_get("/health", health, name="health")
    app.router.add_get("/metrics", metrics, name="metrics")
    app.router.add_get("/openapi.yaml", openapi, name="openapi")
    return app
