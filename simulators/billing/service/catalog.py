"""The product catalog: list, read and edit (the control plane and tests edit it)."""

from __future__ import annotations

from datetime import datetime

from simulators.billing.engine.runtime import Runtime
from simulators.billing.models.catalog import Product, ProductChanges
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

    def update(self, product_id: str, changes: ProductChanges) -> Product:
        """Edit the catalog; ``product.updated`` on any change."""
        product = self.get(product_id)
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
