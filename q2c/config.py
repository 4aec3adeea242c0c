"""Runtime configuration shared by ``q2c up`` and the single-component commands.

Documented local defaults (like LocalStack's well-known test credentials); every value can be
overridden by a flag or a ``Q2C_*`` environment variable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_SEED = 42
SALESFORCE_PORT = 8701
BILLING_PORT = 8702
CORE_PORT = 8703
STATE_DIR = Path(".q2c")
WEBHOOK_HOSTS = ("127.0.0.1", "localhost", "::1")

SALESFORCE_USERNAME = "admin@q2c.local"
SALESFORCE_PASSWORD = "q2c-password"
SALESFORCE_SECURITY_TOKEN = "q2c-token"
SALESFORCE_CLIENT_ID = "q2c-local-client"
SALESFORCE_CLIENT_SECRET = "q2c-local-secret"
BILLING_API_KEY = "q2c-billing-key"
CORE_API_TOKEN = "q2c-core-token"


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
