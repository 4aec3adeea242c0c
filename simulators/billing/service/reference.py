"""Reference data: bill cycles, account categories, currencies and the catalog as seeded, with
the seed's keys (``monthly_1``, ``business``, product codes) for the seed and for tests."""

from __future__ import annotations

from simulators.billing.engine import clockwork
from simulators.billing.engine.runtime import Runtime
from simulators.billing.models import errors
from simulators.billing.models.catalog import Product
from simulators.billing.models.reference import AccountCategory, BillCycle
from simulators.billing.models.seed import CURRENCIES, build_catalog, build_categories, build_cycles
from simulators.billing.service.lookup import found


class ReferenceService:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.cycles_by_key: dict[str, BillCycle] = {}
        self.categories_by_key: dict[str, AccountCategory] = {}
        self.products_by_code: dict[str, Product] = {}

    def load(self) -> None:
        """Build the reference data and catalog into the (empty) store; queue the cycle runs."""
        rt = self.rt
        now = rt.now()
        store = rt.store
        self.cycles_by_key = build_cycles(rt.ids, now)
        self.categories_by_key = build_categories(rt.ids, now)
        self.products_by_code = build_catalog(rt.ids, now)
        store.bill_cycles = {c.id: c for c in self.cycles_by_key.values()}
        store.categories = {c.id: c for c in self.categories_by_key.values()}
        store.products = {p.id: p for p in self.products_by_code.values()}
        store.currencies = list(CURRENCIES)
        clockwork.schedule_cycle_runs(rt)

    def product_by_code(self, code: str) -> Product:
        product = self.products_by_code.get(code)
        if product is None:
            raise errors.not_found("product", code)
        return product

    def bill_cycle_by_key(self, key: str) -> BillCycle:
        return self.cycles_by_key[key]

    def account_category_by_key(self, key: str) -> AccountCategory:
        return self.categories_by_key[key]

    def bill_cycles(self) -> list[BillCycle]:
        return list(self.rt.store.bill_cycles.values())

    def get_bill_cycle(self, bill_cycle_id: str) -> BillCycle:
        return found(self.rt.store.bill_cycles, bill_cycle_id, "bill cycle")

    def account_categories(self) -> list[AccountCategory]:
        return list(self.rt.store.categories.values())

    def get_account_category(self, category_id: str) -> AccountCategory:
        return found(self.rt.store.categories, category_id, "account category")

    def currencies(self) -> list[str]:
        return list(self.rt.store.currencies)
