"""Term end actions, run by the clock at 00:00 UTC of the day after the term ends.

- ``auto``: a new term of the same length starts (type ``auto_renewed``); ``service.renewed``;
- ``month_to_month``: the service rolls on without commitment (term type ``month_to_month``,
  no end, no ETL); ``service.renewed``;
- ``none``: the service expires: status ``expired``, ``end_date`` = term end, reason
  ``term_ended``; ``service.cancelled``;
add-ons follow their parent (they have no term end of their own).
"""

from __future__ import annotations

from simulators.billing.engine.changes import emit_service, make_term, schedule_term_end, term_end_key
from simulators.billing.engine.charging import accrue_until
from simulators.billing.engine.runtime import Runtime
from simulators.billing.models.cycles import ONE_DAY
from simulators.billing.models.services import Service


def process(rt: Runtime, key: str) -> None:
    service_id = key.split("|", 1)[0]
    service = rt.store.services.get(service_id)
    if service is None or not service.live or term_end_key(service) != key:
        return  # stale: the service ended or its term changed since this was queued
    if service.status == "pending":
        return
    account = rt.store.accounts[service.account_id]
    term = service.current_term
    assert term is not None
    assert term.end_date is not None
    start = term.end_date + ONE_DAY
    if service.renewal_type == "none":
        for target in [service, *_live_children(rt, service)]:
            accrue_until(rt, account, target, term.end_date)
            target.status = "expired"
            target.end_date = term.end_date
            target.cancel_reason = "term_ended" if target is service else "parent_cancelled"
            rt.touch(target)
            emit_service(rt, "service.cancelled", target)
        rt.mark_dirty(account.id)
        return
    if service.renewal_type == "auto":
        service.current_term = make_term(start, term.months, "auto_renewed")
    else:
        service.current_term = make_term(start, None, "month_to_month")
    rt.touch(service)
    schedule_term_end(rt, service)
    emit_service(rt, "service.renewed", service)
    for child in _live_children(rt, service):
        child.current_term = service.current_term
        child.renewal_type = service.renewal_type
        rt.touch(child)
        emit_service(rt, "service.renewed", child)
    rt.mark_dirty(account.id)


def _live_children(rt: Runtime, service: Service) -> list[Service]:
    return [child for child in rt.store.child_services(service.id) if child.live]
