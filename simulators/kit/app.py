"""Building a simulator app: the kit under its AppKey, the single pipeline, the control plane and
the owned background tasks."""

from __future__ import annotations

from aiohttp import web

from simulators.kit.control import add_control_routes
from simulators.kit.pipeline import Dialect, Identify, make_pipeline
from simulators.kit.sim import KIT, SimKit, kit_lifecycle

DEFAULT_MAX_BODY = 160 * 1024 * 1024  # Bulk API uploads go up to 150 MB


def create_sim_app(
    kit: SimKit,
    dialect: Dialect,
    *,
    identify: Identify | None = None,
    client_max_size: int = DEFAULT_MAX_BODY,
) -> web.Application:
    app = web.Application(middlewares=[make_pipeline(dialect, identify)], client_max_size=client_max_size)
    app[KIT] = kit
    app.cleanup_ctx.append(kit_lifecycle)
    add_control_routes(app)
    return app
