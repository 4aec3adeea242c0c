"""The versions of billing objects the core wrote to the CRM: what makes billing's webhooks about
its own writes echoes (issue 14)."""

from collections.abc import AsyncIterator
from typing import Any, cast

import pytest

from integration.engine import Engine
from integration.flows.context import FlowContext
from integration.store import InboxEvent, Store, open_store


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    opened = await open_store(":memory:")
    try:
        yield opened
    finally:
        await opened.close()


async def test_versions_are_kept_per_kind_and_never_move_backwards(store: Store) -> None:
    await store.applied.record("service", {"svc_1": 3, "svc_2": 1})
    await store.applied.record("service", {"svc_1": 2})  # an older write reported late
    await store.applied.record("order", {"svc_1": 7})  # another kind, same id
    assert await store.applied.versions("service", ["svc_1", "svc_2", "svc_3"]) == {"svc_1": 3, "svc_2": 1}
    assert await store.applied.versions("order", ["svc_1"]) == {"svc_1": 7}


def event(event_id: str, event_type: str, **data: Any) -> InboxEvent:
    payload = {"id": event_id, "type": event_type, "data": data}
    return InboxEvent(event_id, "webhook", event_type, None, payload, "2026-01-01T00:00:00+00:00")


async def test_webhooks_for_versions_the_core_wrote_are_echoes(store: Store) -> None:
    await store.applied.record("service", {"svc_1": 3})
    await store.applied.record("order", {"ord_1": 2})
    engine = Engine(cast(FlowContext, _StoreOnly(store)))
    echoes = await engine._echoes(
        [
            event("e1", "service.activated", id="svc_1", version=3),  # written: echo
            event("e2", "service.changed", id="svc_1", version=4),  # newer: work to do
            event("e3", "service.renewed", id="svc_9", version=1),  # never written
            event("e4", "order.completed", id="ord_1", version=2, status="completed"),  # echo
            event("e5", "order.pending_approval", id="ord_1", version=1, status="pending_approval"),
            event("e6", "invoice.posted", id="inv_1", version=1),  # not a kind the core tracks
        ]
    )
    assert echoes == {"e1", "e4"}


class _StoreOnly:
    """A flow context with just the store: ``_echoes`` reads nothing else."""

    def __init__(self, store: Store) -> None:
        self.store = store
