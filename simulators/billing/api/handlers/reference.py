"""Capabilities, bill cycles, account categories, currencies."""

from __future__ import annotations

from simulators.billing.api import serialize
from simulators.billing.api.calls import Call, Reply
from simulators.billing.api.pagination import page
from simulators.billing.models.orders import SUPPORTED_ACTIONS
from simulators.billing.models.payments import PaymentMethod

CONTRACT_VERSION = "1.0.0"
PAYMENT_METHODS: tuple[PaymentMethod, ...] = ("external", "card", "ach", "check")


def get_capabilities(call: Call) -> Reply:
    return Reply.ok(
        {
            "contract_version": CONTRACT_VERSION,
            "backend": "q2c-billing-simulator",
            "etl": "native",
            "proration_units": ["day"],
            "proration_bases": ["actual", "30_360", "30_360_strict"],
            "order_actions": list(SUPPORTED_ACTIONS),
            "bill_runs": True,
            "bill_run_approval": True,
            "bill_now": True,
            "webhooks": "native",
            "event_log": True,
            "idempotency": True,
            "optimistic_concurrency": True,
            "max_page_size": 100,
            "currencies": call.api.system.currencies(),
            "payment_methods": list(PAYMENT_METHODS),
            # The reference implementation claims every conformance level and optional behaviour.
            "levels": ["core", "orders", "billing_operations"],
            "invoice_void": True,
            "payment_reverse": True,
            "payment_apply_to": True,
            "webhook_secret_rotation": True,
            "catalog_management": True,
            "batch_account_create": True,
            "account_summaries": True,
            "invoices_updated_since": True,
        }
        | dict.fromkeys(call.api.settings.withheld_capabilities, False)
    )


def list_bill_cycles(call: Call) -> Reply:
    q = call.query
    return Reply.ok(
        page(call.api.system.bill_cycles(), serialize.bill_cycle, limit=q["limit"], cursor=q.get("cursor"))
    )


def list_account_categories(call: Call) -> Reply:
    q = call.query
    categories = call.api.system.account_categories()
    return Reply.ok(page(categories, serialize.account_category, limit=q["limit"], cursor=q.get("cursor")))


def list_currencies(call: Call) -> Reply:
    q = call.query
    return Reply.ok(
        page(
            call.api.system.currencies(),
            serialize.currency,
            limit=q["limit"],
            cursor=q.get("cursor"),
            key=lambda code: code,
        )
    )
