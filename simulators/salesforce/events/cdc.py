"""Change Data Capture: a committed record change as a change event (header facts in
salesforce-events.md §1.6). The bus calls ``change_event`` for each change of a selected entity."""

from __future__ import annotations

from datetime import datetime

from simulators.salesforce.events.bus import BusEvent, ChangeHeader, change_event_name, epoch_ms
from simulators.salesforce.events.changes import Change, Origin

CHANGE_TYPES = {
    "create": "CREATE",
    "update": "UPDATE",
    "delete": "DELETE",
    "hard_delete": "DELETE",
    "undelete": "UNDELETE",
}
#: Never part of a change event's body (§1.6).
HIDDEN_FIELDS = frozenset({"IsDeleted", "SystemModstamp"})
#: The default CDC selection of the seeded org besides every custom object (issue 13).
# WorkOrderLineItem: a person completing a manual task is how order processing resumes (issue 14).
DEFAULT_ENTITIES = (
    "Account",
    "Contact",
    "Order",
    "OrderItem",
    "Product2",
    "PricebookEntry",
    "WorkOrderLineItem",
)


def change_event(
    change: Change,
    *,
    replay_id: int,
    now: datetime,
    event_uuid: str,
    transaction_key: str,
    sequence: int,
    commit_number: int,
) -> BusEvent:
    origin = change.origin or Origin()
    update = change.kind == "update"
    header = ChangeHeader(
        entity_name=change.object_name,
        record_ids=(change.record_id,),
        change_type=CHANGE_TYPES[change.kind],
        changed_fields=change.changed_fields if update else (),
        nulled_fields=change.nulled_fields if update else (),
        diff_fields=(),
        commit_timestamp=epoch_ms(now),
        commit_number=commit_number,
        commit_user=origin.user_id or "",
        transaction_key=transaction_key,
        sequence_number=sequence,
        change_origin=origin.change_origin,
    )
    name = change_event_name(change.object_name)
    fields = change.fields  # a snapshot: HIDDEN_FIELDS are never in it
    return BusEvent(
        channel=f"/data/{name}",
        replay_id=replay_id,
        created=now,
        event_uuid=event_uuid,
        event_name=name,
        fields=fields,
        header=header,
        created_by_id=origin.user_id or "",
    )
