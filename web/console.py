"""The console: overview, Salesforce, core and account 360 pages (billing and faults in
``web.console_billing``). Each section of a page is fetched on its own, so a component that is
down shows as down with its URL and the rest of the page still renders."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from contracts import defaults
from web import console_billing
from web.upstream import READY_PATHS, Part, UpstreamError, part, path_segment, soql_literal, upstreams

#: The seven financial fields (Salesforce) against billing's account summary (mapping.yaml).
FINANCIALS = (
    ("Total_Amount_Billed__c", "total_billed", None),
    ("First_Invoice_Amount__c", "first_invoice", "amount"),
    ("First_Invoice_Date__c", "first_invoice", "date"),
    ("Latest_Invoice_Amount__c", "latest_invoice", "amount"),
    ("Latest_Invoice_Date__c", "latest_invoice", "date"),
    ("Due_Amount__c", "amount_due", None),
    ("Past_Due_Amount__c", "past_due_amount", None),
)
LINK_FIELDS = (
    "Billing_Account_Number__c",
    "Billing_Account_Id__c",
    "Billing_Primary_Email__c",
    "Billing_Cycle__c",
    "Billing_Account_Category__c",
    "Billing_Sync_Status__c",
    "Billing_Sync_Error__c",
    "Billing_Last_Synced__c",
)
JOURNAL_FILTERS = ("method", "path", "status", "caller")


def routes(app: web.Application) -> None:
    app.router.add_get("/", overview, name="overview")
    app.router.add_get("/salesforce", salesforce, name="salesforce")
    app.router.add_get("/salesforce/requests/{seq}", salesforce_request, name="salesforce_request")
    app.router.add_get("/core", core, name="core")
    app.router.add_post("/core/reconcile", reconcile, name="reconcile")
    app.router.add_post("/core/retry", retry, name="retry")
    app.router.add_get("/accounts", account_search, name="accounts")
    app.router.add_get("/accounts/{id}", account_360, name="account_360")
    console_billing.routes(app)


# -- overview ---------------------------------------------------------------------------------


@aiohttp_jinja2.template("overview.html")
async def overview(request: web.Request) -> dict[str, Any]:
    up = upstreams(request)
    names = list(READY_PATHS)
    ready, sf_usage, billing_usage, clock, status = await asyncio.gather(
        asyncio.gather(*(part(up.ready(name)) for name in names)),
        part(up.call("salesforce", "GET", "/__sim/usage", auth=False)),
        part(up.call("billing", "GET", "/__sim/usage", auth=False)),
        part(up.call("billing", "GET", "/__sim/clock", auth=False)),
        part(up.core("GET", "/actions/status")),
    )
    components = [
        {"name": name, "url": up.urls[name], "ready_path": READY_PATHS[name], "state": state}
        for name, state in zip(names, ready, strict=True)
    ]
    return {
        "page": "overview",
        "components": components,
        "sf_usage": sf_usage,
        "billing_usage": billing_usage,
        "clock": clock,
        "status": status,
        "defaults": defaults,
    }


# -- Salesforce -------------------------------------------------------------------------------


def journal_filters(request: web.Request) -> tuple[dict[str, str], dict[str, str]]:
    """The journal filters from the query string, and a message per field that is wrong."""
    filters = {name: request.query.get(name, "").strip() for name in JOURNAL_FILTERS}
    errors: dict[str, str] = {}
    if filters["status"] and not (filters["status"].isdigit() and 100 <= int(filters["status"]) <= 599):
        errors["status"] = "Give an HTTP status between 100 and 599."
    if filters["method"] and not filters["method"].isalpha():
        errors["method"] = "Give a method such as GET or POST."
    return filters, errors


def hourly(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Calls per hour of the virtual day (from the journal's timestamps), for the bar chart."""
    hours: Counter[int] = Counter()
    for entry in entries:
        try:
            hours[datetime.fromisoformat(str(entry["time"])).hour] += 1
        except (KeyError, ValueError):
            continue
    peak = max(hours.values(), default=0) or 1
    return [{"hour": h, "calls": hours[h], "pct": round(100 * hours[h] / peak)} for h in range(24)]


