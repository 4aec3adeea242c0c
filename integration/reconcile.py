"""Reconcile: compare every linked account's Salesforce fields with billing's summary and
invoices, and report each difference (0 when healthy). It reads both sides afresh (it does not
trust the core's own record of what it wrote)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from contracts.generated import billing_models as wire
from integration.clients.billing import BillingApiError, parse
from integration.clients.salesforce import soql_in
from integration.drift import Drift, same
from integration.flows.context import FlowContext
from integration.flows.link import QUERY_CHUNK
from integration.mapping import TransformContext, apply
from integration.store import Link

log = logging.getLogger(__name__)


@dataclass
class ReconcileReport:
    accounts: int = 0
    invoices: int = 0
    # Issue 14's areas: catalog products, inventory services, open orders checked.
    products: int = 0
    services: int = 0
    orders: int = 0
    drift: list[Drift] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "accounts_checked": self.accounts,
            "invoices_checked": self.invoices,
            "products_checked": self.products,
            "services_checked": self.services,
            "orders_checked": self.orders,
            "drift_count": len(self.drift),
            "drift": [asdict(d) for d in self.drift],
        }


# From this many linked accounts on, invoices are read through the tenant-wide listing (100 a
# page) instead of one listing per account: 2,000 accounts with 3 invoices each is 60 calls, not
# 2,000. Below it, per account is cheaper (a tenant may hold far more invoices than are linked).
LISTING_THRESHOLD = 100
PAGE_SIZE = 100
PROGRESS_EVERY = 500


@dataclass
class ReconcileProgress:
    """How far a running reconcile is (shown by ``GET /actions/status`` and logged)."""

    accounts: int = 0
    checked: int = 0
    done: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"accounts": self.accounts, "checked": self.checked, "done": self.done}


async def reconcile(ctx: FlowContext, progress: ReconcileProgress | None = None) -> ReconcileReport:
    """Accounts and invoices, then the catalog, the inventory and the open orders (issue 14)."""
    # Imported here: those flows import Drift from this package's side (integration.drift).
    from integration.flows.catalog import catalog_drift
    from integration.flows.inventory import inventory_drift, open_order_drift

    report = await _reconcile_accounts(ctx, progress)
    report.products, catalog = await catalog_drift(ctx)
    report.services, inventory = await inventory_drift(ctx)
    report.orders, orders = await open_order_drift(ctx)
    report.drift += catalog + inventory + orders
    return report


async def _reconcile_accounts(ctx: FlowContext, progress: ReconcileProgress | None) -> ReconcileReport:
    """Billing reads are per account (the summary), or from ``GET /account-summaries`` (from
    ``LISTING_THRESHOLD`` linked accounts on, when the adapter declares ``account_summaries``),
    paced by the billing client to the adapter's rate limit; an upstream failure that outlives
    the retries propagates as the client's typed error (the actions API answers it with a
    502/503 problem)."""
    progress = progress or ReconcileProgress()
    links = await ctx.store.xref.all_links()
    report = ReconcileReport(accounts=len(links))
    progress.accounts = len(links)
    if not links:
        progress.done = True
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
    listing = len(links) >= LISTING_THRESHOLD
    listed = await _list_invoices(ctx, links) if listing else None
    # With `account_summaries` declared, every summary comes from the listing (100 a call).
    summaries = (
        {s.account_id: s for s in await ctx.billing.account_summaries()}
        if listing and await ctx.capable("account_summaries")
        else None
    )
    started = time.monotonic()

    async def fetch(link: Link) -> tuple[Link, wire.AccountSummary | None, list[wire.Invoice]]:
        summary: wire.AccountSummary | None
        if summaries is not None:
            summary = summaries.get(link.billing_id)  # absent: gone from billing (drift)
        else:
            try:
                summary = await ctx.billing.account_summary(link.billing_id)
            except BillingApiError as exc:
                if exc.status != 404:
                    raise
                summary = None  # gone from billing: drift, not a failure of the reconcile
        if listed is not None:
            invoices = listed.get(link.billing_id, [])
        else:
            invoices = [] if summary is None else await ctx.billing.invoices(link.billing_id)
        progress.checked += 1
        if progress.checked % PROGRESS_EVERY == 0:
            log.info(
                "reconcile: %d of %d accounts read from billing (%.0f s)",
                progress.checked,
                progress.accounts,
                time.monotonic() - started,
            )
        return link, summary, invoices

    for link, summary, invoices in await ctx.gather_limited(links, fetch):
        _compare(ctx, reference, report, link, summary, invoices, sf_accounts, sf_invoices)
    progress.done = True
    return report


def _compare(
    ctx: FlowContext,
    reference: TransformContext,
    report: ReconcileReport,
    link: Link,
    summary: wire.AccountSummary | None,
    invoices: list[wire.Invoice],
    sf_accounts: dict[str, dict[str, Any]],
    sf_invoices: dict[str, dict[str, dict[str, Any]]],
) -> None:
    account = sf_accounts.get(link.sf_account_id)
    if account is None:
        report.drift.append(
            Drift(link.sf_account_id, "Account", link.sf_account_id, "Id", None, link.billing_id)
        )
        return
    if summary is None:
        report.drift.append(
            Drift(
                link.sf_account_id, "Account", link.sf_account_id, "(not in billing)", link.billing_id, None
            )
        )
        return
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
    # The mapping is declarative over the contract's JSON (dotted paths, wire forms).
    expected, _ = apply(ctx.mapping.financials.to_salesforce, summary.model_dump(mode="json"), reference)
    for name, value in expected.items():
        if not same(account.get(name), value):
            report.drift.append(
                Drift(link.sf_account_id, "Account", link.sf_account_id, name, account.get(name), value)
            )
    mine = dict(sf_invoices.get(link.sf_account_id, {}))
    report.invoices += len(invoices)
    for invoice in invoices:
        wanted, _ = apply(ctx.mapping.invoice.to_salesforce, invoice.model_dump(mode="json"), reference)
        have = mine.pop(invoice.id, None)
        if have is None:
            report.drift.append(
                Drift(
                    link.sf_account_id,
                    "Billing_Invoice__c",
                    invoice.id,
                    "(missing)",
                    None,
                    invoice.number,
                )
            )
            continue
        for name, value in wanted.items():
            if not same(have.get(name), value):
                report.drift.append(
                    Drift(
                        link.sf_account_id,
                        "Billing_Invoice__c",
                        invoice.id,
                        name,
                        have.get(name),
                        value,
                    )
                )
    for extra in mine:
        report.drift.append(
            Drift(link.sf_account_id, "Billing_Invoice__c", extra, "(not in billing)", extra, None)
        )


async def _list_invoices(ctx: FlowContext, links: Sequence[Link]) -> dict[str, list[wire.Invoice]]:
    """Every invoice of the linked accounts, through the tenant-wide listing, by billing id."""
    wanted = {link.billing_id for link in links}
    found: dict[str, list[wire.Invoice]] = {}
    query: dict[str, Any] = {"limit": PAGE_SIZE}
    while True:
        status, payload = await ctx.billing.request("GET", "/invoices", query=query, operation="list")
        page = parse(wire.InvoiceList, payload, status=status, url="/invoices")
        for invoice in page.data:
            if invoice.account_id in wanted:
                found.setdefault(invoice.account_id, []).append(invoice)
        if not page.has_more or not page.next_cursor:
            return found
        query = {"limit": PAGE_SIZE, "cursor": page.next_cursor}


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
