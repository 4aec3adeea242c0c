"""What the web component needs to know: where the other components are and how to sign in."""

from __future__ import annotations

from dataclasses import dataclass, field

from contracts import defaults


@dataclass(frozen=True)
class PortalCustomer:
    """A self-care portal user, mapped to one billing account by its number (BAN)."""

    email: str
    password: str
    account_number: str


def demo_customers() -> tuple[PortalCustomer, ...]:
    return tuple(
        PortalCustomer(email, defaults.PORTAL_PASSWORD, number) for email, number in defaults.PORTAL_CUSTOMERS
    )


def parse_customer(value: str) -> PortalCustomer:
    """``email=BAN`` or ``email:password=BAN`` (a ``--customer`` option)."""
    who, sep, number = value.partition("=")
    email, _, password = who.partition(":")
    if not sep or not email.strip() or not number.strip() or "@" not in email:
        raise ValueError(f"expected email=BAN or email:password=BAN, got {value!r}")
    return PortalCustomer(email.strip().lower(), password or defaults.PORTAL_PASSWORD, number.strip())


@dataclass(frozen=True)
class WebSettings:
    salesforce_url: str = f"http://{defaults.DEFAULT_HOST}:{defaults.SALESFORCE_PORT}"
    billing_url: str = f"http://{defaults.DEFAULT_HOST}:{defaults.BILLING_PORT}"
    core_url: str = f"http://{defaults.DEFAULT_HOST}:{defaults.CORE_PORT}"
    salesforce_username: str = defaults.SALESFORCE_USERNAME
    salesforce_password: str = defaults.SALESFORCE_PASSWORD + defaults.SALESFORCE_SECURITY_TOKEN
    salesforce_client_id: str = defaults.SALESFORCE_CLIENT_ID
    salesforce_client_secret: str = defaults.SALESFORCE_CLIENT_SECRET
    salesforce_ca_file: str | None = None
    billing_api_key: str = defaults.BILLING_API_KEY
    core_token: str = defaults.CORE_API_TOKEN
    #: A Fernet key (32 url-safe base64 bytes) for the session cookie; None: a new key per start.
    session_key: str | None = None
    customers: tuple[PortalCustomer, ...] = field(default_factory=demo_customers)
    #: Seconds to wait for a component before showing it as down.
    timeout: float = 5.0
    #: Seconds between the live updates of the pages that poll (0: off).
    refresh_seconds: float = 5.0

    def urls(self) -> dict[str, str]:
        return {"salesforce": self.salesforce_url, "billing": self.billing_url, "core": self.core_url}
