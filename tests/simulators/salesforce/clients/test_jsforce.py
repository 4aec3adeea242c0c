"""jsforce (npm ``jsforce`` 3.x, pinned), unmodified, against the simulator over HTTPS: login by
every flow it offers (SOAP, OAuth password, client credentials, an existing token), describe, CRUD,
upsert, collections, query with paging and autoFetch, ``recent()``, ``search()``, Bulk API 2.0,
composite, ``limits()``, errors, session expiry and SOAP ``logout()`` (its streaming client:
tests/simulators/salesforce/cometd/test_node_clients.py).

Each test is one small Node script that prints a JSON document; the assertions are here. The
script gets the simulator's URL in ``SIM`` and, where needed, a token in ``TOKEN``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.node_clients import NodeClients
from tests.support.salesforce import LiveSalesforce

pytestmark = pytest.mark.slow

USER = "admin@q2c.local"
PASSWORD = "q2c-passwordq2c-token"

# Every script: jsforce in scope, `main` awaited, its value printed as JSON; a thrown error
# prints {"error": {name, errorCode, message}} instead (the test asserts what it expects).
PRELUDE = """
const jsforce = require('jsforce');
const SIM = process.env.SIM;
const soapLogin = async (version = '59.0') => {
  const conn = new jsforce.Connection({ loginUrl: SIM, version });
  await conn.login('admin@q2c.local', 'q2c-passwordq2c-token');
  return conn;
};
const caught = async (promise) => {
  try { return { value: await promise }; }
  catch (e) { return { error: { name: e.name, errorCode: e.errorCode, message: e.message } }; }
};
"""
RUN = """
main().then((value) => { console.log(JSON.stringify(value)); process.exit(0); },
  (e) => { console.log(JSON.stringify({ error: { name: e.name, errorCode: e.errorCode, message: e.message, stack: e.stack } })); process.exit(0); });
"""


def run(clients: NodeClients, live: LiveSalesforce, body: str, **env: str) -> Any:
    result = clients.js(PRELUDE + body + RUN, SIM=live.url, **env)
    assert not (isinstance(result, dict) and "error" in result and len(result) == 1), result
    return result


@pytest.fixture(autouse=True)
def fresh(live_sf: LiveSalesforce) -> None:
    live_sf.reset()


# -- login, every flow ----------------------------------------------------------------------------


def test_login_flows(clients: NodeClients, live_sf: LiveSalesforce) -> None:
    result = run(
        clients,
        live_sf,
        """
async function main() {
  const soap = await soapLogin();
  const password = new jsforce.Connection({ oauth2: { loginUrl: SIM, clientId: 'q2c-local-client',
    clientSecret: 'q2c-local-secret' }, version: '59.0' });
  await password.login('admin@q2c.local', 'q2c-passwordq2c-token');
  const cc = new jsforce.Connection({ oauth2: { loginUrl: SIM, clientId: 'q2c-local-client',
    clientSecret: 'q2c-local-secret' }, version: '59.0' });
  const ccInfo = await cc.authorize({ grant_type: 'client_credentials' });
  const token = new jsforce.Connection({ instanceUrl: SIM, accessToken: process.env.TOKEN });
  const org = async (conn) => (await conn.query('SELECT Name FROM Organization')).records[0].Name;
  return {
    soap: { userId: soap.userInfo.id, org: await org(soap), identity: (await soap.identity()).username },
    password: { org: await org(password), instanceUrl: password.instanceUrl },
    clientCredentials: { org: await org(cc), userId: ccInfo.id },
    token: { org: await org(token), version: token.version },
  };
}
""",
        TOKEN=live_sf.token(),
    )
    assert result["soap"]["userId"].startswith("005")
    assert result["soap"]["identity"] == USER
    assert {result[k]["org"] for k in ("soap", "password", "clientCredentials", "token")} == {"Q2C Sandbox"}
    assert result["password"]["instanceUrl"] == live_sf.url
    assert result["clientCredentials"]["userId"] == result["soap"]["userId"]
    assert result["token"]["version"] == "50.0"  # jsforce's default for a token-only connection


def test_soap_logout_ends_the_session(clients: NodeClients, live_sf: LiveSalesforce) -> None:
    result = run(
        clients,
        live_sf,
        """