@aiohttp_jinja2.template("salesforce.html")
async def salesforce(request: web.Request) -> dict[str, Any]:
    up = upstreams(request)
    filters, errors = journal_filters(request)
    query = {k: (v.upper() if k == "method" else v) for k, v in filters.items() if k not in errors}
    journal, usage, limits, day, channels = await asyncio.gather(
        part(up.call("salesforce", "GET", "/__sim/requests", params={**query, "limit": 1000}, auth=False)),
        part(up.call("salesforce", "GET", "/__sim/usage", auth=False)),
        part(up.salesforce("GET", "/limits")),
        part(up.call("salesforce", "GET", "/__sim/requests", params={"limit": 1000}, auth=False)),
        part(up.call("salesforce", "GET", "/__sim/events/channels", auth=False)),
    )
    entries = list(reversed(journal.value["data"])) if journal.value else []
    return {
        "page": "salesforce",
        "filters": filters,
        "errors": errors,
        "journal": journal,
        "entries": entries[:200],
        "matched": len(entries),
        "usage": usage,
        "limits": limits,
        "chart": hourly(day.value["data"]) if day.value else [],
        "channels": channels,
    }


@aiohttp_jinja2.template("salesforce_request.html")
async def salesforce_request(request: web.Request) -> dict[str, Any]:
    seq = request.match_info["seq"]
    if not seq.isdigit() or int(seq) < 1:
        raise web.HTTPNotFound(text="There is no such journal entry.")
    found = await part(
        upstreams(request).call(
            "salesforce", "GET", "/__sim/requests", params={"since": int(seq) - 1, "limit": 1}, auth=False
        )
    )
    entry = None
    if found.value and found.value["data"] and found.value["data"][0].get("seq") == int(seq):
        entry = found.value["data"][0]
    if found.ok and entry is None:
        raise web.HTTPNotFound(text=f"Journal entry {seq} is not (or no longer) in the journal.")
    return {"page": "salesforce", "found": found, "entry": entry, "pretty": json.dumps(entry, indent=2)}


# -- the integration core ---------------------------------------------------------------------


async def core_context(request: web.Request, report: Part[Any] | None = None) -> dict[str, Any]:
    status = await part(upstreams(request).core("GET", "/actions/status"))
    return {"page": "core", "status": status, "report": report, "notice": request.query.get("notice")}


@aiohttp_jinja2.template("core.html")
async def core(request: web.Request) -> dict[str, Any]:
    return await core_context(request)


async def reconcile(request: web.Request) -> web.StreamResponse:
    report = await part(upstreams(request).core("POST", "/actions/reconcile", {}))
    return aiohttp_jinja2.render_template("core.html", request, await core_context(request, report))


async def retry(request: web.Request) -> web.StreamResponse:
    """A dead letter is a billing event the core gave up on: billing re-sends it (same id)."""
    form = await request.post()
    event_id = str(form.get("event_id", "")).strip()
    if not event_id:
        raise web.HTTPBadRequest(text="Choose a dead letter to retry.")
    result = await part(
        upstreams(request).call(
            "billing",
            "POST",
            "/__sim/webhooks/deliveries/replay",
            json={"message_ids": [event_id]},
            auth=False,
        )
    )
    notice = f"Billing re-sent {event_id}." if result.ok else f"Could not re-send {event_id}: {_why(result)}"
    raise web.HTTPSeeOther(str(request.app.router["core"].url_for().with_query(notice=notice)))


def _why(result: Part[Any]) -> str:
    if result.down:
        return f"{result.down.component} is down at {result.down.url}"
    assert result.error is not None
    return result.error.message


# -- account 360 ------------------------------------------------------------------------------


