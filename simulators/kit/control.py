"""The ``/__sim`` control plane: readiness, reset and seed, the meter, the journal, faults, the
clock and webhook deliveries. Described by ``contracts/sim-control.openapi.yaml``; never part of
the vendor contract partners are fuzzed against. Errors are problem+json."""

from __future__ import annotations

import copy
import functools
import re
from datetime import timedelta
from typing import Annotated, Any

import yaml
from aiohttp import web
from pydantic import Field, field_validator

from contracts import load_spec
from contracts.models import JsonDatetime, JsonInt, StrictModel
from contracts.problem import Problem
from contracts.problem_http import query_model, read_model
from simulators.kit.clock import ClockError
from simulators.kit.faults import FaultRuleSpec
from simulators.kit.outbox import Delivery, OutboxError
from simulators.kit.sim import KIT, SimKit
from simulators.kit.webhook_faults import WebhookFaultSpec

MAX_SEED = 2**63 - 1
# One call moves the clock at most this far: everything that falls due runs inside the call (a
# billing simulator bills every account for every period crossed), so a call stays seconds long.
MAX_ADVANCE = timedelta(days=400)
_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d{1,6})W)?(?:(?P<days>\d{1,7})D)?"
    r"(?:T(?:(?P<hours>\d{1,8})H)?(?:(?P<minutes>\d{1,10})M)?(?:(?P<seconds>\d{1,12}(?:\.\d{1,6})?)S)?)?$"
)


class SeedRequest(StrictModel):
    seed: JsonInt | None = Field(default=None, ge=0, le=MAX_SEED)
    counts: dict[str, JsonInt] = Field(default_factory=dict)

    @field_validator("counts")
    @classmethod
    def _non_negative(cls, value: dict[str, int]) -> dict[str, int]:
        for key, count in value.items():
            if count < 0:
                raise ValueError(f"count {key!r} cannot be negative")
        return value


class ClockRequest(StrictModel):
    advance_by: str | None = Field(default=None, max_length=64)
    advance_to: JsonDatetime | None = None
    freeze: bool | None = None


class EndpointRequest(StrictModel):
    url: str = Field(min_length=1, max_length=2000)
    event_types: list[Annotated[str, Field(max_length=100)]] | None = Field(default=None, max_length=100)
    secret: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=500)


class EventRequest(StrictModel):
    type: str = Field(pattern=r"^[a-zA-Z0-9_]+(\.[a-zA-Z0-9_]+)*$", max_length=100)
    data: dict[str, Any] = Field(default_factory=dict)


class ReplayRequest(StrictModel):
    message_ids: list[Annotated[str, Field(max_length=100)]] | None = Field(
        default=None, min_length=1, max_length=1000
    )
    since: JsonDatetime | None = None
    until: JsonDatetime | None = None
    endpoint_id: str | None = Field(default=None, max_length=100)


class WaitRequest(StrictModel):
    message_id: str | None = Field(default=None, max_length=100)
    endpoint_id: str | None = Field(default=None, max_length=100)
    state: str | None = Field(default=None, pattern="^(pending|succeeded|failed|cancelled|dropped)$")
    min_attempts: JsonInt = Field(default=0, ge=0, le=100)
    timeout_seconds: float = Field(default=5.0, gt=0, le=30)


class RequestsQuery(StrictModel):
    method: str | None = Field(default=None, max_length=10)
    path: str | None = Field(default=None, max_length=500)
    status: int | None = Field(default=None, ge=0, le=599)
    caller: str | None = Field(default=None, max_length=200)
    metered: bool | None = None
    since: int | None = Field(default=None, ge=0)
    limit: int = Field(default=100, ge=1, le=1000)


class DeliveriesQuery(StrictModel):
    message_id: str | None = Field(default=None, max_length=100)
    endpoint_id: str | None = Field(default=None, max_length=100)
    state: str | None = Field(default=None, pattern="^(pending|succeeded|failed|cancelled|dropped)$")
    limit: int = Field(default=100, ge=1, le=1000)


class UsageQuery(StrictModel):
    family: str | None = Field(default=None, max_length=100)


class EmptyQuery(StrictModel):
    pass


