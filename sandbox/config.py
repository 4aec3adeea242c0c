"""Runtime configuration shared by ``q2c up`` and the single-component commands.

The documented local defaults themselves live in ``contracts.defaults``; every value can be
overridden by a flag or a ``Q2C_*`` environment variable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from contracts.defaults import (
    BILLING_PORT,
    CORE_PORT,
    DEFAULT_HOST,
    DEFAULT_SEED,
    SALESFORCE_PORT,
    STATE_DIR,
    WEBHOOK_HOSTS,
)


@dataclass(frozen=True)
class RuntimeConfig:
    host: str = DEFAULT_HOST
    seed: int = DEFAULT_SEED
    salesforce_port: int = SALESFORCE_PORT
    billing_port: int = BILLING_PORT
    core_port: int = CORE_PORT
    state_dir: Path = STATE_DIR
    port_dir: Path | None = None
    webhook_hosts: tuple[str, ...] = field(default=WEBHOOK_HOSTS)

    def port_file(self, component: str) -> Path | None:
        return None if self.port_dir is None else self.port_dir / f"{component}.port"


def parse_hosts(value: str) -> tuple[str, ...]:
    hosts = tuple(part.strip() for part in value.split(",") if part.strip())
    if not hosts:
        raise ValueError("give at least one webhook host")
    return hosts
