"""Fixtures shared by the billing models and engine tests (defined in ``engine/helpers.py``)."""

from tests.simulators.billing.engine.helpers import clock, settings, system

__all__ = ["clock", "settings", "system"]
