"""Stored Salesforce events -> the engine's jobs.

- ``AccountChangeEvent``: ``Billing_Link_Requested__c`` set true (on create, update or undelete)
  is a link request: the accounts are read back and those that still match the link criterion
  (the same one the delta poll uses) get a link job. A change to a field the mapping sends to
  billing, on a linked account, queues a sync of that account. Gap events (``GAP_*``) are
  treated as both: the record is re-read, as Salesforce asks. The core's own writes
  (``changeOrigin`` naming its client id) are echoes and dropped.
- ``Billing_Action__e`` (the CRM's quick actions, ``Action__c`` on ``Record_Id__c``):
  ``open`` links the account (creates its billing account, or links by BAN / external id);
  ``sync`` syncs a linked account and links an unlinked one; ``query`` pulls a linked account's
  billing values (cycle, category, email) and financials back into Salesforce.

Events are marked processed once their jobs are queued; one that cannot be acted on (an unknown
action, a malformed id) is kept as dead with the reason, never retried.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from contracts.salesforce_ids import normalize
from integration.clients.salesforce import soql_in
from integration.engine import Engine
from integration.events.model import BILLING_ACTIONS, ChannelEvent
from integration.flows.context import FlowContext
from integration.flows.link import QUERY_CHUNK, select_accounts

log = logging.getLogger(__name__)

LINK_FLAG = "Billing_Link_Requested__c"
ACTIONS = ("open", "sync", "query")
CORE_CLIENT_ID = "q2c-core"  # sent as Sforce-Call-Options: client=...; its changes are echoes


@dataclass
class Dispatch:
    """What a batch of events asks for, and what happened to each event."""

    link_requests: set[str] = field(default_factory=set)  # CDC: linked if the criterion still matches
    links: set[str] = field(default_factory=set)  # quick actions: linked regardless of the flag
    syncs: set[str] = field(default_factory=set)  # Salesforce ids; synced if linked
    queries: set[str] = field(default_factory=set)  # linked: refresh from billing (link + sync)
    unlinked_syncs: set[str] = field(default_factory=set)  # sync action: link if not linked
    dead: dict[tuple[str, int], str] = field(default_factory=dict)
    ignored: dict[tuple[str, int], str] = field(default_factory=dict)
    enqueued_links: int = 0
    enqueued_syncs: int = 0


def classify(events: Sequence[ChannelEvent], mapped_fields: set[str]) -> Dispatch:
    """Pure: what each event asks for (no I/O, unit-tested on its own)."""
    result = Dispatch()
    for event in events:
        key = (event.channel, event.replay_id)
        if event.is_change:
            _classify_change(event, mapped_fields, result, key)
        elif event.channel == BILLING_ACTIONS or event.channel.endswith("/Billing_Action__e"):
            _classify_action(event, result, key)
        else:
            result.ignored[key] = f"no flow for channel {event.channel}"
    return result


def _classify_change(
    event: ChannelEvent, mapped_fields: set[str], result: Dispatch, key: tuple[str, int]
) -> None:
    header = event.header or {}
    if header.get("entityName") not in (None, "Account"):
        result.ignored[key] = f"no flow for {header.get('entityName')} changes"
        return
    if f"client={CORE_CLIENT_ID}" in str(header.get("changeOrigin") or "").split(";"):
        result.ignored[key] = "the core's own change"
        return
    ids = [normalize(str(i)) for i in header.get("recordIds") or []]
    if not ids or any(i is None for i in ids):
        result.dead[key] = f"change event without usable record ids: {header.get('recordIds')!r}"
        return
    record_ids = {i for i in ids if i}
    change_type = str(header.get("changeType") or "")
    if change_type.startswith("GAP_"):
        result.link_requests |= record_ids
        result.syncs |= record_ids
        return
    if change_type not in ("CREATE", "UPDATE", "UNDELETE"):
        result.ignored[key] = f"nothing to do on {change_type or 'an unknown change'}"
        return
    acted = False
    if event.fields.get(LINK_FLAG) is True:
        result.link_requests |= record_ids
        acted = True
    changed = set(header.get("changedFields") or []) if change_type == "UPDATE" else set(event.fields)
    if change_type == "UPDATE" and changed & mapped_fields:
        result.syncs |= record_ids
        acted = True
    if not acted:
        result.ignored[key] = "no link request and no mapped field changed"


def _classify_action(event: ChannelEvent, result: Dispatch, key: tuple[str, int]) -> None:
    action = str(event.fields.get("Action__c") or "").strip().lower()
    given = str(event.fields.get("Record_Id__c") or "").strip()
    record_id = normalize(given) if given else None
    if action not in ACTIONS:
        result.dead[key] = f"Action__c must be one of {', '.join(ACTIONS)}, not {action or 'empty'!r}"
        return
    if record_id is None:
        result.dead[key] = f"Record_Id__c is not an account id: {given or 'empty'!r}"
        return
    if action == "open":
        result.links.add(record_id)
    elif action == "sync":
        result.unlinked_syncs.add(record_id)
    else:
        result.queries.add(record_id)


async def enqueue(ctx: FlowContext, engine: Engine, plan: Dispatch) -> Dispatch:
    """Turn a classified batch into durable jobs (link jobs carry the account as read now)."""
    sync_ids = set(plan.syncs)
    link_ids = set(plan.links)
    known = await ctx.store.xref.get_many(sorted(plan.unlinked_syncs | plan.queries))
    for sf_id in plan.unlinked_syncs:
        (sync_ids if sf_id in known else link_ids).add(sf_id)
    for sf_id in plan.queries:
        if sf_id in known:
            link_ids.add(sf_id)  # a link job on a linked account pulls billing's values
            sync_ids.add(sf_id)
    accounts = await _requested(ctx, sorted(plan.link_requests - link_ids))
    if link_ids:
        accounts += await select_accounts(ctx, account_ids=sorted(link_ids))
    plan.enqueued_links = await engine.request_link(accounts) if accounts else 0
    links = await ctx.store.xref.get_many(sorted(sync_ids))
    billing_ids = sorted({link.billing_id for link in links.values()})
    plan.enqueued_syncs = await engine.request_sync(billing_ids) if billing_ids else 0
    return plan


async def _requested(ctx: FlowContext, ids: Sequence[str]) -> list[dict[str, Any]]:
    """The accounts among ``ids`` that still match the link criterion (read back: the event
    holds the changed fields only, and the flag may have been cleared since)."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(ids), QUERY_CHUNK):
        chunk = ids[start : start + QUERY_CHUNK]
        criterion = f"Id IN {soql_in(chunk)} AND ({ctx.settings.link_criterion})"
        found += await select_accounts(ctx, criterion=criterion)
    return found
