"""Webhook subscriptions of the contract (``/webhook-endpoints``), on top of the kit's Outbox.

No aiohttp here: the rules of the webhook endpoints resource (which event types may be
subscribed, which URLs the simulator can deliver to, replay by id or time range), raising
``Problem`` like the billing models do. Deliveries, retries, signatures and replays are the
Outbox's (Standard Webhooks v1, same ``webhook-id`` on every retry and replay).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.problem import Problem
from simulators.billing.api import serialize
from simulators.billing.models.events import EVENT_TYPES, Event
from simulators.billing.service.system import BillingSystem
from simulators.kit.clock import Clock
from simulators.kit.outbox import Delivery, Outbox, OutboxError, WebhookEndpoint

DEFAULT_OVERLAP = timedelta(hours=24)
_FAMILIES = frozenset(t.split(".", 1)[0] for t in EVENT_TYPES)
_DISABLED_BY_API = "disabled through the API"


@dataclass(frozen=True)
class Rotation:
    endpoint_id: str
    secret: str
    previous_secret_expires_at: datetime | None


def check_event_types(
    event_types: Sequence[str] | None, *, param: str = "event_types"
) -> tuple[str, ...] | None:
    if event_types is None:
        return None
    for index, pattern in enumerate(event_types):
        if pattern == "*" or pattern in EVENT_TYPES:
            continue
        if pattern.endswith(".*") and pattern[:-2] in _FAMILIES:
            continue
        raise Problem(
            422,
            "unknown_event_type",
            f"{pattern!r} names no event type; use a type such as 'invoice.posted', a family such as "
            f"'invoice.*' or '*' (families: {', '.join(sorted(_FAMILIES))})",
            param=f"{param}.{index}",
        )
    return tuple(event_types)


def wanted(outbox: Outbox, event_type: str) -> bool:
    """Does any enabled endpoint subscribe to this type?"""
    return any(endpoint.enabled and endpoint.accepts(event_type) for endpoint in outbox.endpoints())


def envelope_bytes(outbox: Outbox, event: Event) -> bytes:
    """The event's envelope: the very bytes delivered, if it was, else serialised now (the event's
    subject is a snapshot, so both are the same)."""
    message = outbox.message(event.id)
    return message.body if message is not None else serialize.event_bytes(event)


class WebhookSubscriptions:
    def __init__(self, outbox: Outbox, clock: Clock, system: BillingSystem) -> None:
        self.outbox = outbox
        self.clock = clock
        self.system = system

    def _check_url(self, url: str) -> None:
        try:
            self.outbox.check_url(url)
        except (OutboxError, ValueError) as exc:
            raise Problem(422, "url_not_allowed", str(exc), param="url") from None

    def get(self, endpoint_id: str) -> WebhookEndpoint:
        try:
            return self.outbox.endpoint(endpoint_id)
        except OutboxError:
            raise Problem(404, "not_found", f"webhook endpoint {endpoint_id!r} does not exist") from None

    def all(self) -> list[WebhookEndpoint]:
        return self.outbox.endpoints()

    def create(self, url: str, event_types: Sequence[str] | None, description: str | None) -> WebhookEndpoint:
        self._check_url(url)
        types = check_event_types(event_types)
        return self.outbox.add_endpoint(url, event_types=types, description=description)

    def update(
        self,
        endpoint_id: str,
        *,
        url: str | None = None,
        event_types: Sequence[str] | None = None,
        set_event_types: bool = False,
        description: str | None = None,
        set_description: bool = False,
        enabled: bool | None = None,
    ) -> WebhookEndpoint:
        endpoint = self.get(endpoint_id)
        if url is not None:
            self._check_url(url)
        types = check_event_types(event_types) if set_event_types else endpoint.event_types
        if url is not None:
            endpoint.url = url
        endpoint.event_types = types
        if set_description:
            endpoint.description = description
        if enabled is True and not endpoint.enabled:
            self.outbox.enable(endpoint.id)
        elif enabled is False and endpoint.enabled:
            self.outbox.disable(endpoint.id, _DISABLED_BY_API)
        return endpoint

    def delete(self, endpoint_id: str) -> None:
        self.get(endpoint_id)
        self.outbox.remove_endpoint(endpoint_id)

    def rotate(self, endpoint_id: str, overlap: timedelta = DEFAULT_OVERLAP) -> Rotation:
        self.get(endpoint_id)
        secret = self.outbox.rotate_secret(endpoint_id, overlap=overlap)
        expires = self.clock.now() + overlap if overlap > timedelta(0) else None
        return Rotation(endpoint_id, secret, expires)

    def deliveries(
        self, endpoint_id: str, *, state: str | None = None, event_id: str | None = None
    ) -> list[Delivery]:
        self.get(endpoint_id)
        return self.outbox.deliveries(endpoint_id=endpoint_id, state=state, message_id=event_id)

    def _find_event(self, event_id: str) -> Event | None:
        try:
            return self.system.get_event(event_id)
        except Problem:
            return None

    def replay(
        self,
        endpoint_id: str,
        *,
        event_ids: Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Delivery]:
        """Send events again to one endpoint: by id, or those in ``[since, until)`` by timestamp.

        Events that nobody was subscribed to were never serialised; they are recorded in the
        outbox first (with their own timestamp), so every replay sends the log's envelope."""
        endpoint = self.get(endpoint_id)
        if not endpoint.enabled:
            raise Problem(
                422,
                "endpoint_disabled",
                f"webhook endpoint {endpoint_id!r} is disabled ({endpoint.disabled_reason}); enable it first",
                param="id",
            )
        events: list[Event] = []
        if event_ids is not None:
            for index, event_id in enumerate(event_ids):
                found = self._find_event(event_id)
                if found is None:
                    raise Problem(
                        422,
                        "unknown_reference",
                        f"event {event_id!r} does not exist",
                        param=f"event_ids.{index}",
                    )
                events.append(found)
        else:
            events = [
                e
                for e in self.system.events()
                if (since is None or e.timestamp >= since) and (until is None or e.timestamp < until)
            ]
        events = [e for e in events if endpoint.accepts(e.type)]
        for event in events:
            if self.outbox.message(event.id) is None:
                self.outbox.record(
                    event.id, event.type, serialize.event_bytes(event), created_at=event.timestamp
                )
        if not events:
            return []
        return self.outbox.replay(message_ids=[e.id for e in events], endpoint_id=endpoint_id)
