"""Token endpoint (RFC 6749 errors), SOAP login() on the wire, identity and revocation."""

from __future__ import annotations

import base64
import hashlib
import hmac
from xml.dom import minidom

from tests.support.salesforce import SfClient

TOKEN_URL = "/services/oauth2/token"
PASSWORD_FORM = {
    "grant_type": "password",
    "client_id": "q2c-local-client",
    "client_secret": "q2c-local-secret",
    "username": "admin@q2c.local",
    "password": "q2c-passwordq2c-token",
}


def soap_body(username: str, password: str, org_id: str | None = None) -> str:
    scope = (
        f"<urn:LoginScopeHeader><urn:organizationId>{org_id}</urn:organizationId></urn:LoginScopeHeader>"
        if org_id
        else ""
    )
    return (
        '<?xml version="1.0" encoding="utf-8" ?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:urn="urn:partner.soap.sforce.com"><soapenv:Header>'
        f"{scope}</soapenv:Header><soapenv:Body><urn:login><urn:username>{username}</urn:username>"
        f"<urn:password>{password}</urn:password></urn:login></soapenv:Body></soapenv:Envelope>"
    )


async def test_password_grant(sf: SfClient) -> None:
    response = await sf.client.post(TOKEN_URL, data=PASSWORD_FORM)
    body = await response.json()
    assert response.status == 200
    base = f"http://{sf.client.host}:{sf.client.port}"
    org = sf.state.default_org()
    user = org.first_user().user_id
    assert body["instance_url"] == base
    assert body["id"] == f"{base}/id/{org.id}/{user}"
    assert body["token_type"] == "Bearer"
    assert "refresh_token" not in body
    assert body["issued_at"] == "1767603600000"  # the frozen virtual clock, in milliseconds
    expected = base64.b64encode(
        hmac.new(b"q2c-local-secret", (body["id"] + body["issued_at"]).encode(), hashlib.sha256).digest()
    ).decode()
    assert body["signature"] == expected
    assert "Sforce-Limit-Info" not in response.headers


async def test_client_credentials_with_basic_auth_and_refresh_tokens(sf: SfClient) -> None:
    basic = base64.b64encode(b"q2c-local-client:q2c-local-secret").decode()
    response = await sf.client.post(
        TOKEN_URL, data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"}
    )
    body = await response.json()
    assert response.status == 200
    assert body["api_instance_url"] == body["instance_url"]
    with_refresh = await (
        await sf.client.post(TOKEN_URL, data={**PASSWORD_FORM, "scope": "api refresh_token"})
    ).json()
    refreshed = await sf.client.post(
        TOKEN_URL,
        data={
            "grant_type": "refresh_token",
            "refresh_token": with_refresh["refresh_token"],
            "client_id": "q2c-local-client",
            "client_secret": "q2c-local-secret",
        },
    )
    assert refreshed.status == 200
    new_token = (await refreshed.json())["access_token"]
    assert new_token != with_refresh["access_token"]
    assert (await sf.call("GET", "/limits", token=new_token)).status == 200


