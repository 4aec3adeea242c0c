"""What a transport (CometD, Pub/Sub) gives the core's consumer: batches of events from the
subscribed channels, resuming from the positions the core stored.

The transport never decides where to resume: it asks ``replay_for(channel)`` every time it
(re)subscribes, and that reads the store, so the position only ever moves when the core has
made the work durable (``integration.store.channels``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from integration.events.model import ChannelEvent

#: The replay value to subscribe with: None = new events only (-1, what an absent replay means),
#: -2 = every retained event, n = the events after n.
ReplayFor = Callable[[str], Awaitable[int | None]]


class ReplayExpired(Exception):
    """The stored replay id is no longer retained (Salesforce: "The replayId {n} you provided
    was invalid"): the core scans for what it missed and resumes live."""

    def __init__(self, channel: str | None, detail: str) -> None:
        super().__init__(f"replay position expired on {channel or 'a channel'}: {detail}")
        self.channel, self.detail = channel, detail


class EventsUnavailable(Exception):
    """The org does not offer this transport or channel (an org without CDC, a server without
    the API): the core falls back to polling."""


class Transport(ABC):
    name: str = "transport"

    @abstractmethod
    def batches(self, channels: Sequence[str], replay_for: ReplayFor) -> AsyncIterator[list[ChannelEvent]]:
        """Subscribe to ``channels`` and yield events as they come, a batch at a time (each batch
        from one channel, in replay order; an empty batch once subscribed). Raises ``ReplayExpired``, ``EventsUnavailable``, or
        any other exception for a broken connection (the consumer reconnects)."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release what the transport holds (called once, when the core stops)."""
