"""Accounts: create, read, find, update (linking) and the account summary."""

from __future__ import annotations

from simulators.billing.engine import accounts as account_rules
from simulators.billing.engine import clockwork, summary
from simulators.billing.engine.runtime import Runtime
from simulators.billing.models.accounts import Account, AccountChanges, AccountDraft, AccountSummary
from simulators.billing.service.lookup import found


class AccountService:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def create(self, draft: AccountDraft) -> Account:
        account = account_rules.create(self.rt, draft)
        clockwork.settle(self.rt)
        return account

    def get(self, account_id: str) -> Account:
        return found(self.rt.store.accounts, account_id, "account")

    def find(
        self, *, external_id: str | None = None, number: str | None = None, status: str | None = None
    ) -> list[Account]:
        store = self.rt.store
        if external_id is not None:
            found_id = store.account_by_external_id.get(external_id)
            candidates = [store.accounts[found_id]] if found_id else []
        elif number is not None:
            found_id = store.account_by_number.get(number)
            candidates = [store.accounts[found_id]] if found_id else []
        else:
            candidates = list(store.accounts.values())
        return [
            a
            for a in candidates
            if (number is None or a.number == number) and (status is None or a.status == status)
        ]

    def update(
        self, account_id: str, changes: AccountChanges, *, expected_version: int | None = None
    ) -> Account:
        account = account_rules.update(
            self.rt, self.get(account_id), changes, expected_version=expected_version
        )
        clockwork.settle(self.rt)
        return account

    def summary(self, account_id: str) -> AccountSummary:
        return summary.compute(self.rt, self.get(account_id))
