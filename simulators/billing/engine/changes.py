"""Service changes: activation, quantity, rerate, reterm, renew, replace and cancel.

Conventions (see also ``charging``):
- a change effective E applies from E on; time already charged is credited and recharged when
  ``proration`` is not ``none``;
- ``reterm`` and ``renew`` start a new term on E (``customer_renewed``) and may change the price;
  the ETL rule becomes the new term option's;
- add-ons are coterminous with their parent: they carry a copy of the parent's term and renewal
  type, follow it on every term change, and are cancelled with it (reason ``parent_cancelled``,
  no ETL of their own);
- ``replace`` ends the old service on E - 1 (status ``replaced``, ``replaced_by_service_id``) and
  starts the new one on E; the old add-ons move to the new service when its product accepts them,
  otherwise they are cancelled; no installation fee unless a one-time price is given; ETL is
  waived unless the item asks for it;
- ``cancel``: ETL (``early_termination`` line, charge date E) unless waived, or for non-payment
  when ``etl_on_non_payment`` is off; a service that never started is cancelled without charges.
"""

from __future__ import annotations

from datetime import date

from simulators.billing.engine.charging import (
    accrue_until,
    add_charge,
    credit_from,
    ensure_anchor,
    recharge,
)
from simulators.billing.engine.etl import compute_etl
from simulators.billing.engine.runtime import Runtime, start_of
from simulators.billing.models.accounts import Account
from simulators.billing.models.catalog import EndAction, TermOption
from simulators.billing.models.cycles import ONE_DAY, add_months
from simulators.billing.models.money import Money
from simulators.billing.models.orders import EtlOption, Proration
from simulators.billing.models.services import (
    CancelReason,
    EtlQuote,
    RenewalType,
    Service,
    ServiceStatus,
    Term,
    TermType,
)

RENEWAL_FOR_END_ACTION: dict[EndAction, RenewalType] = {
    "renew": "auto",
    "month_to_month": "month_to_month",
    "cancel": "none",
}


def make_term(start: date, months: int | None, type: TermType) -> Term:
    if months is None:
        return Term(start_date=start, end_date=None, months=None, type="month_to_month")
    return Term(start_date=start, end_date=add_months(start, months) - ONE_DAY, months=months, type=type)


def term_end_key(service: Service) -> str | None:
    term = service.current_term
    if term is None or term.end_date is None:
        return None
    return f"{service.id}|{term.end_date.isoformat()}"


def schedule_term_end(rt: Runtime, service: Service) -> None:
    key = term_end_key(service)
    if key is not None and service.parent_service_id is None and service.current_term is not None:
        assert service.current_term.end_date is not None
        rt.schedule(start_of(service.current_term.end_date + ONE_DAY), "term_end", key)


def emit_service(rt: Runtime, type: str, service: Service) -> None:
    rt.emit(type, service, object_type="service", account_id=service.account_id)


def activate(rt: Runtime, account: Account, service: Service) -> None:
    service.status = "active"
    ensure_anchor(rt, account, service.start_date)
    if account.status == "pending":
        account.status = "active"
        rt.touch(account)
        rt.emit("account.updated", account, object_type="account", account_id=account.id)
    if service.one_time_price is not None and not service.one_time_price.is_zero():
        name = rt.store.products[service.product_id].name
        add_charge(
            rt,
            account,
            charge_type="one_time",
            description=f"{name} installation",
            quantity=1,
            unit=service.one_time_price.amount,
            amount=service.one_time_price.amount,
            charge_date=service.start_date,
            service=service,
        )
    rt.touch(service)
    rt.mark_dirty(account.id)
    schedule_term_end(rt, service)
    emit_service(rt, "service.activated", service)


def _settled_change(
    rt: Runtime, account: Account, service: Service, effective: date, proration: Proration
) -> date | None:
    """Steps 1-2 of a mid-period change; returns the date to recharge through (step 3)."""
    if service.status not in ("active", "suspended"):
        return None
    accrue_until(rt, account, service, effective - ONE_DAY)
    if proration == "none":
        return None
    return credit_from(rt, account, service, effective)


def _follow_parent(rt: Runtime, parent: Service) -> None:
    for child in rt.store.child_services(parent.id):
        if child.live and (
            child.current_term != parent.current_term or child.renewal_type != parent.renewal_type
        ):
            child.current_term = parent.current_term
            child.renewal_type = parent.renewal_type
            rt.touch(child)
            emit_service(rt, "service.changed", child)


