"""What every flow is given: the two ports, the store, the mapping, settings and metrics, plus
billing reference data cached for the mapping's lookups."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from contracts.generated import billing_models as wire
from integration.mapping import MappingConfig, TransformContext
from integration.metrics import CoreMetrics
from integration.ports import BillingPort, SalesforcePort
from integration.store import Store

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class FlowSettings:
    link_criterion: str = "Billing_Link_Requested__c = true AND Billing_Account_Number__c = null"
    billing_concurrency: int = 64
    # Look an account up by external id before creating it (one more billing call per new
    # account); off, the create's 409 `existing_account_id` does the lookup.
    lookup_before_create: bool = False
    # The naive baseline (one Salesforce call per record, as integrations without batching do),
    # switchable so load gates can show what bulkification saves.
    record_by_record: bool = False


@dataclass
class FlowContext:
    salesforce: SalesforcePort
    billing: BillingPort
    store: Store
    mapping: MappingConfig
    metrics: CoreMetrics
    settings: FlowSettings = field(default_factory=FlowSettings)
    _reference: TransformContext | None = None
    _capabilities: wire.Capabilities | None = None

    async def capable(self, name: str) -> bool:
        """Whether the adapter declares an optional capability (``GET /capabilities``, read once;
        absent means false, as the contract says)."""
        if self._capabilities is None:
            self._capabilities = await self.billing.capabilities()
        return bool(getattr(self._capabilities, name, False))

    async def reference(self, *, refresh: bool = False) -> TransformContext:
        """Bill cycles and categories by name and id (cached; billing is their master)."""
        if self._reference is None or refresh:
            cycles, categories = await asyncio.gather(
                self.billing.bill_cycles(), self.billing.account_categories()
            )
            self._reference = TransformContext(
                bill_cycles={c.name.lower(): c.id for c in cycles},
                account_categories={c.name.lower(): c.id for c in categories},
                bill_cycle_names={c.id: c.name for c in cycles},
                account_category_names={c.id: c.name for c in categories},
            )
        return self._reference

    async def gather_limited(self, items: Iterable[T], work: Callable[[T], Awaitable[R]]) -> list[R]:
        """Run ``work`` over items with bounded concurrency (billing calls are per record)."""
        semaphore = asyncio.Semaphore(self.settings.billing_concurrency)

        async def one(item: T) -> R:
            async with semaphore:
                return await work(item)

        return list(await asyncio.gather(*(one(item) for item in items)))

    async def write_salesforce(
        self,
        flow: str,
        sobject: str,
        records: Sequence[dict[str, Any]],
        *,
        external_id_field: str | None = None,
    ) -> list[Any]:
        """The one place flows write to Salesforce: bulkified, or record by record when the
        naive baseline is switched on."""
        if not records:
            return []
        self.metrics.batch_size.labels(flow).observe(len(records))
        chunks: list[Sequence[dict[str, Any]]] = (
            [[record] for record in records] if self.settings.record_by_record else [records]
        )
        results: list[Any] = []
        for chunk in chunks:
            if external_id_field is not None:
                results.extend(await self.salesforce.upsert(sobject, external_id_field, chunk))
            else:
                results.extend(await self.salesforce.update(sobject, chunk))
        return results


def sf_datetime(value: datetime | None = None) -> str:
    """Salesforce's datetime format (``2026-01-01T00:00:00.000+0000``)."""
    moment = (value or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"
