"""The chaos plan: everything a run will do, derived from the seed alone (so a failure
reproduces): the Salesforce accounts and their waves, the billing periods, the fault rules of
every family and the moments the core is SIGKILLed.

Fault rules name the core as their caller (billing: its API key; Salesforce: its connected app),
so the gate's own calls (seeding, reading the verdict) are never faulted. The simulators draw
each rule's probability from their own seeded generators (``--seed``).
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from contracts import defaults

#: Who the core is to each simulator (the fault rules' ``caller``).
CORE_BILLING_CALLER = defaults.BILLING_API_KEY
CORE_SALESFORCE_CALLER = defaults.SALESFORCE_CLIENT_ID
SALESFORCE_DATA = "/services/data/*"
SALESFORCE_COLLECTIONS = "/services/data/*/composite/sobjects*"

Target = Literal["billing", "salesforce", "webhooks"]
Trigger = Literal["billing_creates", "billing_summaries", "salesforce_writes"]
Phase = Literal["link", "periods"]


@dataclass(frozen=True)
class FaultFamily:
    """One family of faults: where it goes (inbound rules of a simulator, or billing's outbound
    webhook faults) and the rule bodies posted to that control plane."""

    name: str
    target: Target
    rules: tuple[dict[str, Any], ...]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "target": self.target, "rules": list(self.rules)}


@dataclass(frozen=True)
class KillPoint:
    """SIGKILL the core once ``trigger`` has counted ``count`` more of the core's calls since the
    phase (or wave) began, then restart it on the same store."""

    phase: Phase
    wave: int  # the link wave (phase link) or billing period (phase periods) it is armed in
    trigger: Trigger
    count: int

    def describe(self) -> str:
        what = {
            "billing_creates": "the core's billing account creates",
            "billing_summaries": "the core's billing account summary reads",
            "salesforce_writes": "the core's Salesforce collection writes",
        }[self.trigger]
        where = "link wave" if self.phase == "link" else "billing period"
        return f"{where} {self.wave + 1}: after {self.count} of {what}"


@dataclass(frozen=True)
class ChaosPlan:
    seed: int
    accounts: int
    periods: int
    waves: int
    short: bool
    prospect_share: float
    incomplete_share: float
    faults: tuple[FaultFamily, ...]
    kills: tuple[KillPoint, ...] = field(default=())

    def wave_sizes(self) -> list[int]:
        base, extra = divmod(self.accounts, self.waves)
        return [base + (1 if n < extra else 0) for n in range(self.waves)]

    def kills_in(self, phase: Phase, wave: int) -> list[KillPoint]:
        return [k for k in self.kills if k.phase == phase and k.wave == wave]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["faults"] = [family.to_json() for family in self.faults]
        data["kills"] = [{**asdict(k), "describe": k.describe()} for k in self.kills]
        return data


def fault_families(rate: float) -> tuple[FaultFamily, ...]:
    """Every family the issue names; ``rate`` scales the probabilities."""
    # Over 80 lines on purpose: a table of the nine fault families (data, not logic), read in one place.
    billing = CORE_BILLING_CALLER
    salesforce = CORE_SALESFORCE_CALLER
    return (
        FaultFamily(
            "billing 5xx",
            "billing",
            (
                {"caller": billing, "effect": {"type": "status", "status": 503}, "probability": rate},
                {
                    "caller": billing,
                    "method": "GET",
                    "effect": {"type": "status", "status": 500},
                    "probability": rate,
                },
            ),
        ),
        FaultFamily(
            "billing 429 + Retry-After",
            "billing",
            (
                {
                    "caller": billing,
                    "effect": {"type": "status", "status": 429, "retry_after": 1},
                    "probability": rate,
                },
            ),
        ),
        FaultFamily(
            "billing connection reset on account creation",
            "billing",
            (
                {
                    "caller": billing,
                    "operation": "createAccount",
                    "effect": {"type": "connection_reset"},
                    "probability": min(3 * rate, 0.5),
                },
                # The core creates through the batch operation when the adapter declares it: a
                # reset there must be retried without creating any account twice.
                {
                    "caller": billing,
                    "operation": "createAccountsBatch",
                    "effect": {"type": "connection_reset"},
                    "probability": min(3 * rate, 0.5),
                },
            ),
        ),
        FaultFamily(
            "Salesforce UNABLE_TO_LOCK_ROW inside collections",
            "salesforce",
            (
                {
                    "caller": salesforce,
                    "path": SALESFORCE_COLLECTIONS,
                    "effect": {
                        "type": "record_error",
                        "error_code": "UNABLE_TO_LOCK_ROW",
                        "probability": min(3 * rate, 0.5),
                    },
                },
            ),
        ),
        FaultFamily(
            "Salesforce 503",
            "salesforce",
            (
                {
                    "caller": salesforce,
                    "path": SALESFORCE_DATA,
                    "effect": {"type": "status", "status": 503},
                    "probability": rate,
                },
            ),
        ),
        FaultFamily(
            "Salesforce REQUEST_LIMIT_EXCEEDED",
            "salesforce",
            (
                {
                    "caller": salesforce,
                    "path": SALESFORCE_DATA,
                    "effect": {
                        "type": "status",
                        "status": 403,
                        "error_code": "REQUEST_LIMIT_EXCEEDED",
                        "message": "TotalRequests Limit exceeded.",
                    },
                    "probability": rate,
                    "times": 3,
                },
            ),
        ),
        FaultFamily(
            "webhook drop",
            "webhooks",
            ({"event_type": "invoice.*", "effect": {"type": "drop"}, "probability": min(4 * rate, 0.5)},),
        ),
        FaultFamily(
            "webhook duplicate",
            "webhooks",
            (
                {
                    "event_type": "*",
                    "effect": {"type": "duplicate", "copies": 1},
                    "probability": min(4 * rate, 0.5),
                },
            ),
        ),
        FaultFamily(
            "webhook reorder",
            "webhooks",
            (
                {
                    "event_type": "*",
                    "effect": {"type": "reorder", "window": 5},
                    "probability": min(4 * rate, 0.5),
                },
            ),
        ),
    )


def make_plan(
    *,
    seed: int,
    accounts: int,
    periods: int,
    kills: int,
    short: bool = False,
    rate: float = 0.08,
) -> ChaosPlan:
    """The whole run from the seed. Kills alternate between the link phase (after a seeded
    number of the core's billing account creates in a seeded wave) and the billing periods
    (in a seeded period: after a seeded number of the core's account summary reads, the sync's
    first step; every second time there, after its first Salesforce write)."""
    if accounts < 1 or periods < 1 or kills < 0:
        raise ValueError("a chaos plan needs at least one account and one period, and kills >= 0")
    rng = random.Random(seed)
    waves = min(3, accounts)
    plan = ChaosPlan(
        seed=seed,
        accounts=accounts,
        periods=periods,
        waves=waves,
        short=short,
        prospect_share=0.15,
        incomplete_share=0.05,
        faults=fault_families(rate),
    )
    sizes = plan.wave_sizes()
    # Accounts that reach billing: the prospects and the incomplete never do.
    share = 1 - plan.prospect_share - plan.incomplete_share
    points: list[KillPoint] = []
    for n in range(kills):
        if n % 2 == 0:
            wave = rng.randrange(waves)
            customers = max(int(sizes[wave] * share), 1)
            points.append(KillPoint("link", wave, "billing_creates", rng.randint(1, max(customers // 2, 1))))
        elif n % 4 == 1:
            customers = max(int(accounts * share), 1)
            count = rng.randint(1, max(customers // 2, 1))
            points.append(KillPoint("periods", rng.randrange(periods), "billing_summaries", count))
        else:
            points.append(KillPoint("periods", rng.randrange(periods), "salesforce_writes", 1))
    return replace(plan, kills=tuple(points))
