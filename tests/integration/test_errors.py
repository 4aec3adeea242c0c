"""What each upstream failure becomes in the actions API (integration.errors)."""

import pytest

from integration.clients.billing import BillingApiError
from integration.clients.salesforce import LimitReserveReached, SalesforceApiError
from integration.errors import upstream_problem


def test_the_limit_reserve_is_503_with_retry_after() -> None:
    problem = upstream_problem(LimitReserveReached(950, 1000, 50))
    assert (problem.status, problem.code, problem.headers) == (
        503,
        "upstream_limit_reserve",
        {"Retry-After": "300"},
    )
    assert problem.extra == {
        "upstream": "salesforce",
        "upstream_status": None,
        "upstream_code": "LIMIT_RESERVE",
    }
    assert problem.detail == "salesforce: Salesforce API usage 950/1000: keeping the last 50 calls in reserve"


def test_a_salesforce_429_passes_its_retry_after_on() -> None:
    error = SalesforceApiError(
        429, [{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "Too many requests."}], "u", retry_after=7
    )
    problem = upstream_problem(error)
    assert (problem.status, problem.code, problem.headers) == (
        503,
        "upstream_unavailable",
        {"Retry-After": "7"},
    )
    assert problem.detail == "salesforce answered 429 REQUEST_LIMIT_EXCEEDED: Too many requests."


def test_an_unreachable_salesforce_has_no_upstream_status() -> None:
    problem = upstream_problem(
        SalesforceApiError(0, [{"errorCode": "UNREACHABLE", "message": "refused"}], "u")
    )
    assert (problem.status, problem.code) == (503, "upstream_unavailable")
    assert problem.extra["upstream_status"] is None
    assert problem.detail == "salesforce could not be reached (UNREACHABLE): refused"


def test_a_billing_refusal_is_502_naming_its_code() -> None:
    error = BillingApiError(422, {"code": "account_closed", "detail": "the account is closed"}, "u")
    problem = upstream_problem(error)
    assert (problem.status, problem.code, problem.headers) == (502, "upstream_error", {})
    assert problem.extra == {"upstream": "billing", "upstream_status": 422, "upstream_code": "account_closed"}
    assert problem.detail == "billing answered 422 account_closed: the account is closed"


def test_anything_else_is_not_an_upstream_error() -> None:
    with pytest.raises(TypeError, match="not an upstream error: ValueError"):
        upstream_problem(ValueError("x"))
