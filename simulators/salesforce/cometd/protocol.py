"""The Bayeux exchange of one POST: its messages processed in order, then the held connect.

A request body is an array of messages. Each gets its reply in the same order; a
``/meta/connect`` is answered last in effect: the other messages of the batch run first (so the
batch aiocometd sends after a re-handshake, ``[connect, subscribe, subscribe...]``, subscribes
before the connect looks for events). A connect that came alone is then held until an event
arrives on one of the client's subscriptions, something wakes it, or ``connect_timeout``
passes; one batched with other messages, and a client's first connect (aiocometd's ``open()``
waits for it), is answered at once, as CometD servers do. Events go out just before the
connect's reply, as Salesforce sends them.

No aiohttp here: the handler (``api/cometd.py``) authenticates, parses and renders.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simulators.salesforce.cometd import errors
from simulators.salesforce.cometd.clients import StreamClient, StreamClients
from simulators.salesforce.cometd.render import message as render_event
from simulators.salesforce.events.bus import (
    NEW_EVENTS,
    DeliveryLimitExceeded,
    InvalidReplay,
    TooManyClients,
    UnknownChannel,
)
from simulators.salesforce.models.orgs import Org

LONG_POLLING = "long-polling"
COOKIE = "BAYEUX_BROWSER"
HANDSHAKE_EXT = {"replay": True, "payload.format": True}
Reply = dict[str, Any]


@dataclass(frozen=True)
class Caller:
    """Who sent the request: a live session's org and user, or why there is none."""

    org: Org | None = None
    user_id: str | None = None
    #: ``errors.AUTH_REQUIRED`` (no token) or ``errors.AUTH_INVALID``; None when authenticated.
    failure: str | None = None
    #: The ``BAYEUX_BROWSER`` cookie the request carried.
    cookie: str | None = None


@dataclass
class _HeldConnect:
    reply: Reply
    client: StreamClient
    seq: int
    hold: bool
    events: list[Reply] = field(default_factory=list)


