"""Domain objects to contract JSON: the one place the wire format is decided.

- money is ``{"amount": "123.45", "currency": "USD"}`` with the currency's exponent;
- billing dates are ``YYYY-MM-DD``; timestamps are RFC 3339 in UTC with a ``Z``;
- every field the contract lists is present (``null`` when unset), nothing else is sent;
- events are serialised into the envelope the webhooks and ``GET /events`` share.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pycountry

from simulators.billing.engine.cycles import Period
from simulators.billing.models.accounts import Account, AccountSummary, Address, InvoiceRef, PaymentRef
from simulators.billing.models.catalog import EtlRule, Price, Product, TermOption
from simulators.billing.models.events import Event
from simulators.billing.models.invoices import BillRun, Invoice, InvoiceLine
from simulators.billing.models.money import CURRENCY_EXPONENTS, Money, round_half_up
from simulators.billing.models.orders import Order, OrderItem
from simulators.billing.models.payments import Payment
from simulators.billing.models.reference import AccountCategory, BillCycle
from simulators.billing.models.services import EtlQuote, Service, Term
from simulators.kit.outbox import Attempt, Delivery, WebhookEndpoint

Json = dict[str, Any]
#: For catalog objects built without timestamps (the seed always sets them).
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def timestamp(value: datetime) -> str:
    value = value.astimezone(UTC)
    text = value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def opt_timestamp(value: datetime | None) -> str | None:
    return None if value is None else timestamp(value)


def day(value: date) -> str:
    return value.isoformat()


def opt_day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def decimal(value: Decimal) -> str:
    """A plain decimal string (never exponent notation), trailing zeros of a fraction dropped."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def money(value: Money) -> Json:
    """The amount with exactly the currency's decimals (half-up, the contract's one rule)."""
    amount = value.amount
    if value.currency in CURRENCY_EXPONENTS:
        amount = round_half_up(amount, value.currency)
    return {"amount": format(amount, "f"), "currency": value.currency}


def opt_money(value: Money | None) -> Json | None:
    return None if value is None else money(value)


def period(value: Period | None) -> Json | None:
    if value is None:
        return None
    return {"start_date": day(value.start_date), "end_date": day(value.end_date)}


# -- reference ------------------------------------------------------------------------------------


def bill_cycle(cycle: BillCycle) -> Json:
    return {
        "id": cycle.id,
        "name": cycle.name,
        "type": cycle.type,
        "alignment": cycle.alignment,
        "currency": cycle.currency,
        "bill_day": cycle.bill_day,
        "anchor_month": cycle.anchor_month,
        "auto_bill": cycle.auto_bill,
        "auto_approve": cycle.auto_approve,
        "status": cycle.status,
        "created_at": timestamp(cycle.created_at),
        "updated_at": timestamp(cycle.updated_at),
        "version": cycle.version,
    }


def account_category(category: AccountCategory) -> Json:
    return {
        "id": category.id,
        "name": category.name,
        "description": category.description,
        "payment_term_days": category.payment_term_days,
        "status": category.status,
        "created_at": timestamp(category.created_at),
        "updated_at": timestamp(category.updated_at),
        "version": category.version,
    }


def currency(code: str) -> Json:
    found = pycountry.currencies.get(alpha_3=code)
    return {
        "code": code,
        "name": found.name if found is not None else code,
        "exponent": CURRENCY_EXPONENTS[code],
    }


# -- accounts -------------------------------------------------------------------------------------


def address(value: Address) -> Json:
    return {
        "line1": value.line1,
        "line2": value.line2,
        "city": value.city,
        "region": value.region,
        "postal_code": value.postal_code,
        "country": value.country,
    }


