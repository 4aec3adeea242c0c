"""A tiny simulator built on the kit, for the kit's own tests."""

from collections.abc import Mapping

from aiohttp import web

from contracts.http_limits import HttpLimits
from contracts.problem import Problem
from contracts.problem_http import ProblemDialect
from simulators.kit import KIT, Clock, SimKit, create_sim_app
from simulators.kit.pipeline import CONTEXT
from simulators.salesforce.errors import SalesforceDialect, SalesforceError

DIALECT = web.AppKey("tiny_dialect", str)


class TinyState:
    """Seeds ``widgets`` widgets with seeded ids."""

    seed_defaults: Mapping[str, int] = {"widgets": 3}
    seed_maximums: Mapping[str, int] = {"widgets": 50}

    def __init__(self) -> None:
        self.widgets: list[str] = []
        self.kit: SimKit | None = None

    async def load(self, seed: int, counts: Mapping[str, int]) -> Mapping[str, int]:
        assert self.kit is not None
        self.widgets = [
            self.kit.ids.prefixed("wid", 6) + f"-{self.kit.ids.token(2)}" for _ in range(counts["widgets"])
        ]
        return {"widgets": len(self.widgets)}


async def widgets(request: web.Request) -> web.Response:
    kit = request.app[KIT]
    ctx = request[CONTEXT]
    ctx.metered, ctx.family = True, "widgets_api"
    kit.meter.record("widgets_api", scope="tenant", caller=ctx.caller)
    assert isinstance(kit.state, TinyState)
    return web.json_response({"data": kit.state.widgets})


async def broken(request: web.Request) -> web.Response:
    raise RuntimeError("a bug")


async def refuse(request: web.Request) -> web.Response:
    if request.app[DIALECT] == "salesforce":
        raise SalesforceError(
            400, "INVALID_FIELD", "No such column 'Foo__c' on sobject of type Account", ["Foo__c"]
        )
    raise Problem(400, "validation_failed", "widgets need a name", param="name")


async def echo(request: web.Request) -> web.Response:
    """The body's size and the record-level fault decided for it (kit tests of both)."""
    body = await request.read()
    fault = request[CONTEXT].record_error
    failing = [] if fault is None else [i for i in range(10) if fault.fails(i)]
    return web.json_response(
        {"size": len(body), "record_error": fault and fault.error_code, "failing": failing}
    )


def build(dialect: str = "problem", *, http_limits: HttpLimits | None = None) -> web.Application:
    state = TinyState()
    kit = SimKit.create("tiny", state, seed=5, clock=Clock(frozen=True))
    state.kit = kit
    vendor = SalesforceDialect() if dialect == "salesforce" else ProblemDialect()
    app = create_sim_app(kit, vendor, identify=lambda r: r.headers.get("X-Caller"), http_limits=http_limits)
    app[DIALECT] = dialect
    app.router.add_get("/api/widgets", widgets, name="list_widgets")
    app.router.add_post("/api/widgets", refuse, name="create_widget")
    app.router.add_get("/api/broken", broken, name="broken")
    app.router.add_post("/api/echo", echo, name="echo")
    app.router.add_put("/api/uploads", echo, name="upload")
    return app
