"""The customer self-care portal (``/portal``): sign-in with a session, then one customer's own
billing account only: amounts due, invoices with lines, payments, services, open CRM orders,
and Pay my bill (a payment in billing; its webhooks reach the core, which updates the CRM)."""

from __future__ import annotations

import asyncio
import hmac
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session, new_session

from web.settings import PortalCustomer
from web.upstream import SETTINGS, Part, part, path_segment, soql_literal, upstreams

OPEN_ORDER_STATES = ("Draft", "Activated", "Submitted", "In Progress")


def routes(app: web.Application) -> None:
    app.router.add_get("/portal", home, name="portal")
    app.router.add_get("/portal/login", login_form, name="portal_login")
    app.router.add_post("/portal/login", login, name="portal_login_post")
    app.router.add_post("/portal/logout", logout, name="portal_logout")
    app.router.add_get("/portal/invoices/{id}", invoice, name="portal_invoice")
    app.router.add_post("/portal/pay", pay, name="portal_pay")


def find_customer(request: web.Request, email: str) -> PortalCustomer | None:
    for customer in request.app[SETTINGS].customers:
        if customer.email == email:
            return customer
    return None


async def signed_in(request: web.Request) -> PortalCustomer:
    session = await get_session(request)
    customer = find_customer(request, str(session.get("customer", "")))
    if customer is None:
        raise web.HTTPSeeOther("/portal/login")
    return customer


async def own_account(request: web.Request, customer: PortalCustomer) -> dict[str, Any]:
    """The billing account this customer is mapped to; a page, not a crash, when it is missing."""
    account = await upstreams(request).billing_account_by_number(customer.account_number)
    if account is None:
        raise web.HTTPNotFound(text=f"Your billing account {customer.account_number} is not in billing.")
    return account


# -- sign-in ----------------------------------------------------------------------------------


@aiohttp_jinja2.template("portal/login.html")
async def login_form(request: web.Request) -> dict[str, Any]:
    return {
        "page": "portal",
        "form": {"email": ""},
        "errors": {},
        "customers": request.app[SETTINGS].customers,
    }


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    email = str(form.get("email", "")).strip().lower()
    password = str(form.get("password", ""))
    errors: dict[str, str] = {}
    if not email or "@" not in email:
        errors["email"] = "Enter the email address you sign in with."
    if not password:
        errors["password"] = "Enter your password."
    customer = find_customer(request, email) if not errors else None
    # One message for a wrong email or a wrong password: the form never tells which exist.
    if not errors and (customer is None or not hmac.compare_digest(customer.password, password)):
        errors["password"] = "That email and password do not match."
    if errors:
        context = {
            "page": "portal",
            "form": {"email": email},
            "errors": errors,
            "customers": request.app[SETTINGS].customers,
        }
        return aiohttp_jinja2.render_template("portal/login.html", request, context, status=400)
    assert customer is not None
    session = await new_session(request)  # a fresh session (and CSRF token) on sign-in
    session["customer"] = customer.email
    session["csrf"] = secrets.token_urlsafe(32)
    raise web.HTTPSeeOther("/portal")


