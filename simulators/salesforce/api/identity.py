"""The OpenID Connect UserInfo endpoint, ``GET|POST /services/oauth2/userinfo``.

The Salesforce CLI calls it right after ``org login access-token`` and ``org login sfdx-url`` to
learn the username and org id. Its ``sub`` is the identity URL the token response returned as
``id`` (``<instance>/id/<orgId>/<userId>``), so both describe the same user.

Errors follow the Identity Service's documented form: a plain-text code with 403
(``Missing_OAuth_Token``, ``Bad_OAuth_Token``), not the REST JSON array. Not metered: identity
calls do not count against DailyApiRequests.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulators.kit.pipeline import CONTEXT
from simulators.salesforce.api.core import NEWEST_VERSION
from simulators.salesforce.api.routes import STATE, base_url, session_token
from simulators.salesforce.catalogue import SalesforceError
from simulators.salesforce.models.orgs import Session
from simulators.salesforce.models.values import format_datetime

# Offsets of the time zones the simulator's users carry (no tz database lookups for a fake).
_UTC_OFFSETS_MS = {"America/Los_Angeles": -28_800_000, "America/New_York": -18_000_000, "GMT": 0}


def identity_url(instance: str, org_id: str, user_id: str) -> str:
    return f"{instance}/id/{org_id}/{user_id}"


def _urls(instance: str, org_id: str, user_id: str) -> dict[str, str]:
    version = f"{NEWEST_VERSION}.0"
    rest = f"{instance}/services/data/v{version}"
    return {
        "enterprise": f"{instance}/services/Soap/c/{version}/{org_id}",
        "metadata": f"{instance}/services/Soap/m/{version}/{org_id}",
        "partner": f"{instance}/services/Soap/u/{version}/{org_id}",
        "rest": f"{rest}/",
        "sobjects": f"{rest}/sobjects/",
        "search": f"{rest}/search/",
        "query": f"{rest}/query/",
        "recent": f"{rest}/recent/",
        "tooling_soap": f"{instance}/services/Soap/T/{version}/{org_id}",
        "tooling_rest": f"{rest}/tooling/",
        "profile": f"{instance}/{user_id}",
        "limits": f"{rest}/limits/",
        "custom_domain": instance,
    }


def userinfo_body(instance: str, session: Session) -> dict[str, Any]:
    """OpenID Connect claims plus Salesforce's own (``user_id``, ``organization_id``, ``urls``)."""
    org = session.org
    row = org.store.row(session.user_id)
    assert row is not None  # a session always belongs to a seeded user
    zone = row["TimeZoneSidKey"]
    return {
        "sub": identity_url(instance, org.id, session.user_id),
        "user_id": session.user_id,
        "organization_id": org.id,
        "preferred_username": row["Username"],
        "nickname": row["Alias"],
        "name": row["Name"],
        "email": row["Email"],
        "email_verified": True,
        "given_name": row["FirstName"],
        "family_name": row["LastName"],
        "zoneinfo": zone,
        "photos": {
            "picture": f"{instance}/profilephoto/005/F",
            "thumbnail": f"{instance}/profilephoto/005/T",
        },
        "profile": f"{instance}/{session.user_id}",
        "picture": f"{instance}/profilephoto/005/F",
        "address": {},
        "is_salesforce_integration_user": False,
        "urls": _urls(instance, org.id, session.user_id),
        "active": row["IsActive"],
        "user_type": "STANDARD",
        "language": row["LanguageLocaleKey"],
        "locale": row["LocaleSidKey"],
        "utcOffset": _UTC_OFFSETS_MS.get(zone, 0),
        "updated_at": format_datetime(row["LastModifiedDate"]),
        "is_app_installed": True,
    }


def _plain(status: int, code: str) -> web.Response:
    # The Identity Service answers errors as a bare code in text/plain (documented error table).
    return web.Response(status=status, text=code, content_type="text/plain", charset="UTF-8")


async def userinfo(request: web.Request) -> web.Response:
    token = session_token(request) or request.query.get("oauth_token")
    if token is None:
        return _plain(403, "Missing_OAuth_Token")
    try:
        session = request.app[STATE].orgs.authenticate(token)
    except SalesforceError:
        return _plain(403, "Bad_OAuth_Token")
    request[CONTEXT].caller = session.caller
    return web.json_response(userinfo_body(base_url(request), session))


def add_identity_routes(app: web.Application) -> None:
    app.router.add_get("/services/oauth2/userinfo{slash:/?}", userinfo, name="sf_oauth_userinfo")
    app.router.add_post("/services/oauth2/userinfo{slash:/?}", userinfo, name="sf_oauth_userinfo_post")
