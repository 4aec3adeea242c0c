"""``sf_target``: each verified test runs against the live simulator and, when the environment
names one, a real org (``tests/support/salesforce_verified.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.salesforce import LiveSalesforce
from tests.support.salesforce_verified import NO_ORG, WireTarget, real_org


@pytest.fixture(params=["simulator", "real-org"])
def sf_target(request: pytest.FixtureRequest) -> Iterator[WireTarget]:
    if request.param == "real-org":
        target = real_org()
        if target is None:
            pytest.skip(NO_ORG)
    else:
        live: LiveSalesforce = request.getfixturevalue("live_sf")
        target = WireTarget("simulator", live.url, live.token(), str(live.ca))
    try:
        yield target
    finally:
        target.close()