async function main() {
  const conn = await soapLogin();
  const token = conn.accessToken;
  await conn.logout();
  const again = new jsforce.Connection({ instanceUrl: SIM, accessToken: token, version: '59.0' });
  return { loggedOut: conn.accessToken == null, after: await caught(again.query('SELECT Id FROM Account')) };
}
""",
    )
    assert result["loggedOut"] is True
    assert result["after"]["error"]["errorCode"] == "INVALID_SESSION_ID"
    assert result["after"]["error"]["message"] == "Session expired or invalid"


# -- records ------------------------------------------------------------------------------------


def test_describe_crud_upsert_and_collections(clients: NodeClients, live_sf: LiveSalesforce) -> None:
    result = run(
        clients,
        live_sf,
        """
async function main() {
  const conn = await soapLogin();
  const described = await conn.sobject('Account').describe();
  const global = await conn.describeGlobal();
  const created = await conn.sobject('Account').create({ Name: 'JS Co', Industry: 'Retail' });
  await conn.sobject('Account').update({ Id: created.id, Name: 'JS Renamed Co' });
  const read = await conn.sobject('Account').retrieve(created.id);
  const upsert1 = await conn.sobject('Account').upsert(
    { Name: 'JS Upsert Co', Billing_Account_Number__c: 'BAN-JS-1' }, 'Billing_Account_Number__c');
  const upsert2 = await conn.sobject('Account').upsert(
    { Name: 'JS Upsert Co 2', Billing_Account_Number__c: 'BAN-JS-1' }, 'Billing_Account_Number__c');
  const many = await conn.sobject('Contact').create([
    { LastName: 'Alpha', AccountId: created.id }, { LastName: 'Beta', AccountId: created.id }, { FirstName: 'NoLast' },
  ], { allOrNone: false });
  const ids = many.filter((r) => r.success).map((r) => r.id);
  const fetched = await conn.sobject('Contact').retrieve(ids);
  const removed = await conn.sobject('Contact').destroy(ids);
  const deleted = await conn.sobject('Account').destroy(created.id);
  const gone = await caught(conn.sobject('Account').retrieve(created.id));
  const missing = await caught(conn.sobject('Account').create({ Industry: 'Retail' }));
  return { describedName: described.name, externalIds: described.fields.filter((f) => f.externalId).map((f) => f.name),
           globalNames: global.sobjects.map((o) => o.name), read: read.Name, upsert1, upsert2, many, fetched: fetched.map((r) => r.LastName),
           removed: removed.map((r) => r.success), deleted: deleted.success, gone, missing };
}
""",
    )
    assert result["describedName"] == "Account"
    assert "Billing_Account_Number__c" in result["externalIds"]
    assert {"Account", "Contact", "Order"} <= set(result["globalNames"])
    assert result["read"] == "JS Renamed Co"
    assert result["upsert1"]["created"] is True
    assert result["upsert2"]["created"] is False
    assert result["upsert2"]["id"] == result["upsert1"]["id"]
    assert [r["success"] for r in result["many"]] == [True, True, False]
    assert result["many"][2]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert result["many"][2]["errors"][0]["message"] == "Required fields are missing: [LastName]"
    assert result["fetched"] == ["Alpha", "Beta"]
    assert result["removed"] == [True, True]
    assert result["deleted"] is True
    assert result["gone"]["error"]["errorCode"] == "ENTITY_IS_DELETED"
    assert result["missing"]["error"]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert result["missing"]["error"]["message"] == "Required fields are missing: [Name]"


# -- query, recent, search ----------------------------------------------------------------------


def test_query_pages_with_auto_fetch(clients: NodeClients, live_sf: LiveSalesforce) -> None:
    live_sf.seed(accounts=450)  # three pages of 200
    result = run(
        clients,
        live_sf,
        """
