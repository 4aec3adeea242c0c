"""The outbox's records: endpoints, messages, deliveries and their attempts (JSON as the control
plane and the billing API show them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

#: ``dropped``: an outbound fault rule dropped it; the outbox counts it delivered (no retry).
DeliveryState = Literal["pending", "succeeded", "failed", "cancelled", "dropped"]


@dataclass
class WebhookEndpoint:
    id: str
    url: str
    secret: str
    event_types: tuple[str, ...] | None
    description: str | None
    created_at: datetime
    enabled: bool = True
    disabled_reason: str | None = None
    previous_secrets: list[tuple[str, datetime]] = field(default_factory=list)

    def accepts(self, event_type: str) -> bool:
        if self.event_types is None:
            return True
        for pattern in self.event_types:
            if pattern in ("*", event_type):
                return True
            if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
                return True
        return False

    def live_secrets(self, now: datetime) -> list[str]:
        return [self.secret] + [secret for secret, until in self.previous_secrets if until > now]

    def to_json(self, *, include_secret: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "url": self.url,
            "event_types": list(self.event_types) if self.event_types is not None else None,
            "description": self.description,
            "enabled": self.enabled,
            "disabled_reason": self.disabled_reason,
            "created_at": self.created_at.isoformat(),
        }
        if include_secret:
            data["secret"] = self.secret
        return data


@dataclass(frozen=True)
class WebhookMessage:
    id: str
    type: str
    body: bytes
    created_at: datetime


@dataclass(frozen=True)
class Attempt:
    number: int
    at: datetime
    webhook_timestamp: int
    status: int | None
    error: str | None
    duration_ms: float
    fault: str | None = None  # the outbound fault applied to this attempt, if any

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "at": self.at.isoformat(),
            "webhook_timestamp": self.webhook_timestamp,
            "status": self.status,
            "error": self.error,
            "duration_ms": round(self.duration_ms, 3),
            "fault": self.fault,
        }


@dataclass
class Delivery:
    id: str
    message_id: str
    event_type: str
    endpoint_id: str
    trigger: Literal["publish", "replay"]
    state: DeliveryState = "pending"
    attempts: list[Attempt] = field(default_factory=list)
    next_attempt_at: datetime | None = None
    exempt: bool = False  # the next attempt skips outbound faults (released after a delay/reorder)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "message_id": self.message_id,
            "event_type": self.event_type,
            "endpoint_id": self.endpoint_id,
            "trigger": self.trigger,
            "state": self.state,
            "next_attempt_at": self.next_attempt_at.isoformat() if self.next_attempt_at else None,
            "attempts": [attempt.to_json() for attempt in self.attempts],
        }
