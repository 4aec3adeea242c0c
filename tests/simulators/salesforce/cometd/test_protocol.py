"""The Bayeux exchange as Salesforce speaks it (salesforce-events.md §0, §1): handshake, long-poll
connect with Salesforce's advice, subscribe/unsubscribe/disconnect, message batches in order,
both authorization schemes. Each test fails on the old 501 placeholder."""

from __future__ import annotations

import asyncio
from typing import Any

from simulators.salesforce.cometd.clients import CometdSettings
from tests.support.cometd import Bayeux
from tests.support.salesforce import SfClient

ACCOUNT_CHANNEL = "/data/AccountChangeEvent"


async def first_account(sf: SfClient) -> str:
    body = await sf.json("GET", "/query?q=SELECT+Id+FROM+Account+ORDER+BY+Id+LIMIT+1", 200)
    account_id: str = body["records"][0]["Id"]
    return account_id


async def test_handshake_offers_long_polling_and_the_replay_extension(bayeux: Bayeux) -> None:
    reply = await bayeux.handshake()
    client_id = reply.pop("clientId")
    assert reply == {
        "channel": "/meta/handshake",
        "id": "0",
        "version": "1.0",
        "minimumVersion": "1.0",
        "supportedConnectionTypes": ["long-polling"],  # never websocket: aiocometd would pick it
        "successful": True,
        "ext": {"replay": True, "payload.format": True},
    }
    assert len(client_id) == 27
    assert client_id.isalnum()
    assert bayeux.session().org.events.connected_clients == 1


async def test_handshake_sets_the_bayeux_browser_cookie(sf: SfClient) -> None:
    response = await sf.client.post(
        "/cometd/66.0",
        json=[{"channel": "/meta/handshake", "id": "1", "version": "1.0"}],
        headers={"Authorization": f"Bearer {sf.token}"},
    )
    assert response.status == 200
    cookie = response.cookies["BAYEUX_BROWSER"]
    assert cookie["path"] == "/cometd"
    assert cookie["httponly"]


async def test_oauth_scheme_is_accepted_as_jsforce_sends_it(sf: SfClient) -> None:
    oauth = Bayeux(sf.client, sf.token, scheme="OAuth")
    await oauth.open(ACCOUNT_CHANNEL)


async def test_first_connect_is_answered_at_once_with_salesforces_advice(
    make_client: Any,
) -> None:
    sf = await make_client()  # Salesforce's own timeouts
    bayeux = Bayeux(sf.client, sf.token)
    await bayeux.handshake()
    events, reply = await bayeux.connect()
    assert events == []
    assert reply == {
        "channel": "/meta/connect",
        "id": "1",
        "clientId": bayeux.client_id,
        "successful": True,
        "advice": {"interval": 0, "timeout": 110000, "reconnect": "retry"},
    }


async def test_later_connects_are_held_until_the_configured_timeout(make_client: Any) -> None:
    sf = await make_client(cometd=CometdSettings(connect_timeout=0.3, reconnect_timeout=5))
    bayeux = Bayeux(sf.client, sf.token)
    await bayeux.open(ACCOUNT_CHANNEL)
    loop = asyncio.get_running_loop()
    started = loop.time()
    events, reply = await bayeux.connect()
    assert loop.time() - started >= 0.3
    assert events == []
    assert reply["successful"] is True
    assert reply["advice"] == {"interval": 0, "timeout": 300, "reconnect": "retry"}


async def test_held_connect_returns_with_the_change_event_of_a_rest_update(
    sf: SfClient, bayeux: Bayeux
) -> None:
    account = await first_account(sf)
    await bayeux.open(ACCOUNT_CHANNEL)
    held = asyncio.create_task(bayeux.connect())
    await sf.json("PATCH", f"/sobjects/Account/{account}", 204, json={"Description": "streamed"})
    events, reply = await asyncio.wait_for(held, 5)
    assert reply["successful"] is True
    (event,) = events
    assert event["channel"] == ACCOUNT_CHANNEL
    payload = event["data"]["payload"]
    header = payload.pop("ChangeEventHeader")
    assert header["entityName"] == "Account"
    assert header["recordIds"] == [account]
    assert header["changeType"] == "UPDATE"
    assert "Description" in header["changedFields"]
    assert "nulledFields" not in header
    assert "diffFields" not in header
    assert payload["Description"] == "streamed"
    assert "Name" not in payload  # CometD sends changed fields only
    assert set(payload) == set(header["changedFields"])
    assert isinstance(event["data"]["event"]["replayId"], int)
    assert len(event["data"]["schema"]) == 22


async def test_a_platform_event_arrives_with_created_date_and_uuid(sf: SfClient, bayeux: Bayeux) -> None:
    await bayeux.open("/event/Billing_Action__e")
    await sf.json("POST", "/sobjects/Billing_Action__e", 201, json={"Action__c": "sync", "Record_Id__c": "x"})
    events, _ = await bayeux.connect()
    (event,) = events
    payload = event["data"]["payload"]
    assert payload["Action__c"] == "sync"
    assert payload["Record_Id__c"] == "x"
    assert payload["CreatedDate"].endswith("Z")
    assert len(payload["CreatedDate"]) == 24
    assert payload["CreatedById"].startswith("005")
    assert len(payload["EventUuid"]) == 36
    assert event["data"]["event"] == {"replayId": 1}


