"""Upstream failures reach the actions API as documented, typed problems (502/503 naming the
upstream, its status and its error code), never as the core's 500."""

from typing import Any

import aiohttp
import pytest

from contracts import defaults
from tests.support.sandbox import Sandbox

QUERY = "/services/data/*/query*"


async def add_fault(sandbox: Sandbox, component: str, rule: dict[str, Any]) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{sandbox.system.url(component)}/__sim/faults", json=rule) as response,
    ):
        assert response.status == 201, await response.text()


async def call(sandbox: Sandbox, path: str, body: Any = None) -> tuple[int, str, dict[str, Any], Any]:
    headers = {"Authorization": f"Bearer {defaults.CORE_API_TOKEN}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(sandbox.system.url("core") + path, json=body, headers=headers) as response,
    ):
        return (
            response.status,
            response.content_type,
            dict(response.headers),
            await response.json(content_type=None),
        )


@pytest.mark.parametrize(
    ("fault", "status", "code", "upstream_status", "upstream_code"),
    [
        # Still 503 after the client's backoff: Salesforce is unavailable.
        ({"status": 503}, 503, "upstream_unavailable", 503, "SERVER_UNAVAILABLE"),
        # An error the core cannot act on: a bad gateway, with the upstream's word in it.
        (
            {"status": 509, "error_code": "BANDWIDTH_EXCEEDED"},
            502,
            "upstream_error",
            509,
            "BANDWIDTH_EXCEEDED",
        ),
        # The session refused again after the one token refresh.
        ({"status": 401}, 502, "upstream_error", 401, "INVALID_SESSION_ID"),
    ],
)
async def test_link_answers_a_salesforce_failure_with_a_typed_problem(
    sandbox: Sandbox, fault: dict[str, Any], status: int, code: str, upstream_status: int, upstream_code: str
) -> None:
    await add_fault(
        sandbox, "salesforce", {"method": "GET", "path": QUERY, "effect": {"type": "status", **fault}}
    )

    answer, content_type, _, problem = await call(sandbox, "/actions/link", {"wait": True})

    assert (answer, content_type) == (status, "application/problem+json")
    assert problem["status"] == status
    assert problem["code"] == code
    assert problem["upstream"] == "salesforce"
    assert problem["upstream_status"] == upstream_status
    assert problem["upstream_code"] == upstream_code
    assert problem["detail"].startswith(f"salesforce answered {upstream_status} {upstream_code}")
    assert problem["instance"] == "/actions/link"
    assert "failed unexpectedly" not in problem["detail"]


@pytest.mark.parametrize(
    ("fault_status", "status", "code"),
    [(503, 503, "upstream_unavailable"), (500, 502, "upstream_error")],
)
async def test_reconcile_answers_a_billing_failure_with_a_typed_problem(
    sandbox: Sandbox, fault_status: int, status: int, code: str
) -> None:
    await sandbox.system.core.store.xref.link_many([("001000000000001AAA", "acct_0000000001", "BAN1")])
    await add_fault(
        sandbox, "billing", {"path": "/bill-cycles", "effect": {"type": "status", "status": fault_status}}
    )

    answer, content_type, _, problem = await call(sandbox, "/actions/reconcile")

    assert (answer, content_type) == (status, "application/problem+json")
    assert (problem["status"], problem["code"]) == (status, code)
    assert problem["upstream"] == "billing"
    assert problem["upstream_status"] == fault_status
    assert problem["detail"].startswith(f"billing answered {fault_status} ")


async def test_an_unreachable_billing_is_503_upstream_unavailable(sandbox: Sandbox) -> None:
    core = sandbox.system.core
    await core.store.xref.link_many([("001000000000001AAA", "acct_0000000001", "BAN1")])
    core.billing.config = type(core.billing.config)(
        base_url="http://127.0.0.1:9", api_key=defaults.BILLING_API_KEY, max_retries=0
    )

    answer, _, _, problem = await call(sandbox, "/actions/reconcile")

    assert (answer, problem["code"], problem["upstream"]) == (503, "upstream_unavailable", "billing")
    assert problem["upstream_status"] is None
    assert problem["detail"].startswith("billing could not be reached (upstream_unavailable)")
