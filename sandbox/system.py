"""The whole sandbox in one event loop: the Salesforce simulator, the billing simulator and the
integration core wired to them (URLs, TLS trust, the core's webhook endpoint in billing).

``q2c up``, ``q2c demo``, the end-to-end tests and the benchmarks all start the system through
this one class, so they run exactly the same thing.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aiohttp import web

from contracts.http_limits import HttpTimeouts
from integration.core import CORE, Core, CoreSettings
from integration.service import create_app as create_core_app
from simulators.billing.app import BillingSettings
from simulators.billing.app import create_app as create_billing_app
from simulators.kit import KIT, SimKit
from simulators.kit.serve import AppSpec, RunningApp, start_app, stop_apps
from simulators.salesforce.app import PUBSUB, SalesforceSettings
from simulators.salesforce.app import create_app as create_salesforce_app
from web.app import create_app as create_web_app
from web.settings import WebSettings


@dataclass
class SystemOptions:
    host: str = "127.0.0.1"
    salesforce_port: int = 0
    billing_port: int = 0
    core_port: int = 0
    state_dir: Path = Path(".q2c")
    port_dir: Path | None = None
    salesforce: SalesforceSettings = field(default_factory=SalesforceSettings)
    billing: BillingSettings = field(default_factory=BillingSettings)
    core: CoreSettings = field(default_factory=CoreSettings)
    tls: bool = False  # serve Salesforce over HTTPS from the local CA in state_dir
    timeouts: HttpTimeouts | None = None  # request head/body/keep-alive limits (None: each app's)
    register_webhooks: bool = True
    # The web console and portal (web/), pointed at the components above; None: not started.
    web: WebSettings | None = None
    web_port: int = 0

    def port_file(self, name: str) -> Path | None:
        return None if self.port_dir is None else self.port_dir / f"{name}.port"


def with_tls(settings: SalesforceSettings, state_dir: Path) -> tuple[ssl.SSLContext, SalesforceSettings]:
    """HTTPS from the local CA under ``state_dir`` (created on first use), and a connected app
    that accepts JWTs signed with the matching key (``jwt-private-key.pem``)."""
    from simulators.salesforce.app import with_jwt_certificate
    from simulators.salesforce.tls import jwt_credentials, server_context

    _, certificate = jwt_credentials(state_dir)
    return server_context(state_dir), with_jwt_certificate(settings, certificate)


class System:
    def __init__(self, options: SystemOptions | None = None) -> None:
        self.options = options or SystemOptions()
        self.running: dict[str, RunningApp] = {}
        self.apps: dict[str, web.Application] = {}

    async def __aenter__(self) -> System:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        options = self.options
        try:
            salesforce_ssl = None
            salesforce_settings = options.salesforce
            if options.tls:
                salesforce_ssl, salesforce_settings = with_tls(salesforce_settings, options.state_dir)
            await self._start(
                AppSpec(
                    "salesforce",
                    create_salesforce_app(salesforce_settings),
                    options.host,
                    options.salesforce_port,
                    options.port_file("salesforce"),
                    salesforce_ssl,
                )
            )
            await self._start(
                AppSpec(
                    "billing",
                    create_billing_app(options.billing),
                    options.host,
                    options.billing_port,
                    options.port_file("billing"),
                )
            )
            # The core's Pub/Sub consumer goes where the simulator's gRPC server listens.
            pubsub = self.apps["salesforce"].get(PUBSUB)
            events = options.core.events
            if pubsub is not None and events.pubsub_target is None:
                events = replace(events, pubsub_target=pubsub.target)
            core_settings = replace(
                options.core,
                events=events,
                salesforce_url=self.running["salesforce"].url,
                salesforce_ca_file=str(options.state_dir / "ca.pem")
                if options.tls
                else options.core.salesforce_ca_file,
                billing_url=self.running["billing"].url,
                state_dir=options.state_dir,
            )
            await self._start(
                AppSpec(
                    "core",
                    create_core_app(core_settings),
                    options.host,
                    options.core_port,
                    options.port_file("core"),
                )
            )
            if options.register_webhooks:
                await self.core.register_webhooks(self.running["core"].url)
            if options.web is not None:
                web_settings = replace(
                    options.web,
                    salesforce_url=self.running["salesforce"].url,
                    salesforce_ca_file=str(options.state_dir / "ca.pem") if options.tls else None,
                    billing_url=self.running["billing"].url,
                    core_url=self.running["core"].url,
                )
                await self._start(
                    AppSpec(
                        "web",
                        create_web_app(web_settings),
                        options.host,
                        options.web_port,
                        options.port_file("web"),
                    )
                )
        except BaseException:
            await self.stop()
            raise

    async def _start(self, spec: AppSpec) -> None:
        spec.timeouts = self.options.timeouts
        self.apps[spec.name] = spec.app
        self.running[spec.name] = await start_app(spec)

    async def stop(self) -> None:
        running, self.running = list(self.running.values()), {}
        await stop_apps(running)

    # -- handles --------------------------------------------------------------------------------

    def url(self, name: str) -> str:
        return self.running[name].url

    @property
    def urls(self) -> dict[str, str]:
        return {name: app.url for name, app in self.running.items()}

    def kit(self, name: str) -> SimKit:
        return self.apps[name][KIT]

    @property
    def core(self) -> Core:
        return self.apps["core"][CORE]

    def salesforce_calls(self) -> int:
        """API calls the Salesforce simulator metered, all orgs and callers (its meter is the truth)."""
        return self.kit("salesforce").meter.used()

    def describe(self) -> dict[str, Any]:
        return {"urls": self.urls, "state_dir": str(self.options.state_dir)}
