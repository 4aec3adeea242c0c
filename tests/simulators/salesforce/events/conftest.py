"""Fixtures for the event bus tests (helpers live in tests/support)."""

from __future__ import annotations

import pytest

from simulators.salesforce.models.orgs import Org
from simulators.salesforce.models.state import SalesforceState


@pytest.fixture
def org(sf_state: SalesforceState) -> Org:
    return sf_state.default_org()
