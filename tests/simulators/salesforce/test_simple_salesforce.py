"""The real, unmodified simple-salesforce client against the simulator over HTTPS (local CA).

Login goes through the documented ``domain=`` path-injection trick (SOAP and OAuth) or
``session_id`` + ``instance_url``; every other call is the client's own code.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from tests.support.salesforce import LiveSalesforce

pytestmark = pytest.mark.slow

USER = "admin@q2c.local"
PASSWORD = "q2c-password"
TOKEN = "q2c-token"
CLIENT_ID = "q2c-local-client"
CLIENT_SECRET = "q2c-local-secret"


@pytest.fixture(autouse=True)
def fresh(live_sf: LiveSalesforce) -> Iterator[None]:
    live_sf.reset()
    yield
    live_sf.close_sessions()


def soap_domain(live: LiveSalesforce, version: str = "59.0") -> str:
    return f"{live.host}:{live.port}/services/Soap/u/{version}?x="


def oauth_domain(live: LiveSalesforce) -> str:
    return f"{live.host}:{live.port}/services/oauth2/token?x="


def soap_login(live: LiveSalesforce, **kwargs: str) -> Salesforce:
    return Salesforce(
        username=kwargs.get("username", USER),
        password=kwargs.get("password", PASSWORD),
        security_token=kwargs.get("security_token", TOKEN),
        domain=soap_domain(live, kwargs.get("version", "59.0")),
        session=live.session(),
    )


def direct(live: LiveSalesforce, token: str) -> Salesforce:
    return Salesforce(session_id=token, instance_url=live.url, session=live.session())


# -- login --------------------------------------------------------------------------------------


def test_soap_login_then_a_call(live_sf: LiveSalesforce) -> None:
    sf = soap_login(live_sf)
    assert sf.sf_instance == f"{live_sf.host}:{live_sf.port}"
    assert sf.session_id.startswith("00D")
    result = sf.query("SELECT Id, Name FROM Organization")
    assert result["totalSize"] == 1
    assert result["records"][0]["Name"] == "Q2C Sandbox"
    assert sf.is_sandbox() is False


def test_soap_login_with_a_wrong_token_fails(live_sf: LiveSalesforce) -> None:
    with pytest.raises(SalesforceAuthenticationFailed) as caught:
        soap_login(live_sf, security_token="nope")
    assert caught.value.code == "INVALID_LOGIN"
    assert caught.value.content == b"Invalid username, password, security token; or user locked out."


def test_soap_login_is_refused_from_version_65(live_sf: LiveSalesforce) -> None:
    with pytest.raises(SalesforceAuthenticationFailed) as caught:
        soap_login(live_sf, version="65.0")
    assert caught.value.code == "UNSUPPORTED_API_VERSION"
    assert b"not available in API version 65.0" in caught.value.content


def test_oauth_password_login(live_sf: LiveSalesforce) -> None:
    sf = Salesforce(
        username=USER,
        password=PASSWORD + TOKEN,
        consumer_key=CLIENT_ID,
        consumer_secret=CLIENT_SECRET,
        domain=oauth_domain(live_sf),
        session=live_sf.session(),
    )
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 50


def test_oauth_client_credentials_login(live_sf: LiveSalesforce) -> None:
    sf = Salesforce(
        consumer_key=CLIENT_ID,
        consumer_secret=CLIENT_SECRET,
        domain=oauth_domain(live_sf),
        session=live_sf.session(),
    )
    assert sf.query("SELECT Username FROM User")["records"][0]["Username"] == USER


def test_oauth_jwt_bearer_login(live_sf: LiveSalesforce) -> None:
    sf = Salesforce(
        username=USER,
        consumer_key=CLIENT_ID,
        privatekey_file=str(live_sf.jwt_key),
        domain=oauth_domain(live_sf),
        session=live_sf.session(),
    )
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == 100


def test_oauth_password_login_with_a_bad_secret_fails(live_sf: LiveSalesforce) -> None:
    with pytest.raises(SalesforceAuthenticationFailed) as caught:
        Salesforce(
            username=USER,
            password=PASSWORD + TOKEN,
            consumer_key=CLIENT_ID,
            consumer_secret="wrong",
            domain=oauth_domain(live_sf),
            session=live_sf.session(),
        )
    assert caught.value.code == "invalid_client"
    assert caught.value.content == b"invalid client credentials"


# -- records --------------------------------------------------------------------------------------


def test_create_get_update_delete(live_sf: LiveSalesforce) -> None:
    sf = soap_login(live_sf)
    created = sf.Account.create({"name": "Acme Corp", "billingcountry": "US", "Billing_Cycle__c": "Monthly"})
    assert created["success"] is True
    assert created["errors"] == []
    record_id = created["id"]
    assert len(record_id) == 18
    assert record_id.startswith("001")
    got = sf.Account.get(record_id)
    assert got["Name"] == "Acme Corp"
    assert got["BillingCountry"] == "US"
    assert got["attributes"]["url"] == f"/services/data/v59.0/sobjects/Account/{record_id}"
    assert got["CreatedDate"] == "2026-01-05T09:00:00.000+0000"
    assert sf.Account.update(record_id, {"Name": "Acme Inc"}) == 204
    assert sf.Account.get(record_id[:15])["Name"] == "Acme Inc"
    assert sf.Account.delete(record_id) == 204
    with pytest.raises(SalesforceResourceNotFound) as caught:
        sf.Account.get(record_id)
    assert caught.value.content == [
        {"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": []}
    ]
    deleted = sf.query_all(
        f"SELECT Id, IsDeleted FROM Account WHERE Id = '{record_id}'", include_deleted=True
    )
    assert deleted["records"][0]["IsDeleted"] is True


def test_upsert_creates_201_then_updates_200(live_sf: LiveSalesforce) -> None:
    sf = soap_login(live_sf)
    assert sf.Account.upsert("Billing_Account_Number__c/BAN 900", {"Name": "Upserted"}) == 201
    assert sf.Account.upsert("Billing_Account_Number__c/BAN 900", {"Name": "Upserted again"}) == 200
    response = sf.Account.upsert("Billing_Account_Number__c/BAN 900", {"Name": "Third"}, raw_response=True)
    assert response.json()["created"] is False
    record = sf.Account.get_by_custom_id("Billing_Account_Number__c", "BAN 900")
    assert record["Name"] == "Third"


def test_multiple_matches_raise_more_than_one_record(live_sf: LiveSalesforce) -> None:
    sf = soap_login(live_sf)
    first = sf.Account.create({"Name": "Twin A", "Billing_Account_Id__c": "bacc shared"})["id"]
    second = sf.Account.create({"Name": "Twin B", "Billing_Account_Id__c": "bacc shared"})["id"]
    with pytest.raises(SalesforceMoreThanOneRecord) as caught:
        sf.Account.get_by_custom_id("Billing_Account_Id__c", "bacc shared")
    assert caught.value.status == 300
    assert sorted(caught.value.content) == sorted(
        f"/services/data/v59.0/sobjects/Account/{record_id}" for record_id in (first, second)
    )
    with pytest.raises(SalesforceMoreThanOneRecord):
        sf.Account.upsert("Billing_Account_Id__c/bacc shared", {"Name": "Which one?"})


def test_query_all_over_5000_records(live_sf: LiveSalesforce) -> None:
    live_sf.seed(accounts=5200, contacts=0, products=0, orders=0)
    sf = soap_login(live_sf)
    first_page = sf.query("SELECT Id, Name FROM Account ORDER BY Name")
    assert first_page["done"] is False
    assert len(first_page["records"]) == 2000
    assert first_page["nextRecordsUrl"].startswith("/services/data/v59.0/query/01g")
    everything = sf.query_all("SELECT Id, Name, Billing_Account_Number__c FROM Account")
    assert everything["totalSize"] == 5200
    assert len({record["Id"] for record in everything["records"]}) == 5200
    pages = live_sf.control("GET", "/requests", params={"path": "/services/data/v59.0/query/01g*"})["data"]
    assert len(pages) == 2  # query_all: 2000 on the first call, then 2000 and 1200 through the locator


def test_describe(live_sf: LiveSalesforce) -> None:
    sf = soap_login(live_sf)
    described = sf.Account.describe()
    fields = {field["name"]: field for field in described["fields"]}
    ban = fields["Billing_Account_Number__c"]
    assert ban["externalId"] is True
    assert ban["unique"] is True
    assert ban["type"] == "string"
    assert fields["Billing_Sync_Status__c"]["restrictedPicklist"] is True
    assert fields["BillingAddress"]["type"] == "address"
    assert "Contacts" in {rel["relationshipName"] for rel in described["childRelationships"]}
    names = {sobject["name"] for sobject in sf.describe()["sobjects"]}
    assert {"Account", "Billing_Service__c", "Billing_Invoice__c", "Billing_Action__e", "Order"} <= names


def test_bulk2_insert_upsert_and_query(live_sf: LiveSalesforce) -> None:
    sf = soap_login(live_sf)
    records = [{"Name": f"Bulk {i}", "Billing_Account_Number__c": f"BULK-{i:04d}"} for i in range(250)]
    inserted = sf.bulk2.Account.insert(records=records, wait=0.05)
    assert inserted[0]["numberRecordsProcessed"] == 250
    assert inserted[0]["numberRecordsFailed"] == 0
    assert inserted[0]["numberRecordsTotal"] == 250
    upserts = [
        {"Name": f"Bulk {i} v2", "Billing_Account_Number__c": f"BULK-{i:04d}"} for i in range(240, 260)
    ]
    upserted = sf.bulk2.Account.upsert(
        records=upserts, external_id_field="Billing_Account_Number__c", wait=0.05
    )
    assert upserted[0]["numberRecordsProcessed"] == 20
    assert upserted[0]["numberRecordsFailed"] == 0
    job_id = upserted[0]["job_id"]
    results = sf.bulk2.Account.get_successful_records(job_id)
    rows = list(csv.DictReader(io.StringIO(results)))
    assert [row["sf__Created"] for row in rows] == ["false"] * 10 + ["true"] * 10
    pages = list(
        sf.bulk2.Account.query(
            "SELECT Id, Name FROM Account WHERE Billing_Account_Number__c LIKE 'BULK-%'",
            max_records=100,
            wait=0.05,
        )
    )
    assert len(pages) == 3
    names = [row["Name"] for page in pages for row in csv.DictReader(io.StringIO(page))]
    assert len(names) == 260
    assert "Bulk 259 v2" in names


def test_bulk2_failed_records_report_their_errors(live_sf: LiveSalesforce) -> None:
    sf = soap_login(live_sf)
    result = sf.bulk2.Account.insert(records=[{"Name": "Good"}, {"Name": ""}], wait=0.05)
    assert result[0]["numberRecordsFailed"] == 1
    failed = list(csv.DictReader(io.StringIO(sf.bulk2.Account.get_failed_records(result[0]["job_id"]))))
    assert failed == [
        {
            "sf__Id": "",
            "sf__Error": "REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name",
            "Name": "",
        }
    ]


def test_api_usage_comes_from_sforce_limit_info(live_sf: LiveSalesforce) -> None:
    sf = soap_login(live_sf)
    sf.query("SELECT Id FROM Account LIMIT 1")
    sf.query("SELECT Id FROM Account LIMIT 1")
    usage = sf.api_usage["api-usage"]
    assert (usage.used, usage.total) == (2, 100_000)
    limits = sf.limits()
    assert limits["DailyApiRequests"] == {"Max": 100_000, "Remaining": 100_000 - 3}


# -- exceptions -------------------------------------------------------------------------------------


def test_malformed_request(live_sf: LiveSalesforce) -> None:
    sf = soap_login(live_sf)
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Account.create({"Industry": "Banking"})
    assert caught.value.status == 400
    assert caught.value.content == [
        {
            "message": "Required fields are missing: [Name]",
            "errorCode": "REQUIRED_FIELD_MISSING",
            "fields": ["Name"],
        }
    ]
    with pytest.raises(SalesforceMalformedRequest) as bad_query:
        sf.query("SELECT Id FROM Account WHERE")
    assert bad_query.value.content[0]["errorCode"] == "MALFORMED_QUERY"


def test_resource_not_found(live_sf: LiveSalesforce) -> None:
    sf = soap_login(live_sf)
    with pytest.raises(SalesforceResourceNotFound) as caught:
        sf.Account.get("001000000000000AAA")
    assert caught.value.status == 404
    assert caught.value.content == [
        {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
    ]


def test_expired_session_logs_in_again(live_sf: LiveSalesforce) -> None:
    sf = soap_login(live_sf)
    before = sf.session_id
    live_sf.advance("PT2H1M")  # past the 2-hour inactivity timeout on the virtual clock
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 50
    assert sf.session_id != before


def test_expired_session_without_login_details_raises(live_sf: LiveSalesforce) -> None:
    sf = direct(live_sf, live_sf.token())
    live_sf.advance("PT3H")
    with pytest.raises(SalesforceExpiredSession) as caught:
        sf.query("SELECT Id FROM Account")
    assert caught.value.status == 401
    assert caught.value.content == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


def test_refused_request_when_the_daily_limit_is_exhausted(live_sf: LiveSalesforce) -> None:
    sf = soap_login(live_sf, username="ops@tiny.local", password="tiny-password", security_token="tiny-token")
    for _ in range(40):
        sf.query("SELECT COUNT() FROM Account")
    assert sf.api_usage["api-usage"].used == 40
    with pytest.raises(SalesforceRefusedRequest) as caught:
        sf.query("SELECT COUNT() FROM Account")
    assert caught.value.status == 403
    assert caught.value.content == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]
    # The other org is untouched, and a day later the tiny org works again.
    assert soap_login(live_sf).query("SELECT COUNT() FROM Account")["totalSize"] == 50
    live_sf.advance("P1D")
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 50
