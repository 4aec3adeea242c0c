"""Building a simulator app: the kit under its AppKey, the single pipeline, the control plane and
the owned background tasks."""

from __future__ import annotations

from aiohttp import web

from contracts.http_limits import HTTP_LIMITS, LIMIT_RENDERER, HttpLimitError, HttpLimits
from simulators.kit.control import add_control_routes
from simulators.kit.pipeline import Dialect, Identify, make_pipeline
from simulators.kit.sim import KIT, SimKit, kit_lifecycle

#: The ceiling no route's body limit goes past (Bulk API uploads go up to 150 MB). Each route's
#: own limit comes from the app's ``HttpLimits`` (JSON APIs: ``contracts.http_limits``' default).
DEFAULT_MAX_BODY = 160 * 1024 * 1024


def create_sim_app(
    kit: SimKit,
    dialect: Dialect,
    *,
    identify: Identify | None = None,
    client_max_size: int = DEFAULT_MAX_BODY,
    http_limits: HttpLimits | None = None,
) -> web.Application:
    """``http_limits`` defaults to the dialect's own (``dialect.http_limits``) or the shared
    defaults; ``client_max_size`` caps every route's body limit."""
    limits = (http_limits or getattr(dialect, "http_limits", None) or HttpLimits()).capped(client_max_size)
    app = web.Application(middlewares=[make_pipeline(dialect, identify)], client_max_size=limits.largest_body)
    app[KIT] = kit
    app[HTTP_LIMITS] = limits

    def render_limit(request: web.BaseRequest, error: HttpLimitError) -> web.StreamResponse:
        # Refused by aiohttp's parser before routing: the vendor dialect, with a request id.
        request_id = kit.next_request_id()
        response = dialect.render_limit(request, error, request_id)
        response.headers["X-Request-Id"] = request_id
        return response

    app[LIMIT_RENDERER] = render_limit
    app.cleanup_ctx.append(kit_lifecycle)
    add_control_routes(app)
    return app
