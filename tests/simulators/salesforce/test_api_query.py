"""/query and /queryAll endpoints: paging, locators, snapshot stability, errors."""

from __future__ import annotations

from urllib.parse import quote

from tests.support.salesforce import SfClient, oauth_token


def q(soql: str) -> str:
    return quote(soql)


async def test_paging_with_batch_size_and_a_stable_snapshot(sf: SfClient) -> None:
    headers = {"Sforce-Query-Options": "batchSize=200"}
    first = await sf.json(
        "GET", f"/query/?q={q('SELECT Id, Name FROM Contact ORDER BY Id')}", 200, headers=headers
    )
    assert (first["totalSize"], first["done"], len(first["records"])) == (100, True, 100)
    await sf.client.post("/__sim/seed", json={"counts": {"accounts": 450}})
    sf.token = await oauth_token(sf.client)  # seeding dropped every session
    page = await sf.json("GET", f"/query?q={q('SELECT Id FROM Account ORDER BY Id')}", 200, headers=headers)
    assert (page["totalSize"], page["done"], len(page["records"])) == (450, False, 200)
    locator = page["nextRecordsUrl"]
    assert locator.startswith("/services/data/v59.0/query/01g")
    assert locator.endswith("-200")
    seen = [r["Id"] for r in page["records"]]
    await sf.json("POST", "/sobjects/Account", 201, json={"Name": "Arrives while paging"})
    while not page["done"]:
        page = await sf.json("GET", page["nextRecordsUrl"], 200)
        assert page["totalSize"] == 450
        seen.extend(r["Id"] for r in page["records"])
    assert "nextRecordsUrl" not in page
    assert len(seen) == len(set(seen)) == 450
    assert seen == sorted(seen)


async def test_query_all_sees_the_recycle_bin(sf: SfClient) -> None:
    created = await sf.json("POST", "/sobjects/Account", 201, json={"Name": "Binned"})
    await sf.json("DELETE", f"/sobjects/Account/{created['id']}", 204)
    soql = q(f"SELECT Id, IsDeleted FROM Account WHERE Id = '{created['id']}'")
    assert (await sf.json("GET", f"/query?q={soql}", 200))["totalSize"] == 0
    found = await sf.json("GET", f"/queryAll/?q={soql}", 200)
    assert found["records"][0]["IsDeleted"] is True


async def test_query_all_locators_live_under_query_all(sf: SfClient) -> None:
    await sf.client.post("/__sim/seed", json={"counts": {"contacts": 250}})
    sf.token = await oauth_token(sf.client)
    options = {"Sforce-Query-Options": "batchSize=60"}  # clamped to the 200 minimum
    page = await sf.json("GET", f"/queryAll?q={q('SELECT Id FROM Contact')}", 200, headers=options)
    assert len(page["records"]) == 200
    assert page["nextRecordsUrl"].startswith("/services/data/v59.0/queryAll/01g")
    wrong_kind = page["nextRecordsUrl"].replace("/queryAll/", "/query/")
    assert await sf.error("GET", wrong_kind, 400) == {
        "message": "invalid query locator",
        "errorCode": "INVALID_QUERY_LOCATOR",
    }
    rest = await sf.json("GET", page["nextRecordsUrl"], 200)
    assert rest["done"] is True
    assert len(rest["records"]) == 50


async def test_count_and_errors(sf: SfClient) -> None:
    count = await sf.json("GET", f"/query?q={q('SELECT COUNT() FROM Contact')}", 200)
    assert count == {"totalSize": 100, "done": True, "records": []}
    missing = await sf.error("GET", "/query", 400)
    assert missing == {"message": "A query string has to be specified", "errorCode": "MALFORMED_QUERY"}
    malformed = await sf.error("GET", f"/query?q={q('SELECT FROM Account')}", 400)
    assert malformed["errorCode"] == "MALFORMED_QUERY"
    unknown_type = await sf.error("GET", f"/query?q={q('SELECT Id FROM Nope__c')}", 400)
    assert unknown_type["errorCode"] == "INVALID_TYPE"
    unknown_field = await sf.error("GET", f"/query?q={q('SELECT Nope FROM Account')}", 400)
    assert unknown_field["errorCode"] == "INVALID_FIELD"
    event = await sf.error("GET", f"/query?q={q('SELECT Id FROM Billing_Action__e')}", 400)
    assert event["errorCode"] == "INVALID_TYPE"
    for bad in ("/query/01g000000000000AAA-2000", "/query/garbage", "/query/01g5G0000000001AAA-x"):
        assert await sf.error("GET", bad, 400) == {
            "message": "invalid query locator",
            "errorCode": "INVALID_QUERY_LOCATOR",
        }
    bad_option = await sf.error(
        "GET", f"/query?q={q('SELECT Id FROM Account')}", 400, headers={"Sforce-Query-Options": "batchSize=x"}
    )
    assert bad_option["errorCode"] == "INVALID_HEADER_TYPE"


async def test_shapes_parent_and_child_paths(sf: SfClient) -> None:
    soql = q(
        "SELECT Id, Name, Account.Name, Account.Owner.Username FROM Contact WHERE Account.Name != null LIMIT 1"
    )
    record = (await sf.json("GET", f"/query?q={soql}", 200))["records"][0]
    assert record["attributes"]["url"].startswith("/services/data/v59.0/sobjects/Contact/")
    assert record["Account"]["attributes"]["type"] == "Account"
    assert record["Account"]["Owner"]["Username"] == "admin@q2c.local"
    children = q(
        "SELECT Name, (SELECT LastName FROM Contacts) FROM Account WHERE Id IN (SELECT AccountId FROM Contact) LIMIT 2"
    )
    rows = (await sf.json("GET", f"/services/data/v62.0/query?q={children}", 200))["records"]
    assert rows[0]["Contacts"]["done"] is True
    assert rows[0]["Contacts"]["totalSize"] >= 1
    assert rows[0]["attributes"]["url"].startswith("/services/data/v62.0/")


async def test_order_and_group_are_names_where_a_name_is_expected(sf: SfClient) -> None:
    """``Order`` is a standard object and a relationship (OrderItem.Order) as well as a keyword:
    a real org accepts it wherever a name is expected and BY does not follow."""
    orders = await sf.json("GET", f"/query?q={q('SELECT Id, Status FROM Order ORDER BY Id')}", 200)
    assert orders["totalSize"] == 10  # the seeded org's orders
    assert all(r["attributes"]["type"] == "Order" for r in orders["records"])
    assert [r["Id"] for r in orders["records"]] == sorted(r["Id"] for r in orders["records"])
    items = await sf.json(
        "GET",
        f"/query?q={q('SELECT Id, Order.Status FROM OrderItem WHERE Order.Status != null LIMIT 3')}",
        200,
    )
    assert len(items["records"]) == 3
    assert all(r["Order"]["attributes"]["type"] == "Order" for r in items["records"])
    counted = await sf.json("GET", f"/query?q={q('SELECT COUNT() FROM Order')}", 200)
    assert counted["totalSize"] == 10
    # BY still makes ORDER the keyword: a FROM without an object is an error, as before.
    body = await sf.json("GET", f"/query?q={q('SELECT Id FROM ORDER BY Id')}", 400)
    assert body[0]["errorCode"] == "MALFORMED_QUERY"
    assert "unexpected token: 'ORDER'" in body[0]["message"]
