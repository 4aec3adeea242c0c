"""Seeding: drop everything, reload the reference data and catalog, then create the seeded
accounts and their first orders through the same services the API uses."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from faker import Faker

from simulators.billing.engine.runtime import Runtime, paused_gc
from simulators.billing.models import errors
from simulators.billing.models.orders import OrderDraft
from simulators.billing.models.seed import SEED_MAXIMUMS, account_layout
from simulators.billing.service.accounts import AccountService
from simulators.billing.service.orders import OrderService
from simulators.billing.service.reference import ReferenceService


class SeedService:
    def __init__(
        self, rt: Runtime, reference: ReferenceService, accounts: AccountService, orders: OrderService
    ) -> None:
        self.rt = rt
        self.reference = reference
        self.accounts = accounts
        self.orders = orders

    def load(self, seed: int, counts: Mapping[str, int]) -> dict[str, int]:
        """Drop everything; reference data and catalog, then ``counts['accounts']`` accounts."""
        _check_counts(counts)
        rt = self.rt
        rt.ids.reset(seed)
        rt.reset()
        self.reference.load()
        n_accounts = counts.get("accounts", 0)
        per_account = max(1, min(3, counts.get("services_per_account", 1)))
        fake = Faker("en_US") if n_accounts else None
        if fake is not None:
            fake.seed_instance(seed)
        today = rt.today()
        with paused_gc():
            self._seed_accounts(n_accounts, per_account, today, fake)
        store = rt.store
        return {
            "bill_cycles": len(store.bill_cycles),
            "account_categories": len(store.categories),
            "products": len(store.products),
            "accounts": len(store.accounts),
            "orders": len(store.orders),
            "services": len(store.services),
        }

    def _seed_accounts(self, n_accounts: int, per_account: int, today: date, fake: Faker | None) -> None:
        reference = self.reference
        for i in range(n_accounts):
            draft, items = account_layout(
                i,
                per_account,
                today,
                cycles=reference.cycles_by_key,
                categories=reference.categories_by_key,
                products=reference.products_by_code,
                fake=fake,
            )
            account = self.accounts.create(draft)
            self.orders.submit(
                OrderDraft(account_id=account.id, items=items, external_id=f"{draft.external_id}-O1")
            )


def _check_counts(counts: Mapping[str, int]) -> None:
    for key, value in counts.items():
        if key not in SEED_MAXIMUMS:
            raise errors.fail(
                errors.INVALID_VALUE,
                f"unknown seed count {key!r}; known: {sorted(SEED_MAXIMUMS)}",
                param=f"counts.{key}",
            )
        if not 0 <= value <= SEED_MAXIMUMS[key]:
            raise errors.fail(
                errors.INVALID_VALUE,
                f"{key} must be between 0 and {SEED_MAXIMUMS[key]}",
                param=f"counts.{key}",
            )
