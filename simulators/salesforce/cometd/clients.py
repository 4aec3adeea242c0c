"""CometD clients (Bayeux sessions): ids, subscriptions, and expiry on REAL time.

Long polling is a wall-clock protocol, so these timeouts run on the event loop's clock, not the
org's virtual clock (salesforce-events.md §1.1): a ``/meta/connect`` is held up to
``connect_timeout`` with no events; after any response the client must send its next
``/meta/connect`` within ``reconnect_timeout`` or the session expires and its next call gets
``403::Unknown client``. Each client counts once against the org's concurrent-client allocation
(``EventBus.client_connected``) from handshake until disconnect or expiry.

Expiry is a ``loop.call_later`` timer per client (no task to own): armed after each response
while no connect is held, cancelled when a connect arrives, all cancelled by ``close_all``.
``StreamClient.closed`` is an awaitable tests and callers can wait on.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from simulators.salesforce.events.bus import Subscription
from simulators.salesforce.models.orgs import Org

CloseReason = Literal["disconnect", "expired", "reset", "shutdown"]
_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class CometdSettings:
    """The Streaming API's timeouts and limits (Salesforce's values by default)."""

    #: Seconds a ``/meta/connect`` is held when no event arrives (advice ``timeout`` in ms).
    connect_timeout: float = 110.0
    #: Seconds a client has, after a response, to send its next ``/meta/connect``.
    reconnect_timeout: float = 40.0
    #: Largest request body (bytes); more is ``413::Maximum Request Size Exceeded``.
    max_request_bytes: int = 32_768
    #: Most events one connect response carries (the rest wait for the next connect).
    max_events_per_response: int = 200
    #: Require the ``BAYEUX_BROWSER`` cookie after the handshake, as Salesforce does. Off by
    #: default: aiohttp clients never send cookies back to an IP-address host such as 127.0.0.1.
    require_cookie: bool = False

    def __post_init__(self) -> None:
        if self.connect_timeout <= 0 or self.reconnect_timeout <= 0:
            raise ValueError("CometD timeouts must be positive")
        if self.max_request_bytes < 1 or self.max_events_per_response < 1:
            raise ValueError("CometD limits must be positive")


class StreamClient:
    """One Bayeux session of one user of one org."""

    def __init__(self, client_id: str, org: Org, user_id: str, browser: str) -> None:
        self.id = client_id
        self.org = org
        self.user_id = user_id
        #: The ``BAYEUX_BROWSER`` cookie value handed out with the handshake.
        self.browser = browser
        self.subscriptions: dict[str, Subscription] = {}
        #: Set by the first ``/meta/connect`` (answered at once, as CometD servers do).
        self.connected = False
        #: Connects now held; a new connect ends the older one (``connect_seq`` moves on).
        self.held = 0
        #: Set while a connect is held (an awaitable for whoever must know it is waiting).
        self.holding = asyncio.Event()
        self.connect_seq = 0
        #: Set whenever a held connect should look again (subscribe, new connect, close).
        self.wake = asyncio.Event()
        self.closed: asyncio.Future[CloseReason] = asyncio.get_running_loop().create_future()
        self.timer: asyncio.TimerHandle | None = None

    @property
    def is_closed(self) -> bool:
        return self.closed.done()

    def subscribe(self, subscription: Subscription) -> None:
        old = self.subscriptions.pop(subscription.channel, None)
        if old is not None:
            old.close()
        self.subscriptions[subscription.channel] = subscription
        self.wake.set()

    def unsubscribe(self, channel: str) -> None:
        old = self.subscriptions.pop(channel, None)
        if old is not None:
            old.close()
        self.wake.set()


class StreamClients:
    """Every live CometD client of the simulator, by client id (ids are seeded)."""

    def __init__(self, settings: CometdSettings, seed: int = 0) -> None:
        self.settings = settings
        self._rng = random.Random(f"salesforce-cometd-{seed}")
        self._clients: dict[str, StreamClient] = {}

    def __len__(self) -> int:
        return len(self._clients)

    def _new_id(self) -> str:
        while True:
            client_id = "".join(self._rng.choice(_ID_ALPHABET) for _ in range(27))
            if client_id not in self._clients:
                return client_id

    def open(self, org: Org, user_id: str) -> StreamClient:
        """A new client; raises ``TooManyClients`` over the org's allocation."""
        org.events.client_connected()
        client = StreamClient(self._new_id(), org, user_id, self._new_id())
        self._clients[client.id] = client
        self.responded(client)
        return client

    def find(self, client_id: str) -> StreamClient | None:
        """The live client with this id (no checks): for the control plane and tests."""
        return self._clients.get(client_id)

    def get(self, client_id: object, current_org: Callable[[str], Org | None]) -> StreamClient | None:
        """The live client, or None (unknown, expired, or its org was rebuilt by a reset)."""
        client = self._clients.get(client_id) if isinstance(client_id, str) else None
        if client is None:
            return None
        if current_org(client.org.id) is not client.org:
            self.close(client, "reset")
            return None
        return client

    def connect_arrived(self, client: StreamClient) -> int:
        """A ``/meta/connect``: the reconnect deadline is met; an older held connect ends."""
        self._disarm(client)
        client.connect_seq += 1
        client.wake.set()
        return client.connect_seq

    def responded(self, client: StreamClient) -> None:
        """A response went out: with no connect held, the reconnect deadline starts now."""
        if client.is_closed or client.held:
            return
        self._disarm(client)
        loop = asyncio.get_running_loop()
        client.timer = loop.call_later(self.settings.reconnect_timeout, self.close, client, "expired")

    def close(self, client: StreamClient, reason: CloseReason) -> None:
        if client.is_closed:
            return
        self._disarm(client)
        self._clients.pop(client.id, None)
        for subscription in client.subscriptions.values():
            subscription.close()
        client.subscriptions.clear()
        client.org.events.client_disconnected()
        client.closed.set_result(reason)
        client.wake.set()

    def close_all(self, reason: CloseReason = "shutdown") -> None:
        for client in list(self._clients.values()):
            self.close(client, reason)

    @staticmethod
    def _disarm(client: StreamClient) -> None:
        if client.timer is not None:
            client.timer.cancel()
            client.timer = None
