"""Billing-side budgets of linking and reconcile: through the optional batch operations when the
adapter declares them, and per account when it does not (the fallback), on the same data."""

import math
from pathlib import Path

import pytest

from sandbox import scenario
from sandbox.system import SystemOptions
from simulators.billing.app import BillingSettings
from simulators.salesforce.app import SalesforceSettings
from tests.support.sandbox import make_sandbox

N = 1000
BATCH_CAPABILITIES = frozenset({"batch_account_create", "account_summaries", "invoices_updated_since"})


@pytest.mark.parametrize("declared", [True, False], ids=["batch", "fallback"])
async def test_link_and_reconcile_billing_calls(tmp_path: Path, declared: bool) -> None:
    options = SystemOptions(
        state_dir=tmp_path,
        salesforce=SalesforceSettings(seed=21),
        billing=BillingSettings(
            seed=21,
            rate_limit=None,
            counts={"accounts": 0},
            withheld_capabilities=frozenset() if declared else BATCH_CAPABILITIES,
        ),
    )
    async with make_sandbox(options) as sandbox:
        planned = scenario.plan_accounts(N, seed=21, prospect_share=0, incomplete_share=0)
        await scenario.create_crm(sandbox.crm_user, planned)
        before = sandbox.billing_calls()
        result = await sandbox.core(
            "POST", "/actions/link", {"wait": True, "timeout_seconds": 600}, expect=200
        )
        link_calls = sandbox.billing_calls() - before
        batches = sandbox.billing_calls("createAccountsBatch")
        singles = sandbox.billing_calls("createAccount")
        assert result["outcomes"] == {"linked": N}
        await sandbox.settle()  # the first financial sync (zeros) follows the link

        before = sandbox.billing_calls()
        report = await sandbox.core("POST", "/actions/reconcile", expect=200)
        reconcile_calls = sandbox.billing_calls() - before
        assert (report["accounts_checked"], report["drift_count"]) == (N, 0)

    if declared:
        # 200 accounts a call, plus reference data and capabilities: <= 0.01 calls per account.
        assert (batches, singles) == (math.ceil(N / 200), 0)
        assert link_calls <= math.ceil(N / 200) + 5, link_calls
        assert link_calls / N <= 0.01
        # Summaries and invoices 100 a page instead of one summary per account.
        assert reconcile_calls <= 2 * math.ceil(N / 100) + 5, reconcile_calls
    else:
        assert (batches, singles) == (0, N)
        assert link_calls >= N
        assert reconcile_calls >= N