def parse_duration(text: str) -> timedelta:
    """ISO 8601 durations with weeks, days, hours, minutes and seconds (``P1D``, ``PT5M``)."""
    match = _DURATION.match(text)
    if match is None:
        raise Problem(
            400,
            "validation_failed",
            f"advance_by {text!r} is not an ISO 8601 duration like P1D or PT5M",
            param="advance_by",
        )
    parts = {name: float(value) for name, value in match.groupdict().items() if value is not None}
    try:
        return timedelta(**parts)
    except OverflowError:
        raise Problem(
            400, "clock_error", f"advance_by {text!r} is out of range", param="advance_by"
        ) from None


def _kit(request: web.Request) -> SimKit:
    return request.app[KIT]


def _no_query(request: web.Request) -> None:
    query_model(request, EmptyQuery)


async def ready(request: web.Request) -> web.Response:
    _no_query(request)
    kit = _kit(request)
    return web.json_response(
        {"status": "ready", "component": kit.name, "seed": kit.seed, "now": kit.clock.now().isoformat()}
    )


async def openapi(request: web.Request) -> web.Response:
    _no_query(request)
    routed = {resource.canonical for resource in request.app.router.resources()}
    text = control_spec_text(_kit(request), vendor_operations(request.app), routed)
    return web.Response(text=text, content_type="application/yaml")


async def reset(request: web.Request) -> web.Response:
    _no_query(request)
    await read_model(request, EmptyQuery, optional=True)
    kit = _kit(request)
    summary = await kit.reset()
    return web.json_response({"component": kit.name, "seed": kit.seed, "created": summary})


async def seed(request: web.Request) -> web.Response:
    _no_query(request)
    body = await read_model(request, SeedRequest, optional=True)
    kit = _kit(request)
    try:
        counts = kit.check_counts(body.counts)
    except ValueError as exc:
        raise Problem(400, "unknown_field", str(exc), param="counts") from None
    for key, value in counts.items():
        maximum = kit.state.seed_maximums.get(key)
        if maximum is not None and value > maximum:
            raise Problem(
                400, "validation_failed", f"count {key!r} is at most {maximum}", param=f"counts.{key}"
            )
    summary = await kit.reseed(body.seed if body.seed is not None else kit.seed, counts)
    return web.json_response({"component": kit.name, "seed": kit.seed, "created": summary})


async def usage(request: web.Request) -> web.Response:
    query = query_model(request, UsageQuery)
    report = _kit(request).meter.report()
    if query.family is not None:
        report["families"] = {k: v for k, v in report["families"].items() if k == query.family}
        report["total"] = sum(f["used"] for f in report["families"].values())
    return web.json_response(report)


async def list_requests(request: web.Request) -> web.Response:
    query = query_model(request, RequestsQuery)
    kit = _kit(request)
    entries = kit.journal.query(
        method=query.method,
        path=query.path,
        status=query.status,
        caller=query.caller,
        metered=query.metered,
        since_seq=query.since,
        limit=query.limit,
    )
    return web.json_response(
        {"capacity": kit.journal.capacity, "size": len(kit.journal), "data": [e.to_json() for e in entries]}
    )


async def clear_requests(request: web.Request) -> web.Response:
    _no_query(request)
    _kit(request).journal.clear()
    return web.Response(status=204)


async def list_faults(request: web.Request) -> web.Response:
    _no_query(request)
    return web.json_response(
        {"data": [rule.model_dump(mode="json") for rule in _kit(request).faults.rules()]}
    )


def vendor_operations(app: web.Application) -> list[str]:
    """The operation names fault rules can match: the app's named routes, control plane aside."""
    return sorted(name for name in app.router.named_resources() if not name.startswith("sim_"))


async def add_fault(request: web.Request) -> web.Response:
    _no_query(request)
    spec = await read_model(request, FaultRuleSpec)
    if spec.operation is not None:
        known = vendor_operations(request.app)
        if spec.operation not in known:
            # A rule that can never match is a mistake, not a no-op (it used to be accepted).
            raise Problem(
                400,
                "unknown_operation",
                f"no operation {spec.operation!r} on this simulator; valid operations: {', '.join(known)}",
                param="operation",
                extra={"valid_operations": known},
            )
    rule = _kit(request).faults.add(spec)
    return web.json_response(rule.model_dump(mode="json"), status=201)