async function main() {
  const conn = await soapLogin();
  const soql = 'SELECT Id, Name FROM Account ORDER BY Name';
  const headers = { 'Sforce-Query-Options': 'batchSize=200' };
  const first = await conn.query(soql, { headers });
  const all = await conn.query(soql, { headers, autoFetch: true, maxFetch: 10000 });
  const count = await conn.query('SELECT COUNT() FROM Account');
  return { firstSize: first.records.length, done: first.done, next: first.nextRecordsUrl || null,
           total: all.totalSize, fetched: all.records.length, count: count.totalSize,
           unique: new Set(all.records.map((r) => r.Id)).size };
}
""",
    )
    assert result["firstSize"] == 200
    assert result["done"] is False
    assert "/query/" in result["next"]
    assert result["fetched"] == result["total"] == result["count"] == result["unique"]
    assert result["total"] == 450


def test_recent_is_fed_by_for_view(clients: NodeClients, live_sf: LiveSalesforce) -> None:
    result = run(
        clients,
        live_sf,
        """
async function main() {
  const conn = await soapLogin();
  const before = await conn.recent();
  const viewed = await conn.query('SELECT Id, Name FROM Account ORDER BY Name LIMIT 2 FOR VIEW');
  const contact = await conn.query('SELECT Id FROM Contact LIMIT 1 FOR REFERENCE');
  return { before, viewed: viewed.records.map((r) => r.Id), contact: contact.records[0].Id,
           recent: await conn.recent(), limited: await conn.recent(1) };
}
""",
    )
    assert result["before"] == []
    newest_first = [result["contact"], *reversed(result["viewed"])]
    assert [item["Id"] for item in result["recent"]] == newest_first
    assert result["recent"][1]["attributes"]["type"] == "Account"
    assert "Name" in result["recent"][1]
    assert [item["Id"] for item in result["limited"]] == [result["contact"]]


def test_sosl_search(clients: NodeClients, live_sf: LiveSalesforce) -> None:
    result = run(
        clients,
        live_sf,
        """
async function main() {
  const conn = await soapLogin();
  await conn.sobject('Contact').create([
    { LastName: 'Zyxwander', FirstName: 'Ada', Email: 'ada.zyx@example.org' },
    { LastName: 'Zyxwander', FirstName: 'Bob', Email: 'bob@example.org' },
    { LastName: 'Quorvath', FirstName: 'Cy', Email: 'cy.zyxwander@example.org' },
  ]);
  const names = await conn.search(
    'FIND {Zyxwander} IN NAME FIELDS RETURNING Contact(FirstName, LastName ORDER BY FirstName)');
  const wildcard = await conn.search('FIND {Zyxwand*} IN ALL FIELDS RETURNING Contact(FirstName ORDER BY FirstName)');
  const both = await conn.search('FIND {Zyxwander AND Bob} RETURNING Contact(FirstName)');
  const email = await conn.search('FIND {cy.zyxwander@example.org} IN EMAIL FIELDS RETURNING Contact(LastName)');
  const limited = await conn.search('FIND {Zyxwander} RETURNING Contact(FirstName ORDER BY FirstName LIMIT 1)');
  const badObject = await caught(conn.search('FIND {Zyxwander} RETURNING Nope__c(Name)'));
  const noBraces = await caught(conn.search('FIND Zyxwander'));
  const short = await caught(conn.search('FIND {Z}'));
  const first = (r) => r.searchRecords.map((x) => x.FirstName);
  return { names: names.searchRecords.map((x) => [x.FirstName, x.LastName]), wildcard: first(wildcard),
           both: first(both), email: email.searchRecords.map((x) => x.LastName), limited: first(limited),
           badObject, noBraces, short };
}
""",
    )
    assert result["names"] == [["Ada", "Zyxwander"], ["Bob", "Zyxwander"]]
    assert result["wildcard"] == ["Ada", "Bob", "Cy"]  # Cy's email holds the word too
    assert result["both"] == ["Bob"]
    assert result["email"] == ["Quorvath"]
    assert result["limited"] == ["Ada"]
    assert result["badObject"]["error"]["errorCode"] == "INVALID_TYPE"
    assert result["badObject"]["error"]["message"].startswith("sObject type 'Nope__c' is not supported.")
    assert result["noBraces"]["error"]["errorCode"] == "MALFORMED_SEARCH"
    assert result["noBraces"]["error"]["message"] == (
        "No search term found. The search term must be enclosed in braces."
    )
    assert result["short"]["error"]["errorCode"] == "INVALID_SEARCH"
    assert result["short"]["error"]["message"] == "search term must be longer than one character"


# -- bulk, composite, limits, expiry, streaming ------------------------------------------------------


def test_bulk2_ingest_and_query(clients: NodeClients, live_sf: LiveSalesforce) -> None:
    result = run(
        clients,
        live_sf,
        """