class Exchange:
    """One request's messages. ``run`` returns the reply array; ``finish`` then starts each
    touched client's reconnect deadline (after the response is built)."""

    def __init__(
        self,
        clients: StreamClients,
        caller: Caller,
        *,
        current_org: Callable[[str], Org | None],
        reauthenticate: Callable[[], Caller],
    ) -> None:
        self.clients = clients
        self.caller = caller
        self._current_org = current_org
        self._reauthenticate = reauthenticate
        self.handshaken: StreamClient | None = None
        self._touched: dict[str, StreamClient] = {}

    async def run(self, messages: list[Any]) -> list[Reply]:
        slots: list[Reply | _HeldConnect] = [self._one(message) for message in messages]
        connects = [slot for slot in slots if isinstance(slot, _HeldConnect)]
        # As CometD servers do, a connect is held only when it came alone: Faye batches its
        # connect with a subscribe, and must get the subscribe's reply at once.
        alone = len(messages) == 1
        for held in connects:
            if alone and held.hold and held.client.connect_seq == held.seq:
                held.events = await self._hold(held.client, held.seq)
            else:
                held.hold = False
                held.events = self._drain(held.client)
            self._finish_connect(held)
        out: list[Reply] = []
        for slot in slots:
            if isinstance(slot, _HeldConnect):
                out.extend(slot.events)
                out.append(slot.reply)
            else:
                out.append(slot)
        return out

    def finish(self) -> None:
        for client in self._touched.values():
            self.clients.responded(client)

    # -- dispatch ---------------------------------------------------------------------------------

    def _one(self, message: Any) -> Reply | _HeldConnect:
        if not isinstance(message, dict):
            return {"successful": False, "error": errors.CHANNEL_NOT_SPECIFIED}
        channel = message.get("channel")
        reply: Reply = {"channel": channel}
        if "id" in message:
            reply["id"] = message["id"]
        if not isinstance(channel, str) or not channel:
            return _fail(reply, errors.CHANNEL_NOT_SPECIFIED)
        if channel == "/meta/handshake":
            return self._handshake(message, reply)
        if not channel.startswith("/meta/"):
            return _fail(reply, errors.PUBLISH_DENIED)  # Salesforce takes no CometD publishes
        handler = {
            "/meta/connect": self._connect,
            "/meta/subscribe": self._subscribe,
            "/meta/unsubscribe": self._unsubscribe,
            "/meta/disconnect": self._disconnect,
        }.get(channel)
        if handler is None:
            return _fail(reply, errors.UNKNOWN_CHANNEL)
        if isinstance(message.get("clientId"), str):
            reply["clientId"] = message["clientId"]
        if channel in ("/meta/subscribe", "/meta/unsubscribe"):
            reply["subscription"] = message.get("subscription")
        client = self._client(message, reply)
        if client is None:
            return reply
        self._touched[client.id] = client
        return handler(message, reply, client)

    def _client(self, message: dict[str, Any], reply: Reply) -> StreamClient | None:
        """The message's live client, or None with the error already in ``reply``."""
        caller = self.caller
        if caller.failure is not None or caller.org is None:
            _fail(reply, caller.failure or errors.AUTH_INVALID, advice={"reconnect": "none", "interval": 0})
            return None
        client = self.clients.get(message.get("clientId"), self._current_org)
        if client is None:
            _fail(reply, errors.UNKNOWN_CLIENT, advice={"reconnect": "handshake", "interval": 0})
            return None
        if client.org is not caller.org or client.user_id != caller.user_id:
            _fail(reply, errors.USER_MISMATCH)
            return None
        if self.clients.settings.require_cookie and caller.cookie != client.browser:
            _fail(reply, errors.missing_cookie(client.id, COOKIE))
            return None
        return client

    # -- meta channels ----------------------------------------------------------------------------

    def _handshake(self, message: dict[str, Any], reply: Reply) -> Reply:
        caller = self.caller
        if caller.failure is not None or caller.org is None or caller.user_id is None:
            return _denied(reply, caller.failure or errors.AUTH_INVALID)
        types = message.get("supportedConnectionTypes")
        if isinstance(types, list) and types and LONG_POLLING not in types:
            return _fail(reply, errors.invalid_connection_type(",".join(map(str, types))))
        try:
            client = self.clients.open(caller.org, caller.user_id)
        except TooManyClients:
            return _denied(reply, errors.CONCURRENT_CLIENTS)
        self.handshaken = client
        reply.update(
            version="1.0",
            minimumVersion="1.0",
            clientId=client.id,
            supportedConnectionTypes=[LONG_POLLING],
            successful=True,
            ext=dict(HANDSHAKE_EXT),
        )
        return reply

    def _connect(self, message: dict[str, Any], reply: Reply, client: StreamClient) -> Reply | _HeldConnect:
        kind = message.get("connectionType", LONG_POLLING)
        if kind != LONG_POLLING:
            return _fail(reply, errors.invalid_connection_type(kind))
        seq = self.clients.connect_arrived(client)
        first = not client.connected
        client.connected = True
        return _HeldConnect(reply, client, seq, hold=not first)

    def _subscribe(self, message: dict[str, Any], reply: Reply, client: StreamClient) -> Reply:
        channel = message.get("subscription")
        if not isinstance(channel, str) or not channel:
            return _fail(reply, errors.CHANNEL_NOT_SPECIFIED)
        if not channel.startswith("/"):
            return _fail(reply, errors.LEADING_SLASH)
        replay: Any = NEW_EVENTS  # no ext.replay means new events only (aiosfstream sends none)
        ext = message.get("ext")
        replay_map = ext.get("replay") if isinstance(ext, dict) else None
        if isinstance(replay_map, dict):
            if channel not in replay_map:
                return _fail(reply, errors.replay_not_in_map(channel, replay_map))
            replay = replay_map[channel]
            if isinstance(replay, bool) or not isinstance(replay, int):
                return _fail(reply, errors.invalid_replay(replay))
        bus = client.org.events
        try:
            bus.check_delivery()
            subscription = bus.subscribe(channel, replay)
        except UnknownChannel:
            return _fail(reply, errors.no_such_channel(channel))
        except InvalidReplay:
            return _fail(reply, errors.invalid_replay(replay))
        except DeliveryLimitExceeded:
            return _fail(reply, errors.DAILY_EVENTS)
        client.subscribe(subscription)
        reply["successful"] = True
        return reply

    def _unsubscribe(self, message: dict[str, Any], reply: Reply, client: StreamClient) -> Reply:
        channel = message.get("subscription")
        if not isinstance(channel, str) or not channel:
            return _fail(reply, errors.CHANNEL_NOT_SPECIFIED)
        client.unsubscribe(channel)
        reply["successful"] = True
        return reply

    def _disconnect(self, message: dict[str, Any], reply: Reply, client: StreamClient) -> Reply:
        self.clients.close(client, "disconnect")
        reply["successful"] = True
        return reply

    # -- long polling -----------------------------------------------------------------------------

    async def _hold(self, client: StreamClient, seq: int) -> list[Reply]:
        """Until events (returned, rendered), a wake-up that ends this connect, or the timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.clients.settings.connect_timeout
        client.held += 1
        client.holding.set()
        try:
            while True:
                client.wake.clear()
                events = self._drain(client)
                if events or client.is_closed or client.connect_seq != seq:
                    return events
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return []
                await self._wait_any(client, remaining)
        finally:
            client.held -= 1
            if not client.held:
                client.holding.clear()

    async def _wait_any(self, client: StreamClient, timeout: float) -> None:
        waits: list[asyncio.Task[Any]] = [asyncio.create_task(client.wake.wait())]
        if self._allowance(client) > 0:  # over the daily allocation only a wake-up ends the wait
            waits += [asyncio.create_task(sub.wait(timeout)) for sub in client.subscriptions.values()]
        try:
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()
            await asyncio.gather(*waits, return_exceptions=True)

    def _allowance(self, client: StreamClient) -> int:
        bus = client.org.events
        return max(bus.limits.daily_delivered - bus.delivered_today(), 0)

    def _drain(self, client: StreamClient) -> list[Reply]:
        """The client's next events (bounded per response and by the daily allocation), counted."""
        if client.is_closed:
            return []
        room = min(self.clients.settings.max_events_per_response, self._allowance(client))
        out: list[Reply] = []
        for channel, subscription in list(client.subscriptions.items()):
            if room - len(out) <= 0:
                break
            out.extend(render_event(channel, event) for event in subscription.take(room - len(out)))
        if out:
            client.org.events.count_delivered(len(out))
        return out

    def _finish_connect(self, held: _HeldConnect) -> None:
        reply, client = held.reply, held.client
        if client.is_closed:
            if client.closed.result() == "disconnect":
                reply.update(successful=True, advice={"reconnect": "none", "interval": 0})
            else:
                _fail(reply, errors.UNKNOWN_CLIENT, advice={"reconnect": "handshake", "interval": 0})
            return
        if held.hold:
            # Salesforce re-checks the token while a client is connected (§1.1).
            again = self._reauthenticate()
            if again.failure is not None or again.org is not client.org:
                self.clients.close(client, "expired")
                _fail(reply, errors.AUTH_INVALID, advice={"reconnect": "none", "interval": 0})
                return
        timeout_ms = int(self.clients.settings.connect_timeout * 1000)
        reply.update(successful=True, advice={"interval": 0, "timeout": timeout_ms, "reconnect": "retry"})


def _fail(reply: Reply, error: str, *, advice: dict[str, Any] | None = None) -> Reply:
    reply["successful"] = False
    reply["error"] = error
    if advice is not None:
        reply["advice"] = advice
    return reply


def _denied(reply: Reply, reason: str) -> Reply:
    """A refused handshake: ``403::Handshake denied``, the reason in ``ext.sfdc.failureReason``."""
    reply.update(
        ext={"sfdc": {"failureReason": reason}, **HANDSHAKE_EXT},
        advice={"reconnect": "none"},
        successful=False,
        error=errors.HANDSHAKE_DENIED,
    )
    return reply