def change_terms(
    rt: Runtime,
    account: Account,
    service: Service,
    effective: date,
    proration: Proration,
    *,
    quantity: int | None = None,
    price: Money | None = None,
    term_option: TermOption | None = None,
    term_months: int | None = None,
    new_term: bool = False,
    renewal_type: RenewalType | None = None,
    event: str = "service.changed",
) -> None:
    """Quantity, rerate, reterm and renew: one change effective ``effective``."""
    priced = quantity is not None or price is not None
    recharge_to = _settled_change(rt, account, service, effective, proration) if priced else None
    if quantity is not None:
        service.quantity = quantity
    if price is not None:
        service.recurring_price = price
    if new_term:
        months = term_option.term_months if term_option is not None else term_months
        service.current_term = make_term(effective, months, "customer_renewed")
        if term_option is not None:
            service.term_option_id = term_option.id
            service.etl_rule = term_option.etl_rule
            service.renewal_type = RENEWAL_FOR_END_ACTION[term_option.end_action]
        if months is None:
            service.renewal_type = "month_to_month"
    if renewal_type is not None:
        service.renewal_type = renewal_type
    if recharge_to is not None:
        recharge(rt, account, service, effective, recharge_to)
    rt.touch(service)
    rt.mark_dirty(account.id)
    if new_term or renewal_type is not None:
        schedule_term_end(rt, service)
        _follow_parent(rt, service)
    emit_service(rt, event, service)


def etl_quote(rt: Runtime, service: Service, effective: date) -> EtlQuote:
    return compute_etl(
        service_id=service.id,
        rule=service.etl_rule,
        term=service.current_term,
        monthly_amount=service.monthly_amount(),
        currency=service.currency,
        effective_date=effective,
    )


def end_service(
    rt: Runtime,
    account: Account,
    service: Service,
    effective: date,
    *,
    reason: CancelReason,
    proration: Proration,
    etl: EtlOption | None = None,
    etl_by_default: bool = False,
    status: ServiceStatus = "cancelled",
    event: str = "service.cancelled",
) -> Money | None:
    """Cancel, replace (old side) and remove_add_on. Returns the ETL billed, if any."""
    etl_amount: Money | None = None
    if service.status == "pending":
        service.status = status
        service.end_date = effective - ONE_DAY
    else:
        apply_etl = etl.apply if etl is not None and etl.apply is not None else etl_by_default
        if reason == "non_payment" and not rt.settings.etl_on_non_payment and not (etl and etl.apply):
            apply_etl = False
        if apply_etl:
            if etl is not None and etl.override_amount is not None:
                etl_amount = etl.override_amount
            else:
                etl_amount = etl_quote(rt, service, effective).amount
        accrue_until(rt, account, service, effective - ONE_DAY)
        if proration != "none":
            credit_from(rt, account, service, effective)
        service.status = status
        service.end_date = effective - ONE_DAY
        if etl_amount is not None and not etl_amount.is_zero():
            name = rt.store.products[service.product_id].name
            add_charge(
                rt,
                account,
                charge_type="early_termination",
                description=f"{name} early termination",
                quantity=1,
                unit=etl_amount.amount,
                amount=etl_amount.amount,
                charge_date=effective,
                service=service,
            )
    service.cancel_reason = reason
    service.etl_amount = etl_amount
    rt.touch(service)
    rt.mark_dirty(account.id)
    for child in rt.store.child_services(service.id):
        if child.live and reason != "replaced":
            end_service(rt, account, child, effective, reason="parent_cancelled", proration=proration)
    emit_service(rt, event, service)
    return etl_amount


def move_add_ons(
    rt: Runtime, account: Account, old: Service, new: Service, effective: date, proration: Proration
) -> None:
    new_product = rt.store.products[new.product_id]
    for child in rt.store.child_services(old.id):
        if not child.live:
            continue
        child_product = rt.store.products[child.product_id]
        if new_product.id in child_product.parent_product_ids:
            child.parent_service_id = new.id
            rt.store.children.setdefault(new.id, []).append(child.id)
            child.current_term = new.current_term
            child.renewal_type = new.renewal_type
            rt.touch(child)
            emit_service(rt, "service.changed", child)
        else:
            end_service(rt, account, child, effective, reason="parent_cancelled", proration=proration)
    rt.store.children[old.id] = [
        c for c in rt.store.children.get(old.id, []) if rt.store.services[c].parent_service_id == old.id
    ]