def account(value: Account) -> Json:
    return {
        "id": value.id,
        "number": value.number,
        "external_id": value.external_id,
        "name": value.name,
        "type": value.type,
        "email": value.email,
        "billing_address": address(value.billing_address),
        "currency": value.currency,
        "bill_cycle_id": value.bill_cycle_id,
        "bill_cycle_day": value.bill_cycle_day,
        "account_category_id": value.account_category_id,
        "bill_delivery": value.bill_delivery,
        "timezone": value.timezone,
        "status": value.status,
        "metadata": dict(value.metadata),
        "created_at": timestamp(value.created_at),
        "updated_at": timestamp(value.updated_at),
        "version": value.version,
    }


def _invoice_ref(ref: InvoiceRef | None) -> Json | None:
    if ref is None:
        return None
    return {"id": ref.id, "number": ref.number, "amount": money(ref.amount), "date": day(ref.date)}


def _payment_ref(ref: PaymentRef | None) -> Json | None:
    if ref is None:
        return None
    return {"id": ref.id, "amount": money(ref.amount), "date": day(ref.date)}


def account_summary(value: AccountSummary) -> Json:
    return {
        "account_id": value.account_id,
        "currency": value.currency,
        "total_billed": money(value.total_billed),
        "first_invoice": _invoice_ref(value.first_invoice),
        "latest_invoice": _invoice_ref(value.latest_invoice),
        "amount_due": money(value.amount_due),
        "past_due_amount": money(value.past_due_amount),
        "unapplied_credit": money(value.unapplied_credit),
        "pending_charges": money(value.pending_charges),
        "next_invoice_date": opt_day(value.next_invoice_date),
        "last_payment": _payment_ref(value.last_payment),
        "as_of": timestamp(value.as_of),
    }


# -- catalog --------------------------------------------------------------------------------------


def price(value: Price) -> Json:
    return {
        "id": value.id,
        "kind": value.kind,
        "amount": money(value.amount),
        "interval": value.interval,
        "interval_count": value.interval_count,
    }


def etl_rule(rule: EtlRule | None) -> Json | None:
    if rule is None:
        return None
    return {
        "method": rule.method,
        "percent": None if rule.percent is None else decimal(rule.percent),
        "flat_amounts": [money(m) for m in rule.flat_amounts],
        "caps": [money(m) for m in rule.caps],
        "tiers": [
            {"from_month": t.from_month, "to_month": t.to_month, "percent": decimal(t.percent)}
            for t in rule.tiers
        ],
        "prorate_partial_month": rule.prorate_partial_month,
        "month_count_rounding": rule.month_count_rounding,
    }


def term_option(option: TermOption) -> Json:
    return {
        "id": option.id,
        "name": option.name,
        "term_months": option.term_months,
        "end_action": option.end_action,
        "etl_rule": etl_rule(option.etl_rule),
    }


def product(value: Product) -> Json:
    return {
        "id": value.id,
        "code": value.code,
        "name": value.name,
        "description": value.description,
        "type": value.type,
        "status": value.status,
        "unit": value.unit,
        "requires_approval": value.requires_approval,
        "parent_product_ids": list(value.parent_product_ids),
        "prices": [price(p) for p in value.prices],
        "term_options": [term_option(t) for t in value.term_options],
        "created_at": timestamp(value.created_at or _EPOCH),
        "updated_at": timestamp(value.updated_at or value.created_at or _EPOCH),
        "version": value.version,
    }


# -- orders and services --------------------------------------------------------------------------


def order_item(item: OrderItem) -> Json:
    overrides = item.price_overrides
    etl = item.etl
    return {
        "sequence": item.sequence,
        "action": item.action,
        "status": item.status,
        "effective_date": day(item.effective_date),
        "external_id": item.external_id,
        "service_id": item.service_id,
        "product_id": item.product_id,
        "parent_external_id": item.parent_external_id,
        "quantity": item.quantity,
        "price_overrides": None
        if overrides is None
        else {"recurring": opt_money(overrides.recurring), "one_time": opt_money(overrides.one_time)},
        "term_option_id": item.term_option_id,
        "term_months": item.term_months,
        "renewal_type": item.renewal_type,
        "cancel_reason": item.cancel_reason,
        "etl": None
        if etl is None
        else {"apply": etl.apply, "override_amount": opt_money(etl.override_amount)},
        "proration": item.proration,
        "result_service_id": item.result_service_id,
        "etl_amount": opt_money(item.etl_amount),
        "errors": [{"code": e.code, "message": e.message, "param": e.param} for e in item.errors],
    }


