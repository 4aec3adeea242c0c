"""Scripted checks of the optional operations: a bill run with approval, voiding an invoice,
reversing a payment, draft orders confirmed and voided.

Each bills (or orders for) an account of its own, so they neither depend on nor disturb the
main story of ``scenarios_billing``; each is gated by the capability that declares it.
"""

from __future__ import annotations

from contracts.conformance.checks import CheckSpec, Context, check, expect_as, require
from contracts.conformance.fixtures import amount, create_account, fixtures, keys, show, walk
from contracts.conformance.scenarios_billing import (
    action,
    all_of,
    bill,
    can_bill,
    claims,
    new_invoice,
    settle,
    subscribed_account,
)
from contracts.generated import billing_models as wire


@check(
    "billing.bill_run",
    "A bill run for an account posts its invoice: it waits for approval unless auto_approve "
    "(bill_run_approval), then completes",
    operations=("createBillRun", "getBillRun", "approveBillRun", "listBillRuns", "listInvoices"),
    needs=("fixtures",),
    applies=all_of(claims("bill_runs"), action("new")),
    level="billing_operations",
    capability="bill_runs",
)
async def billing_bill_run(ctx: Context) -> None:
    account, service = await subscribed_account(ctx)
    approval = bool(ctx.capabilities.get("bill_run_approval"))
    body = {
        "account_ids": [account.id],
        "through_date": service.start_date.isoformat(),
        "auto_approve": not approval,
    }
    exchange = await ctx.client.request("POST", "/bill-runs", json_body=body)
    run, exchange = await settle(ctx, expect_as(ctx, exchange, wire.BillRun, 202), exchange)
    if approval:
        require(
            run.status == "awaiting_approval",
            "status awaiting_approval (auto_approve false, capabilities.bill_run_approval true)",
            f"status {run.status!r}",
            exchange,
        )
        exchange = await ctx.client.request("POST", f"/bill-runs/{run.id}/approve", json_body={})
        run, exchange = await settle(ctx, expect_as(ctx, exchange, wire.BillRun, 200), exchange)
    require(run.status == "completed", "the bill run completed", f"status {run.status!r}", exchange)
    listed = await walk(ctx, "/bill-runs", {}, 100, wire.BillRun)
    require(run.id in [r.id for r in listed], f"{run.id} in GET /bill-runs", f"{len(listed)} runs without it")
    invoice = await new_invoice(ctx, account, exchange)
    ctx.facts.setdefault("_other_invoices", []).append(invoice.id)
    require(invoice.status == "posted", "the run's invoice posted", f"status {invoice.status!r}", exchange)


@check(
    "invoices.void",
    "Voiding a posted invoice without payments answers it void; it leaves the amounts due",
    operations=("voidInvoice", "getInvoice"),
    needs=("fixtures",),
    applies=all_of(claims("invoice_void"), can_bill, action("new")),
    level="billing_operations",
    capability="invoice_void",
)
async def invoices_void(ctx: Context) -> None:
    account, service = await subscribed_account(ctx)
    invoice, _ = await bill(ctx, service.start_date, account, keep=False)
    exchange = await ctx.client.request("POST", f"/invoices/{invoice.id}/void", json_body={})
    voided = expect_as(ctx, exchange, wire.Invoice, 200)
    require(voided.status == "void", "status void", f"status {voided.status!r}", exchange)
    again = await ctx.client.request("GET", f"/invoices/{invoice.id}")
    got = expect_as(ctx, again, wire.Invoice, 200)
    require(got.status == "void", "status void when read again", f"status {got.status!r}", again)
    summary = await ctx.client.request("GET", f"/accounts/{account.id}/summary")
    due = expect_as(ctx, summary, wire.AccountSummary, 200).amount_due
    require(amount(due) == 0, "amount_due 0 once the only invoice is void", show(due), summary)


@check(
    "payments.reverse",
    "Reversing a succeeded payment answers it reversed and gives the amount back to the invoice",
    operations=("reversePayment", "getPayment", "getInvoice"),
    needs=("payment",),
    applies=claims("payment_reverse"),
    level="billing_operations",
    capability="payment_reverse",
)
async def payments_reverse(ctx: Context) -> None:
    payment: wire.Payment = ctx.fact("payment")
    invoice_id = payment.applied[0].invoice_id
    before = expect_as(ctx, await ctx.client.request("GET", f"/invoices/{invoice_id}"), wire.Invoice, 200)
    exchange = await ctx.client.request("POST", f"/payments/{payment.id}/reverse", json_body={})
    reversed_ = expect_as(ctx, exchange, wire.Payment, 200)
    require(reversed_.status == "reversed", "status reversed", f"status {reversed_.status!r}", exchange)
    after_exchange = await ctx.client.request("GET", f"/invoices/{invoice_id}")
    after = expect_as(ctx, after_exchange, wire.Invoice, 200)
    wanted = amount(before.amount_due) + amount(payment.applied[0].amount)
    require(
        amount(after.amount_due) == wanted,
        f"amount_due {wanted} on {invoice_id} after the reversal",
        f"amount_due {show(after.amount_due)}",
        after_exchange,
    )


@check(
    "orders.draft_confirm_void",
    "A draft order waits (202 draft) until confirmed, then completes; another draft is voided",
    operations=("createOrder", "confirmOrder", "voidOrder", "getOrder"),
    needs=("fixtures",),
    applies=action("new"),
    level="orders",
)
async def orders_draft(ctx: Context) -> None:
    fx = fixtures(ctx)
    account = await create_account(ctx, keys(ctx).next())
    item = {"action": "new", "product_id": fx.product.id, "quantity": 1, "term_option_id": fx.term_option.id}
    outcomes = {}
    for verb, wanted in (("confirm", "completed"), ("void", "voided")):
        body = {"account_id": account.id, "draft": True, "items": [item]}
        exchange = await ctx.client.request("POST", "/orders", json_body=body)
        draft = expect_as(ctx, exchange, wire.Order, 202)
        require(draft.status == "draft", "status draft (draft: true)", f"status {draft.status!r}", exchange)
        exchange = await ctx.client.request("POST", f"/orders/{draft.id}/{verb}", json_body={})
        done = expect_as(ctx, exchange, wire.Order, 200)
        require(done.status == wanted, f"status {wanted} after {verb}", f"status {done.status!r}", exchange)
        outcomes[verb] = done
    voided = outcomes["void"]
    again = await ctx.client.request("GET", f"/orders/{voided.id}")
    got = expect_as(ctx, again, wire.Order, 200)
    require(got.status == "voided", "the voided order stays voided", f"status {got.status!r}", again)


OPERATION_CHECKS: list[CheckSpec] = [billing_bill_run, invoices_void, payments_reverse, orders_draft]
