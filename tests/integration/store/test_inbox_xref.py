from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from integration.store import Store, open_store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await open_store(tmp_path / "core.sqlite3")
    yield opened
    await opened.close()


async def test_inbox_deduplicates_by_event_id(store: Store) -> None:
    event = {"id": "evt_1", "type": "invoice.posted", "account_id": "acct_1"}
    assert await store.inbox.add("evt_1", "webhook", event) is True
    assert await store.inbox.add("evt_1", "poll", event) is False  # the same event by the other path
    (taken,) = await store.inbox.take_new()
    assert (taken.event_id, taken.type, taken.account_id, taken.source) == (
        "evt_1",
        "invoice.posted",
        "acct_1",
        "webhook",
    )
    await store.inbox.mark(["evt_1"], "processed")
    assert await store.inbox.take_new() == []
    assert await store.inbox.counts() == {"processed": 1}


async def test_malformed_events_are_kept_as_dead_letters_with_the_reason(store: Store) -> None:
    assert await store.inbox.add_dead("evt_bad", "webhook", "{not json", "malformed event: Expecting value")
    assert await store.inbox.take_new() == []
    (letter,) = await store.inbox.dead_letters()
    assert (letter["event_id"], letter["reason"]) == ("evt_bad", "malformed event: Expecting value")


async def test_xref_links_and_relinks(store: Store) -> None:
    await store.xref.link_many([("001A", "acct_1", "BAN1"), ("001B", "acct_2", "BAN2")])
    links = await store.xref.get_many(["001A", "001B", "001C"])
    assert {k: (v.billing_id, v.ban) for k, v in links.items()} == {
        "001A": ("acct_1", "BAN1"),
        "001B": ("acct_2", "BAN2"),
    }
    # acct_1 moves to another Salesforce account: the old pairing goes.
    await store.xref.link_many([("001C", "acct_1", "BAN1")])
    assert set(await store.xref.by_billing_ids(["acct_1"])) == {"acct_1"}
    assert (await store.xref.by_billing_ids(["acct_1"]))["acct_1"].sf_account_id == "001C"
    assert await store.xref.count() == 2


async def test_financials_and_invoice_fingerprints_remember_what_was_written(store: Store) -> None:
    await store.xref.link_many([("001A", "acct_1", "BAN1")])
    await store.xref.save_financials([("001A", {"Due_Amount__c": 10.5})])
    assert (await store.xref.get_many(["001A"]))["001A"].financials == {"Due_Amount__c": 10.5}
    await store.xref.save_invoices([("inv_1", "001A", "f1"), ("inv_2", "001A", "f2")])
    await store.xref.save_invoices([("inv_1", "001A", "f1b")])
    assert await store.xref.invoice_fingerprints(["inv_1", "inv_2", "inv_3"]) == {
        "inv_1": "f1b",
        "inv_2": "f2",
    }
    # re-linking to another billing account forgets the financials written for the old one
    await store.xref.link_many([("001A", "acct_9", "BAN9")])
    assert (await store.xref.get_many(["001A"]))["001A"].financials is None


async def test_checkpoints(store: Store) -> None:
    assert await store.checkpoints.get("billing_events") is None
    await store.checkpoints.set("billing_events", "evt_5")
    await store.checkpoints.set("billing_events", "evt_9")
    assert await store.checkpoints.get("billing_events") == "evt_9"


async def test_link_results_keep_the_latest_outcome(store: Store) -> None:
    await store.link_results.record(
        [("001A", "linked", True, "acct_1", None), ("001B", "refused", False, None, "no email")]
    )
    assert await store.link_results.created_count() == 1
    await store.link_results.record([("001A", "linked", False, "acct_1", None)])  # a later run found it
    results = await store.link_results.get_many(["001A", "001B"])
    assert results["001A"].created is False
    assert results["001B"].message == "no email"
    assert await store.link_results.counts() == {"linked": 1, "refused": 1}
    assert await store.link_results.created_count() == 0
