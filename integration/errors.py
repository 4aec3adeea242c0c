"""Upstream failures as the core's typed errors: one mapping from what Salesforce or billing did
(after the clients' own retries) to a documented problem+json, rendered by the service's one
error middleware. Nothing an upstream does is ever the core's own 500.

- 503 ``upstream_unavailable``: the upstream could not be reached, timed out, or answered 503 or
  429 even after the retries (``Retry-After`` passed on when the upstream gave one).
- 503 ``upstream_limit_reserve``: Salesforce's daily API limit is nearly spent; the core keeps
  the last calls for the org's other integrations (``Retry-After`` 300 s).
- 502 ``upstream_error``: the upstream answered an error the core cannot act on (a 500, a 509,
  a 401 ``INVALID_SESSION_ID`` that outlived the token refresh, a 4xx refusing the call).

Each body names the upstream (``salesforce`` or ``billing``), its status (``null`` when it was
unreachable) and its error code.
"""

from __future__ import annotations

from typing import Literal

from contracts.problem import Problem
from integration.clients.billing import BillingApiError
from integration.clients.salesforce import LimitReserveReached, SalesforceApiError

Upstream = Literal["salesforce", "billing"]
UPSTREAM_ERRORS = (SalesforceApiError, BillingApiError, LimitReserveReached)
RESERVE_RETRY_AFTER = 300
# The upstream statuses that mean "try again later" rather than "this call is wrong".
UNAVAILABLE_STATUSES = frozenset({0, 429, 503, 504})


def upstream_problem(error: Exception) -> Problem:
    """The problem an upstream failure is answered with (``error`` is one of UPSTREAM_ERRORS)."""
    if isinstance(error, LimitReserveReached):
        return _problem(
            503,
            "upstream_limit_reserve",
            "salesforce",
            None,
            "LIMIT_RESERVE",
            f"salesforce: {error}",
            retry_after=RESERVE_RETRY_AFTER,
        )
    if isinstance(error, SalesforceApiError):
        return _from_status("salesforce", error.status, error.error_code, error.message, error.retry_after)
    if isinstance(error, BillingApiError):
        return _from_status("billing", error.status, error.code, error.detail, None)
    raise TypeError(f"not an upstream error: {type(error).__name__}")


def _from_status(
    upstream: Upstream, status: int, code: str, message: str, retry_after: int | None
) -> Problem:
    said = f"answered {status} {code}" if status else f"could not be reached ({code})"
    detail = f"{upstream} {said}: {message}" if message else f"{upstream} {said}"
    if status in UNAVAILABLE_STATUSES:
        return _problem(503, "upstream_unavailable", upstream, status, code, detail, retry_after=retry_after)
    return _problem(502, "upstream_error", upstream, status, code, detail)


def _problem(
    status: int,
    code: str,
    upstream: Upstream,
    upstream_status: int | None,
    upstream_code: str,
    detail: str,
    *,
    retry_after: int | None = None,
) -> Problem:
    return Problem(
        status,
        code,
        detail,
        headers={"Retry-After": str(retry_after)} if retry_after else None,
        extra={
            "upstream": upstream,
            "upstream_status": upstream_status or None,
            "upstream_code": upstream_code,
        },
    )
