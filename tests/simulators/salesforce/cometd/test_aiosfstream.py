"""aiosfstream-ng (PyPI), unmodified, against the Streaming API: it logs in with the OAuth
password flow, receives a change event for a REST update and a platform event, and after a
disconnect resumes from its stored replay ids receiving exactly the missed events, in order.

The only adaptation is the one its docs expect for a non-salesforce.com login host: an
authenticator subclass naming the token URL (the library hard-codes login.salesforce.com).
The app runs in-process over HTTP on 127.0.0.1:0 with short CometD timeouts; one test runs over
TLS against the live simulator subprocess.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import aiohttp
from aiosfstream_ng import Client, PasswordAuthenticator, ReplayMarker, ReplayOption

from contracts import defaults
from simulators.salesforce.api.cometd import COMETD
from tests.support.salesforce import LiveSalesforce, SfClient

ACCOUNT = "/data/AccountChangeEvent"
EVENT = "/event/Billing_Action__e"
TIMEOUT = 10


class SimulatorAuthenticator(PasswordAuthenticator):
    """The password flow against the simulator's token endpoint instead of login.salesforce.com."""

    def __init__(self, base_url: str) -> None:
        super().__init__(
            defaults.SALESFORCE_CLIENT_ID,
            defaults.SALESFORCE_CLIENT_SECRET,
            defaults.SALESFORCE_USERNAME,
            defaults.SALESFORCE_PASSWORD + defaults.SALESFORCE_SECURITY_TOKEN,
        )
        self.base_url = base_url

    @property
    def _token_url(self) -> str:
        return f"{self.base_url}/services/oauth2/token"


def client_for(sf: SfClient, replay: dict[str, ReplayMarker]) -> Client:
    return Client(SimulatorAuthenticator(str(sf.client.make_url("")).rstrip("/")), replay=replay)


async def receive(client: Client, count: int) -> list[dict[str, Any]]:
    return [await asyncio.wait_for(client.receive(), TIMEOUT) for _ in range(count)]


async def publish(sf: SfClient, action: str) -> None:
    await sf.json("POST", "/sobjects/Billing_Action__e", 201, json={"Action__c": action})


async def test_receives_a_change_event_and_a_platform_event(sf: SfClient) -> None:
    body = await sf.json("GET", "/query?q=SELECT+Id+FROM+Account+LIMIT+1", 200)
    account = body["records"][0]["Id"]
    replay: dict[str, ReplayMarker] = {}
    async with client_for(sf, replay) as client:
        await client.subscribe(ACCOUNT)
        await client.subscribe(EVENT)
        await sf.json(
            "PATCH",
            f"/sobjects/Account/{account}",
            204,
            json={"Description": "from aiosfstream"},
            headers={"Sforce-Call-Options": "client=q2c-tests"},
        )
        await publish(sf, "sync")
        change, event = await receive(client, 2)
    assert change["channel"] == ACCOUNT
    header = change["data"]["payload"]["ChangeEventHeader"]
    assert (header["entityName"], header["recordIds"], header["changeType"]) == (
        "Account",
        [account],
        "UPDATE",
    )
    assert header["changeOrigin"].endswith(";client=q2c-tests")
    assert change["data"]["payload"]["Description"] == "from aiosfstream"
    assert event["channel"] == EVENT
    assert event["data"]["payload"]["Action__c"] == "sync"
    # The library stored a replay marker per channel, dated as it reads the dates (§1.4).
    assert replay[ACCOUNT] == ReplayMarker(
        str(header["commitTimestamp"]), change["data"]["event"]["replayId"]
    )
    assert replay[EVENT] == ReplayMarker(event["data"]["payload"]["CreatedDate"], 1)
    assert sf.state.default_org().events.connected_clients == 0  # close() disconnected


async def test_resumes_from_stored_replay_ids_with_exactly_the_missed_events(sf: SfClient) -> None:
    replay: dict[str, ReplayMarker] = {}
    async with client_for(sf, replay) as client:
        await client.subscribe(EVENT)
        await publish(sf, "seen-1")
        await publish(sf, "seen-2")
        seen = await receive(client, 2)
    assert [m["data"]["payload"]["Action__c"] for m in seen] == ["seen-1", "seen-2"]
    assert replay[EVENT].replay_id == 2
    for action in ("missed-1", "missed-2", "missed-3"):  # nobody listening
        await publish(sf, action)
    async with client_for(sf, replay) as client:
        await client.subscribe(EVENT)  # sends ext.replay {EVENT: 2}
        missed = await receive(client, 3)
        await publish(sf, "live")
        (live,) = await receive(client, 1)
    assert [m["data"]["payload"]["Action__c"] for m in missed] == ["missed-1", "missed-2", "missed-3"]
    assert [m["data"]["event"]["replayId"] for m in missed] == [3, 4, 5]
    assert live["data"]["payload"]["Action__c"] == "live"
    assert replay[EVENT].replay_id == 6


async def test_reconnects_after_the_server_forgets_it(sf: SfClient) -> None:
    """Expiry (``403::Unknown client``): aiosfstream handshakes again and sends the batched
    ``[connect, subscribe(stored replay id)]``; nothing published meanwhile is lost."""
    replay: dict[str, ReplayMarker] = {}
    async with client_for(sf, replay) as client:
        await client.subscribe(EVENT)
        await publish(sf, "before")
        await receive(client, 1)
        sf.app[COMETD].close_all("expired")  # as if it had missed the reconnect deadline
        await publish(sf, "during")
        (during,) = await receive(client, 1)
        await publish(sf, "after")
        (after,) = await receive(client, 1)
    assert during["data"]["payload"]["Action__c"] == "during"
    assert after["data"]["payload"]["Action__c"] == "after"


class TlsAuthenticator(SimulatorAuthenticator):
    """The same password flow over HTTPS trusting the simulator's local CA (aiosfstream's own
    token request takes no SSL option, so this subclass makes it)."""

    def __init__(self, base_url: str, context: ssl.SSLContext) -> None:
        super().__init__(base_url)
        self.context = context

    async def _authenticate(self) -> tuple[int, dict[str, Any]]:
        async with aiohttp.ClientSession() as session:
            response = await session.post(self._token_url, data=self.form(), ssl=self.context)
            return response.status, await response.json()

    def form(self) -> dict[str, str]:
        return {
            "grant_type": "password",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "username": self.username,
            "password": self.password,
        }


async def test_over_tls_against_the_live_simulator(live_sf: LiveSalesforce) -> None:
    """``q2c salesforce --tls`` as a subprocess (Salesforce's own 110 s / 40 s timeouts)."""
    live_sf.reset()
    context = ssl.create_default_context(cafile=str(live_sf.ca))
    client = Client(TlsAuthenticator(live_sf.url, context), replay=ReplayOption.ALL_EVENTS)
    client.ssl = context  # aiocometd's own attribute: aiosfstream passes no SSL option through
    token = await asyncio.to_thread(live_sf.token)
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as rest:
        url = f"{live_sf.url}/services/data/v66.0/sobjects/Billing_Action__e"
        response = await rest.post(url, json={"Action__c": "tls"}, headers=headers, ssl=context)
        assert response.status == 201, await response.text()
        async with client:
            await client.subscribe(EVENT)  # -2: the event published before subscribing
            (event,) = await receive(client, 1)
    assert event["data"]["payload"]["Action__c"] == "tls"
