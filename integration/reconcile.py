"""Reconcile: compare every linked account's Salesforce fields with billing's summary and
invoices, and report each difference (0 when healthy). It reads both sides afresh (it does not
trust the core's own record of what it wrote)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from integration.clients.salesforce import soql_in
from integration.flows.context import FlowContext
from integration.flows.link import QUERY_CHUNK
from integration.mapping import TransformContext, apply
from integration.store import Link


@dataclass(frozen=True)
class Drift:
    sf_account_id: str
    object: str
    record: str
    field: str
    salesforce: Any
    billing: Any


@dataclass
class ReconcileReport:
    accounts: int = 0
    invoices: int = 0
    drift: list[Drift] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "accounts_checked": self.accounts,
            "invoices_checked": self.invoices,
            "drift_count": len(self.drift),
            "drift": [asdict(d) for d in self.drift],
        }


def same(left: Any, right: Any) -> bool:
    """Equal as Salesforce stores them: numbers to the cent, everything else exactly."""
    if isinstance(left, int | float) and isinstance(right, int | float) and not isinstance(left, bool):
        return math.isclose(float(left), float(right), abs_tol=0.005)
    return bool(left == right)


async def reconcile(ctx: FlowContext) -> ReconcileReport:
    links = await ctx.store.xref.all_links()
    report = ReconcileReport(accounts=len(links))
    if not links:
        return report
    base = await ctx.reference()
    reference = TransformContext(
        bill_cycles=base.bill_cycles,
        account_categories=base.account_categories,
        bill_cycle_names=base.bill_cycle_names,
        account_category_names=base.account_category_names,
        salesforce_ids={link.billing_id: link.sf_account_id for link in links},
    )
    sf_accounts, sf_invoices = await _read_salesforce(ctx, [link.sf_account_id for link in links])

    async def fetch(link: Link) -> tuple[Link, dict[str, Any], list[dict[str, Any]]]:
        return (
            link,
            await ctx.billing.account_summary(link.billing_id),
            await ctx.billing.invoices(link.billing_id),
        )

    for link, summary, invoices in await ctx.gather_limited(links, fetch):
        account = sf_accounts.get(link.sf_account_id)
        if account is None:
            report.drift.append(
                Drift(link.sf_account_id, "Account", link.sf_account_id, "Id", None, link.billing_id)
            )
            continue
        if account.get("Billing_Account_Id__c") != link.billing_id:
            report.drift.append(
                Drift(
                    link.sf_account_id,
                    "Account",
                    link.sf_account_id,
                    "Billing_Account_Id__c",
                    account.get("Billing_Account_Id__c"),
                    link.billing_id,
                )
            )
        expected, _ = apply(ctx.mapping.financials.to_salesforce, summary, reference)
        for name, value in expected.items():
            if not same(account.get(name), value):
                report.drift.append(
                    Drift(link.sf_account_id, "Account", link.sf_account_id, name, account.get(name), value)
                )
        mine = sf_invoices.get(link.sf_account_id, {})
        report.invoices += len(invoices)
        for invoice in invoices:
            wanted, _ = apply(ctx.mapping.invoice.to_salesforce, invoice, reference)
            have = mine.pop(str(invoice["id"]), None)
            if have is None:
                report.drift.append(
                    Drift(
                        link.sf_account_id,
                        "Billing_Invoice__c",
                        str(invoice["id"]),
                        "(missing)",
                        None,
                        invoice.get("number"),
                    )
                )
                continue
            for name, value in wanted.items():
                if not same(have.get(name), value):
                    report.drift.append(
                        Drift(
                            link.sf_account_id,
                            "Billing_Invoice__c",
                            str(invoice["id"]),
                            name,
                            have.get(name),
                            value,
                        )
                    )
        for extra in mine:
            report.drift.append(
                Drift(link.sf_account_id, "Billing_Invoice__c", extra, "(not in billing)", extra, None)
            )
    return report


async def _read_salesforce(
    ctx: FlowContext, sf_ids: Sequence[str]
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, dict[str, Any]]]]:
    account_fields = ["Id", "Billing_Account_Id__c", *ctx.mapping.financials.to_salesforce]
    invoice_mapping = ctx.mapping.invoice
    assert invoice_mapping.external_id_field is not None
    invoice_fields = list(dict.fromkeys(["Id", *invoice_mapping.to_salesforce]))
    accounts: dict[str, dict[str, Any]] = {}
    invoices: dict[str, dict[str, dict[str, Any]]] = {}
    for start in range(0, len(sf_ids), QUERY_CHUNK):
        chunk = soql_in(list(sf_ids[start : start + QUERY_CHUNK]))
        for record in await ctx.salesforce.query(
            f"SELECT {', '.join(account_fields)} FROM {ctx.mapping.financials.salesforce_object} WHERE Id IN {chunk}"
        ):
            accounts[record["Id"]] = record
        for record in await ctx.salesforce.query(
            f"SELECT {', '.join(invoice_fields)} FROM {invoice_mapping.salesforce_object} WHERE Account__c IN {chunk}"
        ):
            invoices.setdefault(record["Account__c"], {})[str(record[invoice_mapping.external_id_field])] = (
                record
            )
    return accounts, invoices
