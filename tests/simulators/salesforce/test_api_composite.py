"""sObject Collections, /composite, /composite/batch and /composite/tree."""

from __future__ import annotations

from typing import Any

from tests.support.salesforce import SfClient

ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the request was using AllOrNone header",
    "fields": [],
}
HALTED = {
    "errorCode": "PROCESSING_HALTED",
    "message": "The transaction was rolled back since another operation in the same transaction failed.",
}


def acc(**fields: Any) -> dict[str, Any]:
    return {"attributes": {"type": "Account"}, **fields}


async def count(sf: SfClient, soql: str) -> int:
    body = await sf.json("GET", "/query", 200, params={"q": soql})
    total: int = body["totalSize"]
    return total


# -- collections ----------------------------------------------------------------------------------


async def test_create_mixed_types_partial_success(sf: SfClient) -> None:
    records = [
        acc(Name="One"),
        {"attributes": {"type": "Contact"}, "LastName": "Two"},
        acc(Industry="no name"),
    ]
    results = await sf.json("POST", "/composite/sobjects", 200, json={"allOrNone": False, "records": records})
    assert results[0]["success"] is True
    assert results[0]["id"].startswith("001")
    assert results[1]["success"] is True
    assert results[1]["id"].startswith("003")
    assert results[2] == {
        "success": False,
        "errors": [
            {
                "statusCode": "REQUIRED_FIELD_MISSING",
                "message": "Required fields are missing: [Name]",
                "fields": ["Name"],
            }
        ],
    }
    assert await count(sf, "SELECT COUNT() FROM Account WHERE Name = 'One'") == 1


async def test_all_or_none_rolls_everything_back(sf: SfClient) -> None:
    before = await count(sf, "SELECT COUNT() FROM Account")
    records = [
        acc(Name="A", Billing_Account_Number__c="AON-1"),
        acc(Name="B", Billing_Sync_Status__c="Bogus"),
        acc(Name="C"),
    ]
    results = await sf.json("POST", "/composite/sobjects/", 200, json={"allOrNone": True, "records": records})
    assert results[0] == {"success": False, "errors": [ROLLED_BACK]}
    assert results[1]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert results[2] == {"success": False, "errors": [ROLLED_BACK]}
    assert await count(sf, "SELECT COUNT() FROM Account") == before
    # The rolled-back unique value is free again.
    again = await sf.json(
        "POST",
        "/composite/sobjects",
        200,
        json={"records": [acc(Name="A", Billing_Account_Number__c="AON-1")]},
    )
    assert again[0]["success"] is True


async def test_update_upsert_retrieve_delete(sf: SfClient) -> None:
    created = await sf.json(
        "POST", "/composite/sobjects", 200, json={"records": [acc(Name="X"), acc(Name="Y")]}
    )
    ids = [r["id"] for r in created]
    updates = [
        acc(id=ids[0], Name="X2"),
        acc(Id=ids[1], Name="Y2"),
        acc(Name="no id"),
        acc(id="001000000000000AAA", Name="ghost"),
    ]
    updated = await sf.json("PATCH", "/composite/sobjects", 200, json={"records": updates})
    assert [r["success"] for r in updated] == [True, True, False, False]
    assert updated[2]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"
    assert updated[3] == {
        "id": "001000000000000AAA",
        "success": False,
        "errors": [
            {
                "statusCode": "INVALID_CROSS_REFERENCE_KEY",
                "message": "invalid cross reference id",
                "fields": [],
            }
        ],
    }
    upserts = [
        acc(Billing_Account_Number__c="UP-1", Name="new"),
        {"Billing_Account_Number__c": "UP-1", "Name": "dup in batch"},
    ]
    upserted = await sf.json(
        "PATCH", "/composite/sobjects/Account/Billing_Account_Number__c", 200, json={"records": upserts}
    )
    assert [(r["success"], r["created"]) for r in upserted] == [(True, True), (True, False)]
    got = await sf.json(
        "GET", f"/composite/sobjects/Account?ids={ids[0]},{ids[1]},001000000000000AAA&fields=Id,Name", 200
    )
    assert [r and r["Name"] for r in got] == ["X2", "Y2", None]
    posted = await sf.json(
        "POST", "/composite/sobjects/Account", 200, json={"ids": [ids[0]], "fields": ["Name"]}
    )
    assert posted[0]["Name"] == "X2"
    deleted = await sf.json("DELETE", f"/composite/sobjects?ids={ids[0]},{ids[0]},bad&allOrNone=false", 200)
    assert [r["success"] for r in deleted] == [True, False, False]
    assert deleted[1]["errors"][0]["statusCode"] == "ENTITY_IS_DELETED"
    assert deleted[2]["errors"][0] == {
        "statusCode": "MALFORMED_ID",
        "message": "malformed id bad",
        "fields": [],
    }


