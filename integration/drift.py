"""One difference reconcile found between the CRM and billing, and how values are compared.
Its own module so every flow's drift check (accounts, catalog, inventory, orders) can use it
without importing the reconcile that runs them all."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Drift:
    sf_account_id: str  # "" for records that belong to no account (the catalog)
    object: str
    record: str
    field: str
    salesforce: Any
    billing: Any


def same(left: Any, right: Any) -> bool:
    """Equal as Salesforce stores them: numbers to the cent, everything else exactly."""
    if isinstance(left, int | float) and isinstance(right, int | float) and not isinstance(left, bool):
        return math.isclose(float(left), float(right), abs_tol=0.005)
    return bool(left == right)
