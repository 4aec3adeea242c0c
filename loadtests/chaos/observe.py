"""What the gate sees of the running system, over HTTP only: the clients it uses (never faulted),
the idle detector and the kill triggers.

The gate's own calls carry ``X-Sim-Fault: ok``: a per-request fault sequence wins over the fault
rules (docs/control-plane.md), so only the core's calls are faulted. Billing meters them apart
(``X-Q2C-Client: q2c-chaos``).

Idle is observed, never assumed after a fixed sleep: the core has no open job and no
unprocessed event, its inbox holds every event of billing's event log (the webhooks it was sent,
and through its ``--poll-billing`` fallback the ones that were dropped or are still waiting for a
retry), and no Salesforce account still requests a link. Two identical readings in a row
mean idle. Between readings the detector long-polls (billing's delivery wait, the core's
wait-idle) and only pauses for the core's own pollers, whose schedule is their interval.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import requests

from loadtests.chaos.plan import CORE_BILLING_CALLER, CORE_SALESFORCE_CALLER, SALESFORCE_COLLECTIONS, Trigger
from loadtests.clients import Billing, ControlPlane, Core, SalesforceUser, TargetError, Targets

CHAOS_CALLER = "q2c-chaos"
#: How often a kill trigger reads the simulators' request journals (the core's calls are
#: observed as they happen; there is nothing to await across processes).
TRIGGER_INTERVAL = 0.005
#: Accounts one ``POST /accounts/batch`` may carry (the contract's maxItems).
BATCH_CREATE = 200


class ChaosTimeout(RuntimeError):
    """The system did not reach the awaited state in time; carries the last reading."""

    def __init__(self, what: str, reading: Reading | None) -> None:
        detail = "" if reading is None else f": {reading.busy()}"
        super().__init__(f"{what}{detail}")
        self.reading = reading


@dataclass(frozen=True)
class Reading:
    pending_deliveries: int
    open_jobs: int
    new_events: int
    inbox_events: int
    billing_events: int
    link_requests: int

    @property
    def idle(self) -> bool:
        # A delivery still pending (its retry is minutes away: it failed while the core was
        # down) does not matter once the core holds every event anyway (its poller got them).
        return (
            self.open_jobs == 0
            and self.new_events == 0
            and self.inbox_events >= self.billing_events
            and self.link_requests == 0
        )

    def busy(self) -> str:
        parts = []
        if self.pending_deliveries and self.inbox_events < self.billing_events:
            parts.append(f"{self.pending_deliveries} webhook deliveries pending")
        if self.open_jobs:
            parts.append(f"{self.open_jobs} core jobs open")
        if self.new_events:
            parts.append(f"{self.new_events} events not processed")
        if self.inbox_events < self.billing_events:
            parts.append(f"the core holds {self.inbox_events} of billing's {self.billing_events} events")
        if self.link_requests:
            parts.append(f"{self.link_requests} Salesforce accounts still request a link")
        return "; ".join(parts) or "idle"

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "idle": self.idle}


class Observer:
    """The gate's view of the three components."""

    def __init__(self, salesforce_url: str, billing_url: str, core_url: str, *, poll_interval: float) -> None:
        self.session = requests.Session()
        self.session.headers["X-Sim-Fault"] = "ok"
        self.targets = Targets(salesforce_url=salesforce_url, billing_url=billing_url, core_url=core_url)
        self.salesforce_sim = ControlPlane(self.session, salesforce_url, "salesforce")
        self.billing_sim = ControlPlane(self.session, billing_url, "billing")
        self.core = Core(self.session, self.targets)
        self.crm = SalesforceUser(self.session, self.targets)
        self.billing = Billing(self.session, self.targets, caller=CHAOS_CALLER)
        self.poll_interval = poll_interval
        # Twenty of the core's poll intervals without any change, and at least 10 s.
        self.stall_seconds = max(20 * poll_interval, 10.0)
        self.stalls: list[dict[str, Any]] = []

    def close(self) -> None:
        self.session.close()

    # -- raw reads --------------------------------------------------------------------------------

    def sim_get(self, sim: ControlPlane, path: str) -> Any:
        """A read of a simulator's ``/__sim`` control plane."""
        response = self.session.get(f"{sim.base}/__sim{path}", timeout=60)
        if response.status_code != 200:
            raise TargetError(
                f"{sim.name} GET /__sim{path}: HTTP {response.status_code}: {response.text[:300]}"
            )
        return response.json()

    def core_get(self, path: str) -> Any:
        response = self.session.get(self.core.base + path, headers=self.core.headers, timeout=60)
        if response.status_code != 200:
            raise TargetError(f"core GET {path}: HTTP {response.status_code}: {response.text[:300]}")
        return response.json()

    def status(self) -> dict[str, Any]:
        result: dict[str, Any] = self.core_get("/actions/status")
        return result

    def billing_event_count(self) -> int:
        return len(self.billing.collect("/events"))

    def pending_deliveries(self) -> int:
        return int(self.sim_get(self.billing_sim, "/webhooks/deliveries?state=pending&limit=1")["total"])

    def reading(self) -> Reading:
        # Billing first: whatever it says is then already on its way to the core.
        pending = self.pending_deliveries()
        events = self.billing_event_count()
        link_requests = self.crm.count("FROM Account WHERE Billing_Link_Requested__c = true")
        status = self.status()
        jobs = status["jobs"]
        open_jobs = sum(
            n for kind in jobs.values() for state, n in kind.items() if state in ("pending", "leased")
        )
        inbox = status["inbox"]
        return Reading(
            pending_deliveries=pending,
            open_jobs=open_jobs,
            new_events=int(inbox.get("new", 0)),
            inbox_events=sum(int(n) for n in inbox.values()),
            billing_events=events,
            link_requests=link_requests,
        )

    # -- idle -------------------------------------------------------------------------------------

    def wait_idle(self, deadline: float, what: str = "the system") -> Reading:
        """Until two readings in a row agree and are idle; ``ChaosTimeout`` at ``deadline``
        (a ``time.monotonic()`` value).

        Stuck is not idle, but it is final: when the core has nothing in flight (no open job, no
        unprocessed event) and the reading has not moved for ``stall_seconds``, what is left
        (link requests never picked up, events never fetched) will never be done. The wait ends
        there, the stall is recorded, and the verdict names what was lost."""
        previous: Reading | None = None
        unchanged_since = time.monotonic()
        while True:
            reading = self.reading()
            if reading.idle and reading == previous:
                return reading
            if reading != previous:
                unchanged_since = time.monotonic()
            elif not (reading.open_jobs or reading.new_events) and (
                time.monotonic() - unchanged_since >= self.stall_seconds
            ):
                self.stalls.append({"while": what, "stuck": reading.busy(), "reading": reading.to_json()})
                return reading
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ChaosTimeout(f"{what} did not settle", reading)
            previous = reading
            if reading.open_jobs or reading.new_events:
                self._wait_core(min(remaining, 5.0))
            elif reading.pending_deliveries and reading.inbox_events < reading.billing_events:
                self._wait_deliveries(min(remaining, 5.0))
            elif not reading.idle:
                # Only the core's pollers (billing's event log, Salesforce link requests) can
                # move things on now: wait one of their intervals.
                time.sleep(min(self.poll_interval, remaining))

    def _wait_deliveries(self, timeout: float) -> None:
        pending = self.sim_get(self.billing_sim, "/webhooks/deliveries?state=pending&limit=1")
        if not pending["total"]:
            return
        message_id = pending["data"][-1]["message_id"]
        response = self.session.post(
            f"{self.billing_sim.base}/__sim/webhooks/deliveries/wait",
            json={"message_id": message_id, "state": "succeeded", "timeout_seconds": timeout},
            timeout=timeout + 10,
        )
        if response.status_code not in (200, 408):
            raise TargetError(f"billing deliveries/wait: HTTP {response.status_code}: {response.text[:300]}")

    def _wait_core(self, timeout: float) -> None:
        response = self.session.post(
            f"{self.core.base}/actions/wait-idle",
            json={"timeout_seconds": timeout},
            headers=self.core.headers,
            timeout=timeout + 10,
        )
        if response.status_code not in (200, 408):
            raise TargetError(f"core wait-idle: HTTP {response.status_code}: {response.text[:300]}")

    # -- kill triggers ----------------------------------------------------------------------------

    def journal_mark(self, trigger: Trigger) -> int:
        """The newest journal sequence of the simulator the trigger watches (counting starts after it)."""
        sim, _ = self._journal_query(trigger)
        data = self.sim_get(sim, "/requests?limit=1")["data"]
        return int(data[-1]["seq"]) if data else 0

    def count_since(self, trigger: Trigger, mark: int) -> int:
        """The core's successful calls of that kind after ``mark`` (for billing creates: accounts,
        a batch create counting as the up to 200 it carries)."""
        sim, query = self._journal_query(trigger)
        found = len(self.sim_get(sim, f"/requests?{query}&since={mark}&limit=1000")["data"])
        if trigger == "billing_creates":
            batch = f"method=POST&path=/accounts/batch&status=200&caller={CORE_BILLING_CALLER}"
            found += BATCH_CREATE * len(
                self.sim_get(sim, f"/requests?{batch}&since={mark}&limit=1000")["data"]
            )
        return found

    def _journal_query(self, trigger: Trigger) -> tuple[ControlPlane, str]:
        if trigger == "billing_creates":
            return self.billing_sim, f"method=POST&path=/accounts&status=201&caller={CORE_BILLING_CALLER}"
        if trigger == "billing_summaries":
            return (
                self.billing_sim,
                f"method=GET&path=/accounts/*/summary&status=200&caller={CORE_BILLING_CALLER}",
            )
        query = f"method=PATCH&path={SALESFORCE_COLLECTIONS}&status=200&caller={CORE_SALESFORCE_CALLER}"
        return self.salesforce_sim, query

    def wait_for_count(self, trigger: Trigger, mark: int, count: int, deadline: float) -> bool:
        """True once the core made ``count`` such calls after ``mark``; False if the system went
        idle first (or the deadline passed): the kill then comes too late to be mid-flow."""
        checked_idle = time.monotonic()
        while time.monotonic() < deadline:
            if self.count_since(trigger, mark) >= count:
                return True
            if time.monotonic() - checked_idle > 1.0:  # a full reading is costly: once a second
                checked_idle = time.monotonic()
                if self.reading().idle:
                    return self.count_since(trigger, mark) >= count
            time.sleep(TRIGGER_INTERVAL)
        return False


__all__ = ["CHAOS_CALLER", "ChaosTimeout", "Observer", "Reading"]
