"""The product catalog: list, read and manage (billing is the master; the catalog management
operations of the contract are optional, this simulator implements them).

Every change bumps the product's version and emits ``product.updated`` (a new product too: the
contract has one catalog event type); a call that changes nothing emits nothing.
"""

from __future__ import annotations

from datetime import datetime

from simulators.billing.engine import catalog as rules
from simulators.billing.engine.runtime import Runtime
from simulators.billing.models import errors
from simulators.billing.models.catalog import (
    PriceDraft,
    Product,
    ProductChanges,
    ProductDraft,
    TermOptionChanges,
    TermOptionDraft,
)
from simulators.billing.models.money import Money
from simulators.billing.service.lookup import found


class CatalogService:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def products(
        self, *, type: str | None = None, status: str | None = None, updated_since: datetime | None = None
    ) -> list[Product]:
        return [
            p
            for p in self.rt.store.products.values()
            if (type is None or p.type == type)
            and (status is None or p.status == status)
            and (updated_since is None or (p.updated_at is not None and p.updated_at >= updated_since))
        ]

    def get(self, product_id: str) -> Product:
        return found(self.rt.store.products, product_id, "product")

    def create(self, draft: ProductDraft) -> Product:
        product = rules.new_product(self.rt, draft)
        self.rt.store.products[product.id] = product
        self.rt.emit("product.updated", product, object_type="product", account_id=None)
        return product

    def update(
        self, product_id: str, changes: ProductChanges, *, expected_version: int | None = None
    ) -> Product:
        """Edit the catalog; ``product.updated`` on any change."""
        product = self.get(product_id)
        if expected_version is not None and expected_version != product.version:
            raise errors.fail(
                errors.VERSION_MISMATCH,
                f"product {product.id!r} is at version {product.version}, not {expected_version}",
                extra={"current_version": product.version},
            )
        if changes.parent_product_ids is not None:
            rules.check_parents(self.rt, product.type, changes.parent_product_ids)
        updates = {
            key: value
            for key, value in vars(changes).items()
            if value is not None and getattr(product, key) != value
        }
        if not updates:
            return product
        for key, value in updates.items():
            setattr(product, key, value)
        product.version += 1
        product.updated_at = self.rt.now()
        self.rt.emit("product.updated", product, object_type="product", account_id=None)
        return product

    def deactivate(self, product_id: str) -> Product:
        """Never deleted: services and orders keep pointing at it; new orders are refused."""
        return self.update(product_id, ProductChanges(status="deactivated"))

    def add_price(self, product_id: str, draft: PriceDraft) -> Product:
        product = self.get(product_id)
        price = rules.new_price(self.rt, product.type, product.prices, draft, param="")
        return self.update(product_id, ProductChanges(prices=(*product.prices, price)))

    def update_price(self, product_id: str, price_id: str, amount: Money) -> Product:
        product = self.get(product_id)
        return self.update(
            product_id, ProductChanges(prices=rules.repriced(self.rt, product, price_id, amount))
        )

    def add_term_option(self, product_id: str, draft: TermOptionDraft) -> Product:
        product = self.get(product_id)
        term = rules.new_term_option(self.rt, product.type, product.term_options, draft, param="")
        return self.update(product_id, ProductChanges(term_options=(*product.term_options, term)))

    def update_term_option(self, product_id: str, term_option_id: str, changes: TermOptionChanges) -> Product:
        product = self.get(product_id)
        terms = rules.changed_term_options(self.rt, product, term_option_id, changes)
        return self.update(product_id, ProductChanges(term_options=terms))
