"""Services (the subscriptions orders create): list, read, and the early-termination quote."""

from __future__ import annotations

from datetime import date

from simulators.billing.engine.changes import etl_quote
from simulators.billing.engine.runtime import Runtime
from simulators.billing.models import errors
from simulators.billing.models.services import EtlQuote, Service
from simulators.billing.service.lookup import found


class ServiceInventory:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def find(self, *, account_id: str | None = None, status: str | None = None) -> list[Service]:
        store = self.rt.store
        listed = (
            store.account_services(account_id) if account_id is not None else list(store.services.values())
        )
        return [s for s in listed if status is None or s.status == status]

    def get(self, service_id: str) -> Service:
        return found(self.rt.store.services, service_id, "service")

    def etl_quote(self, service_id: str, effective_date: date | None = None) -> EtlQuote:
        """What a cancel effective ``effective_date`` (default: today for the account, or the
        service start if later) would bill as ``early_termination``; changes nothing."""
        rt = self.rt
        service = self.get(service_id)
        if effective_date is None:
            today = rt.local_today(rt.store.accounts[service.account_id])
            effective_date = max(today, service.start_date)
        if not service.live:
            raise errors.fail(
                errors.SERVICE_NOT_LIVE, f"service {service_id!r} is {service.status}; nothing to terminate"
            )
        if service.status != "pending" and effective_date < service.start_date:
            raise errors.fail(
                errors.INVALID_EFFECTIVE_DATE,
                f"effective date {effective_date} is before the service start {service.start_date}",
                param="effective_date",
            )
        return etl_quote(rt, service, effective_date)