async function main() {
  const conn = await soapLogin();
  conn.bulk2.pollInterval = 50;
  conn.bulk2.pollTimeout = 60000;
  const loaded = await conn.bulk2.loadAndWaitForResults({ object: 'Account', operation: 'insert',
    input: 'Name,Industry\\nBulk JS One,Retail\\nBulk JS Two,Energy\\n,Retail\\n' });
  const stream = await conn.bulk2.query("SELECT Name, Industry FROM Account WHERE Name LIKE 'Bulk JS%' ORDER BY Name");
  const rows = await stream.toArray();
  return { ok: loaded.successfulResults.length, failed: loaded.failedResults.map((r) => r.sf__Error), rows };
}
""",
    )
    assert result["ok"] == 2
    assert result["failed"] == ["REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name"]
    assert sorted((r["Name"], r["Industry"]) for r in result["rows"]) == [
        ("Bulk JS One", "Retail"),
        ("Bulk JS Two", "Energy"),
    ]


def test_composite_limits_and_session_expiry(clients: NodeClients, live_sf: LiveSalesforce) -> None:
    token = live_sf.token()
    result = run(
        clients,
        live_sf,
        """
async function main() {
  const conn = new jsforce.Connection({ instanceUrl: SIM, accessToken: process.env.TOKEN, version: '59.0' });
  const composite = await conn.requestPost('/composite', { allOrNone: true, compositeRequest: [
    { method: 'POST', url: '/services/data/v59.0/sobjects/Account', referenceId: 'acct', body: { Name: 'Composite JS' } },
    { method: 'POST', url: '/services/data/v59.0/sobjects/Contact', referenceId: 'ct',
      body: { LastName: 'Comp', AccountId: '@{acct.id}' } },
  ] });
  const limits = await conn.limits();
  return { composite: composite.compositeResponse.map((r) => [r.referenceId, r.httpStatusCode]),
           daily: limits.DailyApiRequests };
}
""",
        TOKEN=token,
    )
    assert result["composite"] == [["acct", 201], ["ct", 201]]
    assert result["daily"]["Max"] == 100_000
    assert 0 < result["daily"]["Max"] - result["daily"]["Remaining"] < 100
    live_sf.advance("PT3H")  # past the 2-hour inactivity timeout on the virtual clock
    expired = run(
        clients,
        live_sf,
        """
async function main() {
  const conn = new jsforce.Connection({ instanceUrl: SIM, accessToken: process.env.TOKEN, version: '59.0' });
  return { outcome: await caught(conn.query('SELECT Id FROM Account LIMIT 1')) };
}
""",
        TOKEN=token,
    )
    assert expired["outcome"]["error"]["errorCode"] == "INVALID_SESSION_ID"
    assert expired["outcome"]["error"]["message"] == "Session expired or invalid"


def test_tooling_query_and_parameterized_search(clients: NodeClients, live_sf: LiveSalesforce) -> None:
    result = run(
        clients,
        live_sf,
        """
async function main() {
  const conn = await soapLogin();
  await conn.sobject('Contact').create({ FirstName: 'Pat', LastName: 'Quillfeather' });
  const tooling = await conn.tooling.query('SELECT Id, Status FROM SandboxProcess');
  const missing = await caught(conn.tooling.query('SELECT Id FROM ScratchOrgInfo'));
  const found = await conn.request('/parameterizedSearch?q=Quillfeather&sobject=Contact&Contact.fields=FirstName');
  return { tooling: [tooling.totalSize, tooling.done, tooling.records], missing,
           found: found.searchRecords.map((r) => r.FirstName) };
}
""",
    )
    assert result["tooling"] == [0, True, []]
    assert result["missing"]["error"]["errorCode"] == "INVALID_TYPE"
    assert result["missing"]["error"]["message"].endswith(
        "sObject type 'ScratchOrgInfo' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
    )
    assert result["found"] == ["Pat"]
