"""Early termination liability: billing's ETL quote for a Cancel line, written to
``OrderItem.ETL_Amount__c`` (the ``quote_etl`` quick action, a Cancel line added to a draft
order, and the ``quote_etl`` task of a Cancel work order)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from contracts.generated import billing_models as wire
from integration.clients.billing import BillingApiError
from integration.clients.salesforce import soql_in
from integration.flows.context import FlowContext
from integration.flows.link import QUERY_CHUNK, TRANSIENT_ERRORS
from integration.flows.orders.model import EtlReport

FLOW = "orders"


@dataclass(frozen=True)
class Quoted:
    """One quote's outcome: an amount, or why not (``transient``: worth retrying as it is)."""

    amount: Decimal | None = None
    error: str | None = None
    transient: bool = False


def refusal(exc: BillingApiError) -> Quoted:
    """4xx (but 408/429) is billing's business answer; the rest is worth a retry."""
    if 400 <= exc.status < 500 and exc.status not in (408, 429):
        where = f" ({exc.param})" if exc.param else ""
        return Quoted(error=f"Billing refused: {exc.code}{where}: {exc.detail}")
    return Quoted(error=str(exc), transient=True)


async def quote_services(ctx: FlowContext, service_ids: Sequence[str]) -> dict[str, Quoted]:
    """Billing's ETL quote of each service as of today (per service: billing has no batch
    quote), bounded by the flow's billing concurrency."""
    unique = list(dict.fromkeys(service_ids))

    async def one(service_id: str) -> Quoted:
        try:
            # A quote changes nothing in billing: a fresh key, so a later quote is never an
            # old replay (the client reuses it for its own retries of this one call).
            quote = await ctx.billing.quote_etl(
                service_id, wire.EtlQuoteRequest(), idempotency_key=f"q2c-etl-{uuid.uuid4()}"
            )
        except BillingApiError as exc:
            return refusal(exc)
        return Quoted(amount=Decimal(quote.amount.amount))

    return dict(zip(unique, await ctx.gather_limited(unique, one), strict=True))


def cents(amount: Decimal) -> float:
    # Salesforce currency fields travel as JSON numbers, to the cent.
    return float(amount.quantize(Decimal("0.01")))


async def quote_etl(ctx: FlowContext, order_item_ids: Sequence[str]) -> EtlReport:
    """Fill ``ETL_Amount__c`` on the Cancel lines named (other lines are skipped with the
    reason). Reads 300 lines a query and writes 200 a call."""
    report = EtlReport()
    ids = list(dict.fromkeys(order_item_ids))
    rows = []
    for start in range(0, len(ids), QUERY_CHUNK):
        rows += await ctx.salesforce.query(
            "SELECT Id, Billing_Action__c, Billing_Service__r.Billing_Service_Id__c FROM OrderItem "
            f"WHERE Id IN {soql_in(ids[start : start + QUERY_CHUNK])}"
        )
    found = {str(row["Id"]) for row in rows}
    report.skipped.update((i, "no such order line") for i in ids if i not in found)
    wanted: dict[str, str] = {}
    for row in rows:
        service = row.get("Billing_Service__r") or {}
        if row.get("Billing_Action__c") != "Cancel":
            report.skipped[str(row["Id"])] = "not a Cancel line"
        elif not service.get("Billing_Service_Id__c"):
            report.refused[str(row["Id"])] = (
                "Billing_Service__c: a Cancel line needs the billing service it cancels"
            )
        else:
            wanted[str(row["Id"])] = str(service["Billing_Service_Id__c"])
    quotes = await quote_services(ctx, list(wanted.values()))
    records = []
    for item_id, service_id in wanted.items():
        quoted = quotes[service_id]
        if quoted.amount is not None:
            report.written[item_id] = quoted.amount
            records.append({"Id": item_id, "ETL_Amount__c": cents(quoted.amount)})
        elif quoted.transient:
            report.failed[item_id] = quoted.error or "transient failure"
        else:
            report.refused[item_id] = quoted.error or "refused"
    results = await ctx.write_salesforce(FLOW, "OrderItem", records)
    for record, result in zip(records, results, strict=True):
        if not result.success:
            item_id = str(record["Id"])
            del report.written[item_id]
            bucket = (
                report.failed
                if any(e.get("statusCode") in TRANSIENT_ERRORS for e in result.errors)
                else report.refused
            )
            bucket[item_id] = f"Salesforce refused ETL_Amount__c: {result.error_text}"
    return report
