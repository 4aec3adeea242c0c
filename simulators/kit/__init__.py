"""Machinery both simulators share: virtual clock, meter, faults, journal, webhook outbox, the
single request pipeline, the ``/__sim`` control plane and ``serve()``."""

from contracts.problem import Problem
from simulators.kit.app import create_sim_app
from simulators.kit.clock import Clock, ClockError
from simulators.kit.faults import FaultRuleSpec, Faults
from simulators.kit.ids import IdFactory
from simulators.kit.journal import Journal
from simulators.kit.meter import LimitExceeded, Meter, MeterReading, RateLimiter
from simulators.kit.outbox import Outbox, OutboxError
from simulators.kit.pipeline import CONTEXT, RequestContext
from simulators.kit.serve import AppSpec, RunningApp, serve, start_app, stop_apps
from simulators.kit.sim import KIT, SimKit, SimulatorState

__all__ = [
    "CONTEXT",
    "KIT",
    "AppSpec",
    "Clock",
    "ClockError",
    "FaultRuleSpec",
    "Faults",
    "IdFactory",
    "Journal",
    "LimitExceeded",
    "Meter",
    "MeterReading",
    "Outbox",
    "OutboxError",
    "Problem",
    "RateLimiter",
    "RequestContext",
    "RunningApp",
    "SimKit",
    "SimulatorState",
    "create_sim_app",
    "serve",
    "start_app",
    "stop_apps",
]
