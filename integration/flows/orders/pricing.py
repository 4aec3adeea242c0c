"""Price book mismatches, caught before a line goes to billing (the issue's "Bad input").

Billing prices an item from its own catalog in the account's currency; the CRM line was priced
from a PricebookEntry whose ``Billing_Price_Id__c`` names the billing price it copies. A line
whose entry names a price billing's product does not have (a stale or foreign price book), or a
price in another currency than the billing account's, would be billed at a price the CRM never
showed: its task fails with the reason instead.

Cost: billing's catalog is read once per pass (only when a line carries a price id); a billing
account is read only for lines priced in a currency other than the org's (custom price books),
so org-currency orders cost no extra call. An org-currency entry on an account billing in
another currency is left to billing (it refuses products without a price in that currency)."""

from __future__ import annotations

from collections.abc import Sequence

from contracts import defaults
from contracts.generated import billing_models as wire
from integration.clients.billing import BillingApiError
from integration.flows.context import FlowContext
from integration.flows.orders.model import CREATING, Line, Order


class PricingUnavailable(Exception):
    """Billing could not be asked (transient): the orders retry."""


async def price_book_mismatches(
    ctx: FlowContext, batch: Sequence[tuple[Order, Sequence[Line]]]
) -> dict[str, str]:
    """Line id -> why its price book entry does not match billing."""
    priced = [
        (order, line, str(price_id))
        for order, lines in batch
        for line in lines
        if line.action in CREATING
        and line.billing_product_id
        and (price_id := line.related("PricebookEntry", "Billing_Price_Id__c"))
    ]
    if not priced:
        return {}
    try:
        products = {product.id: product for product in await ctx.billing.products()}
    except BillingApiError as exc:
        raise PricingUnavailable(str(exc)) from exc
    found: dict[str, str] = {}
    foreign: list[tuple[Order, Line, wire.Price]] = []
    for order, line, price_id in priced:
        product = products.get(str(line.billing_product_id))
        if product is None:
            continue  # billing refuses the unknown product itself, naming the item
        price = next((p for p in product.prices if p.id == price_id), None)
        if price is None:
            found[str(line.id)] = (
                f"Price book mismatch: billing's product {product.id} has no price {price_id} "
                "(the line's price book entry is stale: sync the catalog)"
            )
        elif price.amount.currency != defaults.SALESFORCE_ORG_CURRENCY:
            foreign.append((order, line, price))
    accounts = sorted({str(order.billing_account_id) for order, _, _ in foreign if order.billing_account_id})

    async def currency(account_id: str) -> str:
        try:
            return (await ctx.billing.get_account(account_id)).currency
        except BillingApiError as exc:
            raise PricingUnavailable(str(exc)) from exc

    currencies = dict(zip(accounts, await ctx.gather_limited(accounts, currency), strict=True))
    for order, line, price in foreign:
        bills_in = currencies.get(str(order.billing_account_id))
        if bills_in is not None and bills_in != price.amount.currency:
            found[str(line.id)] = (
                f"Price book mismatch: the line is priced in {price.amount.currency}, "
                f"the billing account bills in {bills_in}"
            )
    return found
