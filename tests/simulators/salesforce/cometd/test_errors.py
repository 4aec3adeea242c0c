"""Bad input gets Salesforce's own Streaming API error, verbatim (salesforce-events.md §1.3, §1.4,
§1.7): the HTTP status, the Bayeux ``error`` and, where Salesforce sends it, the advice."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest

from tests.support.cometd import Bayeux
from tests.support.salesforce import SfClient, oauth_token

INVALID_REPLAY = (
    "400::The replayId {{{0}}} you provided was invalid. Please provide a valid ID, -2 to replay all "
    "events, or -1 to replay only new events."
)
ACCOUNT_CHANNEL = "/data/AccountChangeEvent"


async def test_handshake_without_a_token_is_denied(sf: SfClient) -> None:
    anonymous = Bayeux(sf.client, None)
    reply = await anonymous.handshake()
    assert reply == {
        "channel": "/meta/handshake",
        "id": "0",
        "ext": {
            "sfdc": {"failureReason": "401::Request requires authentication"},
            "replay": True,
            "payload.format": True,
        },
        "advice": {"reconnect": "none"},
        "successful": False,
        "error": "403::Handshake denied",
    }


@pytest.mark.parametrize("scheme", ["Bearer", "OAuth"])
async def test_handshake_with_a_bad_token_is_denied(sf: SfClient, scheme: str) -> None:
    reply = await Bayeux(sf.client, "00D000000000001!AQnope", scheme=scheme).handshake()
    assert reply["error"] == "403::Handshake denied"
    assert reply["ext"]["sfdc"]["failureReason"] == "401::Authentication invalid"
    assert reply["advice"] == {"reconnect": "none"}


async def test_connect_after_the_session_is_revoked(sf: SfClient, bayeux: Bayeux) -> None:
    await bayeux.open(ACCOUNT_CHANNEL)
    session = bayeux.session()
    sf.state.orgs.expire(sf.token)
    _, reply = await bayeux.connect()
    assert reply == {
        "channel": "/meta/connect",
        "id": "3",
        "clientId": bayeux.client_id,
        "successful": False,
        "error": "401::Authentication invalid",
        "advice": {"reconnect": "none", "interval": 0},
    }
    assert not session.is_closed  # the client may re-authenticate and go on


async def test_revocation_during_a_held_connect_ends_the_client(sf: SfClient, bayeux: Bayeux) -> None:
    await bayeux.open(ACCOUNT_CHANNEL)
    session = bayeux.session()
    held = asyncio.create_task(bayeux.connect())
    await asyncio.wait_for(session.holding.wait(), 5)
    sf.state.orgs.expire(sf.token)
    _, reply = await asyncio.wait_for(held, 5)  # the 0.5 s hold ends, the token is re-checked
    assert reply["error"] == "401::Authentication invalid"
    assert reply["advice"] == {"reconnect": "none", "interval": 0}
    assert session.closed.result() == "expired"


async def test_unknown_client(bayeux: Bayeux) -> None:
    await bayeux.handshake()
    bayeux.client_id = "notaclientid"
    for reply in await bayeux.post(bayeux.connect_message(), bayeux.subscribe_message(ACCOUNT_CHANNEL)):
        assert reply["successful"] is False
        assert reply["error"] == "403::Unknown client"
        assert reply["advice"] == {"reconnect": "handshake", "interval": 0}
        assert reply["clientId"] == "notaclientid"


async def test_another_users_client_id(sf: SfClient, bayeux: Bayeux) -> None:
    await bayeux.open()
    other = await oauth_token(
        sf.client, "ops@tiny.local", "tiny-passwordtiny-token", "tiny-client", "tiny-secret"
    )
    thief = Bayeux(sf.client, other, client_id=bayeux.client_id)
    reply = await thief.subscribe(ACCOUNT_CHANNEL)
    assert reply["error"] == "400::Authenticated user id does not match the session's user id"


async def test_invalid_connection_type(bayeux: Bayeux) -> None:
    await bayeux.handshake()
    (reply,) = await bayeux.post({**bayeux.connect_message(), "connectionType": "websocket"})
    assert reply["successful"] is False
    assert reply["error"] == "400::Invalid connection type {websocket}"
    reply = await Bayeux(bayeux.client, bayeux.token).handshake(supportedConnectionTypes=["websocket"])
    assert reply["error"] == "400::Invalid connection type {websocket}"


@pytest.mark.parametrize(
    ("subscription", "error"),
    [
        ("/event/Nope__e", "400::The channel you requested to subscribe to doesn't exist {/event/Nope__e}"),
        (
            "/topic/AccountUpdates",
            "400::The channel you requested to subscribe to doesn't exist {/topic/AccountUpdates}",
        ),
        (
            "/data/NopeChangeEvent",
            "400::The channel you requested to subscribe to doesn't exist {/data/NopeChangeEvent}",
        ),
        ("event/Billing_Action__e", "400::Channel subscriptions must start with a leading '/'"),
        ("", "400::Channel name not specified"),
        (None, "400::Channel name not specified"),
    ],
)
async def test_subscribe_errors(bayeux: Bayeux, subscription: Any, error: str) -> None:
    await bayeux.open()
    (reply,) = await bayeux.post(
        {"channel": "/meta/subscribe", "clientId": bayeux.client_id, "subscription": subscription, "id": "5"}
    )
    assert reply == {
        "channel": "/meta/subscribe",
        "id": "5",
        "clientId": bayeux.client_id,
        "subscription": subscription,
        "successful": False,
        "error": error,
    }


async def test_replay_id_outside_retention(sf: SfClient, bayeux: Bayeux) -> None:
    await sf.json("POST", "/sobjects/Billing_Action__e", 201, json={"Action__c": "old"})
    await bayeux.open()
    assert (await bayeux.subscribe("/event/Billing_Action__e", 1))["successful"] is True
    await sf.state.clock.advance(timedelta(hours=73))  # past the 72 h retention
    bayeux.token = await oauth_token(sf.client)  # the REST session expired meanwhile (2 h idle)
    for replay in (1, 99, 0, -3):
        reply = await bayeux.subscribe("/event/Billing_Action__e", replay)
        assert reply["successful"] is False
        assert reply["error"] == INVALID_REPLAY.format(replay)
    reply = await bayeux.subscribe("/event/Billing_Action__e", "latest")  # type: ignore[arg-type]
    assert reply["error"] == INVALID_REPLAY.format("latest")


async def test_replay_map_without_the_subscribed_channel(bayeux: Bayeux) -> None:
    await bayeux.open()
    message = bayeux.subscribe_message(ACCOUNT_CHANNEL)
    message["ext"] = {"replay": {"/data/ContactChangeEvent": -1}}
    (reply,) = await bayeux.post(message)
    assert reply["error"] == (
        "400::The replayId for channel {/data/AccountChangeEvent} wasn't found using the provided replay ID "
        "map {/data/ContactChangeEvent=-1}. Ensure that the channel name you provided in the replay map is "
        "valid and matches the channel name used for subscribing."
    )
    message["ext"] = {"replay": {}}  # EMP-Connector #41's empty map
    (reply,) = await bayeux.post(message)
    assert "using the provided replay ID map {}." in reply["error"]


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/cometd", "400::API version in the URI is mandatory. URI format: '/cometd/66.0'"),
        ("/cometd/", "400::API version in the URI is mandatory. URI format: '/cometd/66.0'"),
        (
            "/cometd/36.0",
            "400::Unsupported API version. Only API versions '37.0' and later are supported. "
            "URI format: '/cometd/66.0'",
        ),
        (
            "/cometd/latest",
            "400::Unsupported API version. Only API versions '37.0' and later are supported. "
            "URI format: '/cometd/66.0'",
        ),
    ],
)
async def test_version_errors(sf: SfClient, path: str, error: str) -> None:
    bayeux = Bayeux(sf.client, sf.token, path=path)
    replies = await bayeux.post({"channel": "/meta/handshake", "id": "0"}, status=400)
    assert replies == [{"channel": "/meta/handshake", "id": "0", "successful": False, "error": error}]


async def test_request_over_32768_bytes(bayeux: Bayeux) -> None:
    await bayeux.handshake()
    message = {**bayeux.connect_message(), "ext": {"padding": "x" * 32_768}}
    replies = await bayeux.post(message, status=413)
    assert replies == [{"successful": False, "error": "413::Maximum Request Size Exceeded"}]


MALFORMED = "400::Malformed Bayeux request: the body must be a JSON array of messages"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"{not json", [{"successful": False, "error": MALFORMED}]),
        (b"[]", [{"successful": False, "error": MALFORMED}]),
        (b'"handshake"', [{"successful": False, "error": MALFORMED}]),
        (  # a bare object: Salesforce requires an array (Winter '27)
            b'{"channel": "/meta/handshake", "id": "7"}',
            [{"channel": "/meta/handshake", "id": "7", "successful": False, "error": MALFORMED}],
        ),
    ],
)
async def test_malformed_bodies(bayeux: Bayeux, body: bytes, expected: list[dict[str, Any]]) -> None:
    replies = await bayeux.post(data=body, headers={"Content-Type": "application/json"}, status=400)
    assert replies == expected


async def test_malformed_messages_inside_an_array(bayeux: Bayeux) -> None:
    await bayeux.handshake()
    replies = await bayeux.post(
        "not a message",  # type: ignore[arg-type]
        {"id": "3"},
        {"channel": "/meta/nonsense", "id": "4"},
        {"channel": "/event/Billing_Action__e", "id": "5", "data": {"Action__c": "x"}},
    )
    assert replies == [
        {"successful": False, "error": "400::Channel name not specified"},
        {"channel": None, "id": "3", "successful": False, "error": "400::Channel name not specified"},
        {"channel": "/meta/nonsense", "id": "4", "successful": False, "error": "404::Unknown channel"},
        {
            "channel": "/event/Billing_Action__e",
            "id": "5",
            "successful": False,
            "error": "403::Publish denied",
        },
    ]


async def test_form_encoded_messages_are_accepted(bayeux: Bayeux) -> None:
    body = "message=" + quote(json.dumps([{"channel": "/meta/handshake", "id": "1"}]))
    (reply,) = await bayeux.post(data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert reply["successful"] is True