async def clear_faults(request: web.Request) -> web.Response:
    _no_query(request)
    _kit(request).faults.clear()
    return web.Response(status=204)


async def delete_fault(request: web.Request) -> web.Response:
    _no_query(request)
    fault_id = request.match_info["fault_id"]
    if not _kit(request).faults.remove(fault_id):
        raise Problem(404, "not_found", f"no fault rule {fault_id!r}", param="fault_id")
    return web.Response(status=204)


async def list_webhook_faults(request: web.Request) -> web.Response:
    _no_query(request)
    rules = _kit(request).outbox.faults.rules()
    return web.json_response({"data": [rule.model_dump(mode="json") for rule in rules]})


async def add_webhook_fault(request: web.Request) -> web.Response:
    _no_query(request)
    spec = await read_model(request, WebhookFaultSpec)
    rule = _kit(request).outbox.faults.add(spec)
    return web.json_response(rule.model_dump(mode="json"), status=201)


async def clear_webhook_faults(request: web.Request) -> web.Response:
    _no_query(request)
    _kit(request).outbox.faults.clear()
    return web.Response(status=204)


async def delete_webhook_fault(request: web.Request) -> web.Response:
    _no_query(request)
    fault_id = request.match_info["fault_id"]
    if not _kit(request).outbox.faults.remove(fault_id):
        raise Problem(404, "not_found", f"no webhook fault rule {fault_id!r}", param="fault_id")
    return web.Response(status=204)


def _clock_json(kit: SimKit) -> dict[str, Any]:
    now = kit.clock.now()
    return {"now": now.isoformat(), "today": now.date().isoformat(), "frozen": kit.clock.frozen}


async def get_clock(request: web.Request) -> web.Response:
    _no_query(request)
    return web.json_response(_clock_json(_kit(request)))


async def move_clock(request: web.Request) -> web.Response:
    _no_query(request)
    body = await read_model(request, ClockRequest)
    if body.advance_by is not None and body.advance_to is not None:
        raise Problem(400, "validation_failed", "give advance_by or advance_to, not both", param="advance_to")
    if body.advance_by is None and body.advance_to is None and body.freeze is None:
        raise Problem(400, "validation_failed", "give advance_by, advance_to or freeze", param="advance_by")
    kit = _kit(request)
    if body.freeze is True:
        kit.clock.freeze()
    try:
        if body.advance_by is not None:
            step = parse_duration(body.advance_by)
            if step > MAX_ADVANCE:
                raise Problem(
                    400,
                    "clock_error",
                    f"advance_by is at most {MAX_ADVANCE.days} days per call",
                    param="advance_by",
                )
            await kit.clock.advance(step)
        elif body.advance_to is not None:
            if body.advance_to - kit.clock.now() > MAX_ADVANCE:
                raise Problem(
                    400,
                    "clock_error",
                    f"advance_to is at most {MAX_ADVANCE.days} days ahead per call",
                    param="advance_to",
                )
            await kit.clock.advance(to=body.advance_to)
    except ClockError as exc:
        raise Problem(
            400, "clock_error", str(exc), param="advance_by" if body.advance_by else "advance_to"
        ) from None
    if body.freeze is False:
        kit.clock.unfreeze()
    return web.json_response(_clock_json(kit))


async def list_endpoints(request: web.Request) -> web.Response:
    _no_query(request)
    return web.json_response({"data": [e.to_json() for e in _kit(request).outbox.endpoints()]})


async def add_endpoint(request: web.Request) -> web.Response:
    _no_query(request)
    body = await read_model(request, EndpointRequest)
    kit = _kit(request)
    if not endpoint_url_pattern(kit.outbox.allowed_hosts).match(body.url):
        raise Problem(
            400,
            "invalid_webhook_endpoint",
            f"webhook url must be http(s)://<allowed host>[:port][/path]; allowed hosts: "
            f"{', '.join(sorted(kit.outbox.allowed_hosts))}",
            param="url",
        )
    try:
        endpoint = kit.outbox.add_endpoint(
            body.url, event_types=body.event_types, secret=body.secret, description=body.description
        )
    except (OutboxError, ValueError) as exc:
        param = "secret" if "secret" in str(exc) else "url"
        raise Problem(400, "invalid_webhook_endpoint", str(exc), param=param) from None
    return web.json_response(endpoint.to_json(include_secret=True), status=201)


