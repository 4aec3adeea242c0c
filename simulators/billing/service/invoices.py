"""Invoices: list, read and void."""

from __future__ import annotations

from datetime import date

from simulators.billing.engine import clockwork
from simulators.billing.engine.runtime import Runtime
from simulators.billing.models import errors
from simulators.billing.models.invoices import Invoice
from simulators.billing.service.lookup import found


class InvoiceService:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def find(
        self,
        *,
        account_id: str | None = None,
        status: str | None = None,
        issued_from: date | None = None,
        issued_to: date | None = None,
    ) -> list[Invoice]:
        store = self.rt.store
        listed = (
            store.account_invoices(account_id) if account_id is not None else list(store.invoices.values())
        )
        return [
            inv
            for inv in listed
            if (status is None or inv.status == status)
            and (issued_from is None or inv.issue_date >= issued_from)
            and (issued_to is None or inv.issue_date <= issued_to)
        ]

    def get(self, invoice_id: str) -> Invoice:
        return found(self.rt.store.invoices, invoice_id, "invoice")

    def void(self, invoice_id: str) -> Invoice:
        """Void a posted invoice with nothing paid on it (its charges are written off)."""
        rt = self.rt
        invoice = self.get(invoice_id)
        if invoice.status != "posted" or invoice.amount_paid.amount != 0:
            raise errors.fail(
                errors.INVALID_INVOICE_STATE,
                f"invoice {invoice_id!r} is {invoice.status}; only posted invoices with nothing paid can be voided",
            )
        invoice.status = "void"
        invoice.amount_due = invoice.amount_paid
        rt.touch(invoice)
        rt.mark_dirty(invoice.account_id)
        rt.emit("invoice.voided", invoice, object_type="invoice", account_id=invoice.account_id)
        clockwork.settle(rt)
        return invoice
