"""Reference data: bill cycles and account categories (both required to create an account).

Conventions:
- a bill cycle is a tenant-level template: ``type`` monthly, quarterly or yearly; ``alignment``
  ``calendar`` (every account bills on ``bill_day``; quarterly/yearly periods start in
  ``anchor_month`` and every 3/12 months after) or ``anniversary`` (monthly only: each account
  bills on the day of month of its first activation);
- ``auto_bill``: the virtual clock starts the cycle's bill run on each bill date (00:00 UTC);
  ``auto_approve``: such runs post their invoices at once, otherwise they wait for approval;
- an account category sets the payment terms: invoices are due ``payment_term_days`` after the
  issue date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from simulators.billing.models.cycles import CycleSchedule

CycleType = Literal["monthly", "quarterly", "yearly"]
CycleAlignment = Literal["calendar", "anniversary"]
ReferenceStatus = Literal["active", "suspended", "cancelled"]

CYCLE_MONTHS: dict[str, int] = {"monthly": 1, "quarterly": 3, "yearly": 12}


@dataclass
class BillCycle:
    id: str
    name: str
    type: CycleType
    alignment: CycleAlignment
    currency: str
    #: Day of month periods start on (calendar alignment); None for anniversary cycles.
    bill_day: int | None
    anchor_month: int
    auto_bill: bool
    auto_approve: bool
    status: ReferenceStatus
    created_at: datetime
    updated_at: datetime
    version: int = 1

    @property
    def interval_months(self) -> int:
        return CYCLE_MONTHS[self.type]

    def schedule(self, bill_cycle_day: int | None) -> CycleSchedule | None:
        """The period schedule for an account (None: anniversary account not yet anchored)."""
        if self.alignment == "anniversary":
            if bill_cycle_day is None:
                return None
            return CycleSchedule(self.interval_months, bill_cycle_day, 1)
        assert self.bill_day is not None
        return CycleSchedule(self.interval_months, self.bill_day, self.anchor_month)


@dataclass
class AccountCategory:
    id: str
    name: str
    description: str
    payment_term_days: int
    status: ReferenceStatus
    created_at: datetime
    updated_at: datetime
    version: int = 1
