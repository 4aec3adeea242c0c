"""Scripted checks on orders, services, ETL, billing, payments, the summary and pagination.

One account lives through a whole subscription: a ``new`` order activates a service, bill-now
posts its first invoice, a ``rerate`` changes its price, an ETL quote prices its early
termination, a ``cancel`` ends it, and the final invoice must carry exactly the quoted ETL.

An invoice is obtained by the means the adapter declares: bill-now, else a bill run; without
either, the invoice checks are not applicable, naming the capabilities. The checks of optional
operations (a bill run with approval, voiding an invoice, reversing a payment) each bill an
account of their own, so they neither depend on nor disturb the main story.
"""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal
from typing import Any

from contracts.conformance.checks import (
    Capabilities,
    CheckFailed,
    CheckSpec,
    Context,
    NotApplicable,
    check,
    expect_as,
    require,
)
from contracts.conformance.fixtures import (
    amount,
    create_account,
    fixtures,
    keys,
    money,
    same_money,
    show,
    submit_order,
    walk,
)
from contracts.conformance.results import Exchange
from contracts.generated import billing_models as wire

CLOCK_STEP_DAYS = 1
#: Days of the simulator's clock the harness may move to reach a monthly cycle's bill date.
CLOCK_MAX_DAYS = 32
BILL_RUN_WAIT_SECONDS = 15.0
BILL_RUN_POLL_SECONDS = 0.2
LIVE_INVOICE_STATES = ("posted", "paid", "partially_paid")


def action(name: str) -> Any:
    def applies(capabilities: Capabilities) -> str | None:
        actions = capabilities.get("order_actions") or []
        return None if name in actions else f"'{name}' is not in capabilities.order_actions"

    return applies


def can_bill(capabilities: Capabilities) -> str | None:
    """Applicability of a check that needs an invoice of its own by bill-now or a bill run."""
    if capabilities.get("bill_now") or capabilities.get("bill_runs"):
        return None
    return (
        "no declared means to obtain an invoice: capabilities.bill_now and capabilities.bill_runs "
        f"are {capabilities.get('bill_now')!r} and {capabilities.get('bill_runs')!r}"
    )


async def _by_clock(ctx: Context, account: wire.Account) -> tuple[wire.Invoice, Exchange]:
    """The third declared means: the simulator's clock (``/__sim/clock``) moved day by day to the
    account's next bill date, where its auto-billing, auto-approving cycle posts the invoice."""
    reason = can_bill(ctx.capabilities)
    assert reason is not None
    clock = await ctx.client.request("GET", "/__sim/clock", auth=None)
    cycle = fixtures(ctx).bill_cycle
    if clock.status != 200 or clock.media_type != "application/json":
        raise NotApplicable(
            f"{reason}, and the target has no simulator clock (GET /__sim/clock {clock.status})"
        )
    if not (cycle.auto_bill and cycle.auto_approve and cycle.type == "monthly"):
        raise NotApplicable(
            f"{reason}, and bill cycle {cycle.id} does not post invoices by itself on a monthly date "
            f"(auto_bill {cycle.auto_bill}, auto_approve {cycle.auto_approve}, type {cycle.type})"
        )
    exchange = clock
    for _ in range(CLOCK_MAX_DAYS):
        exchange = await ctx.client.request(
            "POST", "/__sim/clock", json_body={"advance_by": f"P{CLOCK_STEP_DAYS}D"}, auth=None
        )
        require(exchange.status == 200, "the simulator clock moved", exchange.summary(), exchange)
        ctx.facts["clock_days"] = ctx.facts.get("clock_days", 0) + CLOCK_STEP_DAYS
        invoices = await walk(ctx, "/invoices", {"account_id": account.id}, 100, wire.Invoice)
        known = set(ctx.facts.get("invoices", [])) | set(ctx.facts.get("_other_invoices", []))
        fresh = [i for i in invoices if i.id not in known]
        if fresh:
            return fresh[0], exchange
    raise CheckFailed(
        f"an invoice for {account.id} from bill cycle {cycle.id} within {CLOCK_MAX_DAYS} days of the simulator clock",
        "none posted",
        exchange,
    )


def claims(name: str) -> Any:
    def applies(capabilities: Capabilities) -> str | None:
        value = capabilities.get(name)
        return None if value else f"capabilities.{name} is {value!r}"

    return applies


def all_of(*rules: Any) -> Any:
    def applies(capabilities: Capabilities) -> str | None:
        return next((r for r in (rule(capabilities) for rule in rules) if r is not None), None)

    return applies


