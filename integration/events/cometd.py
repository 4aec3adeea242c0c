"""The Streaming API (CometD) transport, on aiosfstream-ng used as it ships.

- Authentication comes from the core's own Salesforce client (client credentials or JWT), so
  the token and instance URL are the ones its REST calls use (``AuthenticatorBase`` subclass).
- Replay: a ``ReplayMarkerStorage`` that READS the core's stored position on every
  (re)subscribe and never stores anything itself (``ReplayMarkerStoragePolicy.MANUAL``): the
  position moves only when the core has stored the events (``integration.store.channels``).
  aiocometd re-handshakes and re-subscribes on its own after ``403::Unknown client``; it then
  asks for the position as stored at that moment.
- Salesforce's ``400::The replayId {n} you provided was invalid...`` is ``ReplayExpired``; an
  org or server without the channel (``400::The channel you requested to subscribe to doesn't
  exist``, the 501 of a server without CometD) is ``EventsUnavailable``.
"""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

from aiosfstream_ng.auth import AuthenticatorBase
from aiosfstream_ng.client import API_VERSION, COMETD_PATH, Client, ReplayMarkerStoragePolicy
from aiosfstream_ng.exceptions import ServerError
from aiosfstream_ng.replay import ReplayMarker, ReplayMarkerStorage

from integration.clients.salesforce import SalesforceApiError, SalesforceClient
from integration.events.model import ChannelEvent, from_cometd
from integration.events.transport import EventsUnavailable, ReplayExpired, ReplayFor, Transport

log = logging.getLogger(__name__)

BATCH = 200  # events handed to the store in one transaction at most


class CoreAuthenticator(AuthenticatorBase):
    """The core's Salesforce session, for aiosfstream (which would otherwise log in to
    login.salesforce.com itself)."""

    def __init__(self, salesforce: SalesforceClient) -> None:
        super().__init__()
        self._salesforce = salesforce
        self._authenticated = False

    async def _authenticate(self) -> tuple[int, dict[str, Any]]:
        # A second call means the server refused the token (aiocometd re-authenticates on any
        # 401/403): take a fresh one.
        instance_url, token = await self._salesforce.access(refresh=self._authenticated)
        self._authenticated = True
        return 200, {"access_token": token, "instance_url": instance_url, "token_type": "Bearer"}


class StoredReplay(ReplayMarkerStorage):
    """The core's stored positions, read at every subscribe; never written by the library."""

    def __init__(self, replay_for: ReplayFor) -> None:
        super().__init__()
        self._replay_for = replay_for

    async def get_replay_marker(self, subscription: str) -> ReplayMarker | None:
        replay = await self._replay_for(subscription)
        return None if replay is None else ReplayMarker(date="", replay_id=replay)

    async def set_replay_marker(self, subscription: str, replay_marker: ReplayMarker) -> None:
        """Nothing: the core moves positions itself, once the events are stored."""

    async def extract_replay_id(self, message: dict[str, Any]) -> None:
        """Nothing (see set_replay_marker); also spares events without a creation date."""


class CometDTransport(Transport):
    name = "cometd"

    async def _missing(self) -> bool:
        return await _probe(self._salesforce) in (404, 501)

    def __init__(self, salesforce: SalesforceClient, *, ca_file: str | None = None) -> None:
        self._salesforce = salesforce
        self._ca_file = ca_file

    async def batches(
        self, channels: Sequence[str], replay_for: ReplayFor
    ) -> AsyncIterator[list[ChannelEvent]]:
        client = Client(
            CoreAuthenticator(self._salesforce),
            replay=StoredReplay(replay_for),
            replay_storage_policy=ReplayMarkerStoragePolicy.MANUAL,
            max_pending_count=1000,
        )
        if self._ca_file:
            # aiosfstream takes no SSL option; aiocometd's client reads this attribute on connect.
            client.ssl = ssl.create_default_context(cafile=self._ca_file)
        try:
            await client.open()
        except ServerError as exc:
            raise _translate(exc, None) from exc
        except Exception as exc:
            # aiocometd reads any JSON answer as Bayeux (a KeyError on a REST error body): ask
            # plainly whether this org has a Streaming API at all.
            if await self._missing():
                raise EventsUnavailable(f"CometD: no Streaming API at {client.url} ({exc!r})") from exc
            raise
        try:
            for channel in channels:
                try:
                    await client.subscribe(channel)
                except ServerError as exc:
                    raise _translate(exc, channel) from exc
            yield []  # subscribed: the consumer counts itself connected
            while True:
                try:
                    first = await client.receive()
                    messages = [first]
                    while client.has_pending_messages and len(messages) < BATCH:
                        messages.append(await client.receive())
                except ServerError as exc:
                    raise _translate(exc, None) from exc
                now = time.time()
                for batch in _by_channel(messages, now):
                    yield batch
        finally:
            _quiet_close(client)
            try:
                await client.close()
            except Exception as exc:  # closing a broken session must not hide why it broke
                log.debug("closing the CometD client: %s", exc)


def _quiet_close(client: Client) -> None:
    """aiocometd-ng's connect-done callback lets the CancelledError of a closing client escape
    (it catches Exception, which CancelledError is not since Python 3.8), and asyncio logs a
    traceback on every stop. Detach that callback before closing; nothing else changes."""
    transport = getattr(client, "_transport", None)
    task = getattr(transport, "_connect_task", None)
    callback = getattr(transport, "_connect_done", None)
    if task is not None and callback is not None and not task.done():
        task.remove_done_callback(callback)


async def _probe(salesforce: SalesforceClient) -> int:
    """The HTTP status of a bare handshake on the org's CometD endpoint."""
    handshake = [
        {"channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": ["long-polling"]}
    ]
    try:
        status, _, _ = await salesforce.request("POST", f"/{COMETD_PATH}/{API_VERSION}", body=handshake)
    except SalesforceApiError as exc:
        return exc.status
    return status


def _by_channel(messages: list[dict[str, Any]], now: float) -> list[list[ChannelEvent]]:
    """Consecutive messages of one channel, in arrival order (one batch per run of a channel)."""
    batches: list[list[ChannelEvent]] = []
    for message in messages:
        if not isinstance(message.get("data"), dict):
            continue
        event = from_cometd(message, now)
        if batches and batches[-1][0].channel == event.channel:
            batches[-1].append(event)
        else:
            batches.append([event])
    return batches


def _translate(exc: Any, channel: str | None) -> Exception:
    text = str(getattr(exc, "error", None) or exc)
    if "replayId" in text and "invalid" in text:
        return ReplayExpired(channel, text)
    if ("doesn" in text and "exist" in text) or text.startswith("501") or "404" in text[:4]:
        return EventsUnavailable(f"CometD: {text}")
    return exc if isinstance(exc, Exception) else RuntimeError(text)
