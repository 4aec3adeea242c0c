"""The event bus as a model: channels, replay ids, retention on the virtual clock, the memory
bound, subscriptions as positions, waiting, and the org limits it meters."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from simulators.salesforce.events.bus import (
    ALL_CHANGES,
    DeliveryLimitExceeded,
    EventBus,
    EventLimits,
    InvalidReplay,
    PublishLimitExceeded,
    TooManyClients,
    UnknownChannel,
    change_event_name,
    entity_of,
)
from simulators.salesforce.events.changes import Change, Origin, PendingEvent, parse_call_options

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ACTION = "/event/Billing_Action__e"


class FakeClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def make_bus(clock: FakeClock, **limits: object) -> EventBus:
    return EventBus(
        clock,
        entities=lambda: ["Account", "Contact", "Billing_Invoice__c"],
        event_types=lambda: ["Billing_Action__e"],
        selected=["Account", "Billing_Invoice__c"],
        limits=EventLimits(**limits),  # type: ignore[arg-type]
        seed=3,
    )


def publish(bus: EventBus, action: str = "sync") -> int:
    event = bus.publish_platform_event(
        PendingEvent("Billing_Action__e", {"Action__c": action}, bus.new_event_uuid(), "005x")
    )
    return event.replay_id


def change(kind: str = "create", entity: str = "Account", record_id: str = "001A") -> Change:
    return Change(kind, entity, record_id, {"Name": "Acme"}, origin=Origin("rest", "v66.0", "q2c", "005x"))  # type: ignore[arg-type]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def bus(clock: FakeClock) -> EventBus:
    return make_bus(clock)


def test_channels_exist_for_entities_and_defined_events_only(bus: EventBus) -> None:
    assert bus.channel_exists("/data/ChangeEvents")
    assert bus.channel_exists("/data/AccountChangeEvent")
    assert bus.channel_exists("/data/Billing_Invoice__ChangeEvent")
    assert bus.channel_exists(ACTION)
    assert not bus.channel_exists("/event/Nope__e")
    assert not bus.channel_exists("/data/NopeChangeEvent")
    assert not bus.channel_exists("/topic/Account")
    assert bus.topics()[0] == ALL_CHANGES
    assert ACTION in bus.topics()
    assert bus.event_name("/data/AccountChangeEvent") == "AccountChangeEvent"
    assert (change_event_name("Order__c"), entity_of("Order__ChangeEvent")) == (
        "Order__ChangeEvent",
        "Order__c",
    )
    with pytest.raises(UnknownChannel) as caught:
        bus.subscribe("/event/Nope__e", -1)
    assert str(caught.value) == "The channel you requested to subscribe to doesn't exist /event/Nope__e"


def test_replay_ids_increase_per_channel_and_subscriptions_are_positions(bus: EventBus) -> None:
    assert (bus.latest_replay_id(ACTION), bus.earliest_replay_id(ACTION)) == (0, None)
    new_only = bus.subscribe(ACTION, -1)
    assert [publish(bus, str(n)) for n in range(3)] == [1, 2, 3]
    everything = bus.subscribe(ACTION, -2)
    after_one = bus.subscribe(ACTION, 1)
    assert [e.replay_id for e in new_only.take(2)] == [1, 2]
    assert [e.replay_id for e in new_only.take(10)] == [3]
    assert (new_only.take(10), new_only.position) == ([], 3)
    assert [e.fields["Action__c"] for e in everything.take(10)] == ["0", "1", "2"]
    assert [e.replay_id for e in after_one.take(10)] == [2, 3]
    assert bus.subscriber_count(ACTION) == 3
    new_only.close()
    new_only.close()
    assert bus.subscriber_count(ACTION) == 2


def test_a_replay_id_outside_retention_is_invalid_with_the_streaming_message(bus: EventBus) -> None:
    publish(bus)
    for bad in (7, 0, -3):
        with pytest.raises(InvalidReplay) as caught:
            bus.subscribe(ACTION, bad)
        assert str(caught.value) == (
            f"The replayId {{{bad}}} you provided was invalid. Please provide a valid ID, "
            "-2 to replay all events, or -1 to replay only new events."
        )


def test_retention_is_72_hours_on_the_virtual_clock(bus: EventBus, clock: FakeClock) -> None:
    publish(bus, "old")
    subscription = bus.subscribe(ACTION, -2)
    clock.now += timedelta(hours=71)
    publish(bus, "young")
    clock.now += timedelta(hours=1, seconds=1)
    # The first event is 72 h 1 s old: gone; its id no longer replays, the reader skips it.
    assert [e.fields["Action__c"] for e in bus.retained(ACTION)] == ["young"]
    assert (bus.earliest_replay_id(ACTION), bus.latest_replay_id(ACTION)) == (2, 2)
    with pytest.raises(InvalidReplay):
        bus.subscribe(ACTION, 1)
    assert [e.fields["Action__c"] for e in subscription.take(10)] == ["young"]
    clock.now += timedelta(hours=72)
    assert (bus.retained(ACTION), bus.latest_replay_id(ACTION)) == ([], 2)
    with pytest.raises(InvalidReplay):
        bus.subscribe(ACTION, 2)
    assert publish(bus) == 3  # ids never restart


def test_each_channel_keeps_at_most_its_cap(clock: FakeClock) -> None:
    bus = make_bus(clock, retained_per_channel=3)
    reader = bus.subscribe(ACTION, -1)
    for n in range(10):
        publish(bus, str(n))
    assert [e.replay_id for e in bus.retained(ACTION)] == [8, 9, 10]
    # A reader that stopped holds no events: it gets what is still retained.
    assert [e.replay_id for e in reader.take(100)] == [8, 9, 10]


def test_change_events_share_one_sequence_across_entity_channels(bus: EventBus) -> None:
    everything = bus.subscribe(ALL_CHANGES, -1)
    accounts = bus.subscribe("/data/AccountChangeEvent", -1)
    out = bus.commit([change(), change("update", "Billing_Invoice__c", "a01B"), change("update")], [])
    assert [e.replay_id for e in out] == [1, 2, 3]
    assert [e.replay_id for e in everything.take(10)] == [1, 2, 3]
    assert [e.replay_id for e in accounts.take(10)] == [1, 3]
    headers = [e.header for e in out]
    assert all(h is not None for h in headers)
    assert {h.transaction_key for h in headers if h} == {
        out[0].header.transaction_key if out[0].header else ""
    }
    assert [h.sequence_number for h in headers if h] == [1, 2, 3]
    assert out[1].channel == "/data/Billing_Invoice__ChangeEvent"
    second = bus.commit([change("delete")], [])
    assert second[0].header is not None
    assert out[0].header is not None
    assert second[0].header.transaction_key != out[0].header.transaction_key
    assert second[0].header.commit_number == out[0].header.commit_number + 1


def test_unselected_entities_emit_nothing_and_hard_deletes_are_deletes(bus: EventBus) -> None:
    assert bus.commit([change(entity="Contact")], []) == []
    # A hard delete is a DELETE, unless the record was in the recycle bin already (no fields).
    [gone] = bus.commit([change("hard_delete"), Change("hard_delete", "Account", "001B")], [])
    assert gone.header is not None
    assert (gone.header.change_type, gone.header.record_ids) == ("DELETE", ("001A",))
    bus.select_entities(["Contact"])
    assert [e.event_name for e in bus.commit([change(entity="Contact"), change()], [])] == [
        "ContactChangeEvent"
    ]
    with pytest.raises(ValueError, match="Change Data Capture: Nope"):
        bus.select_entities(["Contact", "Nope"])
    assert bus.selected_entities() == {"Contact"}


def test_header_names_origin_user_and_commit_time(bus: EventBus, clock: FakeClock) -> None:
    [event] = bus.commit([change()], [])
    header = event.header
    assert header is not None
    assert header.change_origin == "com/salesforce/api/rest/66.0;client=q2c"
    assert (header.commit_user, header.entity_name, header.record_ids, header.change_type) == (
        "005x",
        "Account",
        ("001A",),
        "CREATE",
    )
    assert header.commit_timestamp == int(clock.now.timestamp() * 1000)
    assert Origin("soap", "66.0").change_origin == "com/salesforce/api/soap/66.0"
    assert Origin().change_origin == ""
    assert parse_call_options("defaultNamespace=x, client=acme-sync") == "acme-sync"
    assert parse_call_options("defaultNamespace=x") is None


async def test_wait_wakes_on_publish_and_times_out_without(bus: EventBus) -> None:
    subscription = bus.subscribe(ACTION, -1)
    assert await subscription.wait(0.01) is False
    waiting = asyncio.create_task(subscription.wait(5))
    await asyncio.sleep(0)  # let the waiter register
    publish(bus)
    assert await waiting is True
    assert await subscription.wait(0) is True  # an event is there: no waiting
    subscription.close()
    assert await subscription.wait(0.01) is False


def test_concurrent_clients_are_limited(clock: FakeClock) -> None:
    bus = make_bus(clock, concurrent_clients=2)
    bus.client_connected()
    bus.client_connected()
    with pytest.raises(TooManyClients, match="Organization concurrent user limit exceeded"):
        bus.client_connected()
    bus.client_disconnected()
    bus.client_connected()
    assert bus.connected_clients == 2


def test_deliveries_are_counted_over_a_rolling_day(clock: FakeClock) -> None:
    bus = make_bus(clock, daily_delivered=5)
    bus.count_delivered(3)
    clock.now += timedelta(hours=12)
    bus.count_delivered(2)
    with pytest.raises(DeliveryLimitExceeded, match="Organization total events daily limit exceeded"):
        bus.check_delivery()
    clock.now += timedelta(hours=12)  # the first 3 leave the window
    assert bus.delivered_today() == 2
    bus.check_delivery()


def test_publishes_are_limited_per_rolling_hour(clock: FakeClock) -> None:
    bus = make_bus(clock, hourly_published=2)
    publish(bus)
    bus.check_publish(1)
    publish(bus)
    with pytest.raises(PublishLimitExceeded):
        bus.check_publish(1)
    clock.now += timedelta(hours=1)
    bus.check_publish(2)
    assert bus.published_this_hour() == 0


def test_platform_events_carry_uuid_creator_and_created_date(bus: EventBus) -> None:
    uuid = bus.new_event_uuid()
    event = bus.publish_platform_event(PendingEvent("Billing_Action__e", {"Action__c": "open"}, uuid, "005x"))
    assert (event.event_uuid, event.created_by_id, event.is_change_event) == (uuid, "005x", False)
    assert event.fields == {
        "Action__c": "open",
        "CreatedDate": "2026-01-05T09:00:00.000Z",
        "CreatedById": "005x",
    }
    with pytest.raises(UnknownChannel):
        bus.publish_platform_event(PendingEvent("Nope__e", {}, uuid, "005x"))


def test_same_seed_same_uuids(clock: FakeClock) -> None:
    assert make_bus(clock).new_event_uuid() == make_bus(clock).new_event_uuid()


def test_a_long_burst_stays_bounded_and_ordered(clock: FakeClock) -> None:
    bus = make_bus(clock, retained_per_channel=1_500)
    reader = bus.subscribe(ACTION, -1)
    for n in range(5_000):
        clock.now += timedelta(seconds=1)
        publish(bus, str(n))
    assert len(bus.retained(ACTION)) == 1_500
    assert bus.earliest_replay_id(ACTION) == 3_501
    assert [e.replay_id for e in reader.take(3)] == [3_501, 3_502, 3_503]
    clock.now += timedelta(hours=72) - timedelta(seconds=100)  # 72 h old exactly still counts
    assert [e.replay_id for e in bus.retained(ACTION)] == list(range(4_900, 5_001))
    assert [e.replay_id for e in reader.take(2)] == [4_900, 4_901]