async def test_collection_limits_and_bad_input(sf: SfClient) -> None:
    too_many = await sf.error(
        "POST", "/composite/sobjects", 400, json={"records": [acc(Name=str(i)) for i in range(201)]}
    )
    assert too_many == {
        "message": "record limit reached. cannot submit more than 200 records into this call",
        "errorCode": "EXCEEDED_ID_LIMIT",
    }
    no_type = await sf.json("POST", "/composite/sobjects", 200, json={"records": [{"Name": "x"}]})
    assert no_type[0]["errors"] == [
        {"statusCode": "INVALID_TYPE", "message": "Must send a concrete entity type.", "fields": []}
    ]
    with_id = await sf.json(
        "POST", "/composite/sobjects", 200, json={"records": [acc(Id="001000000000000AAA", Name="x")]}
    )
    assert with_id[0]["errors"][0]["message"] == "cannot specify Id in an insert call"
    not_list = await sf.error("POST", "/composite/sobjects", 400, json={"records": "nope"})
    assert not_list["errorCode"] == "JSON_PARSER_ERROR"
    no_fields = await sf.error("GET", "/composite/sobjects/Account?ids=001000000000000AAA", 400)
    assert no_fields == {"message": "fields: required parameter missing", "errorCode": "MISSING_ARGUMENT"}


# -- composite --------------------------------------------------------------------------------------


def sub(method: str, url: str, ref: str, body: Any = None) -> dict[str, Any]:
    item: dict[str, Any] = {"method": method, "url": f"/services/data/v59.0{url}", "referenceId": ref}
    if body is not None:
        item["body"] = body
    return item


async def test_composite_references_and_locations(sf: SfClient) -> None:
    requests = [
        sub("POST", "/sobjects/Account", "newAccount", {"Name": "Composite Co"}),
        sub("POST", "/sobjects/Contact", "newContact", {"LastName": "Ref", "AccountId": "@{newAccount.id}"}),
        sub("GET", "/query?q=SELECT+Id,Name+FROM+Account+WHERE+Name='Composite+Co'", "found"),
        sub(
            "PATCH",
            "/sobjects/Account/@{found.records[0].Id}",
            "rename",
            {"Description": "Contact @{newContact.id}"},
        ),
        sub("GET", "/sobjects/Account/@{newAccount.id}?fields=Description", "check"),
    ]
    body = await sf.json("POST", "/composite", 200, json={"compositeRequest": requests})
    responses = body["compositeResponse"]
    assert [r["httpStatusCode"] for r in responses] == [201, 201, 200, 204, 200]
    account_id = responses[0]["body"]["id"]
    assert responses[0]["httpHeaders"] == {"Location": f"/services/data/v59.0/sobjects/Account/{account_id}"}
    assert responses[2]["body"]["records"][0]["Id"] == account_id
    assert responses[4]["body"]["Description"] == f"Contact {responses[1]['body']['id']}"
    assert [r["referenceId"] for r in responses] == ["newAccount", "newContact", "found", "rename", "check"]


async def test_composite_all_or_none_is_a_real_rollback(sf: SfClient) -> None:
    before = await count(sf, "SELECT COUNT() FROM Account")
    requests = [
        sub("POST", "/sobjects/Account", "first", {"Name": "Rolled back"}),
        sub("POST", "/sobjects/Contact", "broken", {"AccountId": "@{first.id}"}),
        sub("POST", "/sobjects/Account", "never", {"Name": "Never runs"}),
    ]
    body = await sf.json("POST", "/composite", 200, json={"allOrNone": True, "compositeRequest": requests})
    responses = body["compositeResponse"]
    assert responses[0] == {
        "body": [HALTED],
        "httpHeaders": {},
        "httpStatusCode": 400,
        "referenceId": "first",
    }
    assert responses[1]["httpStatusCode"] == 400
    assert responses[1]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert responses[2]["body"] == [HALTED]
    assert await count(sf, "SELECT COUNT() FROM Account") == before


async def test_composite_without_all_or_none_keeps_independent_work(sf: SfClient) -> None:
    requests = [
        sub("POST", "/sobjects/Contact", "broken", {"FirstName": "no last name"}),
        sub("PATCH", "/sobjects/Contact/@{broken.id}", "dependent", {"LastName": "x"}),
        sub("POST", "/sobjects/Account", "independent", {"Name": "Kept"}),
    ]
    responses = (await sf.json("POST", "/composite", 200, json={"compositeRequest": requests}))[
        "compositeResponse"
    ]
    assert [r["httpStatusCode"] for r in responses] == [400, 400, 201]
    assert responses[1]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert responses[1]["body"][0]["message"].startswith(
        "Invalid reference specified. No value for broken.id found in broken."
    )
    assert await count(sf, "SELECT COUNT() FROM Account WHERE Name = 'Kept'") == 1