async def logout(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    session.invalidate()
    raise web.HTTPSeeOther("/portal/login")


# -- the customer's own account -------------------------------------------------------------


async def home_context(
    request: web.Request, form: dict[str, str] | None = None, errors: dict[str, str] | None = None
) -> dict[str, Any]:
    customer = await signed_in(request)
    up = upstreams(request)
    account = await own_account(request, customer)
    account_id = account["id"]
    summary, invoices, payments, services, orders = await asyncio.gather(
        part(up.billing("GET", f"/accounts/{path_segment(account_id)}/summary")),
        part(up.billing_list("/invoices", params={"account_id": account_id}, pages=3)),
        part(up.billing_list("/payments", params={"account_id": account_id}, pages=3)),
        part(up.billing_list("/services", params={"account_id": account_id, "status": "active"}, pages=3)),
        part(open_orders(request, account)),
    )
    due = summary.value["amount_due"]["amount"] if summary.value else ""
    return {
        "page": "portal",
        "customer": customer,
        "account": account,
        "summary": summary,
        "invoices": invoices,
        "payments": payments,
        "services": services,
        "orders": orders,
        "form": form or {"amount": due, "key": secrets.token_urlsafe(16)},
        "errors": errors or {},
        "notice": request.query.get("notice"),
    }


async def open_orders(request: web.Request, account: dict[str, Any]) -> list[dict[str, Any]]:
    """Open orders of the CRM Account this billing account is linked to (by its external id)."""
    external_id = account.get("external_id")
    if not external_id:
        return []
    states = ", ".join(soql_literal(s) for s in OPEN_ORDER_STATES)
    return await upstreams(request).query(
        "SELECT Id, OrderNumber, Status, EffectiveDate FROM Order"
        f" WHERE AccountId = {soql_literal(str(external_id))} AND Status IN ({states})"
        " ORDER BY EffectiveDate DESC LIMIT 20"
    )


@aiohttp_jinja2.template("portal/home.html")
async def home(request: web.Request) -> dict[str, Any]:
    return await home_context(request)


@aiohttp_jinja2.template("portal/invoice.html")
async def invoice(request: web.Request) -> dict[str, Any]:
    customer = await signed_in(request)
    account = await own_account(request, customer)
    invoice_id = request.match_info["id"]
    found: Part[Any] = await part(upstreams(request).billing("GET", f"/invoices/{path_segment(invoice_id)}"))
    # Someone else's invoice is "not found", exactly like one that does not exist.
    if (found.error is not None and found.error.status in (400, 404)) or (
        found.value is not None and found.value.get("account_id") != account["id"]
    ):
        raise web.HTTPNotFound(text="There is no such invoice on your account.")
    return {"page": "portal", "customer": customer, "account": account, "found": found}


def payment_amount(raw: str, due: Decimal | None) -> tuple[Decimal | None, str | None]:
    """The amount typed in the form, or why it cannot be paid."""
    try:
        amount = Decimal(raw.strip().replace(",", ""))
    except InvalidOperation:
        return None, "Enter an amount such as 25.00."
    if not amount.is_finite() or amount <= 0:
        return None, "Enter an amount greater than zero."
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        return None, "Use at most two decimals."
    if due is not None and amount > due:
        return None, f"You owe {due}; pay at most that amount."
    return amount, None


async def pay(request: web.Request) -> web.StreamResponse:
    customer = await signed_in(request)
    form = await request.post()
    raw, key = str(form.get("amount", "")), str(form.get("key", "")) or secrets.token_urlsafe(16)
    account = await own_account(request, customer)
    up = upstreams(request)
    summary = await up.billing("GET", f"/accounts/{path_segment(account['id'])}/summary")
    due = Decimal(summary["amount_due"]["amount"])
    amount, error = payment_amount(raw, due)
    if error is None and due <= 0:
        error = "There is nothing to pay on your account."
    if amount is None or error is not None:
        context = await home_context(request, {"amount": raw, "key": key}, {"amount": error or ""})
        return aiohttp_jinja2.render_template("portal/home.html", request, context, status=400)
    body = {
        "account_id": account["id"],
        "amount": {"amount": f"{amount:.2f}", "currency": account["currency"]},
        "method": "card",
        "reference": f"portal-{key}",
    }
    # The form's key makes a double submit one payment (billing replays the first answer).
    payment = await up.billing("POST", "/payments", json=body, headers={"Idempotency-Key": f"portal-{key}"})
    raise web.HTTPSeeOther(
        str(
            request.app.router["portal"]
            .url_for()
            .with_query(
                notice=f"Thank you: payment {payment['id']} of {amount:.2f} {account['currency']} received."
            )
        )
    )