async def test_subscribe_unsubscribe_and_disconnect(sf: SfClient, bayeux: Bayeux) -> None:
    await bayeux.open()
    reply = await bayeux.subscribe(ACCOUNT_CHANNEL)
    assert reply == {
        "channel": "/meta/subscribe",
        "id": "2",
        "clientId": bayeux.client_id,
        "subscription": ACCOUNT_CHANNEL,
        "successful": True,
    }
    (reply,) = await bayeux.post(
        {
            "channel": "/meta/unsubscribe",
            "clientId": bayeux.client_id,
            "subscription": ACCOUNT_CHANNEL,
            "id": "3",
        }
    )
    assert reply["successful"] is True
    assert reply["subscription"] == ACCOUNT_CHANNEL
    account = await first_account(sf)
    await sf.json("PATCH", f"/sobjects/Account/{account}", 204, json={"Description": "unheard"})
    events, _ = await bayeux.connect()
    assert events == []  # unsubscribed: nothing delivered
    session = bayeux.session()
    (reply,) = await bayeux.post({"channel": "/meta/disconnect", "clientId": bayeux.client_id, "id": "9"})
    assert reply == {
        "channel": "/meta/disconnect",
        "id": "9",
        "clientId": bayeux.client_id,
        "successful": True,
    }
    assert session.closed.result() == "disconnect"
    assert session.org.events.connected_clients == 0
    _, reply = await bayeux.connect()
    assert reply["error"] == "403::Unknown client"
    assert reply["advice"] == {"reconnect": "handshake", "interval": 0}


async def test_a_batch_is_processed_in_order_after_a_rehandshake(sf: SfClient, bayeux: Bayeux) -> None:
    """aiocometd after ``403::Unknown client``: handshake, then ONE POST of the connect followed
    by every earlier subscribe carrying its stored replay id (salesforce-events.md §0.4)."""
    account = await first_account(sf)
    await bayeux.open(ACCOUNT_CHANNEL, "/event/Billing_Action__e")
    await sf.json("PATCH", f"/sobjects/Account/{account}", 204, json={"Description": "first"})
    events, _ = await bayeux.connect()
    stored = events[0]["data"]["event"]["replayId"]
    await bayeux.post({"channel": "/meta/disconnect", "clientId": bayeux.client_id, "id": "x"})
    await sf.json("PATCH", f"/sobjects/Account/{account}", 204, json={"Description": "missed"})
    await sf.json("POST", "/sobjects/Billing_Action__e", 201, json={"Action__c": "missed"})
    await bayeux.handshake()
    replies = await bayeux.post(
        bayeux.connect_message(),
        bayeux.subscribe_message(ACCOUNT_CHANNEL, stored),
        bayeux.subscribe_message("/event/Billing_Action__e", -2),
    )
    channels = [reply["channel"] for reply in replies]
    assert channels == [
        ACCOUNT_CHANNEL,
        "/event/Billing_Action__e",
        "/meta/connect",
        "/meta/subscribe",
        "/meta/subscribe",
    ]
    assert replies[0]["data"]["payload"]["Description"] == "missed"
    assert replies[1]["data"]["payload"]["Action__c"] == "missed"
    assert [reply.get("successful") for reply in replies[2:]] == [True, True, True]
    assert [reply["id"] for reply in replies[2:]] == ["1", "2", "3"]


async def test_a_second_connect_ends_the_held_one(make_client: Any) -> None:
    sf = await make_client(cometd=CometdSettings(connect_timeout=30, reconnect_timeout=30))
    bayeux = Bayeux(sf.client, sf.token)
    await bayeux.open(ACCOUNT_CHANNEL)
    first = asyncio.create_task(bayeux.connect())
    session = bayeux.session()
    await asyncio.wait_for(session.holding.wait(), 5)  # the server holds the first connect
    second = asyncio.create_task(bayeux.connect())
    events, reply = await asyncio.wait_for(first, 5)
    assert events == []
    assert reply["successful"] is True
    second.cancel()
    await asyncio.gather(second, return_exceptions=True)


async def test_a_connect_batched_with_a_subscribe_is_not_held(make_client: Any) -> None:
    """Faye (jsforce) batches ``[connect, subscribe]``: the subscribe's reply must not wait for
    the long poll (the old behaviour held the whole batch for the 110 s timeout)."""
    sf = await make_client(cometd=CometdSettings(connect_timeout=30, reconnect_timeout=30))
    bayeux = Bayeux(sf.client, sf.token)
    await bayeux.open(ACCOUNT_CHANNEL)
    replies = await asyncio.wait_for(
        bayeux.post(bayeux.connect_message(), bayeux.subscribe_message("/event/Billing_Action__e")), 5
    )
    assert [(r["channel"], r["successful"]) for r in replies] == [
        ("/meta/connect", True),
        ("/meta/subscribe", True),
    ]
