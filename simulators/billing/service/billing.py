"""Billing: bill runs (by cycle or by account list, approved at once or later) and bill-now."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

from simulators.billing.engine import bill_run, clockwork
from simulators.billing.engine.runtime import Runtime
from simulators.billing.models import errors
from simulators.billing.models.accounts import Account
from simulators.billing.models.invoices import BillRun, Invoice
from simulators.billing.service.lookup import found

#: Billing in advance reaches at most a year ahead, catch-up at most ten years back.
MAX_AHEAD_DAYS = 366
MAX_BACK_DAYS = 3653


class BillingService:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def start_bill_run(
        self,
        *,
        bill_cycle_id: str | None = None,
        account_ids: Collection[str] | None = None,
        through_date: date,
        auto_approve: bool | None = None,
    ) -> BillRun:
        rt = self.rt
        if bill_cycle_id is None and account_ids is None:
            raise errors.missing("bill_cycle_id", "bill_cycle_id or account_ids")
        if bill_cycle_id is not None and account_ids is not None:
            raise errors.invalid("account_ids", "give bill_cycle_id or account_ids, not both")
        self._check_through(through_date)
        approve = rt.settings.default_auto_approve if auto_approve is None else auto_approve
        ids: tuple[str, ...] | None = None
        if bill_cycle_id is not None:
            accounts = self._cycle_accounts(bill_cycle_id)
        else:
            assert account_ids is not None
            ids = tuple(dict.fromkeys(account_ids))
            accounts = self._listed_accounts(ids)
        result = bill_run.run(
            rt,
            accounts,
            through=through_date,
            auto_approve=approve,
            trigger="api",
            bill_cycle_id=bill_cycle_id,
            account_ids=ids,
        )
        clockwork.settle(rt)
        return result

    def _cycle_accounts(self, bill_cycle_id: str) -> list[Account]:
        """The accounts of a cycle a run may bill (none while its previous run awaits approval)."""
        store = self.rt.store
        cycle = store.bill_cycles.get(bill_cycle_id)
        if cycle is None:
            raise errors.fail(
                errors.UNKNOWN_BILL_CYCLE,
                f"bill cycle {bill_cycle_id!r} does not exist",
                param="bill_cycle_id",
            )
        open_run = store.open_run_by_cycle.get(cycle.id)
        if open_run is not None:
            raise errors.fail(
                errors.BILL_RUN_AWAITING_APPROVAL,
                f"bill run {open_run} of this cycle awaits approval; the next run waits for it",
                param="bill_cycle_id",
                extra={"bill_run_id": open_run},
            )
        return [store.accounts[a] for a in store.accounts_by_cycle.get(cycle.id, {})]

    def _listed_accounts(self, account_ids: tuple[str, ...]) -> list[Account]:
        """The listed accounts, each known and holding no draft invoice (``account_ids.<i>``)."""
        store = self.rt.store
        if not account_ids:
            raise errors.missing("account_ids", "at least one account id")
        accounts = []
        for i, account_id in enumerate(account_ids):
            account = store.accounts.get(account_id)
            if account is None:
                raise errors.fail(
                    errors.UNKNOWN_ACCOUNT,
                    f"account {account_id!r} does not exist",
                    param=f"account_ids.{i}",
                )
            if account_id in store.draft_invoice_by_account:
                raise errors.fail(
                    errors.DRAFT_INVOICE_PENDING,
                    f"account {account_id} has a draft invoice awaiting approval",
                    param=f"account_ids.{i}",
                    extra={"invoice_id": store.draft_invoice_by_account[account_id]},
                )
            accounts.append(account)
        return accounts

    def approve_bill_run(self, bill_run_id: str) -> BillRun:
        run = self.get_bill_run(bill_run_id)
        if run.status != "awaiting_approval":
            raise errors.fail(
                errors.INVALID_BILL_RUN_STATE,
                f"bill run {bill_run_id!r} is {run.status}, not awaiting_approval",
            )
        bill_run.approve(self.rt, run)
        clockwork.settle(self.rt)
        return run

    def get_bill_run(self, bill_run_id: str) -> BillRun:
        return found(self.rt.store.bill_runs, bill_run_id, "bill run")

    def bill_runs(self) -> list[BillRun]:
        return list(self.rt.store.bill_runs.values())

    def bill_now(self, account_id: str, *, through_date: date | None = None) -> Invoice | None:
        rt = self.rt
        account = found(rt.store.accounts, account_id, "account")
        if account.status == "closed":
            raise errors.fail(errors.ACCOUNT_CLOSED, f"account {account_id!r} is closed")
        if through_date is not None:
            self._check_through(through_date)
        if account.id in rt.store.draft_invoice_by_account:
            raise errors.fail(
                errors.DRAFT_INVOICE_PENDING,
                f"account {account_id} has a draft invoice awaiting approval",
                extra={"invoice_id": rt.store.draft_invoice_by_account[account.id]},
            )
        invoice = bill_run.bill_account(rt, account, through_date)
        clockwork.settle(rt)
        return invoice

    def _check_through(self, through_date: date) -> None:
        """``invalid_through_date`` beyond a year ahead or ten years back."""
        today = self.rt.today()
        limit = today + timedelta(days=MAX_AHEAD_DAYS)
        if through_date < today - timedelta(days=MAX_BACK_DAYS):
            raise errors.fail(
                errors.INVALID_THROUGH_DATE,
                f"through date {through_date} is more than ten years ago",
                param="through_date",
            )
        if through_date > limit:
            raise errors.fail(
                errors.INVALID_THROUGH_DATE,
                f"through date {through_date} is more than a year ahead (latest {limit})",
                param="through_date",
            )
