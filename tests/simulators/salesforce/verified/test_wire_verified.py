"""The wire facts the Salesforce CLI and jsforce depend on (issue 11), as tests that run against
the simulator and, given credentials, a real org (``sf_verified``; docs/salesforce.md). They
create what they need and assert only what a real org answers too."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from xml.etree import ElementTree

import pytest

from tests.support.salesforce_verified import WireTarget

pytestmark = pytest.mark.sf_verified


@pytest.fixture
def contact(sf_target: WireTarget) -> Iterator[str]:
    """A Contact with a unique last name, deleted afterwards."""
    name = "Q2cverify" + uuid.uuid4().hex[:10]
    response = sf_target.request("POST", sf_target.data("/sobjects/Contact"), json={"LastName": name})
    assert response.status_code == 201, response.text
    record_id: str = response.json()["id"]
    yield record_id
    sf_target.request("DELETE", sf_target.data(f"/sobjects/Contact/{record_id}"))


def test_userinfo_and_identity_url_agree(sf_target: WireTarget) -> None:
    info = sf_target.request("GET", "/services/oauth2/userinfo")
    assert info.status_code == 200, info.text
    body = info.json()
    assert body["sub"].rsplit("/", 2)[-2:] == [body["organization_id"], body["user_id"]]
    identity = sf_target.request("GET", body["sub"])
    assert identity.status_code == 200, identity.text
    assert identity.json()["username"] == body["preferred_username"]
    missing = sf_target.request("GET", "/services/oauth2/userinfo", auth=False)
    assert (missing.status_code, missing.text) == (403, "Missing_OAuth_Token")


def test_double_slash_paths(sf_target: WireTarget) -> None:
    response = sf_target.request("GET", f"{sf_target.url}//services/data/v59.0/limits")
    assert response.status_code == 200, response.text
    assert "DailyApiRequests" in response.json()


def test_query_column_metadata(sf_target: WireTarget) -> None:
    soql = "SELECT Id, Name, Account.Name, Account.Owner.Name FROM Contact"
    response = sf_target.request("GET", sf_target.data("/query"), params={"q": soql, "columns": "true"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["entityName"], body["keyPrefix"], body["idSelected"]) == ("Contact", "003", True)
    columns = body["columnMetadata"]
    assert [c["columnName"] for c in columns] == ["Id", "Name", "Account"]
    account = columns[2]["joinColumns"]
    assert [c["columnName"] for c in account] == ["Name", "Owner"]
    assert [c["columnName"] for c in account[1]["joinColumns"]] == ["Name"]


def test_organization_standard_fields(sf_target: WireTarget) -> None:
    soql = "SELECT Name, InstanceName, IsSandbox, TrialExpirationDate, NamespacePrefix, OrganizationType FROM Organization"
    response = sf_target.request("GET", sf_target.data("/query"), params={"q": soql})
    assert response.status_code == 200, response.text
    record = response.json()["records"][0]
    assert set(record) == {
        "attributes",
        "Name",
        "InstanceName",
        "IsSandbox",
        "TrialExpirationDate",
        "NamespacePrefix",
        "OrganizationType",
    }


def test_recent_after_for_view(sf_target: WireTarget, contact: str) -> None:
    soql = f"SELECT Id, Name FROM Contact WHERE Id = '{contact}' FOR VIEW"
    viewed = sf_target.request("GET", sf_target.data("/query"), params={"q": soql})
    assert viewed.status_code == 200, viewed.text
    recent = sf_target.request("GET", sf_target.data("/recent"), params={"limit": "5"})
    assert recent.status_code == 200, recent.text
    first = recent.json()[0]
    assert first["Id"] == contact
    assert first["attributes"]["type"] == "Contact"


def test_sosl_errors(sf_target: WireTarget) -> None:
    response = sf_target.request("GET", sf_target.data("/search"), params={"q": "FIND Acme"})
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "MALFORMED_SEARCH"
    unknown = sf_target.request(
        "GET", sf_target.data("/search"), params={"q": "FIND {Acme} RETURNING Nope__c"}
    )
    assert unknown.status_code == 400
    assert unknown.json()[0]["errorCode"] == "INVALID_TYPE"


def test_tooling_query_answers(sf_target: WireTarget) -> None:
    soql = "SELECT Id, Status, SandboxName FROM SandboxProcess WHERE SandboxName = 'q2cNoSuchSandbox'"
    response = sf_target.request("GET", sf_target.data("/tooling/query"), params={"q": soql})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["size"], body["totalSize"], body["done"], body["records"]) == (0, 0, True, [])


def test_soap_session_calls_and_unknown_operation(sf_target: WireTarget) -> None:
    def call(operation: str) -> tuple[int, ElementTree.Element]:
        envelope = (
            '<se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Header>'
            f'<SessionHeader xmlns="urn:partner.soap.sforce.com"><sessionId>{sf_target.token}</sessionId>'
            f'</SessionHeader></se:Header><se:Body><{operation} xmlns="urn:partner.soap.sforce.com"/>'
            "</se:Body></se:Envelope>"
        )
        response = sf_target.request(
            "POST",
            "/services/Soap/u/59.0",
            auth=False,
            data=envelope,
            headers={"Content-Type": "text/xml", "SOAPAction": '""'},
        )
        return response.status_code, ElementTree.fromstring(response.content)

    status, stamp = call("getServerTimestamp")
    assert status == 200
    assert stamp.findtext(".//{urn:partner.soap.sforce.com}timestamp", "").endswith("Z")
    status, info = call("getUserInfo")
    assert status == 200
    assert info.findtext(".//{urn:partner.soap.sforce.com}userId", "").startswith("005")
    status, fault = call("describeEverything")
    assert status == 500
    assert fault.findtext(".//faultcode") == "soapenv:Client"
    assert fault.findtext(".//faultstring") == (
        "No operation available for request {urn:partner.soap.sforce.com}describeEverything, "
        "please check the WSDL for the service."
    )
