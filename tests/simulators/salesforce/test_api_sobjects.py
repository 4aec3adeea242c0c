"""sObject REST, versions and request hygiene through the aiohttp handlers (in-process)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from tests.support.salesforce import SfClient

NOT_FOUND = {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
INVALID_SESSION = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


async def test_versions_need_no_session_and_are_not_metered(sf: SfClient) -> None:
    for path in ("/services/data", "/services/data/"):
        response = await sf.client.get(path)
        body = await response.json()
        assert response.status == 200
        assert "Sforce-Limit-Info" not in response.headers
        assert body[0] == {"label": "Summer '14", "url": "/services/data/v31.0", "version": "31.0"}
        assert body[-1] == {"label": "Spring '26", "url": "/services/data/v66.0", "version": "66.0"}
        assert {"label": "Winter '24", "url": "/services/data/v59.0", "version": "59.0"} in body
    assert sf.state.meter.report()["total"] == 0


async def test_every_supported_version_and_latest(sf: SfClient) -> None:
    for version in ("v31.0", "v45.0", "v66.0"):
        body = await sf.json("GET", f"/services/data/{version}/", 200)
        assert body["sobjects"] == f"/services/data/{version}/sobjects"
    latest = await sf.json("GET", "/services/data/latest/sobjects/Account/describe", 200)
    assert latest["urls"]["sobject"] == "/services/data/v66.0/sobjects/Account"
    for bad in ("v30.0", "v67.0", "59.0", "v59.1"):
        assert await sf.error("GET", f"/services/data/{bad}/sobjects", 404) == NOT_FOUND


async def test_sessions(sf: SfClient) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = await sf.client.get("/services/data/v59.0/limits", headers=headers)
        assert response.status == 401
        assert await response.json() == INVALID_SESSION
    oauth = await sf.client.get(
        "/services/data/v59.0/limits/", headers={"Authorization": f"OAuth {sf.token}"}
    )
    assert oauth.status == 200


async def test_create_get_with_fields_update_delete(sf: SfClient) -> None:
    created = await sf.json("POST", "/sobjects/Account/", 201, json={"NAME": "Acme", "billingcity": "Lyon"})
    assert created == {"id": created["id"], "success": True, "errors": []}
    record_id = created["id"]
    got = await sf.json("GET", f"/sobjects/Account/{record_id}?fields=Name,BILLINGCITY,Id", 200)
    assert got == {
        "attributes": {"type": "Account", "url": f"/services/data/v59.0/sobjects/Account/{record_id}"},
        "Name": "Acme",
        "BillingCity": "Lyon",
        "Id": record_id,
    }
    full = await sf.json("GET", f"/sobjects/Account/{record_id.lower()}/", 200)
    assert full["CreatedDate"] == "2026-01-05T09:00:00.000+0000"
    assert full["BillingAddress"]["city"] == "Lyon"
    assert full["Billing_Sync_Status__c"] is None
    bad_field = await sf.error("GET", f"/sobjects/Account/{record_id}?fields=Name,Nope", 400)
    assert bad_field["errorCode"] == "INVALID_FIELD"
    assert bad_field["message"].startswith("No such column 'Nope' on entity 'Account'.")
    assert await sf.json("PATCH", f"/sobjects/Account/{record_id}", 204, json={"Name": "Acme 2"}) is None
    assert (await sf.json("GET", f"/sobjects/Account/{record_id}", 200))["Name"] == "Acme 2"
    assert await sf.json("DELETE", f"/sobjects/Account/{record_id}/", 204) is None
    gone = {"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": []}
    assert await sf.error("GET", f"/sobjects/Account/{record_id}", 404) == gone
    assert await sf.error("DELETE", f"/sobjects/Account/{record_id}", 404) == gone
    assert await sf.error("PATCH", f"/sobjects/Account/{record_id}", 404, json={"Name": "x"}) == gone


async def test_head_answers_like_get_without_a_body(sf: SfClient) -> None:
    response = await sf.call("HEAD", "/sobjects/Account/describe")
    assert response.status == 200
    assert await response.read() == b""


async def test_not_found_variants(sf: SfClient) -> None:
    assert await sf.error("GET", "/sobjects/Nope__c/describe", 404) == NOT_FOUND
    assert await sf.error("GET", "/sobjects/Account/001000000000000AAA", 404) == NOT_FOUND
    contact_id = (await sf.json("POST", "/sobjects/Contact", 201, json={"LastName": "K"}))["id"]
    assert await sf.error("GET", f"/sobjects/Account/{contact_id}", 404) == NOT_FOUND
    malformed = await sf.error("GET", "/sobjects/Account/xyz", 404)
    assert malformed == {
        "message": "Provided external ID field does not exist or is not accessible: xyz",
        "errorCode": "NOT_FOUND",
    }
    assert await sf.error("GET", "/no/such/resource", 404) == NOT_FOUND


async def test_wrong_methods_are_405_with_allow(sf: SfClient) -> None:
    response = await sf.call("PUT", "/sobjects/Account/001000000000000AAA")
    assert response.status == 405
    assert response.headers["Allow"] == "DELETE,GET,HEAD,PATCH,POST"
    assert await response.json() == [
        {
            "message": "HTTP Method 'PUT' not allowed. Allowed are DELETE,GET,HEAD,PATCH,POST",
            "errorCode": "METHOD_NOT_ALLOWED",
        }
    ]
    describe = await sf.call("DELETE", "/sobjects/Account/describe/")
    assert describe.status == 405
    assert describe.headers["Allow"] == "GET,HEAD"
    query = await sf.call("POST", "/query")
    assert query.status == 405
    assert query.headers["Allow"] == "GET,HEAD"
    assert "Sforce-Limit-Info" in query.headers


async def test_upsert_statuses_follow_the_version(sf: SfClient) -> None:
    path = "/sobjects/Account/Billing_Account_Number__c/BAN-77"
    created = await sf.json("PATCH", path, 201, json={"Name": "New"})
    assert created == {"id": created["id"], "success": True, "errors": [], "created": True}
    updated = await sf.json("PATCH", path, 200, json={"Name": "Again"})
    assert updated == {"id": created["id"], "success": True, "errors": [], "created": False}
    old = "/services/data/v45.0/sobjects/Account/Billing_Account_Number__c"
    assert await sf.json("PATCH", f"{old}/BAN-77", 204, json={"Name": "Old client"}) is None
    created_old = await sf.json("PATCH", f"{old}/BAN-78", 201, json={"Name": "Old create"})
    assert "created" not in created_old
    missing = await sf.error(
        "PATCH", "/sobjects/Account/Billing_Account_Number__c/BAN-79?updateOnly=true", 404, json={"Name": "x"}
    )
    assert missing == NOT_FOUND


async def test_external_id_values_decode_plus_and_percent_20(sf: SfClient) -> None:
    await sf.json(
        "PATCH",
        "/sobjects/Account/Billing_Account_Number__c/BAN%20WITH%20SPACE",
        201,
        json={"Name": "Spaced"},
    )
    for encoded in ("BAN+WITH+SPACE", "BAN%20WITH%20SPACE", "ban+with+space"):
        got = await sf.json("GET", f"/sobjects/Account/Billing_Account_Number__c/{encoded}", 200)
        assert got["Billing_Account_Number__c"] == "BAN WITH SPACE"
    plus = await sf.json(
        "PATCH", "/sobjects/Account/Billing_Account_Number__c/A%2BB", 201, json={"Name": "Plus"}
    )
    assert (await sf.json("GET", f"/sobjects/Account/{plus['id']}", 200))[
        "Billing_Account_Number__c"
    ] == "A+B"


async def test_several_matches_answer_300_with_urls(sf: SfClient) -> None:
    ids = [
        (await sf.json("POST", "/sobjects/Account", 201, json={"Name": n, "Billing_Account_Id__c": "dup"}))[
            "id"
        ]
        for n in ("A", "B")
    ]
    urls = [f"/services/data/v59.0/sobjects/Account/{i}" for i in ids]
    assert sorted(await sf.json("GET", "/sobjects/Account/Billing_Account_Id__c/dup", 300)) == sorted(urls)
    assert sorted(
        await sf.json("PATCH", "/sobjects/Account/Billing_Account_Id__c/dup", 300, json={"Name": "?"})
    ) == sorted(urls)
    assert sorted(await sf.json("DELETE", "/sobjects/Account/Billing_Account_Id__c/dup", 300)) == sorted(urls)
    not_external = await sf.error("GET", "/sobjects/Account/Name/x", 400)
    assert (
        not_external["message"]
        == "Field name provided, Name is not an External ID or indexed field for Account"
    )


async def test_delete_by_external_id_and_create_with_id(sf: SfClient) -> None:
    await sf.json(
        "PATCH", "/sobjects/Account/Billing_Account_Number__c/DEL-1", 201, json={"Name": "To delete"}
    )
    assert await sf.json("DELETE", "/sobjects/Account/Billing_Account_Number__c/DEL-1", 204) is None
    assert await sf.error("GET", "/sobjects/Account/Billing_Account_Number__c/DEL-1", 404) == NOT_FOUND
    created = await sf.json("POST", "/sobjects/Account/Id", 201, json={"Name": "By Id"})
    assert created["created"] is True


async def test_bad_bodies(sf: SfClient) -> None:
    bad_json = await sf.error(
        "POST", "/sobjects/Account", 400, data=b'{"Name": ', headers={"Content-Type": "application/json"}
    )
    assert bad_json["errorCode"] == "JSON_PARSER_ERROR"
    assert "[line:1, column:10]" in bad_json["message"]
    array = await sf.error("POST", "/sobjects/Account", 400, json=[{"Name": "x"}])
    assert array == {
        "message": "Cannot deserialize instance of object from START_ARRAY value at [line:1, column:1]",
        "errorCode": "JSON_PARSER_ERROR",
    }
    empty = await sf.error(
        "POST", "/sobjects/Account", 400, data=b"", headers={"Content-Type": "application/json"}
    )
    assert empty["errorCode"] == "JSON_PARSER_ERROR"
    form = await sf.error("POST", "/sobjects/Account", 415, data={"Name": "x"})
    assert form == {
        "message": "Content type 'application/x-www-form-urlencoded' is not supported for this resource.",
        "errorCode": "UNSUPPORTED_MEDIA_TYPE",
    }
    nested = await sf.error(
        "POST", "/sobjects/Account", 400, data=b"[" * 100_000, headers={"Content-Type": "application/json"}
    )
    assert nested["errorCode"] == "JSON_PARSER_ERROR"
    nan = await sf.error(
        "POST", "/sobjects/Account", 400, data=b'{"Name": NaN}', headers={"Content-Type": "application/json"}
    )
    assert nan["errorCode"] == "JSON_PARSER_ERROR"


async def test_huge_bodies_are_413(make_client: Callable[..., Awaitable[SfClient]]) -> None:
    small = await make_client(max_body_bytes=1024)
    response = await small.call("POST", "/sobjects/Account", json={"Name": "x" * 5000})
    assert response.status == 413
    assert await response.json() == [
        {"message": "The request body is too large.", "errorCode": "REQUEST_ENTITY_TOO_LARGE"}
    ]
    # Refused by the shared HTTP limits before the body is read: neither authenticated nor metered.
    assert "Sforce-Limit-Info" not in response.headers


async def test_describe_and_basic_info(sf: SfClient) -> None:
    everything = await sf.json("GET", "/sobjects", 200)
    assert everything["maxBatchSize"] == 200
    assert everything["encoding"] == "UTF-8"
    info = await sf.json("GET", "/sobjects/Contact/", 200)
    assert info["objectDescribe"]["name"] == "Contact"
    assert len(info["recentItems"]) == 5
    assert set(info["recentItems"][0]) == {"attributes", "Id", "Name"}


async def test_platform_events_are_published(sf: SfClient) -> None:
    published = await sf.json("POST", "/sobjects/Billing_Action__e", 201, json={"Action__c": "link_account"})
    assert published["id"].startswith("e00")
    assert published["success"] is True
    assert await sf.error("GET", f"/sobjects/Billing_Action__e/{published['id']}", 404) == NOT_FOUND


async def test_updated_and_deleted_windows(sf: SfClient) -> None:
    created = await sf.json("POST", "/sobjects/Account", 201, json={"Name": "Fresh"})
    await sf.client.post("/__sim/clock", json={"advance_by": "PT10M"})
    await sf.json("DELETE", f"/sobjects/Account/{created['id']}", 204)
    await sf.client.post("/__sim/clock", json={"advance_by": "PT10M"})
    window = "start=2026-01-05T08%3A00%3A00%2B00%3A00&end=2026-01-05T10%3A00%3A00%2B00%3A00"
    updated = await sf.json("GET", f"/sobjects/Account/updated/?{window}", 200)
    assert created["id"] not in updated["ids"]
    assert len(updated["ids"]) == 50
    assert updated["latestDateCovered"] == "2026-01-05T09:20:00.000+0000"
    deleted = await sf.json("GET", f"/sobjects/Account/deleted/?{window}", 200)
    assert deleted["deletedRecords"] == [{"id": created["id"], "deletedDate": "2026-01-05T09:10:00.000+0000"}]
    short = await sf.error(
        "GET", "/sobjects/Account/updated?start=2026-01-05T09:00:00Z&end=2026-01-05T09:00:30Z", 400
    )
    assert short == {
        "message": "startDate must chronologically precede endDate by more than one minute",
        "errorCode": "INVALID_REPLICATION_DATE",
    }
    missing = await sf.error("GET", "/sobjects/Account/deleted", 400)
    assert missing == {"message": "Missing required parameter: start", "errorCode": "MISSING_ARGUMENT"}


async def test_orgs_are_isolated(sf: SfClient) -> None:
    from tests.support.salesforce import oauth_token

    tiny = await oauth_token(
        sf.client, "ops@tiny.local", "tiny-passwordtiny-token", "tiny-client", "tiny-secret"
    )
    mine = await sf.json(
        "POST", "/sobjects/Account", 201, json={"Name": "Mine", "Billing_Account_Number__c": "ISO-1"}
    )
    assert await sf.error("GET", f"/sobjects/Account/{mine['id']}", 404, token=tiny) == NOT_FOUND
    assert (
        await sf.error("GET", "/sobjects/Account/Billing_Account_Number__c/ISO-1", 404, token=tiny)
        == NOT_FOUND
    )
    theirs = await sf.json("GET", "/query?q=SELECT+Name+FROM+Organization", 200, token=tiny)
    assert theirs["records"][0]["Name"] == "Tiny Org"
    # The same external id in the other org is a different record, not a duplicate.
    await sf.json(
        "PATCH", "/sobjects/Account/Billing_Account_Number__c/ISO-1", 201, json={"Name": "Theirs"}, token=tiny
    )


async def test_country_rule_over_http(make_client: Callable[..., Awaitable[SfClient]]) -> None:
    strict = await make_client(country_rule=True)
    refused = await strict.error(
        "POST", "/sobjects/Account", 400, json={"Name": "US Co", "BillingCountry": "United States"}
    )
    assert refused == {
        "message": "Billing Country must be a two-letter ISO 3166-1 code, e.g. US",
        "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "fields": ["BillingCountry"],
    }
    await strict.json("POST", "/sobjects/Account", 201, json={"Name": "US Co", "BillingCountry": "US"})
    described = await strict.json("GET", "/sobjects/Account/describe", 200)
    assert described["name"] == "Account"


async def test_schema_files_extend_the_org(
    make_client: Callable[..., Awaitable[SfClient]], tmp_path: Path
) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        "objects:\n  Work_Order__c:\n    fields:\n"
        "      - {name: Account__c, type: reference, referenceTo: [Account], relationshipName: Account__r,"
        " childRelationship: Work_Orders__r}\n",
        encoding="utf-8",
    )
    sf = await make_client(schema_files=(extra,))
    account = await sf.json("POST", "/sobjects/Account", 201, json={"Name": "Parent"})
    order = await sf.json(
        "POST", "/sobjects/Work_Order__c", 201, json={"Name": "WO-1", "Account__c": account["id"]}
    )
    # Custom prefixes continue in declaration order after the built-in custom objects (a00-a04).
    assert order["id"].startswith("a05")
    soql = "SELECT Name, (SELECT Name FROM Work_Orders__r) FROM Account WHERE Id = '" + account["id"] + "'"
    found = await sf.json("GET", "/query", 200, params={"q": soql})
    assert found["records"][0]["Work_Orders__r"]["records"][0]["Name"] == "WO-1"
