"""What the Salesforce CLI and jsforce need besides the core REST API (issue 11), in-process:
userinfo, ``//`` paths, ``columns=true``, the Organization/User standard fields, the Tooling
API, ``/recent`` and SOAP session calls (the Streaming API: tests/simulators/salesforce/cometd).
Each fails on the old code (404, rows instead of metadata, unknown columns, a 500 SOAP fault)."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import aiohttp

from tests.support.salesforce import SfClient

PARTNER = "{urn:partner.soap.sforce.com}"


def soap(operation: str, session: str | None, namespace: str = "urn:partner.soap.sforce.com") -> str:
    header = (
        f'<soapenv:Header><SessionHeader xmlns="urn:partner.soap.sforce.com"><sessionId>{session}'
        "</sessionId></SessionHeader></soapenv:Header>"
        if session is not None
        else ""
    )
    return (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
        f'{header}<soapenv:Body><{operation} xmlns="{namespace}"/></soapenv:Body></soapenv:Envelope>'
    )


async def post_soap(
    sf: SfClient, body: str, path: str = "/services/Soap/u/59.0"
) -> tuple[int, ElementTree.Element]:
    response = await sf.client.post(path, data=body, headers={"Content-Type": "text/xml", "SOAPAction": '""'})
    return response.status, ElementTree.fromstring(await response.text())


# -- userinfo and the identity URL -------------------------------------------------------------


async def test_userinfo_matches_the_token_identity(sf: SfClient) -> None:
    token = await sf.client.post(
        "/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": "q2c-local-client",
            "client_secret": "q2c-local-secret",
            "username": "admin@q2c.local",
            "password": "q2c-passwordq2c-token",
        },
    )
    issued = await token.json()
    info = await sf.json("GET", "/services/oauth2/userinfo", 200, token=issued["access_token"])
    assert info["sub"] == issued["id"]
    org_id, user_id = issued["id"].rsplit("/", 2)[-2:]
    assert (info["organization_id"], info["user_id"]) == (org_id, user_id)
    assert info["preferred_username"] == "admin@q2c.local"
    assert info["urls"]["rest"].endswith("/services/data/v66.0/")
    identity = await sf.json("GET", "/" + issued["id"].split("/", 3)[3], 200, token=issued["access_token"])
    assert identity["username"] == info["preferred_username"]


async def test_userinfo_errors_are_the_identity_services(sf: SfClient) -> None:
    missing = await sf.client.get("/services/oauth2/userinfo")
    assert (missing.status, await missing.text()) == (403, "Missing_OAuth_Token")
    bad = await sf.client.get("/services/oauth2/userinfo", headers={"Authorization": "Bearer nope"})
    assert (bad.status, await bad.text()) == (403, "Bad_OAuth_Token")


async def test_double_slash_paths_reach_the_api(sf: SfClient) -> None:
    """The CLI keeps ``https://host/`` and appends ``/services/...``."""
    body = await sf.json("GET", "/services//data/v59.0/query?q=SELECT+Name+FROM+Organization", 200)
    assert body["records"][0]["Name"] == "Q2C Sandbox"
    auth = {"Authorization": f"Bearer {sf.token}"}
    root = str(sf.client.make_url("/"))  # "http://host:port/" + "/services/...", as the CLI builds it
    async with aiohttp.ClientSession() as session:
        response = await session.get(root + "/services/data/v59.0/limits", headers=auth)
        assert response.status == 200
        created = await session.post(
            root + "/services/data/v59.0/sobjects/Account", json={"Name": "Slashes"}, headers=auth
        )
        assert created.status == 201, await created.text()
        assert created.url.raw_path == "//services/data/v59.0/sobjects/Account"


# -- standard fields --------------------------------------------------------------------------


async def test_organization_and_user_standard_fields(sf: SfClient) -> None:
    soql = "SELECT Name, InstanceName, IsSandbox, TrialExpirationDate, NamespacePrefix, OrganizationType FROM Organization"
    org = (await sf.json("GET", f"/query?q={soql}", 200))["records"][0]
    assert org["TrialExpirationDate"] is None
    assert org["OrganizationType"] == "Enterprise Edition"
    user = await sf.json("GET", "/query?q=SELECT Username, UserType, EmailEncodingKey, Title FROM User", 200)
    assert user["records"][0]["UserType"] == "Standard"
    assert user["records"][0]["EmailEncodingKey"] == "UTF-8"


# -- columns=true ------------------------------------------------------------------------------


def names(columns: list[dict[str, Any]]) -> list[Any]:
    return [
        (c["columnName"], names(c["joinColumns"])) if c["joinColumns"] else c["columnName"] for c in columns
    ]


async def test_columns_true_describes_fields_and_relationships(sf: SfClient) -> None:
    soql = "SELECT Id, Name, Account.Name, Account.Owner.Name, Account.Industry FROM Contact"
    body = await sf.json("GET", f"/query?q={soql}&columns=true", 200)
    assert "records" not in body
    assert (body["entityName"], body["keyPrefix"], body["groupBy"], body["idSelected"]) == (
        "Contact",
        "003",
        False,
        True,
    )
    assert names(body["columnMetadata"]) == [
        "Id",
        "Name",
        ("Account", ["Name", ("Owner", ["Name"]), "Industry"]),
    ]
    account = body["columnMetadata"][2]
    assert account["foreignKeyName"] == "AccountId"
    assert account["joinColumns"][0]["displayName"] == "Account.Name"
    first = body["columnMetadata"][0]
    assert (first["apexType"], first["textType"], first["aggregate"]) == ("Id", False, False)


