"""Financial and invoice sync for linked accounts, batched across accounts.

For each billing account: read ``/accounts/{id}/summary`` and its invoices; upsert the invoices
into ``Billing_Invoice__c`` by billing invoice id and write the seven financial fields onto the
Account, each only when it differs from what the core last wrote (kept in the store), so an
unchanged account costs no Salesforce call. Writes are bulk (200 records a call).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from contracts.generated import billing_models as wire
from integration.clients.billing import BillingApiError
from integration.flows.context import FlowContext, sf_datetime
from integration.mapping import TransformContext, apply
from integration.store import Link


@dataclass
class SyncReport:
    accounts: int = 0
    financials_written: int = 0
    invoices_written: int = 0
    unchanged: int = 0
    not_linked: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # billing account id -> reason

    def summary(self) -> dict[str, int]:
        return {
            "accounts": self.accounts,
            "financials_written": self.financials_written,
            "invoices_written": self.invoices_written,
            "unchanged": self.unchanged,
            "not_linked": len(self.not_linked),
            "failed": len(self.failed),
        }


@dataclass
class _Fetched:
    link: Link
    summary: wire.AccountSummary | None = None
    invoices: list[wire.Invoice] = field(default_factory=list)
    error: str | None = None


def fingerprint(values: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


async def sync_accounts(ctx: FlowContext, billing_account_ids: Sequence[str]) -> SyncReport:
    ids = list(dict.fromkeys(billing_account_ids))
    links = await ctx.store.xref.by_billing_ids(ids)
    report = SyncReport(accounts=len(links), not_linked=[i for i in ids if i not in links])
    if not links:
        return report

    async def fetch(link: Link) -> _Fetched:
        try:
            summary = await ctx.billing.account_summary(link.billing_id)
            invoices = await ctx.billing.invoices(link.billing_id)
            return _Fetched(link, summary, invoices)
        except BillingApiError as exc:
            return _Fetched(link, error=str(exc))

    fetched = await ctx.gather_limited(links.values(), fetch)
    for item in fetched:
        if item.error is not None:
            report.failed[item.link.billing_id] = item.error
    good = [item for item in fetched if item.error is None]
    base = await ctx.reference()
    reference = TransformContext(
        bill_cycles=base.bill_cycles,
        account_categories=base.account_categories,
        bill_cycle_names=base.bill_cycle_names,
        account_category_names=base.account_category_names,
        salesforce_ids={link.billing_id: link.sf_account_id for link in links.values()},
    )
    await _sync_invoices(ctx, good, reference, report)
    await _sync_financials(ctx, good, reference, report)
    return report


async def _sync_invoices(
    ctx: FlowContext, fetched: list[_Fetched], reference: TransformContext, report: SyncReport
) -> None:
    mapping = ctx.mapping.invoice
    assert mapping.external_id_field is not None, "the invoice mapping needs an external_id_field"
    # (invoice id, sf account, fingerprint, record, billing account)
    candidates: list[tuple[str, str, str, dict[str, Any], str]] = []
    for item in fetched:
        for invoice in item.invoices:
            # The mapping is declarative over the contract's JSON (dotted paths, wire forms).
            values, errors = apply(mapping.to_salesforce, invoice.model_dump(mode="json"), reference)
            if errors:
                report.failed[item.link.billing_id] = "; ".join(str(e) for e in errors)
                continue
            candidates.append(
                (
                    invoice.id,
                    item.link.sf_account_id,
                    fingerprint(values),
                    values,
                    item.link.billing_id,
                )
            )
    known = await ctx.store.xref.invoice_fingerprints([c[0] for c in candidates])
    changed = [c for c in candidates if known.get(c[0]) != c[2]]
    results = await ctx.write_salesforce(
        "invoices",
        mapping.salesforce_object,
        [c[3] for c in changed],
        external_id_field=mapping.external_id_field,
    )
    saved = []
    for (invoice_id, sf_id, print_, _, billing_id), result in zip(changed, results, strict=True):
        if result.success:
            saved.append((invoice_id, sf_id, print_))
        else:  # keyed by account: the account's sync job is what retries
            report.failed[billing_id] = f"invoice {invoice_id}: {result.error_text}"
    await ctx.store.xref.save_invoices(saved)
    report.invoices_written += len(saved)


async def _sync_financials(
    ctx: FlowContext, fetched: list[_Fetched], reference: TransformContext, report: SyncReport
) -> None:
    now = sf_datetime()
    records: list[dict[str, Any]] = []
    pending: list[tuple[str, str, dict[str, Any]]] = []  # sf account, billing account, values
    for item in fetched:
        assert item.summary is not None
        summary = item.summary.model_dump(mode="json")
        values, errors = apply(ctx.mapping.financials.to_salesforce, summary, reference)
        if errors:
            report.failed[item.link.billing_id] = "; ".join(str(e) for e in errors)
            continue
        if item.link.financials == values:
            report.unchanged += 1
            continue
        records.append({"Id": item.link.sf_account_id, **values, "Billing_Last_Synced__c": now})
        pending.append((item.link.sf_account_id, item.link.billing_id, values))
    results = await ctx.write_salesforce("financials", ctx.mapping.financials.salesforce_object, records)
    saved = []
    for (sf_id, billing_id, values), result in zip(pending, results, strict=True):
        if result.success:
            saved.append((sf_id, values))
        else:
            report.failed[billing_id] = result.error_text
    await ctx.store.xref.save_financials(saved)
    report.financials_written += len(saved)
