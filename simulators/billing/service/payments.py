"""Payments: record (applied oldest invoice first, or as told), list, read and reverse."""

from __future__ import annotations

from simulators.billing.engine import clockwork
from simulators.billing.engine import payments as payment_rules
from simulators.billing.engine.runtime import Runtime
from simulators.billing.models import errors
from simulators.billing.models.payments import Payment, PaymentDraft
from simulators.billing.service.lookup import found


class PaymentService:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def create(self, draft: PaymentDraft) -> Payment:
        if draft.account_id is None:
            raise errors.missing("account_id")
        account = self.rt.store.accounts.get(draft.account_id)
        if account is None:
            raise errors.fail(
                errors.UNKNOWN_ACCOUNT, f"account {draft.account_id!r} does not exist", param="account_id"
            )
        payment = payment_rules.create(self.rt, account, draft)
        clockwork.settle(self.rt)
        return payment

    def find(self, *, account_id: str | None = None) -> list[Payment]:
        store = self.rt.store
        return store.account_payments(account_id) if account_id is not None else list(store.payments.values())

    def get(self, payment_id: str) -> Payment:
        return found(self.rt.store.payments, payment_id, "payment")

    def reverse(self, payment_id: str) -> Payment:
        payment = payment_rules.reverse(self.rt, self.get(payment_id))
        clockwork.settle(self.rt)
        return payment