async def test_columns_true_child_and_aggregate_columns(sf: SfClient) -> None:
    child = await sf.json(
        "GET", "/query?q=SELECT Name, (SELECT LastName, Email FROM Contacts) FROM Account&columns=true", 200
    )
    contacts = child["columnMetadata"][1]
    assert (contacts["columnName"], contacts["aggregate"]) == ("Contacts", True)
    assert names(contacts["joinColumns"]) == ["LastName", "Email"]
    grouped = await sf.json(
        "GET",
        "/query?q=SELECT Industry, COUNT(Id), MAX(AnnualRevenue) total FROM Account GROUP BY Industry"
        "&columns=true",
        200,
    )
    assert grouped["groupBy"] is True
    assert grouped["keyPrefix"] is None
    assert [(c["columnName"], c["displayName"], c["aggregate"]) for c in grouped["columnMetadata"]] == [
        ("Industry", "Industry", False),
        ("expr0", "COUNT(Id)", True),
        ("total", "MAX(AnnualRevenue)", True),
    ]
    assert grouped["columnMetadata"][1]["apexType"] == "Integer"


async def test_columns_true_refuses_what_the_query_refuses(sf: SfClient) -> None:
    error = await sf.error("GET", "/query?q=SELECT Nope FROM Account&columns=true", 400)
    assert error["errorCode"] == "INVALID_FIELD"
    assert "No such column 'Nope' on entity 'Account'" in error["message"]


# -- Tooling API -------------------------------------------------------------------------------


async def test_tooling_query_of_an_org_without_sandboxes(sf: SfClient) -> None:
    body = await sf.json(
        "GET",
        "/tooling/query?q=SELECT Id, Status, SandboxName, Features FROM SandboxProcess WHERE Status != 'D'",
        200,
    )
    assert body == {
        "size": 0,
        "totalSize": 0,
        "done": True,
        "queryLocator": None,
        "entityTypeName": None,
        "records": [],
    }
    listed = await sf.json("GET", "/tooling/sobjects", 200)
    assert "SourceMember" in [o["name"] for o in listed["sobjects"]]


async def test_tooling_query_errors(sf: SfClient) -> None:
    unknown = await sf.error("GET", "/tooling/query?q=SELECT Id FROM ScratchOrgInfo", 400)
    assert unknown["errorCode"] == "INVALID_TYPE"
    assert "sObject type 'ScratchOrgInfo' is not supported." in unknown["message"]
    field = await sf.error("GET", "/tooling/query?q=SELECT Bogus FROM SandboxInfo", 400)
    assert field["errorCode"] == "INVALID_FIELD"
    assert "No such column 'Bogus' on entity 'SandboxInfo'" in field["message"]


# -- recent items ------------------------------------------------------------------------------


async def test_recent_lists_what_for_view_marked(sf: SfClient) -> None:
    assert await sf.json("GET", "/recent", 200) == []
    viewed = await sf.json("GET", "/query?q=SELECT Id FROM Account ORDER BY Name LIMIT 3 FOR VIEW", 200)
    await sf.json("GET", "/query?q=SELECT Id FROM Contact LIMIT 2", 200)  # not marked
    ids = [r["Id"] for r in viewed["records"]]
    recent = await sf.json("GET", "/recent", 200)
    assert [r["Id"] for r in recent] == ids[::-1]
    assert set(recent[0]) == {"attributes", "Id", "Name"}
    assert [r["Id"] for r in await sf.json("GET", "/recent?limit=1", 200)] == ids[-1:]
    error = await sf.error("GET", "/recent?limit=zero", 400)
    assert error == {
        "errorCode": "INVALID_QUERY_PARAMETER_VALUE",
        "message": "Invalid value for parameter limit: zero",
    }


# -- SOAP partner session calls ---------------------------------------------------------------


async def test_soap_session_calls(sf: SfClient) -> None:
    status, info = await post_soap(sf, soap("getUserInfo", sf.token))
    assert status == 200
    assert info.findtext(f".//{PARTNER}userName") == "admin@q2c.local"
    status, stamp = await post_soap(sf, soap("getServerTimestamp", sf.token), "/services/Soap/u/66.0/00D")
    assert status == 200
    assert stamp.findtext(f".//{PARTNER}timestamp") == "2026-01-05T09:00:00.000Z"
    status, out = await post_soap(sf, soap("logout", sf.token))
    assert status == 200
    assert out.find(f".//{PARTNER}logoutResponse") is not None
    after = await sf.error("GET", "/limits", 401)
    assert after == {"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid"}


async def test_soap_faults(sf: SfClient) -> None:
    status, fault = await post_soap(sf, soap("describeEverything", sf.token))
    assert status == 500
    assert fault.findtext(".//faultcode") == "soapenv:Client"
    assert fault.findtext(".//faultstring") == (
        "No operation available for request {urn:partner.soap.sforce.com}describeEverything, "
        "please check the WSDL for the service."
    )
    status, fault = await post_soap(sf, soap("logout", "not-a-session"))
    assert status == 500
    assert fault.findtext(".//faultcode") == "sf:INVALID_SESSION_ID"
    assert fault.findtext(".//faultstring") == (
        "INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session"
    )


async def test_resources_list_the_new_families(sf: SfClient) -> None:
    resources = await sf.json("GET", "", 200)
    assert resources["search"] == "/services/data/v59.0/search"
    assert resources["parameterizedSearch"] == "/services/data/v59.0/parameterizedSearch"
    assert resources["recent"] == "/services/data/v59.0/recent"
    assert resources["tooling"] == "/services/data/v59.0/tooling"
