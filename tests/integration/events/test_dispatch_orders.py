"""What order-related Salesforce events ask of the core (issue 14): activation, a person moving a
task, a Cancel line added, and the order quick actions (the pure classification, no I/O)."""

import pytest

from contracts.salesforce_ids import normalize
from integration.events.dispatch import classify
from integration.events.model import BILLING_ACTIONS, ChannelEvent

ORDER = normalize("8015G0000000001") or ""
ITEM = normalize("8025G0000000001") or ""
TASK = normalize("1WL5G0000000001") or ""
ACCOUNT = normalize("0015G0000000001") or ""


def change(
    entity: str, record: str, change_type: str, fields: dict[str, object], *, origin: str = ""
) -> ChannelEvent:
    header = {
        "entityName": entity,
        "recordIds": [record],
        "changeType": change_type,
        "changedFields": sorted(fields) if change_type == "UPDATE" else [],
        "changeOrigin": origin or "com/salesforce/api/rest/62.0",
    }
    return ChannelEvent(f"/data/{entity}ChangeEvent", 1, fields, header)


def test_activating_an_order_processes_it() -> None:
    plan = classify([change("Order", ORDER, "UPDATE", {"Status": "Activated"})], set())
    assert plan.orders == {ORDER}
    assert not plan.ignored
    assert not plan.dead


def test_a_draft_order_or_another_order_change_asks_for_nothing() -> None:
    plan = classify([change("Order", ORDER, "UPDATE", {"Description": "x"})], set())
    assert not plan.orders
    assert plan.ignored == {("/data/OrderChangeEvent", 1): "nothing to do on this Order UPDATE"}


def test_a_person_moving_a_task_runs_its_order_again() -> None:
    plan = classify([change("WorkOrderLineItem", TASK, "UPDATE", {"Status": "Completed"})], set())
    assert plan.task_changes == {TASK}


def test_the_cores_own_task_writes_are_echoes() -> None:
    event = change(
        "WorkOrderLineItem",
        TASK,
        "UPDATE",
        {"Status": "Completed"},
        origin="com/salesforce/api/rest/62.0;client=q2c-core",
    )
    plan = classify([event], set())
    assert not plan.task_changes
    assert plan.ignored == {("/data/WorkOrderLineItemChangeEvent", 1): "the core's own change"}


def test_a_cancel_line_added_is_quoted_and_other_lines_are_not() -> None:
    plan = classify(
        [
            change("OrderItem", ITEM, "CREATE", {"Billing_Action__c": "Cancel"}),
        ],
        set(),
    )
    assert plan.etl_quotes == {ITEM}
    other = classify([change("OrderItem", ITEM, "CREATE", {"Billing_Action__c": "New"})], set())
    assert not other.etl_quotes
    assert other.ignored == {("/data/OrderItemChangeEvent", 1): "nothing to do on this OrderItem CREATE"}


def action(name: str, record: str) -> ChannelEvent:
    return ChannelEvent(BILLING_ACTIONS, 1, {"Action__c": name, "Record_Id__c": record})


def test_the_order_quick_actions() -> None:
    assert classify([action("quote_etl", ITEM)], set()).etl_quotes == {ITEM}
    assert classify([action("retry_task", TASK)], set()).task_retries == {TASK}


@pytest.mark.parametrize(
    ("name", "record", "reason"),
    [
        ("quote_etl", ACCOUNT, f"Record_Id__c is not an order product id: {ACCOUNT!r}"),
        ("retry_task", ITEM, f"Record_Id__c is not a work order task id: {ITEM!r}"),
        ("retry_task", "nonsense", "Record_Id__c is not a work order task id: 'nonsense'"),
    ],
)
def test_an_order_quick_action_on_the_wrong_record_is_dead_with_the_reason(
    name: str, record: str, reason: str
) -> None:
    plan = classify([action(name, record)], set())
    assert plan.dead == {(BILLING_ACTIONS, 1): reason}
    assert not plan.etl_quotes
    assert not plan.task_retries
