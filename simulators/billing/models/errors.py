"""The billing models' problems: every invalid request raises ``Problem`` with a stable ``code``.

The codes follow ``contracts/billing-adapter.openapi.yaml``; ``param`` is a dotted path
(``items.0.product_id``, ``apply_to.1.amount``, ``billing_address.country``). The status of each
code is in ``CODES``; the HTTP layer renders the problem as RFC 9457 problem+json.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.problem import Problem

# 400: request values the schema cannot catch.
MISSING_FIELD = "missing_field"
INVALID_VALUE = "invalid_value"
INVALID_FORMAT = "invalid_format"
DUPLICATE_ITEM = "duplicate_item"
# 404, 409, 412
NOT_FOUND = "not_found"
EXTERNAL_ID_TAKEN = "external_id_taken"
PRODUCT_CODE_TAKEN = "product_code_taken"
VERSION_MISMATCH = "version_mismatch"
# 422: business rules.
UNKNOWN_ACCOUNT = "unknown_account"
UNKNOWN_BILL_CYCLE = "unknown_bill_cycle"
UNKNOWN_ACCOUNT_CATEGORY = "unknown_account_category"
UNKNOWN_PRODUCT = "unknown_product"
UNKNOWN_SERVICE = "unknown_service"
UNKNOWN_TERM_OPTION = "unknown_term_option"
UNKNOWN_INVOICE = "unknown_invoice"
UNKNOWN_ORDER_ITEM = "unknown_order_item"
UNKNOWN_EVENT_TYPE = "unknown_event_type"
UNSUPPORTED_CURRENCY = "unsupported_currency"
CURRENCY_MISMATCH = "currency_mismatch"
INVALID_TIMEZONE = "invalid_timezone"
INVALID_COUNTRY = "invalid_country"
ACCOUNT_CLOSED = "account_closed"
ACCOUNT_HAS_LIVE_SERVICES = "account_has_live_services"
DUPLICATE_EXTERNAL_ID = "duplicate_external_id"
INVALID_ORDER_STATE = "invalid_order_state"
PRODUCT_NOT_ACTIVE = "product_not_active"
INVALID_PRODUCT_TYPE = "invalid_product_type"
INCOMPATIBLE_ADD_ON = "incompatible_add_on"
INVALID_TERM = "invalid_term"
SERVICE_NOT_LIVE = "service_not_live"
INVALID_SERVICE_ACTION = "invalid_service_action"
INVALID_EFFECTIVE_DATE = "invalid_effective_date"
INVALID_THROUGH_DATE = "invalid_through_date"
BILL_RUN_AWAITING_APPROVAL = "bill_run_awaiting_approval"
INVALID_BILL_RUN_STATE = "invalid_bill_run_state"
DRAFT_INVOICE_PENDING = "draft_invoice_pending"
INVALID_INVOICE_STATE = "invalid_invoice_state"
INVALID_AMOUNT = "invalid_amount"
OVERPAYMENT = "overpayment"
APPLICATION_EXCEEDS_PAYMENT = "application_exceeds_payment"
PAYMENT_EXCEEDS_DUE = "payment_exceeds_due"
INVALID_PAYMENT_STATE = "invalid_payment_state"
UNSUPPORTED_OPERATION = "unsupported_operation"
# Catalog management (optional operations).
INVALID_PRICE = "invalid_price"
DUPLICATE_PRICE = "duplicate_price"
DUPLICATE_TERM_OPTION = "duplicate_term_option"
INVALID_ETL_RULE = "invalid_etl_rule"

#: Every code the billing models raise, with its HTTP status.
CODES: dict[str, int] = {
    MISSING_FIELD: 400,
    INVALID_VALUE: 400,
    INVALID_FORMAT: 400,
    DUPLICATE_ITEM: 400,
    NOT_FOUND: 404,
    EXTERNAL_ID_TAKEN: 409,
    PRODUCT_CODE_TAKEN: 409,
    VERSION_MISMATCH: 412,
    **dict.fromkeys(
        (
            UNKNOWN_ACCOUNT,
            UNKNOWN_BILL_CYCLE,
            UNKNOWN_ACCOUNT_CATEGORY,
            UNKNOWN_PRODUCT,
            UNKNOWN_SERVICE,
            UNKNOWN_TERM_OPTION,
            UNKNOWN_INVOICE,
            UNKNOWN_ORDER_ITEM,
            UNKNOWN_EVENT_TYPE,
            UNSUPPORTED_CURRENCY,
            CURRENCY_MISMATCH,
            INVALID_TIMEZONE,
            INVALID_COUNTRY,
            ACCOUNT_CLOSED,
            ACCOUNT_HAS_LIVE_SERVICES,
            DUPLICATE_EXTERNAL_ID,
            INVALID_ORDER_STATE,
            PRODUCT_NOT_ACTIVE,
            INVALID_PRODUCT_TYPE,
            INCOMPATIBLE_ADD_ON,
            INVALID_TERM,
            SERVICE_NOT_LIVE,
            INVALID_SERVICE_ACTION,
            INVALID_EFFECTIVE_DATE,
            INVALID_THROUGH_DATE,
            BILL_RUN_AWAITING_APPROVAL,
            INVALID_BILL_RUN_STATE,
            DRAFT_INVOICE_PENDING,
            INVALID_INVOICE_STATE,
            INVALID_AMOUNT,
            OVERPAYMENT,
            APPLICATION_EXCEEDS_PAYMENT,
            PAYMENT_EXCEEDS_DUE,
            INVALID_PAYMENT_STATE,
            UNSUPPORTED_OPERATION,
            INVALID_PRICE,
            DUPLICATE_PRICE,
            DUPLICATE_TERM_OPTION,
            INVALID_ETL_RULE,
        ),
        422,
    ),
}


def fail(
    code: str, detail: str, *, param: str | None = None, extra: Mapping[str, Any] | None = None
) -> Problem:
    """The problem for ``code`` (its status from ``CODES``)."""
    return Problem(CODES[code], code, detail, param=param, extra=extra)


def missing(param: str, what: str | None = None) -> Problem:
    return fail(MISSING_FIELD, f"{what or param!r} is required", param=param)


def invalid(param: str, detail: str) -> Problem:
    return fail(INVALID_VALUE, detail, param=param)


def not_found(kind: str, object_id: str) -> Problem:
    """404 for the object named in the path."""
    return fail(NOT_FOUND, f"{kind} {object_id!r} does not exist")
