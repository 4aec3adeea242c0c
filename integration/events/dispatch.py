"""Stored Salesforce events -> the engine's jobs.

- ``AccountChangeEvent``: ``Billing_Link_Requested__c`` set true (on create, update or undelete)
  is a link request: the accounts are read back and those that still match the link criterion
  (the same one the delta poll uses) get a link job. A change to a field the mapping sends to
  billing, on a linked account, queues a sync of that account. Gap events (``GAP_*``) are
  treated as both: the record is re-read, as Salesforce asks. The core's own writes
  (``changeOrigin`` naming its client id) are echoes and dropped.
- ``OrderChangeEvent`` with ``Status`` Activated: the order is processed (work orders, tasks,
  the billing order); ``WorkOrderLineItemChangeEvent`` changing ``Status`` (a person completing a
  manual task): its order is processed again; ``OrderItemChangeEvent`` creating a Cancel line:
  its early termination liability is quoted (``ETL_Amount__c``, while the order is a draft).
- ``Billing_Action__e`` (the CRM's quick actions, ``Action__c`` on ``Record_Id__c``):
  ``open`` links the account (creates its billing account, or links by BAN / external id);
  ``sync`` syncs a linked account and links an unlinked one; ``query`` pulls a linked account's
  billing values (cycle, category, email) and financials back into Salesforce; ``quote_etl``
  (an order product) fills its ``ETL_Amount__c``; ``retry_task`` (a work order task) runs a
  failed automated task again.

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
from integration.engine import ETL, RETRY_TASK, Engine
from integration.events.model import BILLING_ACTIONS, ChannelEvent
from integration.flows.context import FlowContext
from integration.flows.link import QUERY_CHUNK, select_accounts

log = logging.getLogger(__name__)

LINK_FLAG = "Billing_Link_Requested__c"
ACTIONS = ("open", "sync", "query", "quote_etl", "retry_task")
# Key prefixes of the records a quick action names (a wrong kind of record is refused clearly).
ACTION_TARGETS = {"quote_etl": ("802", "an order product"), "retry_task": ("1WL", "a work order task")}
CORE_CLIENT_ID = "q2c-core"  # sent as Sforce-Call-Options: client=...; its changes are echoes


@dataclass
class Dispatch:
    """What a batch of events asks for, and what happened to each event."""

    link_requests: set[str] = field(default_factory=set)  # CDC: linked if the criterion still matches
    links: set[str] = field(default_factory=set)  # quick actions: linked regardless of the flag
    syncs: set[str] = field(default_factory=set)  # Salesforce ids; synced if linked
    queries: set[str] = field(default_factory=set)  # linked: refresh from billing (link + sync)
    unlinked_syncs: set[str] = field(default_factory=set)  # sync action: link if not linked
    orders: set[str] = field(default_factory=set)  # activated orders to process
    task_changes: set[str] = field(default_factory=set)  # tasks a person moved: their orders run
    etl_quotes: set[str] = field(default_factory=set)  # order products whose ETL to quote
    task_retries: set[str] = field(default_factory=set)  # failed tasks to run again
    dead: dict[tuple[str, int], str] = field(default_factory=dict)
    ignored: dict[tuple[str, int], str] = field(default_factory=dict)
    enqueued_links: int = 0
    enqueued_syncs: int = 0
    enqueued_orders: int = 0


def is_echo(event: ChannelEvent) -> bool:
    """A change the core itself made (``changeOrigin`` names its client id)."""
    origin = str((event.header or {}).get("changeOrigin") or "")
    return f"client={CORE_CLIENT_ID}" in origin.split(";")


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
    entity = header.get("entityName")
    if entity not in (None, "Account", *ORDER_ENTITIES):
        result.ignored[key] = f"no flow for {entity} changes"
        return
    if is_echo(event):
        result.ignored[key] = "the core's own change"
        return
    ids = [normalize(str(i)) for i in header.get("recordIds") or []]
    if not ids or any(i is None for i in ids):
        result.dead[key] = f"change event without usable record ids: {header.get('recordIds')!r}"
        return
    record_ids = {i for i in ids if i}
    change_type = str(header.get("changeType") or "")
    if entity in ORDER_ENTITIES:
        _classify_order_change(str(entity), change_type, event, record_ids, result, key)
        return
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


ORDER_ENTITIES = ("Order", "OrderItem", "WorkOrderLineItem")


def _classify_order_change(
    entity: str,
    change_type: str,
    event: ChannelEvent,
    record_ids: set[str],
    result: Dispatch,
    key: tuple[str, int],
) -> None:
    """Order activation, a task a person moved, a Cancel line added (GAP events re-read)."""
    gap = change_type.startswith("GAP_")
    changed = set(header_changed(event)) if change_type == "UPDATE" else set(event.fields)
    if entity == "Order" and (gap or event.fields.get("Status") == "Activated"):
        result.orders |= record_ids
    elif entity == "WorkOrderLineItem" and (gap or (change_type == "UPDATE" and "Status" in changed)):
        result.task_changes |= record_ids
    elif entity == "OrderItem" and (
        gap or (change_type == "CREATE" and event.fields.get("Billing_Action__c") == "Cancel")
    ):
        result.etl_quotes |= record_ids
    else:
        result.ignored[key] = f"nothing to do on this {entity} {change_type or 'change'}"


def header_changed(event: ChannelEvent) -> list[str]:
    return list((event.header or {}).get("changedFields") or [])


def _classify_action(event: ChannelEvent, result: Dispatch, key: tuple[str, int]) -> None:
    action = str(event.fields.get("Action__c") or "").strip().lower()
    given = str(event.fields.get("Record_Id__c") or "").strip()
    record_id = normalize(given) if given else None
    if action not in ACTIONS:
        result.dead[key] = f"Action__c must be one of {', '.join(ACTIONS)}, not {action or 'empty'!r}"
        return
    prefix, kind = ACTION_TARGETS.get(action, ("001", "an account"))
    if record_id is None or (action in ACTION_TARGETS and not record_id.startswith(prefix)):
        result.dead[key] = f"Record_Id__c is not {kind} id: {given or 'empty'!r}"
        return
    if action == "quote_etl":
        result.etl_quotes.add(record_id)
    elif action == "retry_task":
        result.task_retries.add(record_id)
    elif action == "open":
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
    orders = set(plan.orders)
    task_ids = sorted(plan.task_changes)
    for start in range(0, len(task_ids), QUERY_CHUNK):
        chunk = task_ids[start : start + QUERY_CHUNK]
        rows = await ctx.salesforce.query(
            f"SELECT OrderId FROM WorkOrderLineItem WHERE Id IN {soql_in(chunk)} AND OrderId != null"
        )
        orders |= {str(row["OrderId"]) for row in rows}
    plan.enqueued_orders = await engine.request_orders(sorted(orders)) if orders else 0
    if plan.etl_quotes:
        await engine.request(ETL, sorted(plan.etl_quotes))
    if plan.task_retries:
        await engine.request(RETRY_TASK, sorted(plan.task_retries))
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
