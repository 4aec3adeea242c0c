"""The Salesforce simulator's state, as the kit's control plane sees it (``SimulatorState``)."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import timedelta

from simulators.kit.clock import Clock
from simulators.kit.meter import Meter
from simulators.salesforce.models.bulk import BulkWorker, Job
from simulators.salesforce.models.orgs import API_FAMILY, Org, Orgs, OrgSpec
from simulators.salesforce.models.schema import Schema
from simulators.salesforce.models.seed import SEED_DEFAULTS, SEED_MAXIMUMS, seed_org


class SalesforceState:
    seed_defaults: Mapping[str, int] = SEED_DEFAULTS
    seed_maximums: Mapping[str, int] = SEED_MAXIMUMS

    def __init__(
        self,
        schema: Schema,
        clock: Clock,
        meter: Meter,
        org_specs: Sequence[OrgSpec] = (OrgSpec(),),
        *,
        session_timeout: timedelta = timedelta(hours=2),
        long_running_threshold: timedelta = timedelta(seconds=20),
    ) -> None:
        if not org_specs:
            raise ValueError("the simulator needs at least one org")
        self.schema = schema
        self.clock = clock
        self.meter = meter
        # Allowances that are not API calls (Bulk API batches, bulk query jobs): their own rolling
        # 24-hour counters, so the kit meter (and /__sim/usage) holds API calls only.
        self.allowances = Meter(clock, enforce=False)
        self.long_running_threshold = long_running_threshold
        self.org_specs = tuple(org_specs)
        self.session_timeout = session_timeout
        self._random = random.Random(0)
        self.orgs = Orgs(clock.now, session_timeout, self._token)
        self.worker: BulkWorker | None = None
        self.last_counts: dict[str, int] = {}

    def _token(self) -> str:
        return "".join(
            self._random.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._")
            for _ in range(96)
        )

    async def load(self, seed: int, counts: Mapping[str, int]) -> Mapping[str, int]:
        """Every org rebuilt from its spec, sessions dropped, the same seed giving the same data."""
        if self.worker is not None:
            self.worker.clear()
        self.allowances.reset()  # the kit resets its own meter on reseed
        self._random = random.Random(seed)
        orgs = Orgs(self.clock.now, self.session_timeout, self._token)
        totals: dict[str, int] = {}
        for index, spec in enumerate(self.org_specs):
            org = Org(index, spec, self.schema, self.clock.now)
            orgs.add(org)
            with org.dml.unobserved():  # seeded data existed before anyone listened: no events
                created = seed_org(orgs, org, seed + index, counts)
            for key, value in created.items():
                totals[key] = totals.get(key, 0) + value
        totals["orgs"] = len(self.org_specs)
        self.orgs = orgs
        self.last_counts = totals
        return totals

    def default_org(self) -> Org:
        return self.orgs.default()

    def record(self, org: Org, family: str, count: int, caller: str) -> None:
        """Count usage of an allowance that is not an API call (bulk batches, query jobs)."""
        self.allowances.record(family, scope=org.id, caller=caller, count=count)

    def submit(self, org: Org, job: Job) -> None:
        if self.worker is None:
            raise RuntimeError("the bulk worker is not running")
        self.worker.submit(org, job)

    def meter_reading(self, org: Org, family: str) -> int:
        meter = self.meter if family == API_FAMILY else self.allowances
        return meter.reading(family, org.id).used

    def long_running(self, org: Org) -> int:
        """Requests of this org in flight for at least the threshold (virtual clock)."""
        return org.long_running(self.clock.now(), self.long_running_threshold)
