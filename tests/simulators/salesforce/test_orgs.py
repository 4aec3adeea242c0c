"""Orgs, credentials and sessions without HTTP: expiry on the virtual clock, JWT, refresh."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
import pytest
import trustme

from simulators.kit.clock import Clock
from simulators.kit.meter import Meter
from simulators.salesforce.errors import OAuthError, SalesforceError
from simulators.salesforce.models.orgs import ConnectedAppSpec, OrgSpec, load_public_key
from simulators.salesforce.models.schema import load_schema
from simulators.salesforce.models.state import SalesforceState
from tests.support.salesforce_live import START, TINY_ORG


async def test_password_login_needs_the_security_token(sf_state: SalesforceState) -> None:
    orgs = sf_state.orgs
    org, creds = orgs.password_login("ADMIN@q2c.local", "q2c-passwordq2c-token")
    assert org is orgs.default()
    assert creds.spec.username == "admin@q2c.local"
    for password in ("q2c-password", "wrong"):
        with pytest.raises(OAuthError) as caught:
            orgs.password_login("admin@q2c.local", password)
        assert (caught.value.error, caught.value.description) == ("invalid_grant", "authentication failure")
    # With the org id of a LoginScopeHeader ("trusted IP" login) the token may be left off.
    assert orgs.password_login("admin@q2c.local", "q2c-password", organization_id=org.id)[0] is org


async def test_sessions_expire_after_inactivity_on_the_virtual_clock(sf_state: SalesforceState) -> None:
    orgs = sf_state.orgs
    org, creds = orgs.password_login("admin@q2c.local", "q2c-passwordq2c-token")
    session = orgs.open_session(org, creds, None)
    assert session.token.startswith(org.id[:15] + "!")
    await sf_state.clock.advance(timedelta(hours=1, minutes=59))
    assert orgs.authenticate(session.token) is session  # and this use keeps it alive
    await sf_state.clock.advance(timedelta(hours=1, minutes=59))
    assert orgs.authenticate(session.token) is session
    await sf_state.clock.advance(timedelta(hours=2))
    with pytest.raises(SalesforceError) as caught:
        orgs.authenticate(session.token)
    assert (caught.value.status, caught.value.error_code, caught.value.message) == (
        401,
        "INVALID_SESSION_ID",
        "Session expired or invalid",
    )
    assert caught.value.fields is None  # no "fields" key in this body


async def test_client_credentials_and_bad_clients(sf_state: SalesforceState) -> None:
    orgs = sf_state.orgs
    org, creds, _ = orgs.client_credentials("tiny-client", "tiny-secret")
    assert org.name == "Tiny Org"
    assert creds.spec.username == "ops@tiny.local"
    with pytest.raises(OAuthError) as unknown:
        orgs.client_credentials("nope", "x")
    assert (unknown.value.error, unknown.value.description) == (
        "invalid_client_id",
        "client identifier invalid",
    )
    with pytest.raises(OAuthError) as wrong:
        orgs.client_credentials("tiny-client", "x")
    assert (wrong.value.error, wrong.value.description) == ("invalid_client", "invalid client credentials")


def _jwt_state(certificate: str) -> SalesforceState:
    clock = Clock(start=START, frozen=True)
    app = ConnectedAppSpec("jwt-client", "jwt-secret", certificate_pem=certificate)
    spec = OrgSpec(apps=(app,))
    return SalesforceState(load_schema(), clock, Meter(clock), (spec, TINY_ORG))


async def test_jwt_bearer_checks_signature_issuer_subject_audience_and_expiry() -> None:
    ca = trustme.CA()
    leaf = ca.issue_cert("jwt-client", key_type=trustme.KeyType.RSA)
    other = ca.issue_cert("someone-else", key_type=trustme.KeyType.RSA)
    state = _jwt_state(leaf.cert_chain_pems[0].bytes().decode())
    await state.load(1, {})
    key = leaf.private_key_pem.bytes()
    audiences = ("https://login.salesforce.com", "https://127.0.0.1:8701")

    def assertion(signing_key: bytes = key, **claims: object) -> str:
        payload = {
            "iss": "jwt-client",
            "sub": "admin@q2c.local",
            "aud": "https://login.salesforce.com",
            "exp": int(time.time()) + 180,
            **claims,
        }
        return jwt.encode(payload, signing_key, algorithm="RS256")

    _, creds, app = state.orgs.jwt_bearer(assertion(), audiences)
    assert creds.spec.username == "admin@q2c.local"
    assert app.spec.client_id == "jwt-client"
    assert state.orgs.jwt_bearer(
        assertion(aud="https://127.0.0.1:8701/services/oauth2/token?x=.salesforce.com"), audiences
    )
    cases = [
        (assertion(other.private_key_pem.bytes()), "invalid assertion"),
        (assertion(sub="ops@tiny.local"), "user hasn't approved this consumer"),
        (assertion(aud="https://evil.example"), "audience is invalid"),
        (assertion(exp=int(time.time()) - 3600), "expired authorization code"),
        ("not-a-jwt", "invalid assertion"),
    ]
    for token, description in cases:
        with pytest.raises(OAuthError) as caught:
            state.orgs.jwt_bearer(token, audiences)
        assert (caught.value.error, caught.value.description) == ("invalid_grant", description)
    with pytest.raises(OAuthError) as no_cert:
        state.orgs.jwt_bearer(assertion(iss="tiny-client"), audiences)
    assert no_cert.value.error == "invalid_app_access"


def test_certificates_must_hold_rsa_keys() -> None:
    with pytest.raises(ValueError, match="must hold an RSA key"):
        load_public_key(trustme.CA().issue_cert("x").cert_chain_pems[0].bytes().decode())
    with pytest.raises(ValueError, match="not valid PEM"):
        load_public_key("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")


async def test_refresh_tokens(sf_state: SalesforceState) -> None:
    orgs = sf_state.orgs
    org, creds = orgs.password_login("admin@q2c.local", "q2c-passwordq2c-token")
    session = orgs.open_session(org, creds, "q2c-local-client")
    refresh = orgs.issue_refresh_token(session)
    again_org, again = orgs.refresh(refresh, "q2c-local-client", "q2c-local-secret")
    assert again_org is org
    assert again.user_id == creds.user_id
    with pytest.raises(OAuthError) as caught:
        orgs.refresh(refresh, "tiny-client", "tiny-secret")
    assert caught.value.description == "expired access/refresh token"


async def test_usernames_and_clients_are_unique_across_orgs(sf_state: SalesforceState) -> None:
    clock = sf_state.clock
    state = SalesforceState(load_schema(), clock, Meter(clock), (OrgSpec(), OrgSpec(name="Copy")))
    with pytest.raises(ValueError, match=r"username 'admin@q2c\.local' is used by two orgs"):
        await state.load(1, {})


async def test_reload_is_deterministic(sf_state: SalesforceState) -> None:
    first = sorted((r.id, r["Name"]) for r in sf_state.default_org().store.scan("Account"))
    await sf_state.load(7, {"accounts": 5, "contacts": 5, "products": 3, "orders": 2})
    assert sorted((r.id, r["Name"]) for r in sf_state.default_org().store.scan("Account")) == first
    await sf_state.load(8, {"accounts": 5})
    assert sorted((r.id, r["Name"]) for r in sf_state.default_org().store.scan("Account")) != first
