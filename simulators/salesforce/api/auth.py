"""Authentication endpoints: OAuth 2.0 token (password, client credentials, JWT bearer, refresh
token), token revocation, the identity URL, SOAP partner ``login()``, and the unauthenticated
Versions resource (salesforce-wire.md §1, §2). None of these count as API calls."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from aiohttp import web

from simulators.kit.pipeline import CONTEXT
from simulators.salesforce import catalogue
from simulators.salesforce.api.core import NEWEST_VERSION, resolve_version, version_number, versions
from simulators.salesforce.api.routes import STATE, authenticate, base_url
from simulators.salesforce.errors import OAuthError, SoapFault
from simulators.salesforce.models.orgs import Org, Session, UserCreds, token_signature
from simulators.salesforce.models.state import SalesforceState
from simulators.salesforce.models.values import format_datetime

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SOAP_LOGIN_LAST_VERSION = 64  # login() is not available in API version 65.0 and later
MAX_FORM_BYTES = 64 * 1024
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_LOCAL = re.compile(r"^\{[^}]*\}")


# -- versions ---------------------------------------------------------------------------------------


async def list_versions(request: web.Request) -> web.Response:
    """``GET /services/data/``: no session needed, never metered, no Sforce-Limit-Info."""
    return web.json_response(versions())


# -- OAuth ------------------------------------------------------------------------------------------


async def _form(request: web.Request) -> dict[str, str]:
    values: dict[str, str] = dict(request.query.items())
    if request.body_exists:
        media = request.content_type.lower()
        if media not in _FORM_TYPES:
            raise OAuthError("invalid_request", "The request body must be application/x-www-form-urlencoded")
        if request.content_length is not None and request.content_length > MAX_FORM_BYTES:
            raise OAuthError("invalid_request", "The request body is too large")
        try:
            form = await request.post()
        except (ValueError, UnicodeDecodeError):
            raise OAuthError("invalid_request", "The request body could not be parsed") from None
        for key, value in form.items():
            if isinstance(value, str):
                values[key] = value
    return values


def _basic(request: web.Request) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError("invalid_client", "invalid client credentials") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError("invalid_client", "invalid client credentials")
    return client_id, secret


def _need(form: dict[str, str], *names: str) -> list[str]:
    missing = [name for name in names if not form.get(name)]
    if missing:
        raise OAuthError("invalid_request", f"missing required parameter: {missing[0]}")
    return [form[name] for name in names]


def _token_body(
    request: web.Request, org: Org, creds: UserCreds, session: Session, secret: str | None
) -> dict[str, Any]:
    instance = base_url(request)
    identity = f"{instance}/id/{org.id}/{creds.user_id}"
    issued_at = str(int(session.issued.timestamp() * 1000))
    body: dict[str, Any] = {
        "access_token": session.token,
        "instance_url": instance,
        "id": identity,
        "token_type": "Bearer",
        "issued_at": issued_at,
        "scope": "api",
    }
    if secret is not None:
        body["signature"] = token_signature(identity, issued_at, secret)
    return body


async def token(request: web.Request) -> web.Response:
    state = request.app[STATE]
    orgs = state.orgs
    form = await _form(request)
    grant = form.get("grant_type", "")
    basic = _basic(request)
    ctx = request[CONTEXT]
    if grant == "password":
        client_id, client_secret, username, password = _need(
            form, "client_id", "client_secret", "username", "password"
        )
        ctx.caller = client_id
        org, app = orgs.app(client_id, client_secret)
        login_org, creds = orgs.password_login(username, password)
        if login_org is not org:
            raise OAuthError("invalid_grant", "authentication failure")
        session = orgs.open_session(org, creds, client_id)
        body = _token_body(request, org, creds, session, client_secret)
        if "refresh_token" in form.get("scope", "").split():
            # Real orgs issue refresh tokens from the web-server flow only; the simulator also
            # issues one here when asked (scope=refresh_token), so refresh can be exercised.
            body["refresh_token"] = orgs.issue_refresh_token(session)
            body["scope"] = "api refresh_token"
    elif grant == "client_credentials":
        client_id, client_secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
        if not client_id or not client_secret:
            raise OAuthError("invalid_client", "invalid client credentials")
        ctx.caller = client_id
        org, creds, app = orgs.client_credentials(client_id, client_secret)
        session = orgs.open_session(org, creds, client_id)
        body = _token_body(request, org, creds, session, client_secret)
        body["api_instance_url"] = f"{base_url(request)}"
    elif grant == JWT_GRANT:
        (assertion,) = _need(form, "assertion")
        audiences = ("https://login.salesforce.com", "https://test.salesforce.com", base_url(request))
        org, creds, app = orgs.jwt_bearer(assertion, audiences)
        ctx.caller = app.spec.client_id
        session = orgs.open_session(org, creds, app.spec.client_id)
        body = _token_body(request, org, creds, session, None)
    elif grant == "refresh_token":
        (refresh,) = _need(form, "refresh_token")
        refresh_client: tuple[str, str | None] = basic or (
            form.get("client_id", ""),
            form.get("client_secret"),
        )
        client_id, secret = refresh_client
        ctx.caller = client_id
        org, creds = orgs.refresh(refresh, client_id, secret)
        session = orgs.open_session(org, creds, client_id)
        body = _token_body(request, org, creds, session, secret)
    else:
        raise OAuthError("unsupported_grant_type", "grant type not supported")
    return web.json_response(body)


async def revoke(request: web.Request) -> web.Response:
    form = await _form(request)
    (value,) = _need(form, "token")
    if not request.app[STATE].orgs.expire(value):
        raise OAuthError("unsupported_token_type", "this token type is not supported")
    return web.Response(status=200)


async def identity(request: web.Request) -> web.Response:
    state = request.app[STATE]
    session = authenticate(request, state)
    request[CONTEXT].caller = session.caller
    org = session.org
    if (
        not org.id.startswith(request.match_info["org_id"][:15])
        or request.match_info["user_id"][:15] != session.user_id[:15]
    ):
        raise catalogue.INSUFFICIENT_ACCESS.error()
    row = org.store.row(session.user_id)
    assert row is not None
    instance = base_url(request)
    version = f"v{NEWEST_VERSION}.0"
    return web.json_response(
        {
            "id": f"{instance}/id/{org.id}/{session.user_id}",
            "asserted_user": True,
            "user_id": session.user_id,
            "organization_id": org.id,
            "username": row["Username"],
            "nick_name": row["Alias"],
            "display_name": row["Name"],
            "email": row["Email"],
            "active": row["IsActive"],
            "user_type": "STANDARD",
            "language": row["LanguageLocaleKey"],
            "locale": row["LocaleSidKey"],
            "utcOffset": 0,
            "last_modified_date": format_datetime(row["LastModifiedDate"]),
            "urls": {
                "rest": f"{instance}/services/data/{version}/",
                "sobjects": f"{instance}/services/data/{version}/sobjects/",
                "query": f"{instance}/services/data/{version}/query/",
                "limits": f"{instance}/services/data/{version}/limits/",
            },
        }
    )


# -- SOAP partner login ---------------------------------------------------------------------------


def _local(tag: str) -> str:
    return _LOCAL.sub("", tag)


def _parse_login(body: bytes) -> tuple[str, str, str | None]:
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise SoapFault(
            "Client", f"Unable to parse the request: {exc}", fault_code="soapenv:Client"
        ) from None
    login = next((el for el in root.iter() if _local(el.tag) == "login"), None)
    if login is None:
        raise SoapFault("Client", "No operation available for request", fault_code="soapenv:Client")
    values = {_local(child.tag): (child.text or "") for child in login}
    organization = next((el.text for el in root.iter() if _local(el.tag) == "organizationId"), None)
    if "username" not in values or "password" not in values:
        raise SoapFault("INVALID_LOGIN", "Invalid username, password, security token; or user locked out.")
    return values["username"], values["password"], organization


SOAP_ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
)


def soap_user_info(state: SalesforceState, org: Org, user_id: str) -> str:
    """The partner API's ``GetUserInfoResult`` fields (``login()``'s ``userInfo`` and
    ``getUserInfo()``), as XML elements."""
    row = org.store.row(user_id)
    assert row is not None  # a session always belongs to a seeded user
    values: dict[str, str | None] = {
        "accessibilityMode": "false",
        "currencySymbol": "$",
        "orgAttachmentFileSizeLimit": "5242880",
        "orgDefaultCurrencyIsoCode": "USD",
        "orgDisallowHtmlAttachments": "false",
        "orgHasPersonAccounts": "false",
        "organizationId": org.id,
        "organizationMultiCurrency": "false",
        "organizationName": org.name,
        "profileId": "00e000000000000AAA",
        "roleId": None,
        "sessionSecondsValid": str(int(state.session_timeout.total_seconds())),
        "userDefaultCurrencyIsoCode": None,
        "userEmail": row["Email"],
        "userFullName": row["Name"],
        "userId": user_id,
        "userLanguage": row["LanguageLocaleKey"],
        "userLocale": row["LocaleSidKey"],
        "userName": row["Username"],
        "userTimeZone": row["TimeZoneSidKey"],
        "userType": "Standard",
        "userUiSkin": "Theme3",
    }
    return "".join(
        f'<{k} xsi:nil="true"/>' if v is None else f"<{k}>{escape(str(v))}</{k}>" for k, v in values.items()
    )


async def soap_login(request: web.Request) -> web.Response:
    state = request.app[STATE]
    segment = request.match_info["version"]
    version = resolve_version(f"v{segment}") if re.fullmatch(r"\d{2}\.0", segment) else None
    if version is None or version_number(version) > SOAP_LOGIN_LAST_VERSION:
        # The exact fault code for a refused login() version is not documented.
        raise SoapFault(
            "UNSUPPORTED_API_VERSION",
            f"SOAP login() is not available in API version {segment}; use OAuth 2.0 (client credentials or JWT bearer) instead.",
        )
    body = await request.read()
    username, password, organization = _parse_login(body)
    request[CONTEXT].caller = username
    try:
        org, creds = state.orgs.password_login(username, password, organization_id=organization)
    except OAuthError:
        raise SoapFault(
            "INVALID_LOGIN", "Invalid username, password, security token; or user locked out."
        ) from None
    session = state.orgs.open_session(org, creds, None)
    instance = base_url(request)
    xml = SOAP_ENVELOPE.format(
        body="<loginResponse><result>"
        f"<metadataServerUrl>{instance}/services/Soap/m/{segment}/{org.id}</metadataServerUrl>"
        "<passwordExpired>false</passwordExpired>"
        f"<sandbox>{'true' if org.spec.is_sandbox else 'false'}</sandbox>"
        f"<serverUrl>{instance}/services/Soap/u/{segment}/{org.id}</serverUrl>"
        f"<sessionId>{escape(session.token)}</sessionId>"
        f"<userId>{creds.user_id}</userId>"
        f"<userInfo>{soap_user_info(state, org, creds.user_id)}</userInfo>"
        "</result></loginResponse>"
    )
    return web.Response(text=xml, content_type="text/xml", charset="UTF-8")


def add_auth_routes(app: web.Application) -> None:
    app.router.add_get("/services/data", list_versions, name="sf_versions")
    app.router.add_get("/services/data/", list_versions, name="sf_versions_slash")
    app.router.add_post("/services/oauth2/token{slash:/?}", token, name="sf_oauth_token")
    app.router.add_post("/services/oauth2/revoke{slash:/?}", revoke, name="sf_oauth_revoke")
    app.router.add_get("/id/{org_id}/{user_id}{slash:/?}", identity, name="sf_identity")
    # POST /services/Soap/u/{version}: api/soap.py dispatches login() here and the session calls.