async def test_composite_limits(sf: SfClient) -> None:
    many = [sub("GET", "/limits", f"r{i}") for i in range(26)]
    assert await sf.error("POST", "/composite", 400, json={"compositeRequest": many}) == {
        "message": "Exceeded max limit of subrequests allowed: 25",
        "errorCode": "LIMIT_EXCEEDED",
    }
    queries = [sub("GET", "/query?q=SELECT+Id+FROM+Account", f"q{i}") for i in range(6)]
    too_heavy = await sf.error("POST", "/composite", 400, json={"compositeRequest": queries})
    assert too_heavy["message"] == "Exceeded max limit of 5 query or collection subrequests"
    duplicate = [
        sub("GET", "/sobjects/Account/describe", "same"),
        sub("GET", "/sobjects/Account/describe", "same"),
    ]
    assert (await sf.error("POST", "/composite", 400, json={"compositeRequest": duplicate}))[
        "errorCode"
    ] == "DUPLICATE_VALUE"
    nested = await sf.json(
        "POST", "/composite", 200, json={"compositeRequest": [sub("POST", "/composite", "inner", {})]}
    )
    assert nested["compositeResponse"][0]["body"][0]["errorCode"] == "INVALID_API_INPUT"
    bad_url = await sf.error(
        "POST",
        "/composite",
        400,
        json={"compositeRequest": [{"method": "GET", "url": "/x", "referenceId": "a"}]},
    )
    assert bad_url["errorCode"] == "JSON_PARSER_ERROR"


# -- batch ------------------------------------------------------------------------------------------


async def test_batch_rich_input_and_halt_on_error(sf: SfClient) -> None:
    created = await sf.json("POST", "/sobjects/Account", 201, json={"Name": "Batched"})
    requests = [
        {
            "method": "PATCH",
            "url": f"v59.0/sobjects/account/{created['id']}",
            "richInput": {"Name": "Batched 2"},
        },
        {"method": "GET", "url": f"v59.0/sobjects/Account/{created['id']}?fields=Name"},
        {"method": "GET", "url": "v59.0/sobjects/Account/001000000000000AAA"},
        {"method": "GET", "url": "/services/data/v59.0/limits"},
    ]
    body = await sf.json("POST", "/composite/batch", 200, json={"batchRequests": requests})
    assert body["hasErrors"] is True
    assert [r["statusCode"] for r in body["results"]] == [204, 200, 404, 200]
    assert body["results"][0]["result"] is None
    assert body["results"][1]["result"]["Name"] == "Batched 2"
    halted = await sf.json(
        "POST", "/composite/batch", 200, json={"haltOnError": True, "batchRequests": requests[2:]}
    )
    assert halted["results"][1] == {
        "statusCode": 412,
        "result": [
            {"errorCode": "BATCH_PROCESSING_HALTED", "message": "Batch processing halted per request"}
        ],
    }


# -- tree -------------------------------------------------------------------------------------------


async def test_tree_creates_nested_records(sf: SfClient) -> None:
    tree = {
        "records": [
            {
                "attributes": {"type": "Account", "referenceId": "ref1"},
                "Name": "Tree Top",
                "Contacts": {
                    "records": [
                        {"attributes": {"type": "Contact", "referenceId": "ref2"}, "LastName": "Leaf"},
                        {"attributes": {"type": "Contact", "referenceId": "ref3"}, "LastName": "Other leaf"},
                    ]
                },
            }
        ]
    }
    body = await sf.json("POST", "/composite/tree/Account/", 201, json=tree)
    assert body["hasErrors"] is False
    assert [r["referenceId"] for r in body["results"]] == ["ref1", "ref2", "ref3"]
    account_id = body["results"][0]["id"]
    assert await count(sf, f"SELECT COUNT() FROM Contact WHERE AccountId = '{account_id}'") == 2


async def test_tree_failure_lists_only_failing_references_and_commits_nothing(sf: SfClient) -> None:
    before = await count(sf, "SELECT COUNT() FROM Account")
    tree = {
        "records": [
            {"attributes": {"type": "Account", "referenceId": "ok"}, "Name": "Fine"},
            {"attributes": {"type": "Account", "referenceId": "bad"}, "Name": "Bad", "Phone": "1" * 41},
        ]
    }
    body = await sf.json("POST", "/composite/tree/Account", 400, json=tree)
    assert body == {
        "hasErrors": True,
        "results": [
            {
                "referenceId": "bad",
                "errors": [
                    {
                        "statusCode": "STRING_TOO_LONG",
                        "message": f"Account Phone: data value too large: {'1' * 41} (max length=40)",
                        "fields": ["Phone"],
                    }
                ],
            }
        ],
    }
    assert await count(sf, "SELECT COUNT() FROM Account") == before
    wrong_type = await sf.error(
        "POST",
        "/composite/tree/Account",
        400,
        json={"records": [{"attributes": {"type": "Contact", "referenceId": "x"}, "LastName": "x"}]},
    )
    assert wrong_type == {"message": "Record x must have type Account", "errorCode": "INVALID_INPUT"}
    many = {
        "records": [
            {"attributes": {"type": "Account", "referenceId": f"r{i}"}, "Name": "n"} for i in range(201)
        ]
    }
    assert (await sf.error("POST", "/composite/tree/Account", 400, json=many))[
        "errorCode"
    ] == "EXCEEDED_ID_LIMIT"
