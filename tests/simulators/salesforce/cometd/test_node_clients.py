"""The Node streaming clients, unmodified, against the live HTTPS simulator (local CA, like
``q2c salesforce --tls``, Salesforce's own CometD timeouts): jsforce's streaming API (Faye,
``Authorization: OAuth``) subscribes to a change event channel and a platform event and
receives both, and replays retained events with ``StreamingExtension.Replay``; the CometD
JavaScript client (npm ``cometd`` + ``cometd-nodejs-client``) handshakes, subscribes with the
replay extension and receives.

Each test is one Node script printing a JSON document; the assertions are here.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.node_clients import NodeClients
from tests.support.salesforce import LiveSalesforce

pytestmark = pytest.mark.slow

PRELUDE = """
const jsforce = require('jsforce');
const { StreamingExtension } = require('jsforce/api/streaming');
const SIM = process.env.SIM;
const login = async () => {
  // OAuth 2.0 password flow: SOAP login() is gone in API 66.0, as in real orgs.
  const conn = new jsforce.Connection({ version: '66.0',
    oauth2: { loginUrl: SIM, clientId: 'q2c-local-client', clientSecret: 'q2c-local-secret' } });
  await conn.login('admin@q2c.local', 'q2c-passwordq2c-token');
  return conn;
};
const within = (ms, promise) => Promise.race([
  promise, new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), ms))]);
"""
RUN = """
main().then((value) => { console.log(JSON.stringify(value)); process.exit(0); },
  (e) => { console.log(JSON.stringify({ error: String(e && e.stack || e) })); process.exit(0); });
"""


def run(clients: NodeClients, live: LiveSalesforce, body: str) -> Any:
    result = clients.js(PRELUDE + body + RUN, SIM=live.url)
    assert "error" not in result, result["error"]
    return result


@pytest.fixture(autouse=True)
def fresh(live_sf: LiveSalesforce) -> None:
    live_sf.reset()


def test_jsforce_streaming_receives_change_events_and_platform_events(
    clients: NodeClients, live_sf: LiveSalesforce
) -> None:
    result = run(
        clients,
        live_sf,
        """
async function main() {
  const conn = await login();
  const account = (await conn.query('SELECT Id FROM Account ORDER BY Id LIMIT 1')).records[0].Id;
  const received = [];
  let done;
  const all = new Promise((resolve) => { done = resolve; });
  const keep = (message) => { received.push(message); if (received.length === 2) done(); };
  await within(20000, conn.streaming.topic('/data/AccountChangeEvent').subscribe(keep));
  await within(20000, conn.streaming.topic('/event/Billing_Action__e').subscribe(keep));
  await conn.sobject('Account').update({ Id: account, Description: 'from jsforce' });
  await conn.sobject('Billing_Action__e').create({ Action__c: 'open', Record_Id__c: account });
  await within(20000, all);
  return { account, received };
}
""",
    )
    change, event = sorted(result["received"], key=lambda m: "ChangeEventHeader" not in m["payload"])
    header = change["payload"]["ChangeEventHeader"]
    assert header["entityName"] == "Account"
    assert header["recordIds"] == [result["account"]]
    assert header["changeType"] == "UPDATE"
    assert change["payload"]["Description"] == "from jsforce"
    assert event["payload"]["Action__c"] == "open"
    assert event["payload"]["Record_Id__c"] == result["account"]
    assert event["event"]["replayId"] == 1


def test_jsforce_replays_retained_events(clients: NodeClients, live_sf: LiveSalesforce) -> None:
    result = run(
        clients,
        live_sf,
        """
async function main() {
  const conn = await login();
  for (const action of ['one', 'two', 'three']) {
    await conn.sobject('Billing_Action__e').create({ Action__c: action });
  }
  const channel = '/event/Billing_Action__e';
  const client = conn.streaming.createClient([new StreamingExtension.Replay(channel, -2)]);
  const received = [];
  let done;
  const all = new Promise((resolve) => { done = resolve; });
  await within(20000, client.subscribe(channel, (message) => {
    received.push([message.event.replayId, message.payload.Action__c]);
    if (received.length === 3) done();
  }));
  await within(20000, all);
  return { received };
}
""",
    )
    assert result["received"] == [[1, "one"], [2, "two"], [3, "three"]]


def test_cometd_javascript_client(clients: NodeClients, live_sf: LiveSalesforce) -> None:
    result = run(
        clients,
        live_sf,
        """
async function main() {
  const { CometD } = await import('cometd');
  const { adapt } = await import('cometd-nodejs-client');
  adapt();
  const conn = await login();
  await conn.sobject('Billing_Action__e').create({ Action__c: 'before' });
  const channel = '/event/Billing_Action__e';
  const cometd = new CometD();
  cometd.websocketEnabled = false;  // as Salesforce's CometD examples do: long polling only
  cometd.configure({
    url: SIM + '/cometd/66.0',
    requestHeaders: { Authorization: 'Bearer ' + conn.accessToken },
    appendMessageTypeToURL: false,
  });
  const handshake = await within(20000, new Promise((resolve) => cometd.handshake(resolve)));
  const received = [];
  let done;
  const all = new Promise((resolve) => { done = resolve; });
  const subscribed = await within(20000, new Promise((resolve) => cometd.subscribe(channel, (message) => {
    received.push(message.data.payload.Action__c);
    if (received.length === 2) done();
  }, { ext: { replay: { [channel]: -2 } } }, resolve)));
  await conn.sobject('Billing_Action__e').create({ Action__c: 'after' });
  await within(20000, all);
  await within(20000, new Promise((resolve) => cometd.disconnect(resolve)));
  return {
    handshake: { successful: handshake.successful, types: handshake.supportedConnectionTypes, ext: handshake.ext },
    subscribed: subscribed.successful,
    received,
  };
}
""",
    )
    assert result["handshake"] == {
        "successful": True,
        "types": ["long-polling"],
        "ext": {"replay": True, "payload.format": True},
    }
    assert result["subscribed"] is True
    assert result["received"] == ["before", "after"]
