"""Outbound fault rules: what the outbox does to a delivery instead of (or besides) sending it.

Set through ``/__sim/webhooks/faults`` like the inbound rules, seeded from the simulator's seed,
cleared by ``/__sim/reset``. A rule matches by event type (a glob such as ``invoice.*``) and/or
endpoint id, fires with a probability drawn from the seeded generator, at most ``times`` times:

- ``drop``: the attempt is recorded and never sent; the delivery counts as delivered (state
  ``dropped``, no retry): the consumer must recover through reconciliation or the event log.
- ``duplicate``: the same delivery (same ``webhook-id``) is sent ``copies`` + 1 times.
- ``reorder``: matching deliveries are held until ``window`` of them are buffered (or the virtual
  clock is 60 s past the first), then sent in a seeded shuffled order.
- ``delay``: the delivery goes out ``seconds`` later on the virtual clock.
- ``corrupt_signature``: this attempt's signature is wrong (the consumer answers 4xx; the retry
  on schedule is signed correctly unless a rule fires again).
"""

from __future__ import annotations

import fnmatch
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator

from contracts.models import JsonInt, StrictModel, StrictVariant
from simulators.kit.faults import SeededRules

#: A reorder buffer is released at the latest this long (virtual clock) after its first delivery.
REORDER_MAX_HOLD = timedelta(seconds=60)


class DropEffect(StrictVariant):
    type: Literal["drop"] = "drop"


class DuplicateEffect(StrictVariant):
    type: Literal["duplicate"] = "duplicate"
    copies: JsonInt = Field(default=1, ge=1, le=10)


class ReorderEffect(StrictVariant):
    type: Literal["reorder"] = "reorder"
    window: JsonInt = Field(default=5, ge=2, le=100)


class DelayEffect(StrictVariant):
    type: Literal["delay"] = "delay"
    seconds: float = Field(gt=0, le=86_400)


class CorruptSignatureEffect(StrictVariant):
    type: Literal["corrupt_signature"] = "corrupt_signature"


OutboundEffect = DropEffect | DuplicateEffect | ReorderEffect | DelayEffect | CorruptSignatureEffect


class WebhookFaultSpec(StrictModel):
    event_type: str | None = Field(default=None, max_length=200, description="glob, e.g. invoice.*")
    endpoint_id: str | None = Field(default=None, max_length=100)
    effect: Annotated[OutboundEffect, Field(discriminator="type")]
    probability: float = Field(default=1.0, ge=0.0, le=1.0)
    times: JsonInt | None = Field(default=None, ge=1, le=1_000_000)


class WebhookFaultRule(WebhookFaultSpec):
    """A stored rule (validated on the way in as a ``WebhookFaultSpec``)."""

    model_config = ConfigDict(extra="ignore")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nulls(cls, value: object) -> object:
        return value  # stored rules carry nulls for unset fields

    id: str
    fired: int = 0


class WebhookFaults(SeededRules[WebhookFaultSpec, WebhookFaultRule]):
    """The outbox's rules and its seeded generator (decisions and reorder shuffles)."""

    rule_type = WebhookFaultRule
    prefix = "wflt"

    def decide(self, event_type: str, endpoint_id: str) -> tuple[WebhookFaultRule, OutboundEffect] | None:
        """The first rule that matches and fires for this attempt, with its effect."""
        for rule in self._rules.values():
            if rule.endpoint_id is not None and rule.endpoint_id != endpoint_id:
                continue
            if rule.event_type is not None and not fnmatch.fnmatchcase(event_type, rule.event_type):
                continue
            if rule.times is not None and rule.fired >= rule.times:
                continue
            if rule.probability < 1.0 and self.random.random() >= rule.probability:
                continue
            rule.fired += 1
            return rule, rule.effect
        return None
