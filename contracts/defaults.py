"""The documented local defaults, defined once (like LocalStack's well-known test credentials).

Both sides of every wire agree on them: the simulators seed them, the integration core and the
load clients send them, ``q2c up`` prints them. Every value can be overridden by a flag or a
``Q2C_*`` environment variable; nothing here is a secret.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_SEED = 42

WEB_PORT = 8700
SALESFORCE_PORT = 8701
BILLING_PORT = 8702
CORE_PORT = 8703
PUBSUB_PORT = 8704

STATE_DIR = Path(".q2c")
WEBHOOK_HOSTS = ("127.0.0.1", "localhost", "::1")

SALESFORCE_ORG_NAME = "Q2C Sandbox"
# The org is single-currency (no CurrencyIsoCode fields): its standard price book holds this
# currency's prices; the catalog sync puts the others in custom books (integration/flows/catalog/).
SALESFORCE_ORG_CURRENCY = "USD"
SALESFORCE_USERNAME = "admin@q2c.local"
SALESFORCE_PASSWORD = "q2c-password"
SALESFORCE_SECURITY_TOKEN = "q2c-token"
SALESFORCE_CLIENT_ID = "q2c-local-client"
SALESFORCE_CLIENT_SECRET = "q2c-local-secret"
BILLING_API_KEY = "q2c-billing-key"
CORE_API_TOKEN = "q2c-core-token"

# The self-care portal's seeded demo customers (web/), each mapped to a seeded billing account by
# its number; all share one password.
PORTAL_PASSWORD = "q2c-portal"
PORTAL_CUSTOMERS = (("ada@q2c.local", "BAN000001"), ("grace@q2c.local", "BAN000002"))
