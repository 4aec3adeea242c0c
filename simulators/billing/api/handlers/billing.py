"""Bill runs, invoices and payments."""

from __future__ import annotations

from simulators.billing.api import parse, serialize
from simulators.billing.api.calls import Call, Reply
from simulators.billing.api.pagination import page
from simulators.billing.models.invoices import Invoice
from simulators.billing.models.payments import ApplyTo, PaymentDraft


def list_bill_runs(call: Call) -> Reply:
    q = call.query
    return Reply.ok(
        page(call.api.system.bill_runs(), serialize.bill_run, limit=q["limit"], cursor=q.get("cursor"))
    )


def create_bill_run(call: Call) -> Reply:
    account_ids = call.arg("account_ids")
    run = call.api.system.start_bill_run(
        bill_cycle_id=call.arg("bill_cycle_id"),
        account_ids=None if account_ids is None else list(account_ids),
        through_date=parse.day(call.body["through_date"]),
        auto_approve=call.arg("auto_approve"),
    )
    return Reply.created(serialize.bill_run(run), f"/bill-runs/{run.id}", version=run.version, status=202)


def get_bill_run(call: Call) -> Reply:
    run = call.api.system.get_bill_run(call.id)
    return Reply.ok(serialize.bill_run(run), version=run.version)


def approve_bill_run(call: Call) -> Reply:
    run = call.api.system.approve_bill_run(call.id)
    return Reply.ok(serialize.bill_run(run), version=run.version)


def list_invoices(call: Call) -> Reply:
    q = call.query
    found = call.api.system.invoices(
        account_id=q.get("account_id"),
        status=q.get("status"),
        issued_from=parse.opt_day(q.get("issued_from")),
        issued_to=parse.opt_day(q.get("issued_to")),
    )
    since = parse.opt_timestamp(q.get("updated_since"))
    if since is None:
        return Reply.ok(page(found, serialize.invoice, limit=q["limit"], cursor=q.get("cursor")))
    # Changed since an instant, oldest change first: the cursor is the (updated_at, id) position,
    # so an invoice updated again while a client pages moves behind it and is read again.
    changed = sorted((i for i in found if i.updated_at >= since), key=_change_position)
    return Reply.ok(
        page(
            changed,
            serialize.invoice,
            limit=q["limit"],
            cursor=q.get("cursor"),
            key=_change_position,
            ordered=True,
        )
    )


def _change_position(invoice: Invoice) -> str:
    return f"{invoice.updated_at:%Y%m%dT%H%M%S.%fZ}~{invoice.id}"


def get_invoice(call: Call) -> Reply:
    invoice = call.api.system.get_invoice(call.id)
    return Reply.ok(serialize.invoice(invoice), version=invoice.version)


def void_invoice(call: Call) -> Reply:
    invoice = call.api.system.void_invoice(call.id)
    return Reply.ok(serialize.invoice(invoice), version=invoice.version)


def list_payments(call: Call) -> Reply:
    q = call.query
    found = call.api.system.payments(account_id=q.get("account_id"))
    return Reply.ok(page(found, serialize.payment, limit=q["limit"], cursor=q.get("cursor")))


def create_payment(call: Call) -> Reply:
    body = call.body
    apply_to = body.get("apply_to")
    draft = PaymentDraft(
        account_id=body["account_id"],
        amount=parse.money(body["amount"]),
        reference=body.get("reference"),
        received_date=parse.opt_day(body.get("received_date")),
        apply_to=None
        if apply_to is None
        else [ApplyTo(item["invoice_id"], parse.money(item["amount"])) for item in apply_to],
    )
    if "method" in body:
        draft.method = body["method"]
    payment = call.api.system.create_payment(draft)
    return Reply.created(serialize.payment(payment), f"/payments/{payment.id}", version=payment.version)


def get_payment(call: Call) -> Reply:
    payment = call.api.system.get_payment(call.id)
    return Reply.ok(serialize.payment(payment), version=payment.version)


def reverse_payment(call: Call) -> Reply:
    payment = call.api.system.reverse_payment(call.id)
    return Reply.ok(serialize.payment(payment), version=payment.version)
