"""The URL table of the billing contract: operationId -> handler.

Methods and paths come from the contract itself, so the routes and the contract cannot disagree:
start-up fails if an operation has no handler or a handler has no operation. Route names are the
operationIds (fault rules and the request journal use them).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping

from aiohttp import web

from simulators.billing.api.calls import Handler, endpoint
from simulators.billing.api.contract import OperationSpec, contract, contract_text
from simulators.billing.api.handlers import accounts, billing, catalog, events, orders, reference, services

HANDLERS: dict[str, Handler] = {
    "getCapabilities": reference.get_capabilities,
    "listBillCycles": reference.list_bill_cycles,
    "listAccountCategories": reference.list_account_categories,
    "listCurrencies": reference.list_currencies,
    "listAccounts": accounts.list_accounts,
    "createAccount": accounts.create_account,
    "createAccountsBatch": accounts.create_accounts_batch,
    "listAccountSummaries": accounts.list_account_summaries,
    "getAccount": accounts.get_account,
    "updateAccount": accounts.update_account,
    "getAccountSummary": accounts.get_account_summary,
    "billAccountNow": accounts.bill_account_now,
    "listProducts": catalog.list_products,
    "getProduct": catalog.get_product,
    "createProduct": catalog.create_product,
    "updateProduct": catalog.update_product,
    "deactivateProduct": catalog.deactivate_product,
    "addProductPrice": catalog.add_product_price,
    "updateProductPrice": catalog.update_product_price,
    "addProductTermOption": catalog.add_product_term_option,
    "updateProductTermOption": catalog.update_product_term_option,
    "listOrders": orders.list_orders,
    "createOrder": orders.create_order,
    "getOrder": orders.get_order,
    "confirmOrder": orders.confirm_order,
    "approveOrder": orders.approve_order,
    "voidOrder": orders.void_order,
    "listServices": services.list_services,
    "getService": services.get_service,
    "quoteServiceEtl": services.quote_service_etl,
    "listBillRuns": billing.list_bill_runs,
    "createBillRun": billing.create_bill_run,
    "getBillRun": billing.get_bill_run,
    "approveBillRun": billing.approve_bill_run,
    "listInvoices": billing.list_invoices,
    "getInvoice": billing.get_invoice,
    "voidInvoice": billing.void_invoice,
    "listPayments": billing.list_payments,
    "createPayment": billing.create_payment,
    "getPayment": billing.get_payment,
    "reversePayment": billing.reverse_payment,
    "listWebhookEndpoints": events.list_webhook_endpoints,
    "createWebhookEndpoint": events.create_webhook_endpoint,
    "getWebhookEndpoint": events.get_webhook_endpoint,
    "updateWebhookEndpoint": events.update_webhook_endpoint,
    "deleteWebhookEndpoint": events.delete_webhook_endpoint,
    "rotateWebhookEndpointSecret": events.rotate_webhook_endpoint_secret,
    "listWebhookAttempts": events.list_webhook_attempts,
    "replayWebhookEvents": events.replay_webhook_events,
    "listEvents": events.list_events,
    "getEvent": events.get_event,
}


async def openapi(request: web.Request) -> web.Response:
    """The contract this simulator serves (unauthenticated, not metered)."""
    return web.Response(text=contract_text(), content_type="application/yaml")


def add_routes(app: web.Application, handlers: Mapping[str, Handler] | None = None) -> None:
    table = HANDLERS if handlers is None else handlers
    operations = contract().operations
    missing = sorted(set(operations) - set(table))
    extra = sorted(set(table) - set(operations))
    if missing or extra:
        raise RuntimeError(
            f"routes and contract disagree: no handler for {missing}; not in the contract: {extra}"
        )
    app.router.add_get("/openapi.yaml", openapi, name="openapi")
    for operation_id, op in operations.items():
        app.router.add_route(
            op.method, op.path, endpoint(operation_id, table[operation_id]), name=operation_id
        )
    _shadow_templated_paths(app, operations.values())


def _shadow_templated_paths(app: web.Application, operations: Iterable[OperationSpec]) -> None:
    """A concrete path wins over a templated one that also matches it (OpenAPI's rule):
    ``GET /accounts/batch`` is 405 with ``Allow: POST``, not ``GET /accounts/{id}`` for an account
    named "batch". Without this, aiohttp would answer other methods from the templated route."""
    methods: dict[str, set[str]] = {}
    for op in operations:
        methods.setdefault(op.path, set()).add(op.method)
    templated = [
        re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)) + "$")
        for path in methods
        if "{" in path
    ]
    for path, allowed in methods.items():
        if "{" not in path and any(pattern.match(path) for pattern in templated):
            app.router.add_route("*", path, _not_allowed(sorted(allowed)))


def _not_allowed(allowed: list[str]) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        raise web.HTTPMethodNotAllowed(request.method, allowed)

    return handle