def _etl(capabilities: Capabilities) -> str | None:
    return "capabilities.etl is 'none'" if capabilities.get("etl") == "none" else None


def _etl_and_billing(capabilities: Capabilities) -> str | None:
    # Billing itself is by the declared means (bill()), not applicable when there is none.
    return _etl(capabilities) or action("cancel")(capabilities)


@check(
    "orders.new_activates_service",
    "An order with a `new` item completes and activates a service listed for the account",
    operations=("createOrder", "getService", "listServices"),
    needs=("account", "fixtures"),
    applies=action("new"),
    provides=("service", "orders"),
    level="orders",
    capability="order_actions",
)
async def orders_new(ctx: Context) -> None:
    account: wire.Account = ctx.fact("account")
    fx = fixtures(ctx)
    line = keys(ctx).next("0QL")
    body = {
        "external_id": keys(ctx).next("801"),
        "account_id": account.id,
        "requested_by": "q2c-verify",
        "items": [
            {
                "external_id": line,
                "action": "new",
                "product_id": fx.product.id,
                "quantity": 1,
                "term_option_id": fx.term_option.id,
            }
        ],
    }
    order, exchange = await submit_order(ctx, body)
    service_id = order.items[0].result_service_id
    require(bool(service_id), "items.0.result_service_id", repr(service_id), exchange)
    exchange = await ctx.client.request("GET", f"/services/{service_id}")
    service = expect_as(ctx, exchange, wire.Service, 200)
    for name, wanted in (
        ("status", "active"),
        ("account_id", account.id),
        ("product_id", fx.product.id),
        ("external_id", line),
    ):
        got = getattr(service, name)
        require(got == wanted, f"service {name} {wanted!r}", f"{name} {got!r}", exchange)
    listed = await walk(ctx, "/services", {"account_id": account.id}, 100, wire.Service)
    require(
        service_id in [s.id for s in listed],
        f"{service_id} in GET /services?account_id",
        str([s.id for s in listed]),
    )
    ctx.facts["service"] = service


async def settle(ctx: Context, run: wire.BillRun, exchange: Exchange) -> tuple[wire.BillRun, Exchange]:
    """Read a bill run (a long-running operation) again until it leaves pending/running."""
    deadline = asyncio.get_running_loop().time() + BILL_RUN_WAIT_SECONDS
    while run.status in ("pending", "running") and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(BILL_RUN_POLL_SECONDS)  # the contract's way: read it again
        exchange = await ctx.client.request("GET", f"/bill-runs/{run.id}")
        run = expect_as(ctx, exchange, wire.BillRun, 200)
    return run, exchange


async def new_invoice(ctx: Context, account: wire.Account, exchange: Exchange) -> wire.Invoice:
    invoices = await walk(ctx, "/invoices", {"account_id": account.id}, 100, wire.Invoice)
    known = set(ctx.facts.get("invoices", [])) | set(ctx.facts.get("_other_invoices", []))
    fresh = [i for i in invoices if i.id not in known]
    require(len(fresh) == 1, "one new invoice for the account", f"{len(fresh)} new invoices", exchange)
    return fresh[0]


async def bill(
    ctx: Context, through: date, account: wire.Account | None = None, *, keep: bool = True
) -> tuple[wire.Invoice, Exchange]:
    """An invoice for the account's unbilled charges by the declared means: bill-now, or a bill
    run for the account through ``through`` (the service's start). ``keep``: the invoice is the
    main story's (the ``invoices`` fact), else one a check made for itself."""
    account = account or ctx.fact("account")
    assert account is not None
    if ctx.capabilities.get("bill_now"):
        exchange = await ctx.client.request("POST", f"/accounts/{account.id}/bill-now", json_body={})
        invoice = expect_as(ctx, exchange, wire.Invoice, 201)
    elif not ctx.capabilities.get("bill_runs"):
        invoice, exchange = await _by_clock(ctx, account)
    else:
        body = {"account_ids": [account.id], "through_date": through.isoformat(), "auto_approve": True}
        exchange = await ctx.client.request("POST", "/bill-runs", json_body=body)
        run, exchange = await settle(ctx, expect_as(ctx, exchange, wire.BillRun, 202), exchange)
        require(run.status == "completed", "the bill run completed", f"status {run.status!r}", exchange)
        invoice = await new_invoice(ctx, account, exchange)
    require(invoice.account_id == account.id, f"account_id {account.id}", invoice.account_id, exchange)
    require(invoice.status == "posted", "status posted", f"status {invoice.status!r}", exchange)
    ctx.facts.setdefault("invoices" if keep else "_other_invoices", []).append(invoice.id)
    return invoice, exchange