@aiohttp_jinja2.template("accounts.html")
async def account_search(request: web.Request) -> dict[str, Any]:
    """Find an account by Salesforce Id, BAN or name (a few matches, linked ones first)."""
    q = request.query.get("q", "").strip()
    error = None
    results: Part[list[dict[str, Any]]] = Part([])
    if q:
        if len(q) > 80:
            error = "Search with at most 80 characters."
        else:
            literal = soql_literal(q)
            like = soql_literal(q.replace("%", "").replace("_", "") + "%")
            soql = (
                "SELECT Id, Name, Billing_Account_Number__c, Billing_Sync_Status__c, Due_Amount__c FROM Account"
                f" WHERE Name LIKE {like} OR Billing_Account_Number__c = {literal}"
            )
            if len(q) in (15, 18) and q.isalnum():
                soql += f" OR Id = {literal}"
            results = await part(upstreams(request).query(soql + " ORDER BY Name LIMIT 50"))
    else:
        results = await part(
            upstreams(request).query(
                "SELECT Id, Name, Billing_Account_Number__c, Billing_Sync_Status__c, Due_Amount__c FROM Account"
                " WHERE Billing_Account_Number__c != null ORDER BY Name LIMIT 50"
            )
        )
    return {"page": "accounts", "q": q, "error": error, "results": results}


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, dict):
        value = value.get("amount")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def financial_rows(record: dict[str, Any], summary: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Each financial field: the CRM's value, billing's, and whether they differ (drift)."""
    rows = []
    for field, key, sub in FINANCIALS:
        crm = record.get(field)
        billing: Any = None
        if summary is not None:
            billing = summary.get(key)
            if sub is not None:
                billing = billing.get(sub) if isinstance(billing, dict) else None
        if field.endswith("Date__c"):
            drift = summary is not None and (crm or None) != (billing or None)
        else:
            billing_amount = _decimal(billing)
            crm_amount = _decimal(crm)
            # A field never synced (null) equals an empty amount (0) in billing.
            drift = summary is not None and (crm_amount or Decimal(0)) != (billing_amount or Decimal(0))
            billing = None if billing_amount is None else str(billing_amount)
        rows.append({"field": field, "crm": crm, "billing": billing, "drift": drift})
    return rows


async def _billing_side(request: web.Request, record: dict[str, Any]) -> dict[str, Part[Any]]:
    """The billing account linked to ``record`` (by its billing id, else by external id)."""
    up = upstreams(request)
    account_id = record.get("Billing_Account_Id__c")
    if not account_id:
        found = await part(up.billing("GET", "/accounts", params={"external_id": record["Id"]}))
        if not found.ok:
            return {"account": found}
        assert found.value is not None
        if not found.value["data"]:
            return {"account": Part(None)}
        account_id = found.value["data"][0]["id"]
    segment = path_segment(str(account_id))
    account, summary, invoices, services, payments = await asyncio.gather(
        part(up.billing("GET", f"/accounts/{segment}")),
        part(up.billing("GET", f"/accounts/{segment}/summary")),
        part(up.billing_list("/invoices", params={"account_id": account_id}, pages=3)),
        part(up.billing_list("/services", params={"account_id": account_id}, pages=3)),
        part(up.billing_list("/payments", params={"account_id": account_id}, pages=3)),
    )
    return {
        "account": account,
        "summary": summary,
        "invoices": invoices,
        "services": services,
        "payments": payments,
    }


@aiohttp_jinja2.template("account_360.html")
async def account_360(request: web.Request) -> dict[str, Any]:
    account_id = request.match_info["id"]
    if not (len(account_id) in (15, 18) and account_id.isalnum()):
        raise web.HTTPNotFound(text=f"{account_id!r} is not a Salesforce Account Id.")
    up = upstreams(request)
    fields = ", ".join(("Id", "Name", "Type", *LINK_FIELDS, *(f for f, _, _ in FINANCIALS)))
    literal = soql_literal(account_id)
    crm, orders = await asyncio.gather(
        part(up.query(f"SELECT {fields} FROM Account WHERE Id = {literal}")),
        part(
            up.query(
                "SELECT Id, OrderNumber, Status, Type, EffectiveDate FROM Order"
                f" WHERE AccountId = {literal} ORDER BY EffectiveDate DESC LIMIT 50"
            )
        ),
    )
    if crm.ok and not crm.value:
        raise web.HTTPNotFound(text=f"There is no Account {account_id} in Salesforce.")
    record = crm.value[0] if crm.value else {"Id": account_id}
    billing = await _billing_side(request, record) if crm.ok else {"account": Part(None)}
    summary = billing.get("summary")
    rows = financial_rows(record, summary.value if summary is not None and summary.ok else None)
    return {
        "page": "accounts",
        "crm": crm,
        "record": record,
        "orders": orders,
        "billing": billing,
        "link_fields": LINK_FIELDS,
        "financials": rows,
        "drift_count": sum(1 for row in rows if row["drift"]),
    }


__all__ = ["UpstreamError", "routes"]
