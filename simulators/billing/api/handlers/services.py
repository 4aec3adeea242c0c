"""The subscription inventory and ETL quotes."""

from __future__ import annotations

from simulators.billing.api import parse, serialize
from simulators.billing.api.calls import Call, Reply
from simulators.billing.api.pagination import page


def list_services(call: Call) -> Reply:
    q = call.query
    found = call.api.system.services(account_id=q.get("account_id"), status=q.get("status"))
    return Reply.ok(page(found, serialize.service, limit=q["limit"], cursor=q.get("cursor")))


def get_service(call: Call) -> Reply:
    service = call.api.system.get_service(call.id)
    return Reply.ok(serialize.service(service), version=service.version)


def quote_service_etl(call: Call) -> Reply:
    system = call.api.system
    effective = parse.opt_day(call.arg("effective_date")) or system.clock.today()
    return Reply.ok(serialize.etl_quote(system.etl_quote(call.id, effective)))
