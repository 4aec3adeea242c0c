"""The simulator as the HTTPS subprocess behind the ``live_sf`` fixture (like ``q2c salesforce
--tls``, plus a second org and a frozen clock). Prints ``READY <port>`` once listening; stops
cleanly on SIGTERM.

    python -m tests.simulators.salesforce.live_server <state-dir>
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from datetime import UTC, datetime
from pathlib import Path

from simulators.kit.serve import AppSpec, RunningApp, serve
from simulators.salesforce.app import SalesforceSettings, create_app, with_jwt_certificate
from simulators.salesforce.models.orgs import ConnectedAppSpec, OrgSpec, UserSpec
from simulators.salesforce.tls import jwt_credentials, server_context

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TINY_USER = UserSpec("ops@tiny.local", "tiny-password", "tiny-token", "Tina", "Tiny", "ops@tiny.local")
TINY_APP = ConnectedAppSpec("tiny-client", "tiny-secret", name="Tiny App")
TINY_ORG = OrgSpec(name="Tiny Org", users=(TINY_USER,), apps=(TINY_APP,), api_limit=40, long_running_limit=5)


def live_settings(state_dir: Path) -> SalesforceSettings:
    _, certificate = jwt_credentials(state_dir)
    settings = SalesforceSettings(seed=7, orgs=(OrgSpec(), TINY_ORG), clock_start=START, frozen_clock=True)
    return with_jwt_certificate(dataclasses.replace(settings), certificate)


def main() -> None:
    state_dir = Path(sys.argv[1])
    spec = AppSpec(
        "salesforce", create_app(live_settings(state_dir)), "127.0.0.1", 0, None, server_context(state_dir)
    )

    def ready(running: list[RunningApp]) -> None:
        print(f"READY {running[0].port}", flush=True)

    asyncio.run(serve([spec], on_ready=ready))


if __name__ == "__main__":
    main()