async def delete_endpoint(request: web.Request) -> web.Response:
    _no_query(request)
    endpoint_id = request.match_info["endpoint_id"]
    try:
        _kit(request).outbox.remove_endpoint(endpoint_id)
    except OutboxError as exc:
        raise Problem(404, "not_found", str(exc), param="endpoint_id") from None
    return web.Response(status=204)


async def publish_event(request: web.Request) -> web.Response:
    """A synthetic event through the real outbox: proves a receiver end to end."""
    _no_query(request)
    body = await read_model(request, EventRequest)
    kit = _kit(request)
    event_id = kit.ids.prefixed("evt_sim", 10)
    payload = {"id": event_id, "type": body.type, "timestamp": kit.clock.now().isoformat(), "data": body.data}
    deliveries = kit.outbox.publish(event_id, body.type, payload)
    return web.json_response({"id": event_id, "deliveries": [d.id for d in deliveries]}, status=202)


async def list_deliveries(request: web.Request) -> web.Response:
    query = query_model(request, DeliveriesQuery)
    found = _kit(request).outbox.deliveries(
        message_id=query.message_id, endpoint_id=query.endpoint_id, state=query.state
    )
    return web.json_response({"data": [d.to_json() for d in found[-query.limit :]], "total": len(found)})


async def wait_delivery(request: web.Request) -> web.Response:
    """Long-poll until a delivery matches (WireMock #87: be told instead of polling)."""
    _no_query(request)
    body = await read_model(request, WaitRequest)

    def matches(delivery: Delivery) -> bool:
        return (
            (body.message_id is None or delivery.message_id == body.message_id)
            and (body.endpoint_id is None or delivery.endpoint_id == body.endpoint_id)
            and (body.state is None or delivery.state == body.state)
            and len(delivery.attempts) >= body.min_attempts
        )

    try:
        delivery = await _kit(request).outbox.wait_for(matches, timeout=body.timeout_seconds)
    except TimeoutError:
        raise Problem(
            408,
            "wait_timeout",
            f"no delivery matched within {body.timeout_seconds:g} s",
            param="timeout_seconds",
        ) from None
    return web.json_response(delivery.to_json())


async def replay(request: web.Request) -> web.Response:
    _no_query(request)
    body = await read_model(request, ReplayRequest)
    if body.message_ids is None and body.since is None and body.until is None:
        raise Problem(
            400, "validation_failed", "give message_ids, or a since/until range", param="message_ids"
        )
    if body.message_ids is not None and (body.since is not None or body.until is not None):
        raise Problem(400, "validation_failed", "give message_ids or a range, not both", param="since")
    try:
        deliveries = _kit(request).outbox.replay(
            message_ids=body.message_ids, since=body.since, until=body.until, endpoint_id=body.endpoint_id
        )
    except OutboxError as exc:
        raise Problem(
            404, "not_found", str(exc), param="endpoint_id" if body.endpoint_id else "message_ids"
        ) from None
    return web.json_response(
        {"replayed": len(deliveries), "deliveries": [d.id for d in deliveries]}, status=202
    )


def control_spec(
    kit: SimKit, operations: list[str] | None = None, routed: set[str] | None = None
) -> dict[str, Any]:
    """The control-plane OpenAPI, with this simulator's seed counts (and, given them, the
    operation names fault rules accept) filled in; given the paths the app routes, only those
    (one document describes both simulators; the events and outbound routes are Salesforce's)."""
    spec = copy.deepcopy(load_spec("sim-control"))
    if routed is not None:
        spec["paths"] = {path: item for path, item in spec["paths"].items() if path in routed}
    if operations is not None:
        spec["components"]["schemas"]["FaultRuleSpec"]["properties"]["operation"]["enum"] = operations
    counts = spec["components"]["schemas"]["SeedCounts"]
    counts["properties"] = {
        key: {"type": "integer", "minimum": 0, "maximum": kit.state.seed_maximums.get(key, 1_000_000)}
        for key in kit.state.seed_defaults
    }
    spec["info"]["title"] = f"q2c-sandbox {kit.name} simulator control plane"
    url = spec["components"]["schemas"]["EndpointRequest"]["properties"]["url"]
    url["pattern"] = url["pattern"].replace(_LOOPBACK_HOSTS, _host_alternation(kit.outbox.allowed_hosts))
    return spec