async def subscribed_account(ctx: Context) -> tuple[wire.Account, wire.Service]:
    """An account of the check's own with one new service (something to bill)."""
    fx = fixtures(ctx)
    account = await create_account(ctx, keys(ctx).next())
    item = {"action": "new", "product_id": fx.product.id, "quantity": 1, "term_option_id": fx.term_option.id}
    order, exchange = await submit_order(ctx, {"account_id": account.id, "items": [item]})
    service_id = order.items[0].result_service_id
    require(bool(service_id), "items.0.result_service_id", repr(service_id), exchange)
    got = await ctx.client.request("GET", f"/services/{service_id}")
    return account, expect_as(ctx, got, wire.Service, 200)


@check(
    "billing.bill_now",
    "An invoice with the new service's charges by the declared means (bill-now, a bill run, or the "
    "simulator's clock), readable at GET /invoices/{id}",
    operations=("billAccountNow", "getInvoice"),
    needs=("service",),
    provides=("invoices",),
    level="billing_operations",
    capability="bill_now",
)
async def billing_bill_now(ctx: Context) -> None:
    service: wire.Service = ctx.fact("service")
    invoice, exchange = await bill(ctx, service.start_date)
    service_id = service.id
    require(
        any(line.service_id == service_id for line in invoice.lines),
        f"a line for service {service_id}",
        str([(line.charge_type, line.service_id) for line in invoice.lines]),
        exchange,
    )
    again = await ctx.client.request("GET", f"/invoices/{invoice.id}")
    got = expect_as(ctx, again, wire.Invoice, 200)
    require(same_money(got.total, invoice.total), f"total {show(invoice.total)}", show(got.total), again)


@check(
    "orders.rerate",
    "A `rerate` order changes the service's recurring price",
    operations=("createOrder", "getService"),
    needs=("service",),
    applies=action("rerate"),
    level="orders",
    capability="order_actions",
)
async def orders_rerate(ctx: Context) -> None:
    service: wire.Service = ctx.fact("service")
    fx = fixtures(ctx)
    require(service.recurring_price is not None, "a recurring_price to change", "null")
    assert service.recurring_price is not None
    new_price = money(amount(service.recurring_price) + Decimal(10), fx)
    overrides = {"recurring": new_price.model_dump()}
    item = {"action": "rerate", "service_id": service.id, "price_overrides": overrides}
    await submit_order(ctx, {"account_id": service.account_id, "items": [item]})
    exchange = await ctx.client.request("GET", f"/services/{service.id}")
    got = expect_as(ctx, exchange, wire.Service, 200)
    require(
        same_money(got.recurring_price, new_price),
        f"recurring_price {show(new_price)}",
        f"recurring_price {show(got.recurring_price)}",
        exchange,
    )
    require(got.status == "active", "status active", f"status {got.status!r}", exchange)
    ctx.facts["service"] = got


@check(
    "services.etl_quote",
    "An ETL quote prices early termination without side effects",
    operations=("quoteServiceEtl", "getService"),
    needs=("service",),
    applies=_etl,
    provides=("quote",),
    level="billing_operations",
    capability="etl",
)
async def services_etl_quote(ctx: Context) -> None:
    service: wire.Service = ctx.fact("service")
    fx = fixtures(ctx)
    exchange = await ctx.client.request("POST", f"/services/{service.id}/etl-quote", json_body={})
    quote = expect_as(ctx, exchange, wire.EtlQuote, 200)
    require(quote.service_id == service.id, f"service_id {service.id}", quote.service_id, exchange)
    require(quote.amount.currency == fx.currency, f"currency {fx.currency}", show(quote.amount), exchange)
    if fx.has_etl_rule:
        require(
            amount(quote.amount) > 0,
            f"a positive amount (term option {fx.term_option.id} has an ETL rule)",
            f"{show(quote.amount)} (reason {quote.reason!r})",
            exchange,
        )
    after = await ctx.client.request("GET", f"/services/{service.id}")
    got = expect_as(ctx, after, wire.Service, 200)
    require(
        (got.status, got.version) == (service.status, service.version),
        f"the service unchanged (status {service.status}, version {service.version})",
        f"status {got.status}, version {got.version}",
        after,
    )
    ctx.facts["quote"] = quote


