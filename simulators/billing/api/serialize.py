"""Domain objects to contract JSON: the one place the wire format is decided, driven by the
models generated from the contract (``contracts.generated.billing_models``).

``render(Model, obj)`` writes every field the contract's ``Model`` lists, in its order, from the
domain object's attribute of the same name (``null`` when unset, nothing else is sent); only the
fields the domain names differently are spelled out. Values take the contract's forms:

- money is ``{"amount": "123.45", "currency": "USD"}`` with the currency's exponent;
- other decimals are plain decimal strings; billing dates are ``YYYY-MM-DD``; timestamps are
  RFC 3339 in UTC with a ``Z``;
- events are serialised into the envelope the webhooks and ``GET /events`` share.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

import pycountry
from pydantic import AwareDatetime, BaseModel, RootModel

from contracts import jsonwire
from contracts.generated import billing_models as wire
from simulators.billing.models.accounts import Account, AccountSummary
from simulators.billing.models.catalog import Product
from simulators.billing.models.cycles import Period
from simulators.billing.models.events import Event
from simulators.billing.models.invoices import BillRun, Invoice
from simulators.billing.models.money import CURRENCY_EXPONENTS, Money, round_half_up
from simulators.billing.models.orders import Order
from simulators.billing.models.payments import Payment
from simulators.billing.models.reference import AccountCategory, BillCycle
from simulators.billing.models.services import EtlQuote, Service
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


def period(value: Period | None) -> Json | None:
    return None if value is None else render(wire.Period, value)


# -- the contract's models drive the rest ----------------------------------------------------------


Convert = Callable[[Any], Any]


def _any(value: Any) -> Any:
    """A value whose contract type does not say its form (an id, or a decimal string)."""
    if isinstance(value, Decimal):
        return decimal(value)
    if isinstance(value, datetime):
        return timestamp(value)
    return value


def _converter(annotation: Any) -> Convert | None:
    """How a domain value becomes the contract's form of ``annotation``; None: as it is."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (types.UnionType, typing.Union):
        present = [arg for arg in args if arg is not type(None)]
        return _converter(present[0]) if len(present) == 1 else _any
    if origin is list:
        item = _converter(args[0])
        return list if item is None else lambda values: [item(value) for value in values]
    if origin is dict:
        return dict
    if origin is typing.Literal or annotation in (int, bool, float):
        return None
    if annotation is wire.Money:
        return money
    if annotation in (AwareDatetime, datetime):
        return timestamp
    if annotation is date:
        return day
    if isinstance(annotation, type) and issubclass(annotation, RootModel):
        return _any
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return functools.partial(render, annotation)
    return _any


@cache
def _plan(model: type[BaseModel]) -> tuple[tuple[str, Convert | None], ...]:
    """Each field of a contract model, in its order, with its converter (worked out once)."""
    return tuple((name, _converter(field.annotation)) for name, field in model.model_fields.items())


def render(model: type[BaseModel], value: Any, **fields: Any) -> Json:
    """``value`` as the contract's ``model``: each field from the attribute of the same name,
    unless given (already in wire form) in ``fields``."""
    out: Json = {}
    for name, convert in _plan(model):
        if name in fields:
            out[name] = fields[name]
            continue
        item = getattr(value, name)
        out[name] = item if convert is None or item is None else convert(item)
    return out


# -- reference ------------------------------------------------------------------------------------


def bill_cycle(cycle: BillCycle) -> Json:
    return render(wire.BillCycle, cycle)


def account_category(category: AccountCategory) -> Json:
    return render(wire.AccountCategory, category)


def currency(code: str) -> Json:
    found = pycountry.currencies.get(alpha_3=code)
    name = found.name if found is not None else code
    return {"code": code, "name": name, "exponent": CURRENCY_EXPONENTS[code]}


# -- accounts, catalog, orders, services, billing, payments ----------------------------------------


def account(value: Account) -> Json:
    return render(wire.Account, value)


def account_summary(value: AccountSummary) -> Json:
    return render(wire.AccountSummary, value)


def product(value: Product) -> Json:
    created = value.created_at or _EPOCH
    return render(
        wire.Product,
        value,
        created_at=timestamp(created),
        updated_at=timestamp(value.updated_at or created),
    )


def order(value: Order) -> Json:
    return render(wire.Order, value)


def service(value: Service) -> Json:
    return render(wire.Service, value)


def etl_quote(value: EtlQuote) -> Json:
    return render(wire.EtlQuote, value)


def bill_run(value: BillRun) -> Json:
    return render(wire.BillRun, value)


def invoice(value: Invoice) -> Json:
    return render(wire.Invoice, value)


def payment(value: Payment) -> Json:
    return render(wire.Payment, value)


# -- events and webhooks --------------------------------------------------------------------------

_SUBJECTS: dict[type, Callable[[Any], Json]] = {
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
    render_subject = _SUBJECTS.get(type(value))
    if render_subject is None:
        raise TypeError(f"no contract serialisation for event subject {type(value).__name__}")
    return render_subject(value)


def event(value: Event) -> Json:
    return render(
        wire.Event,
        value,
        object={"type": value.object_type, "id": value.object_id, "version": value.object_version},
        data=subject(value.subject),
    )


def event_bytes(value: Event) -> bytes:
    """The exact webhook body (compact JSON): what is signed, delivered and replayed."""
    return jsonwire.dumps(event(value))


def webhook_endpoint(endpoint: WebhookEndpoint, *, secret: bool = False) -> Json:
    return render(wire.WebhookEndpointWithSecret if secret else wire.WebhookEndpoint, endpoint)


def attempt(value: Attempt) -> Json:
    return render(
        wire.WebhookAttempt, value, status_code=value.status, duration_ms=round(value.duration_ms, 3)
    )


def delivery(value: Delivery) -> Json:
    return render(
        wire.WebhookDelivery,
        value,
        event_id=value.message_id,
        attempts=[attempt(a) for a in value.attempts],
    )