_LOOPBACK_HOSTS = r"(127\.0\.0\.1|localhost|\[::1\])"


@functools.cache
def endpoint_url_pattern(hosts: frozenset[str]) -> re.Pattern[str]:
    """The contract's url pattern for these hosts: the handler enforces exactly what it documents."""
    url = load_spec("sim-control")["components"]["schemas"]["EndpointRequest"]["properties"]["url"]
    return re.compile(url["pattern"].replace(_LOOPBACK_HOSTS, _host_alternation(hosts)))


def _host_alternation(hosts: frozenset[str]) -> str:
    """The allowed webhook hosts as the regex group the url pattern uses."""
    escaped = [f"\\[{re.escape(h)}\\]" if ":" in h else re.escape(h) for h in sorted(hosts)]
    return "(" + "|".join(escaped) + ")"


def control_spec_text(
    kit: SimKit, operations: list[str] | None = None, routed: set[str] | None = None
) -> str:
    return yaml.safe_dump(control_spec(kit, operations, routed), sort_keys=False)


def add_control_routes(app: web.Application) -> None:
    p = "/__sim"
    app.router.add_get(f"{p}/ready", ready, name="sim_ready")
    app.router.add_get(f"{p}/openapi.yaml", openapi, name="sim_openapi")
    app.router.add_post(f"{p}/reset", reset, name="sim_reset")
    app.router.add_post(f"{p}/seed", seed, name="sim_seed")
    app.router.add_get(f"{p}/usage", usage, name="sim_usage")
    app.router.add_get(f"{p}/requests", list_requests, name="sim_list_requests")
    app.router.add_delete(f"{p}/requests", clear_requests, name="sim_clear_requests")
    app.router.add_get(f"{p}/faults", list_faults, name="sim_list_faults")
    app.router.add_post(f"{p}/faults", add_fault, name="sim_add_fault")
    app.router.add_delete(f"{p}/faults", clear_faults, name="sim_clear_faults")
    app.router.add_delete(f"{p}/faults/{{fault_id}}", delete_fault, name="sim_delete_fault")
    app.router.add_get(f"{p}/clock", get_clock, name="sim_get_clock")
    app.router.add_post(f"{p}/clock", move_clock, name="sim_move_clock")
    app.router.add_get(f"{p}/webhooks/endpoints", list_endpoints, name="sim_list_endpoints")
    app.router.add_post(f"{p}/webhooks/endpoints", add_endpoint, name="sim_add_endpoint")
    app.router.add_delete(
        f"{p}/webhooks/endpoints/{{endpoint_id}}", delete_endpoint, name="sim_delete_endpoint"
    )
    app.router.add_post(f"{p}/webhooks/events", publish_event, name="sim_publish_event")
    app.router.add_get(f"{p}/webhooks/deliveries", list_deliveries, name="sim_list_deliveries")
    app.router.add_post(f"{p}/webhooks/deliveries/wait", wait_delivery, name="sim_wait_delivery")
    app.router.add_post(f"{p}/webhooks/deliveries/replay", replay, name="sim_replay")
    app.router.add_get(f"{p}/webhooks/faults", list_webhook_faults, name="sim_list_webhook_faults")
    app.router.add_post(f"{p}/webhooks/faults", add_webhook_fault, name="sim_add_webhook_fault")
    app.router.add_delete(f"{p}/webhooks/faults", clear_webhook_faults, name="sim_clear_webhook_faults")
    app.router.add_delete(
        f"{p}/webhooks/faults/{{fault_id}}", delete_webhook_fault, name="sim_delete_webhook_fault"
    )