def order(value: Order) -> Json:
    return {
        "id": value.id,
        "number": value.number,
        "external_id": value.external_id,
        "account_id": value.account_id,
        "status": value.status,
        "requested_by": value.requested_by,
        "items": [order_item(i) for i in value.items],
        "created_at": timestamp(value.created_at),
        "updated_at": timestamp(value.updated_at),
        "completed_at": opt_timestamp(value.completed_at),
        "version": value.version,
    }


def term(value: Term | None) -> Json | None:
    if value is None:
        return None
    return {
        "start_date": day(value.start_date),
        "end_date": opt_day(value.end_date),
        "months": value.months,
        "type": value.type,
    }


def service(value: Service) -> Json:
    return {
        "id": value.id,
        "number": value.number,
        "external_id": value.external_id,
        "account_id": value.account_id,
        "order_id": value.order_id,
        "product_id": value.product_id,
        "parent_service_id": value.parent_service_id,
        "status": value.status,
        "quantity": value.quantity,
        "currency": value.currency,
        "recurring_price": opt_money(value.recurring_price),
        "one_time_price": opt_money(value.one_time_price),
        "billing_period_months": value.billing_period_months,
        "start_date": day(value.start_date),
        "end_date": opt_day(value.end_date),
        "current_term": term(value.current_term),
        "renewal_type": value.renewal_type,
        "term_option_id": value.term_option_id,
        "charged_through": day(value.charged_through),
        "cancel_reason": value.cancel_reason,
        "etl_amount": opt_money(value.etl_amount),
        "replaced_by_service_id": value.replaced_by_service_id,
        "replaces_service_id": value.replaces_service_id,
        "created_at": timestamp(value.created_at),
        "updated_at": timestamp(value.updated_at),
        "version": value.version,
    }


def etl_quote(value: EtlQuote) -> Json:
    return {
        "service_id": value.service_id,
        "effective_date": day(value.effective_date),
        "amount": money(value.amount),
        "method": value.method,
        "months_remaining": decimal(value.months_remaining),
        "monthly_recurring_charge": money(value.monthly_recurring_charge),
        "breakdown": [
            {
                "from_month": line.from_month,
                "to_month": line.to_month,
                "months": decimal(line.months),
                "percent": decimal(line.percent),
                "amount": money(line.amount),
            }
            for line in value.breakdown
        ],
        "cap_applied": value.cap_applied,
        "waivable": value.waivable,
        "reason": value.reason,
    }


# -- billing --------------------------------------------------------------------------------------


def bill_run(value: BillRun) -> Json:
    return {
        "id": value.id,
        "number": value.number,
        "status": value.status,
        "trigger": value.trigger,
        "bill_cycle_id": value.bill_cycle_id,
        "account_ids": None if value.account_ids is None else list(value.account_ids),
        "account_count": value.account_count,
        "through_date": day(value.through_date),
        "auto_approve": value.auto_approve,
        "invoice_count": value.invoice_count,
        "totals": [money(m) for m in value.totals],
        "created_at": timestamp(value.created_at),
        "updated_at": timestamp(value.updated_at),
        "completed_at": opt_timestamp(value.completed_at),
        "approved_at": opt_timestamp(value.approved_at),
        "version": value.version,
    }


def invoice_line(line: InvoiceLine) -> Json:
    return {
        "id": line.id,
        "service_id": line.service_id,
        "product_id": line.product_id,
        "charge_type": line.charge_type,
        "description": line.description,
        "period": period(line.period),
        "quantity": line.quantity,
        "unit_amount": money(line.unit_amount),
        "amount": money(line.amount),
    }


