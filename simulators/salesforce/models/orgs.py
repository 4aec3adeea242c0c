"""Orgs, their users, connected apps, sessions and limits. Several orgs live in one simulator;
each has its own store, users, apps, sessions and API allocation, and nothing crosses between.

Credential checks (password + security token, client credentials, JWT bearer, refresh tokens)
and session expiry on the virtual clock are business rules, so they live here, not in handlers.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from contracts import defaults
from simulators.salesforce import catalogue
from simulators.salesforce.catalogue import OAuthError, SalesforceError
from simulators.salesforce.events.bus import EventBus, EventLimits
from simulators.salesforce.events.cdc import DEFAULT_ENTITIES
from simulators.salesforce.models import ids
from simulators.salesforce.models.bulk import BulkJobs
from simulators.salesforce.models.dml import Dml
from simulators.salesforce.models.ids import IdMinter
from simulators.salesforce.models.locators import Locators
from simulators.salesforce.models.recent import RecentItems
from simulators.salesforce.models.schema import Schema
from simulators.salesforce.models.store import OrgStore
from simulators.salesforce.outbound.queue import Outbound

API_FAMILY = "DailyApiRequests"


@dataclass(frozen=True)
class UserSpec:
    username: str
    password: str
    security_token: str
    first_name: str = "Q2C"
    last_name: str = "Admin"
    email: str = defaults.SALESFORCE_USERNAME


@dataclass(frozen=True)
class ConnectedAppSpec:
    client_id: str
    client_secret: str
    name: str = "Q2C Local"
    #: PEM X.509 certificate (or public key) checking JWT bearer assertions (RS256).
    certificate_pem: str | None = None
    #: The user client-credentials tokens run as (default: the org's first user).
    run_as: str | None = None


@dataclass(frozen=True)
class OrgSpec:
    name: str = defaults.SALESFORCE_ORG_NAME
    users: tuple[UserSpec, ...] = (
        UserSpec(
            defaults.SALESFORCE_USERNAME,
            defaults.SALESFORCE_PASSWORD,
            defaults.SALESFORCE_SECURITY_TOKEN,
        ),
    )
    apps: tuple[ConnectedAppSpec, ...] = (
        ConnectedAppSpec(defaults.SALESFORCE_CLIENT_ID, defaults.SALESFORCE_CLIENT_SECRET),
    )
    #: DailyApiRequests allocation per rolling 24 h (Enterprise Edition base).
    api_limit: int = 100_000
    #: Concurrent long-running requests (25 in production orgs, 5 in Developer Edition).
    long_running_limit: int = 25
    is_sandbox: bool = False
    edition: str = "Enterprise Edition"
    #: Streaming and platform event allocations (concurrent clients, deliveries, publishes).
    event_limits: EventLimits = field(default_factory=EventLimits)
    #: The CDC selection: None is the seeded org's (DEFAULT_ENTITIES and every custom object).
    cdc_entities: tuple[str, ...] | None = None


@dataclass
class UserCreds:
    user_id: str
    spec: UserSpec


@dataclass
class ConnectedApp:
    spec: ConnectedAppSpec
    public_key: RSAPublicKey | None


@dataclass
class Session:
    token: str
    org: Org
    user_id: str
    username: str
    client_id: str | None
    issued: datetime
    last_used: datetime

    @property
    def caller(self) -> str:
        return self.client_id or self.username


@dataclass
class RefreshGrant:
    org: Org
    user_id: str
    username: str
    client_id: str


class Org:
    def __init__(self, index: int, spec: OrgSpec, schema: Schema, now: Callable[[], datetime]) -> None:
        self.index = index
        self.spec = spec
        self.schema = schema
        self.minter = IdMinter(ids.pod_for(index))
        self.id = self.minter.mint(ids.ORGANIZATION_PREFIX)
        self.store = OrgStore(schema, now)
        self.dml = Dml(schema, self.store, self.minter, now)
        self.users: dict[str, UserCreds] = {}
        self.apps: dict[str, ConnectedApp] = {}
        self.locators = Locators()
        self.bulk = BulkJobs()
        self.recent = RecentItems()
        self.outbound = Outbound(self)  # Outbound Messages: declarations, queue, attempts
        self.events = EventBus(
            now,
            entities=lambda: cdc_entities(schema),
            event_types=lambda: [o.name for o in schema.objects() if o.is_event],
            selected=default_selection(schema) if spec.cdc_entities is None else spec.cdc_entities,
            limits=spec.event_limits,
            seed=index,
        )
        self.dml.sink = self.events
        self._inflight: dict[int, datetime] = {}
        self._inflight_ids = itertools.count(1)
        self._inflight_changed = asyncio.Event()

    @property
    def name(self) -> str:
        return self.spec.name

    def first_user(self) -> UserCreds:
        return next(iter(self.users.values()))

    # -- concurrent long-running requests ---------------------------------------------------------

    def enter(self, now: datetime) -> int:
        ticket = next(self._inflight_ids)
        self._inflight[ticket] = now
        self._inflight_changed.set()
        return ticket

    def leave(self, ticket: int) -> None:
        self._inflight.pop(ticket, None)
        self._inflight_changed.set()

    @property
    def in_flight(self) -> int:
        return len(self._inflight)

    async def wait_in_flight(self, count: int) -> None:
        """Until exactly ``count`` requests of this org are in flight (observable, no polling)."""
        while len(self._inflight) != count:
            self._inflight_changed.clear()
            await self._inflight_changed.wait()

    def long_running(self, now: datetime, threshold: timedelta) -> int:
        return sum(1 for started in self._inflight.values() if now - started >= threshold)


class Orgs:
    """Every org, plus the global indexes login needs (usernames and client ids are unique)."""

    def __init__(
        self, now: Callable[[], datetime], session_timeout: timedelta, token: Callable[[], str]
    ) -> None:
        self._now = now
        self.session_timeout = session_timeout
        self._token = token
        self.orgs: list[Org] = []
        self._by_id: dict[str, Org] = {}
        self._users: dict[str, tuple[Org, UserCreds]] = {}
        self._apps: dict[str, tuple[Org, ConnectedApp]] = {}
        self._sessions: dict[str, Session] = {}
        self._refresh: dict[str, RefreshGrant] = {}

    def add(self, org: Org) -> None:
        self.orgs.append(org)
        self._by_id[org.id] = org
        self._by_id[org.id[:15]] = org

    def register_user(self, org: Org, creds: UserCreds) -> None:
        key = creds.spec.username.lower()
        if key in self._users:
            raise ValueError(f"username {creds.spec.username!r} is used by two orgs")
        org.users[key] = creds
        self._users[key] = (org, creds)

    def register_app(self, org: Org, spec: ConnectedAppSpec) -> None:
        if spec.client_id in self._apps:
            raise ValueError(f"connected app client id {spec.client_id!r} is used by two orgs")
        app = ConnectedApp(spec, load_public_key(spec.certificate_pem) if spec.certificate_pem else None)
        org.apps[spec.client_id] = app
        self._apps[spec.client_id] = (org, app)

    def get(self, org_id: str) -> Org | None:
        return self._by_id.get(org_id)

    def default(self) -> Org:
        return self.orgs[0]

    # -- sessions ---------------------------------------------------------------------------------

    def open_session(self, org: Org, creds: UserCreds, client_id: str | None) -> Session:
        now = self._now()
        token = f"{org.id[:15]}!AQ{self._token()}"
        session = Session(token, org, creds.user_id, creds.spec.username, client_id, now, now)
        self._sessions[token] = session
        return session

    def peek(self, token: str) -> Session | None:
        """The live session for a token, without touching it (for journal naming)."""
        return self._sessions.get(token)

    def authenticate(self, token: str) -> Session:
        """The session behind a token; 401 INVALID_SESSION_ID when unknown or expired."""
        session = self._sessions.get(token)
        now = self._now()
        if session is None or now - session.last_used >= self.session_timeout:
            if session is not None:
                del self._sessions[token]
            raise invalid_session()
        # Inactivity timeout, as in real orgs: each use keeps the session alive.
        session.last_used = now
        return session

    def expire(self, token: str) -> bool:
        return self._sessions.pop(token, None) is not None

    def expire_all(self, org: Org | None = None) -> int:
        doomed = [t for t, s in self._sessions.items() if org is None or s.org is org]
        for token in doomed:
            del self._sessions[token]
        return len(doomed)

    def sessions(self) -> Iterable[Session]:
        return self._sessions.values()

    # -- credential checks ------------------------------------------------------------------------

    def password_login(
        self, username: str, password: str, *, organization_id: str | None = None
    ) -> tuple[Org, UserCreds]:
        """Username plus password-and-security-token. With a LoginScopeHeader organization id
        (the "trusted IP" form simple-salesforce sends) the token may be left off."""
        found = self._users.get(username.strip().lower())
        if found is None:
            raise OAuthError("invalid_grant", "authentication failure")
        org, creds = found
        spec = creds.spec
        accepted = {spec.password + spec.security_token}
        if organization_id is not None and org.id.startswith(organization_id[:15]):
            accepted.add(spec.password)
        if not any(hmac.compare_digest(password, candidate) for candidate in accepted):
            raise OAuthError("invalid_grant", "authentication failure")
        return org, creds

    def app(self, client_id: str, client_secret: str | None) -> tuple[Org, ConnectedApp]:
        found = self._apps.get(client_id)
        if found is None:
            raise OAuthError("invalid_client_id", "client identifier invalid")
        if client_secret is not None and not hmac.compare_digest(found[1].spec.client_secret, client_secret):
            raise OAuthError("invalid_client", "invalid client credentials")
        return found

    def client_credentials(self, client_id: str, client_secret: str) -> tuple[Org, UserCreds, ConnectedApp]:
        org, app = self.app(client_id, client_secret)
        if app.spec.run_as:
            creds = org.users.get(app.spec.run_as.lower())
            if creds is None:
                raise OAuthError("invalid_grant", "no client credentials user enabled")
        else:
            creds = org.first_user()
        return org, creds, app

    def jwt_bearer(self, assertion: str, audiences: Sequence[str]) -> tuple[Org, UserCreds, ConnectedApp]:
        """RS256 assertion: iss = client id, sub = username, aud = a login URL, exp in the future.

        ``exp`` is checked against wall time: the client signs with its own real clock, so the
        virtual clock (possibly days ahead in a test) would reject every fresh assertion.
        """
        try:
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise OAuthError("invalid_grant", "invalid assertion") from None
        client_id = str(unverified.get("iss", ""))
        org, app = self.app(client_id, None)
        if app.public_key is None:
            raise OAuthError("invalid_app_access", "user is not admin approved to access this app")
        try:
            claims: dict[str, Any] = jwt.decode(
                assertion,
                key=app.public_key,
                algorithms=["RS256"],
                options={"require": ["iss", "sub", "aud", "exp"], "verify_aud": False},
                leeway=300,
            )
        except jwt.ExpiredSignatureError:
            raise OAuthError("invalid_grant", "expired authorization code") from None
        except jwt.PyJWTError:
            raise OAuthError("invalid_grant", "invalid assertion") from None
        audience = claims["aud"]
        auds = audience if isinstance(audience, list) else [audience]
        if not any(str(a).rstrip("/").startswith(prefix) for a in auds for prefix in audiences):
            raise OAuthError("invalid_grant", "audience is invalid")
        creds = org.users.get(str(claims["sub"]).lower())
        if creds is None:
            raise OAuthError("invalid_grant", "user hasn't approved this consumer")
        return org, creds, app

    def issue_refresh_token(self, session: Session) -> str:
        token = f"5Aep{self._token()}"
        assert session.client_id is not None
        self._refresh[token] = RefreshGrant(session.org, session.user_id, session.username, session.client_id)
        return token

    def refresh(self, refresh_token: str, client_id: str, client_secret: str | None) -> tuple[Org, UserCreds]:
        grant = self._refresh.get(refresh_token)
        if grant is None:
            raise OAuthError("invalid_grant", "expired access/refresh token")
        org, _ = self.app(client_id, client_secret)
        if org is not grant.org or grant.client_id != client_id:
            raise OAuthError("invalid_grant", "expired access/refresh token")
        return org, org.users[grant.username.lower()]


def cdc_entities(schema: Schema) -> list[str]:
    """Objects that can have change events: every record object but the Organization."""
    return [o.name for o in schema.objects() if not o.is_event and o.name != "Organization"]


def default_selection(schema: Schema) -> list[str]:
    """The seeded org's CDC selection: DEFAULT_ENTITIES present in the schema, custom objects."""
    known = set(cdc_entities(schema))
    return [n for n in DEFAULT_ENTITIES if n in known] + [
        o.name for o in schema.objects() if o.kind == "custom" and o.name in known
    ]


def invalid_session() -> SalesforceError:
    return catalogue.INVALID_SESSION_ID.error()


def load_public_key(pem: str) -> RSAPublicKey:
    """A connected app's certificate (or bare public key), as PEM."""
    data = pem.encode()
    key: object
    try:
        if b"CERTIFICATE" in data:
            key = x509.load_pem_x509_certificate(data).public_key()
        else:
            key = load_pem_public_key(data)
    except ValueError as exc:
        raise ValueError(f"connected app certificate is not valid PEM: {exc}") from None
    if not isinstance(key, RSAPublicKey):
        raise ValueError("connected app certificate must hold an RSA key (JWT bearer uses RS256)")
    return key


def token_signature(identity_url: str, issued_at: str, client_secret: str) -> str:
    digest = hmac.new(client_secret.encode(), (identity_url + issued_at).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()
