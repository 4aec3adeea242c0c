"""The console's billing and faults pages, with their forms (clock, replay, fault rules)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from multidict import MultiDictProxy

from web.upstream import Part, UpstreamError, part, path_segment, upstreams

SIMULATORS = ("salesforce", "billing")
EFFECTS = ("status", "latency", "connection_reset")
PAGE_SIZE = 50


def routes(app: web.Application) -> None:
    app.router.add_get("/billing", billing, name="billing")
    app.router.add_get("/billing/accounts/{id}", billing_account, name="billing_account")
    app.router.add_post("/billing/clock", move_clock, name="clock")
    app.router.add_post("/billing/replay", replay, name="replay")
    app.router.add_get("/faults", faults, name="faults")
    app.router.add_post("/faults", add_fault, name="add_fault")
    app.router.add_post("/faults/{simulator}/{id}/delete", remove_fault, name="remove_fault")


def _sim(request: web.Request, component: str, method: str, path: str, body: Any = None) -> Any:
    return upstreams(request).call(component, method, path, json=body, auth=False)


def _to(request: web.Request, page: str, notice: str) -> str:
    """Post/redirect/get: back to ``page`` with a one-line notice."""
    return str(request.app.router[page].url_for().with_query(notice=notice))


# -- billing ----------------------------------------------------------------------------------


async def billing_context(
    request: web.Request, clock_errors: dict[str, str] | None = None, notice: str | None = None
) -> dict[str, Any]:
    up = upstreams(request)
    cursor = request.query.get("cursor") or None
    clock, accounts, endpoints, deliveries = await asyncio.gather(
        part(_sim(request, "billing", "GET", "/__sim/clock")),
        part(up.billing("GET", "/accounts", params={"limit": PAGE_SIZE, "cursor": cursor})),
        part(_sim(request, "billing", "GET", "/__sim/webhooks/endpoints")),
        part(_sim(request, "billing", "GET", "/__sim/webhooks/deliveries")),
    )
    recent: list[dict[str, Any]] = []
    if deliveries.value:
        recent = list(reversed(deliveries.value["data"]))[:100]
    return {
        "page": "billing",
        "clock": clock,
        "accounts": accounts,
        "endpoints": endpoints,
        "deliveries": deliveries,
        "recent": recent,
        "clock_errors": clock_errors or {},
        "notice": notice or request.query.get("notice"),
        "form": {},
    }


@aiohttp_jinja2.template("billing.html")
async def billing(request: web.Request) -> dict[str, Any]:
    return await billing_context(request)


@aiohttp_jinja2.template("billing_account.html")
async def billing_account(request: web.Request) -> dict[str, Any]:
    up = upstreams(request)
    account_id = request.match_info["id"]
    account = await part(up.billing("GET", f"/accounts/{path_segment(account_id)}"))
    if account.error is not None and account.error.status in (400, 404):
        raise web.HTTPNotFound(text=f"Billing has no account {account_id}.")
    summary, services, invoices, payments = await asyncio.gather(
        part(up.billing("GET", f"/accounts/{path_segment(account_id)}/summary")),
        part(up.billing_list("/services", params={"account_id": account_id}, pages=3)),
        part(up.billing_list("/invoices", params={"account_id": account_id}, pages=3)),
        part(up.billing_list("/payments", params={"account_id": account_id}, pages=3)),
    )
    return {
        "page": "billing",
        "account": account,
        "summary": summary,
        "services": services,
        "invoices": invoices,
        "payments": payments,
    }


def _first_of_next_month(today: date) -> date:
    return (today.replace(day=1) + timedelta(days=32)).replace(day=1)


async def move_clock(request: web.Request) -> web.StreamResponse:
    """A day, a billing period (to the 1st of next month, where monthly cycles bill), or a date."""
    form = await request.post()
    action = str(form.get("action", ""))
    errors: dict[str, str] = {}
    body: dict[str, Any] = {}
    current = await part(_sim(request, "billing", "GET", "/__sim/clock"))
    today = date.fromisoformat(current.value["today"]) if current.value else None
    if action == "day":
        body = {"advance_by": "P1D"}
    elif action == "period" and today is not None:
        body = {"advance_to": datetime.combine(_first_of_next_month(today), time(12)).isoformat() + "Z"}
    elif action == "to":
        raw = str(form.get("date", "")).strip()
        try:
            target = date.fromisoformat(raw)
        except ValueError:
            errors["date"] = "Give a date as YYYY-MM-DD."
        else:
            if today is not None and target <= today:
                errors["date"] = f"The clock only moves forward: give a date after {today}."
            else:
                body = {"advance_to": datetime.combine(target, time(12)).isoformat() + "Z"}
    elif action not in ("day", "period"):
        errors["action"] = "Choose how far to move the clock."
    if not body and not errors:
        errors["action"] = "The billing clock is not reachable."
    notice = None
    if body:
        moved = await part(_sim(request, "billing", "POST", "/__sim/clock", body))
        if moved.error is not None:
            errors["date" if action == "to" else "action"] = moved.error.message
        elif moved.down is not None:
            errors["action"] = f"billing is down at {moved.down.url}"
        else:
            clock: Any = moved.value
            raise web.HTTPSeeOther(_to(request, "billing", f"Clock moved to {clock['today']}."))
    context = await billing_context(request, errors, notice)
    context["form"] = {"date": str(form.get("date", ""))}
    return aiohttp_jinja2.render_template("billing.html", request, context, status=400 if errors else 200)


async def replay(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    message_id = str(form.get("message_id", "")).strip()
    if not message_id:
        raise web.HTTPBadRequest(text="Choose a delivery to replay.")
    body: dict[str, Any] = {"message_ids": [message_id]}
    endpoint_id = str(form.get("endpoint_id", "")).strip()
    if endpoint_id:
        body["endpoint_id"] = endpoint_id
    result = await part(_sim(request, "billing", "POST", "/__sim/webhooks/deliveries/replay", body))
    if result.ok:
        notice = f"Replayed {message_id}."
    elif result.down is not None:
        notice = f"billing is down at {result.down.url}"
    else:
        assert result.error is not None
        notice = f"Could not replay {message_id}: {result.error.message}"
    raise web.HTTPSeeOther(_to(request, "billing", notice))


# -- faults -----------------------------------------------------------------------------------


async def faults_context(
    request: web.Request, form: dict[str, str] | None = None, errors: dict[str, str] | None = None
) -> dict[str, Any]:
    sf, billing_rules, outbound = await asyncio.gather(
        part(_sim(request, "salesforce", "GET", "/__sim/faults")),
        part(_sim(request, "billing", "GET", "/__sim/faults")),
        part(_sim(request, "billing", "GET", "/__sim/webhooks/faults")),
    )
    rules: dict[str, Part[Any]] = {"salesforce": sf, "billing": billing_rules}
    return {
        "page": "faults",
        "rules": rules,
        "outbound": outbound,
        "form": form or {"simulator": "billing", "effect": "status", "status": "503", "times": "1"},
        "errors": errors or {},
        "effects": EFFECTS,
        "simulators": SIMULATORS,
        "notice": request.query.get("notice"),
    }


@aiohttp_jinja2.template("faults.html")
async def faults(request: web.Request) -> dict[str, Any]:
    return await faults_context(request)


def fault_rule(form: MultiDictProxy[Any]) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """The rule a form describes (the simulator's JSON), the form as typed, and field errors."""
    typed = {
        k: str(form.get(k, "")).strip()
        for k in (
            "simulator",
            "method",
            "path",
            "operation",
            "caller",
            "effect",
            "status",
            "error_code",
            "latency_ms",
            "times",
        )
    }
    errors: dict[str, str] = {}
    rule: dict[str, Any] = {}
    if typed["simulator"] not in SIMULATORS:
        errors["simulator"] = "Choose Salesforce or billing."
    for key in ("method", "path", "operation", "caller"):
        if typed[key]:
            rule[key] = typed[key].upper() if key == "method" else typed[key]
    effect: dict[str, Any] = {"type": typed["effect"]}
    if typed["effect"] == "status":
        if not typed["status"].isdigit() or not 400 <= int(typed["status"]) <= 599:
            errors["status"] = "Give an HTTP error status between 400 and 599."
        else:
            effect["status"] = int(typed["status"])
        if typed["error_code"]:
            effect["error_code"] = typed["error_code"]
    elif typed["effect"] == "latency":
        if not typed["latency_ms"].isdigit() or not 1 <= int(typed["latency_ms"]) <= 60000:
            errors["latency_ms"] = "Give a latency between 1 and 60000 ms."
        else:
            effect["fixed_ms"] = int(typed["latency_ms"])
    elif typed["effect"] != "connection_reset":
        errors["effect"] = "Choose an effect."
    rule["effect"] = effect
    if typed["times"]:
        if not typed["times"].isdigit() or int(typed["times"]) < 1:
            errors["times"] = "Give a whole number of times, 1 or more (empty: every time)."
        else:
            rule["times"] = int(typed["times"])
    return typed, rule, errors


async def add_fault(request: web.Request) -> web.StreamResponse:
    typed, rule, errors = fault_rule(await request.post())
    if not errors:
        added = await part(_sim(request, typed["simulator"], "POST", "/__sim/faults", rule))
        if added.ok:
            new: Any = added.value
            raise web.HTTPSeeOther(_to(request, "faults", f"Added rule {new['id']} to {typed['simulator']}."))
        down = f"{typed['simulator']} is down at {added.down.url}" if added.down else None
        errors.update(_field_errors(added.error, down))
    context = await faults_context(request, typed, errors)
    return aiohttp_jinja2.render_template("faults.html", request, context, status=400)


def _field_errors(error: UpstreamError | None, down: str | None) -> dict[str, str]:
    """The simulator's problem+json names the offending ``param``: show it next to that field."""
    if down:
        return {"simulator": down}
    assert error is not None
    param = (error.param or "").split(".")[-1].split("/")[-1]
    field = {"fixed_ms": "latency_ms", "type": "effect"}.get(param, param)
    known = {"method", "path", "operation", "caller", "effect", "status", "error_code", "latency_ms", "times"}
    return {field if field in known else "simulator": error.message}


async def remove_fault(request: web.Request) -> web.StreamResponse:
    simulator, rule_id = request.match_info["simulator"], request.match_info["id"]
    if simulator not in SIMULATORS:
        raise web.HTTPNotFound(text=f"There is no simulator {simulator!r}.")
    removed = await part(_sim(request, simulator, "DELETE", f"/__sim/faults/{path_segment(rule_id)}"))
    if removed.ok:
        notice = f"Removed rule {rule_id} from {simulator}."
    elif removed.down is not None:
        notice = f"{simulator} is down at {removed.down.url}"
    else:
        assert removed.error is not None
        notice = f"Could not remove {rule_id}: {removed.error.message}"
    raise web.HTTPSeeOther(_to(request, "faults", notice))