async def test_token_errors_are_rfc_6749(sf: SfClient) -> None:
    cases = [
        ({**PASSWORD_FORM, "password": "q2c-password"}, "invalid_grant", "authentication failure"),
        ({**PASSWORD_FORM, "client_id": "nope"}, "invalid_client_id", "client identifier invalid"),
        ({**PASSWORD_FORM, "client_secret": "nope"}, "invalid_client", "invalid client credentials"),
        (
            {"grant_type": "authorization_code", "code": "x"},
            "unsupported_grant_type",
            "grant type not supported",
        ),
        (
            {"grant_type": "password", "client_id": "q2c-local-client"},
            "invalid_request",
            "missing required parameter: client_secret",
        ),
        (
            {"grant_type": "refresh_token", "refresh_token": "nope", "client_id": "q2c-local-client"},
            "invalid_grant",
            "expired access/refresh token",
        ),
        (
            {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": "abc"},
            "invalid_grant",
            "invalid assertion",
        ),
    ]
    for form, error, description in cases:
        response = await sf.client.post(TOKEN_URL, data=form)
        assert response.status == 400, form
        assert await response.json() == {"error": error, "error_description": description}
    as_json = await sf.client.post(TOKEN_URL, json=PASSWORD_FORM)
    assert as_json.status == 400
    assert await as_json.json() == {
        "error": "invalid_request",
        "error_description": "The request body must be application/x-www-form-urlencoded",
    }
    other_org = await sf.client.post(
        TOKEN_URL, data={**PASSWORD_FORM, "client_id": "tiny-client", "client_secret": "tiny-secret"}
    )
    assert (await other_org.json())["error"] == "invalid_grant"  # a user logs in through its own org's app


async def test_soap_login_on_the_wire(sf: SfClient) -> None:
    response = await sf.client.post(
        "/services/Soap/u/59.0",
        data=soap_body("admin@q2c.local", "q2c-passwordq2c-token"),
        headers={"Content-Type": "text/xml", "SOAPAction": "login"},
    )
    text = await response.text()
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    dom = minidom.parseString(text)
    server_url = dom.getElementsByTagName("serverUrl")[0].firstChild.nodeValue  # type: ignore[union-attr]
    session_id = dom.getElementsByTagName("sessionId")[0].firstChild.nodeValue  # type: ignore[union-attr]
    org = sf.state.default_org()
    assert server_url == f"http://{sf.client.host}:{sf.client.port}/services/Soap/u/59.0/{org.id}"
    assert dom.getElementsByTagName("organizationId")[0].firstChild.nodeValue == org.id  # type: ignore[union-attr]
    assert (await sf.call("GET", "/limits", token=session_id)).status == 200
    scoped = await sf.client.post(
        "/services/Soap/u/59.0/", data=soap_body("admin@q2c.local", "q2c-password", org.id[:15])
    )
    assert scoped.status == 200  # LoginScopeHeader: no security token needed


async def test_soap_faults(sf: SfClient) -> None:
    wrong = await sf.client.post("/services/Soap/u/59.0", data=soap_body("admin@q2c.local", "nope"))
    assert wrong.status == 500
    dom = minidom.parseString(await wrong.text())
    assert dom.getElementsByTagName("sf:exceptionCode")[0].firstChild.nodeValue == "INVALID_LOGIN"  # type: ignore[union-attr]
    assert dom.getElementsByTagName("faultcode")[0].firstChild.nodeValue == "sf:INVALID_LOGIN"  # type: ignore[union-attr]
    refused = await sf.client.post(
        "/services/Soap/u/65.0", data=soap_body("admin@q2c.local", "q2c-passwordq2c-token")
    )
    assert refused.status == 500
    assert "<sf:exceptionCode>UNSUPPORTED_API_VERSION</sf:exceptionCode>" in await refused.text()
    garbage = await sf.client.post("/services/Soap/u/59.0", data="not xml at all")
    assert garbage.status == 500
    assert "<faultcode>soapenv:Client</faultcode>" in await garbage.text()
    no_login = await sf.client.post("/services/Soap/u/59.0", data="<a><b/></a>")
    assert "No operation available for request" in await no_login.text()


async def test_identity_and_revocation(sf: SfClient) -> None:
    org = sf.state.default_org()
    user = org.first_user().user_id
    identity = await sf.json("GET", f"/id/{org.id}/{user}", 200)
    assert (identity["username"], identity["organization_id"], identity["display_name"]) == (
        "admin@q2c.local",
        org.id,
        "Q2C Admin",
    )
    tiny_org = sf.state.orgs.orgs[1]
    assert (await sf.error("GET", f"/id/{tiny_org.id}/{user}", 403))["errorCode"] == "INSUFFICIENT_ACCESS"
    revoked = await sf.client.post("/services/oauth2/revoke", data={"token": sf.token})
    assert revoked.status == 200
    assert (await sf.call("GET", "/limits")).status == 401
    again = await sf.client.post("/services/oauth2/revoke", data={"token": sf.token})
    assert await again.json() == {
        "error": "unsupported_token_type",
        "error_description": "this token type is not supported",
    }