@check(
    "orders.cancel",
    "A `cancel` order ends the service and charges the quoted ETL",
    operations=("createOrder", "getService"),
    needs=("service",),
    applies=action("cancel"),
    provides=("cancelled",),
    level="orders",
    capability="order_actions",
)
async def orders_cancel(ctx: Context) -> None:
    service: wire.Service = ctx.fact("service")
    quote: wire.EtlQuote | None = ctx.facts.get("quote")
    item: dict[str, Any] = {
        "action": "cancel",
        "service_id": service.id,
        "cancel_reason": "customer_request",
    }
    if quote is not None:
        item["effective_date"] = quote.effective_date.isoformat()
        item["etl"] = {"apply": True}
    order, order_exchange = await submit_order(ctx, {"account_id": service.account_id, "items": [item]})
    exchange = await ctx.client.request("GET", f"/services/{service.id}")
    got = expect_as(ctx, exchange, wire.Service, 200)
    require(got.status == "cancelled", "status cancelled", f"status {got.status!r}", exchange)
    if quote is not None:
        charged = order.items[0].etl_amount
        require(
            same_money(charged, quote.amount),
            f"items.0.etl_amount {show(quote.amount)} (the quote)",
            show(charged),
            order_exchange,
        )
        require(
            same_money(got.etl_amount, quote.amount),
            f"service etl_amount {show(quote.amount)}",
            show(got.etl_amount),
            exchange,
        )
    ctx.facts["cancelled"] = got


@check(
    "billing.final_invoice_etl",
    "The final invoice carries one early_termination line equal to the ETL quote",
    operations=("billAccountNow",),
    needs=("quote", "cancelled"),
    applies=_etl_and_billing,
    level="billing_operations",
)
async def billing_final_invoice(ctx: Context) -> None:
    quote: wire.EtlQuote = ctx.fact("quote")
    service: wire.Service = ctx.fact("cancelled")
    invoice, exchange = await bill(ctx, ctx.fact("service").start_date)
    lines = [
        line
        for line in invoice.lines
        if line.charge_type == "early_termination" and line.service_id == service.id
    ]
    require(len(lines) == 1, "one early_termination line for the service", f"{len(lines)} lines", exchange)
    require(
        same_money(lines[0].amount, quote.amount),
        f"early_termination {show(quote.amount)} (the quote)",
        f"early_termination {show(lines[0].amount)}",
        exchange,
    )


@check(
    "payments.apply",
    "A payment applied to an invoice (explicit apply_to, or the oldest open invoice without it) "
    "succeeds and reduces the invoice's amount_due",
    operations=("createPayment", "getInvoice"),
    needs=("invoices",),
    provides=("payment",),
)
async def payments_apply(ctx: Context) -> None:
    account: wire.Account = ctx.fact("account")
    fx = fixtures(ctx)
    methods = list(ctx.capabilities.get("payment_methods") or ["external"])
    method = "external" if "external" in methods else methods[0]
    # The oldest invoice: where a payment without apply_to goes, and what apply_to names.
    first = ctx.fact("invoices")[0]
    before = expect_as(ctx, await ctx.client.request("GET", f"/invoices/{first}"), wire.Invoice, 200)
    due = amount(before.amount_due)
    require(due > 0, f"an amount due on {first} to pay", show(before.amount_due))
    paid = money(min(Decimal(10), due), fx)
    body: dict[str, Any] = {
        "account_id": account.id,
        "amount": paid.model_dump(),
        "method": method,
        "reference": f"q2cv-{ctx.run_id}",
    }
    if ctx.capabilities.get("payment_apply_to"):
        body["apply_to"] = [{"invoice_id": first, "amount": paid.model_dump()}]
    exchange = await ctx.client.request("POST", "/payments", json_body=body)
    payment = expect_as(ctx, exchange, wire.Payment, 201)
    require(payment.status == "succeeded", "status succeeded", f"status {payment.status!r}", exchange)
    applied = [a for a in payment.applied if a.invoice_id == first]
    require(
        len(applied) == 1 and same_money(applied[0].amount, paid),
        f"applied [{first}: {show(paid)}]",
        str([(a.invoice_id, show(a.amount)) for a in payment.applied]),
        exchange,
    )
    after_exchange = await ctx.client.request("GET", f"/invoices/{first}")
    after = expect_as(ctx, after_exchange, wire.Invoice, 200)
    require(
        amount(after.amount_due) == due - amount(paid),
        f"amount_due {due - amount(paid)} after paying {show(paid)}",
        f"amount_due {show(after.amount_due)}",
        after_exchange,
    )
    ctx.facts["payment"] = payment


def _total(amounts: list[wire.Money]) -> Decimal:
    return sum((amount(m) for m in amounts), Decimal(0))


