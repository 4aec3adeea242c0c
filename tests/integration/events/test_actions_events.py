"""The actions API's view of the event subscriptions: ``GET /actions/status`` and
``POST /actions/wait-idle`` with replay ids to wait for."""

from pathlib import Path

from integration.events.model import ACCOUNT_CHANGES, BILLING_ACTIONS
from tests.support.core_events import caught_up, customer, event_sandbox, latest


async def test_status_shows_mode_connection_and_each_channels_position(tmp_path: Path) -> None:
    async with event_sandbox(tmp_path, "cometd") as sandbox:
        await sandbox.crm_user.create("Account", [customer(1)])
        await caught_up(sandbox)
        status = await sandbox.core("GET", "/actions/status", expect=200)
        events = status["events"]
        assert (events["mode"], events["connected"], events["polling_fallback"]) == ("cometd", True, False)
        account_changes = events["channels"][ACCOUNT_CHANGES]
        assert account_changes["replay_id"] == latest(sandbox)[ACCOUNT_CHANGES]
        assert account_changes["events"].get("new", 0) == 0
        assert events["channels"][BILLING_ACTIONS] == {"replay_id": None, "events": {}}


async def test_wait_idle_waits_for_the_given_replay_ids(tmp_path: Path) -> None:
    async with event_sandbox(tmp_path, "cometd") as sandbox:
        await sandbox.crm_user.create("Account", [customer(1)])
        target = latest(sandbox)
        assert await sandbox.core(
            "POST", "/actions/wait-idle", {"timeout_seconds": 30, "events": target}, expect=200
        ) == {"idle": True}
        assert len(await sandbox.billing_accounts()) == 1  # the event was in, and its link done

        ahead = {ACCOUNT_CHANGES: target[ACCOUNT_CHANGES] + 1000}  # never published
        problem = await sandbox.core(
            "POST", "/actions/wait-idle", {"timeout_seconds": 0.5, "events": ahead}, expect=408
        )
        assert (problem["code"], problem["detail"], problem["param"]) == (
            "wait_timeout",
            "events not all taken in after 0.5 s",
            "events",
        )

        problem = await sandbox.core(
            "POST", "/actions/wait-idle", {"events": {ACCOUNT_CHANGES: -1}}, expect=400
        )
        assert problem["code"] == "validation_failed"
        assert problem["param"] == f"events.{ACCOUNT_CHANGES}"
        assert problem["detail"] == (
            f"invalid 'events.{ACCOUNT_CHANGES}' in body: Input should be greater than or equal to 0"
        )