def invoice(value: Invoice) -> Json:
    return {
        "id": value.id,
        "number": value.number,
        "account_id": value.account_id,
        "bill_run_id": value.bill_run_id,
        "status": value.status,
        "currency": value.currency,
        "issue_date": day(value.issue_date),
        "due_date": day(value.due_date),
        "period": period(value.period),
        "subtotal": money(value.subtotal),
        "tax": money(value.tax),
        "total": money(value.total),
        "amount_paid": money(value.amount_paid),
        "amount_due": money(value.amount_due),
        "paid_date": opt_day(value.paid_date),
        "is_overdue": value.is_overdue,
        "lines": [invoice_line(line) for line in value.lines],
        "created_at": timestamp(value.created_at),
        "updated_at": timestamp(value.updated_at),
        "version": value.version,
    }


def payment(value: Payment) -> Json:
    return {
        "id": value.id,
        "number": value.number,
        "account_id": value.account_id,
        "amount": money(value.amount),
        "method": value.method,
        "reference": value.reference,
        "received_date": day(value.received_date),
        "status": value.status,
        "applied": [
            {"invoice_id": a.invoice_id, "amount": money(a.amount), "applied_at": timestamp(a.applied_at)}
            for a in value.applied
        ],
        "unapplied_amount": money(value.unapplied_amount),
        "failure_reason": value.failure_reason,
        "reversed_at": opt_timestamp(value.reversed_at),
        "created_at": timestamp(value.created_at),
        "updated_at": timestamp(value.updated_at),
        "version": value.version,
    }


# -- events and webhooks --------------------------------------------------------------------------

_SUBJECTS: dict[type, Any] = {
    Account: account,
    AccountSummary: account_summary,
    Order: order,
    Service: service,
    BillRun: bill_run,
    Invoice: invoice,
    Payment: payment,
    Product: product,
}


def subject(value: Any) -> Json:
    render = _SUBJECTS.get(type(value))
    if render is None:
        raise TypeError(f"no contract serialisation for event subject {type(value).__name__}")
    result: Json = render(value)
    return result


def event(value: Event) -> Json:
    return {
        "id": value.id,
        "type": value.type,
        "timestamp": timestamp(value.timestamp),
        "account_id": value.account_id,
        "account_external_id": value.account_external_id,
        "object": {"type": value.object_type, "id": value.object_id, "version": value.object_version},
        "sequence": value.sequence,
        "data": subject(value.subject),
    }


def event_bytes(value: Event) -> bytes:
    """The exact webhook body (compact JSON): what is signed, delivered and replayed."""
    return json.dumps(event(value), separators=(",", ":"), ensure_ascii=False).encode()


def webhook_endpoint(endpoint: WebhookEndpoint, *, secret: bool = False) -> Json:
    data: Json = {
        "id": endpoint.id,
        "url": endpoint.url,
        "event_types": None if endpoint.event_types is None else list(endpoint.event_types),
        "description": endpoint.description,
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "created_at": timestamp(endpoint.created_at),
    }
    if secret:
        data["secret"] = endpoint.secret
    return data


def attempt(value: Attempt) -> Json:
    return {
        "number": value.number,
        "at": timestamp(value.at),
        "webhook_timestamp": value.webhook_timestamp,
        "status_code": value.status,
        "error": value.error,
        "duration_ms": round(value.duration_ms, 3),
    }


def delivery(value: Delivery) -> Json:
    return {
        "id": value.id,
        "event_id": value.message_id,
        "event_type": value.event_type,
        "endpoint_id": value.endpoint_id,
        "trigger": value.trigger,
        "state": value.state,
        "next_attempt_at": opt_timestamp(value.next_attempt_at),
        "attempts": [attempt(a) for a in value.attempts],
    }