@check(
    "summary.matches_invoices",
    "The account summary agrees with its invoices and payments",
    operations=("getAccountSummary", "listInvoices", "listPayments"),
    needs=("account", "invoices"),
)
async def summary_matches(ctx: Context) -> None:
    account: wire.Account = ctx.fact("account")
    exchange = await ctx.client.request("GET", f"/accounts/{account.id}/summary")
    summary = expect_as(ctx, exchange, wire.AccountSummary, 200)
    invoices = await walk(ctx, "/invoices", {"account_id": account.id}, 100, wire.Invoice)
    payments = await walk(ctx, "/payments", {"account_id": account.id}, 100, wire.Payment)
    live = [i for i in invoices if i.status in LIVE_INVOICE_STATES]
    succeeded = [p for p in payments if p.status == "succeeded"]
    # (figure, what the invoices and payments say, what the summary says)
    figures = [
        ("total_billed", _total([i.total for i in live]), summary.total_billed),
        ("amount_due", _total([i.amount_due for i in live]), summary.amount_due),
        ("past_due_amount", _total([i.amount_due for i in live if i.is_overdue]), summary.past_due_amount),
        ("unapplied_credit", _total([p.unapplied_amount for p in succeeded]), summary.unapplied_credit),
    ]
    wrong: list[tuple[str, str, str]] = [
        (name, f"{value} {summary.currency}", show(said))
        for name, value, said in figures
        if amount(said) != value
    ]
    ordered = sorted(live, key=lambda i: (i.issue_date, i.number))
    if ordered:
        for name, ref, invoice in (
            ("first_invoice", summary.first_invoice, ordered[0]),
            ("latest_invoice", summary.latest_invoice, ordered[-1]),
        ):
            ref_id, ref_amount = (ref.id, ref.amount) if ref is not None else (None, None)
            if ref_id != invoice.id or not same_money(ref_amount, invoice.total):
                wrong.append((name, f"{invoice.id} {show(invoice.total)}", f"{ref_id} {show(ref_amount)}"))
    if succeeded:
        last = summary.last_payment.id if summary.last_payment is not None else None
        if last not in {p.id for p in succeeded}:
            wrong.append(("last_payment", f"one of {sorted(p.id for p in succeeded)}", repr(last)))
    if wrong:
        raise CheckFailed(
            "figures from GET /invoices and GET /payments: " + "; ".join(f"{n} {e}" for n, e, _ in wrong),
            "summary: " + "; ".join(f"{n} {a}" for n, _, a in wrong),
            exchange,
        )


#: The contract model of each list the pagination check walks.
_LISTED: dict[str, type[wire.Order] | type[wire.Invoice] | type[wire.Event]] = {
    "/orders": wire.Order,
    "/invoices": wire.Invoice,
    "/events": wire.Event,
}


async def _walk_ids(ctx: Context, path: str, query: dict[str, Any], limit: int) -> list[str]:
    return [item.id for item in await walk(ctx, path, query, limit, _LISTED[path])]


@check(
    "pagination.walk",
    "Cursor pagination returns every record exactly once, in the same order at any page size",
    operations=("listOrders", "listInvoices", "listEvents"),
    needs=("account",),
)
async def pagination_walk(ctx: Context) -> None:
    account: wire.Account = ctx.fact("account")
    scope = {"account_id": account.id}
    lists: list[tuple[str, set[str] | None]] = [
        ("/invoices", set(ctx.facts.get("invoices", [])) or None),
    ]
    if "orders" in ctx.facts:  # the orders level ran: its orders walk too
        lists.insert(0, ("/orders", set(ctx.fact("orders"))))
    if ctx.capabilities.get("event_log"):
        lists.append(("/events", None))
    for path, known in lists:
        reference = await _walk_ids(ctx, path, scope, 100)
        for limit in (1, 2):
            walked = await _walk_ids(ctx, path, scope, limit)
            repeated = sorted({i for i in walked if walked.count(i) > 1})
            skipped = [i for i in reference if i not in walked]
            require(not repeated, f"{path}?limit={limit} without repeats", f"repeated {repeated}")
            require(not skipped, f"{path}?limit={limit} with every record", f"skipped {skipped}")
            require(walked == reference, f"{path}?limit={limit} in the limit=100 order", str(walked))
        if known is not None:
            missing = sorted(known - set(reference))
            require(not missing, f"{path} with every record the harness created", f"missing {missing}")


BILLING_CHECKS: list[CheckSpec] = [
    orders_new,
    billing_bill_now,
    orders_rerate,
    services_etl_quote,
    orders_cancel,
    billing_final_invoice,
    payments_apply,
    summary_matches,
    pagination_walk,
]
