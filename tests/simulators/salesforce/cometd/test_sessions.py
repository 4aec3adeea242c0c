"""CometD sessions: expiry after the reconnect timeout (real time, small configured timeouts,
waiting on the server's own ``closed`` awaitable), the replay positions, the org's concurrent
client and daily delivery allocations metered on the bus."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

from simulators.salesforce.cometd.clients import CometdSettings
from simulators.salesforce.events.bus import EventLimits
from simulators.salesforce.models.orgs import OrgSpec
from tests.support.cometd import FAST, Bayeux
from tests.support.salesforce import SfClient, oauth_token
from tests.support.salesforce_live import TINY_ORG

MakeClient = Callable[..., Awaitable[SfClient]]
EVENT = "/event/Billing_Action__e"


async def publish(sf: SfClient, *actions: str) -> None:
    for action in actions:
        await sf.json("POST", "/sobjects/Billing_Action__e", 201, json={"Action__c": action})


def actions(events: list[dict[str, object]]) -> list[object]:
    return [event["data"]["payload"]["Action__c"] for event in events]


async def test_a_client_that_does_not_reconnect_expires(make_client: MakeClient) -> None:
    sf = await make_client(cometd=CometdSettings(connect_timeout=5, reconnect_timeout=0.2))
    bayeux = Bayeux(sf.client, sf.token)
    await bayeux.open(EVENT)
    session = bayeux.session()
    bus = session.org.events
    assert bus.connected_clients == 1
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await asyncio.wait_for(asyncio.shield(session.closed), 5) == "expired"
    assert loop.time() - started >= 0.15
    assert bus.connected_clients == 0
    assert session.subscriptions == {}
    _, reply = await bayeux.connect()
    assert reply["error"] == "403::Unknown client"
    assert reply["advice"] == {"reconnect": "handshake", "interval": 0}


async def test_a_held_connect_keeps_the_client_alive(make_client: MakeClient) -> None:
    sf = await make_client(cometd=CometdSettings(connect_timeout=0.6, reconnect_timeout=0.2))
    bayeux = Bayeux(sf.client, sf.token)
    await bayeux.open(EVENT)
    session = bayeux.session()
    events, reply = await bayeux.connect()  # held 0.6 s: longer than the reconnect timeout
    assert reply["successful"] is True
    assert events == []
    assert not session.is_closed


async def test_replay_new_all_and_stored(sf: SfClient, bayeux: Bayeux) -> None:
    await publish(sf, "one", "two", "three")
    await bayeux.open()
    assert (await bayeux.subscribe(EVENT))["successful"] is True  # no ext: new events only
    events, _ = await bayeux.post(bayeux.connect_message()), None
    assert events[:-1] == []
    await bayeux.subscribe(EVENT, -2)
    replies, _ = await bayeux.connect()
    assert actions(replies) == ["one", "two", "three"]
    assert [e["data"]["event"]["replayId"] for e in replies] == [1, 2, 3]
    await bayeux.subscribe(EVENT, 1)
    replies, _ = await bayeux.connect()
    assert actions(replies) == ["two", "three"]
    await bayeux.subscribe(EVENT, -1)
    await publish(sf, "four")
    replies, _ = await bayeux.connect()
    assert actions(replies) == ["four"]


async def test_all_change_events_channel(sf: SfClient, bayeux: Bayeux) -> None:
    await bayeux.open("/data/ChangeEvents")
    created = await sf.json("POST", "/sobjects/Contact", 201, json={"LastName": "Streamer"})
    await sf.json("DELETE", f"/sobjects/Contact/{created['id']}", 204)
    events, _ = await bayeux.connect()
    assert [e["channel"] for e in events] == ["/data/ChangeEvents"] * 2
    create, delete = (e["data"]["payload"] for e in events)
    assert create["ChangeEventHeader"]["changeType"] == "CREATE"
    assert create["LastName"] == "Streamer"
    assert create["ChangeEventHeader"]["changedFields"] == []
    assert "IsDeleted" not in create
    assert "SystemModstamp" not in create
    assert delete == {"ChangeEventHeader": delete["ChangeEventHeader"]}  # DELETE: no fields
    assert delete["ChangeEventHeader"]["changeType"] == "DELETE"


async def test_concurrent_client_limit(make_client: MakeClient) -> None:
    small = OrgSpec(event_limits=EventLimits(concurrent_clients=2))
    sf = await make_client(orgs=(small, TINY_ORG))
    first, second = Bayeux(sf.client, sf.token), Bayeux(sf.client, sf.token)
    await first.handshake()
    await second.handshake()
    reply = await Bayeux(sf.client, sf.token).handshake()
    assert reply["successful"] is False
    assert reply["error"] == "403::Handshake denied"
    assert reply["ext"]["sfdc"]["failureReason"] == "403::Organization concurrent user limit exceeded"
    assert reply["advice"] == {"reconnect": "none"}
    await first.post({"channel": "/meta/disconnect", "clientId": first.client_id, "id": "1"})
    assert (await Bayeux(sf.client, sf.token).handshake())["successful"] is True


async def test_daily_delivery_allocation(make_client: MakeClient) -> None:
    small = OrgSpec(event_limits=EventLimits(daily_delivered=3))
    sf = await make_client(orgs=(small, TINY_ORG), cometd=FAST)
    bayeux = Bayeux(sf.client, sf.token)
    await publish(sf, "a", "b", "c", "d", "e")
    await bayeux.open(EVENT, replay=-2)
    events, _ = await bayeux.connect()
    assert actions(events) == ["a", "b", "c"]  # delivery stops at the allocation
    bus = bayeux.session().org.events
    assert bus.delivered_today() == 3
    reply = await bayeux.subscribe("/data/AccountChangeEvent")
    assert reply["error"] == "403::Organization total events daily limit exceeded"
    events, reply = await bayeux.connect()  # held (no busy loop): nothing more today
    assert events == []
    assert reply["successful"] is True
    await sf.state.clock.advance(timedelta(hours=24, seconds=1))  # the rolling window moves on
    bayeux.token = sf.token = await _login(sf)
    events, _ = await bayeux.connect()
    assert actions(events) == ["d", "e"]


async def test_delivered_events_are_counted(sf: SfClient, bayeux: Bayeux) -> None:
    await publish(sf, "x", "y")
    await bayeux.open(EVENT, replay=-2)
    bus = bayeux.session().org.events
    before = bus.delivered_today()
    events, _ = await bayeux.connect()
    assert len(events) == 2
    assert bus.delivered_today() == before + 2


async def test_required_cookie(make_client: MakeClient) -> None:
    sf = await make_client(cometd=CometdSettings(require_cookie=True))
    bayeux = Bayeux(sf.client, sf.token)
    await bayeux.handshake()
    sf.client.session.cookie_jar.clear()
    _, reply = await bayeux.connect()
    assert reply["error"] == (
        f"400::Client {bayeux.client_id} has established a session, but no BAYEUX_BROWSER cookie present"
    )


async def test_a_reset_forgets_every_client(sf: SfClient, bayeux: Bayeux) -> None:
    await bayeux.open(EVENT)
    session = bayeux.session()
    response = await sf.client.post("/__sim/reset")
    assert response.status in (200, 204)
    bayeux.token = await _login(sf)
    _, reply = await bayeux.connect()
    assert reply["error"] == "403::Unknown client"
    assert session.closed.result() == "reset"


async def _login(sf: SfClient) -> str:
    return await oauth_token(sf.client)


async def test_limits_show_cometd_clients_and_deliveries(sf: SfClient, bayeux: Bayeux) -> None:
    def used(limits: dict[str, dict[str, int]], name: str) -> int:
        return limits[name]["Max"] - limits[name]["Remaining"]

    before = await sf.json("GET", "/limits", 200)
    await publish(sf, "a", "b")
    await bayeux.open(EVENT, replay=-2)
    other = Bayeux(sf.client, sf.token)
    await other.handshake()
    events, _ = await bayeux.connect()
    assert len(events) == 2
    after = await sf.json("GET", "/limits", 200)
    assert used(after, "DurableStreamingApiConcurrentClients") == 2
    assert used(after, "DailyDeliveredPlatformEvents") == used(before, "DailyDeliveredPlatformEvents") + 2
    await other.post({"channel": "/meta/disconnect", "clientId": other.client_id, "id": "1"})
    final = await sf.json("GET", "/limits", 200)
    assert used(final, "DurableStreamingApiConcurrentClients") == 1


async def test_a_connect_response_carries_a_bounded_batch(make_client: MakeClient) -> None:
    sf = await make_client(cometd=CometdSettings(connect_timeout=0.5, max_events_per_response=2))
    bayeux = Bayeux(sf.client, sf.token)
    await publish(sf, "a", "b", "c")
    await bayeux.open(EVENT, replay=-2)
    first, _ = await bayeux.connect()
    second, _ = await bayeux.connect()
    assert actions(first) == ["a", "b"]
    assert actions(second) == ["c"]
