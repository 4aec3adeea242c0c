"""Outbound Messages end to end: declared through the control plane, triggered by REST DML, POSTed
to a real listener on 127.0.0.1:0, retried as the virtual clock is advanced through the control
plane, stopped by ``<Ack>true</Ack>``."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from simulators.salesforce.outbound.envelope import ACK
from simulators.salesforce.outbound.queue import Outbound, Schedule
from tests.simulators.salesforce.outbound.listener import NACK, listener
from tests.support.salesforce import SfClient, oauth_token
from tests.support.salesforce_live import START

MakeClient = Callable[..., Awaitable[SfClient]]


def declaration(url: str, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "Link_Request",
        "object": "Account",
        "endpoint_url": url,
        "fields": ["Name", "Billing_Link_Requested__c"],
        "criteria": "Billing_Link_Requested__c = true",
        **overrides,
    }


async def declare(sf: SfClient, *declarations: dict[str, Any]) -> list[dict[str, Any]]:
    response = await sf.client.put("/__sim/outbound/declarations", json={"declarations": list(declarations)})
    body = await response.json()
    assert response.status == 200, body
    data: list[dict[str, Any]] = body["data"]
    return data


async def advance(sf: SfClient, duration: str) -> None:
    response = await sf.client.post("/__sim/clock", json={"advance_by": duration})
    assert response.status == 200, await response.text()


async def queue(sf: SfClient) -> list[dict[str, Any]]:
    response = await sf.client.get("/__sim/outbound/queue")
    assert response.status == 200
    data: list[dict[str, Any]] = (await response.json())["data"]
    return data


def attempts(outbound: Outbound, count: int) -> Callable[[], bool]:
    return lambda: all(len(n.attempts) >= count for n in outbound.queue()) and bool(outbound.queue())


async def link_request(sf: SfClient, name: str = "Acme") -> str:
    body = await sf.json(
        "POST", "/sobjects/Account", 201, json={"Name": name, "Billing_Link_Requested__c": True}
    )
    record_id: str = body["id"]
    return record_id


async def test_a_failing_listener_is_retried_on_the_clock_until_it_acks(make_client: MakeClient) -> None:
    async with listener(["500", "nack"]) as om:
        sf = await make_client()
        outbound = sf.state.default_org().outbound
        [action] = await declare(sf, declaration(om.url))
        record_id = await link_request(sf)

        first = await om.next()  # at once, on the commit
        assert first.headers["Content-Type"] == "text/xml; charset=utf-8"
        assert first.headers["SOAPAction"] == '""'
        await outbound.wait_for(attempts(outbound, 1))
        [note] = await queue(sf)
        assert note["record_id"] == record_id
        assert note["action_id"] == action["action_id"]
        org_id = sf.state.default_org().id
        assert f"<OrganizationId>{org_id}</OrganizationId>" in first.body
        assert f'<ActionId>{action["action_id"]}</ActionId><SessionId xsi:nil="true"/>' in first.body
        assert (
            f"<EnterpriseUrl>http://127.0.0.1:{sf.client.port}/services/Soap/c/66.0/{org_id[:15]}"
            in first.body
        )
        assert f"<Notification><Id>{note['id']}</Id>" in first.body
        assert (
            '<sObject xsi:type="sf:Account" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">'
            f"<sf:Id>{record_id}</sf:Id><sf:Name>Acme</sf:Name>"
            "<sf:Billing_Link_Requested__c>true</sf:Billing_Link_Requested__c></sObject>"
        ) in first.body
        assert note["next_attempt_at"] == (START + timedelta(seconds=15)).isoformat()

        await advance(sf, "PT14S")  # not due yet
        assert len((await queue(sf))[0]["attempts"]) == 1
        await sf.json("PATCH", f"/sobjects/Account/{record_id}", 204, json={"Name": "Acme Latest"})
        await advance(sf, "PT1S")
        second = await om.next()
        assert "<sf:Name>Acme Latest</sf:Name>" in second.body  # only the latest data is sent
        await outbound.wait_for(attempts(outbound, 2))
        assert (await queue(sf))[0]["next_attempt_at"] == (START + timedelta(seconds=45)).isoformat()

        await advance(sf, "PT30S")
        await om.next()
        await outbound.wait_for(lambda: outbound.queue()[0].state == "delivered")
        [note] = await queue(sf)
        assert note["state"] == "delivered"
        assert note["next_attempt_at"] is None
        assert [
            (a["number"], a["at"], a["status"], a["error"], a["response_excerpt"]) for a in note["attempts"]
        ] == [
            (1, START.isoformat(), 500, "HTTP 500", "listener down"),
            (2, (START + timedelta(seconds=15)).isoformat(), 200, "no <Ack>true</Ack> in the response", NACK),
            (3, (START + timedelta(seconds=45)).isoformat(), 200, None, ACK),
        ]

        await advance(sf, "P1D")  # acknowledged: never sent again
        response = await sf.client.post("/__sim/outbound/queue/retry")
        assert response.status == 202
        assert (await response.json()) == {"retried": 0, "ids": []}
        assert len(om.received) == 3


async def test_a_hanging_listener_never_blocks_dml_and_is_timed_out(make_client: MakeClient) -> None:
    async with listener(["hang", "hang"]) as om:
        sf = await make_client(outbound_schedule=Schedule(timeout=0.2))
        outbound = sf.state.default_org().outbound
        await declare(sf, declaration(om.url))
        await link_request(sf)
        await om.next()  # the listener holds this request open
        await link_request(sf, "Beta")  # DML goes on while the delivery hangs
        await outbound.wait_for(attempts(outbound, 1))
        notes = await queue(sf)
        assert [n["attempts"][0]["error"] for n in notes] == ["timeout after 0.2s", "timeout after 0.2s"]
        assert [n["attempts"][0]["status"] for n in notes] == [None, None]
        await advance(sf, "PT15S")
        await outbound.wait_for(lambda: all(n.state == "delivered" for n in outbound.queue()))


async def test_a_connection_failure_is_a_failed_attempt_and_retry_now_resends(
    make_client: MakeClient,
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    sf = await make_client()
    outbound = sf.state.default_org().outbound
    await declare(sf, declaration(f"http://127.0.0.1:{closed}/om"))
    await link_request(sf)
    await outbound.wait_for(attempts(outbound, 1))
    [note] = await queue(sf)
    assert note["attempts"][0]["status"] is None
    assert note["attempts"][0]["error"].startswith("ClientConnectorError")
    async with listener() as om:
        await declare(sf, declaration(om.url))  # same name: same action, the message stays queued
        response = await sf.client.post("/__sim/outbound/queue/retry", json={"ids": [note["id"]]})
        assert response.status == 202
        assert await response.json() == {"retried": 1, "ids": [note["id"]]}
        await om.next()
        await outbound.wait_for(lambda: outbound.queue()[0].state == "delivered")


async def test_the_session_id_is_a_live_session_of_the_integration_user(make_client: MakeClient) -> None:
    async with listener() as om:
        sf = await make_client()
        outbound = sf.state.default_org().outbound
        await declare(sf, declaration(om.url, include_session_id=True, user="admin@q2c.local"))
        await link_request(sf)
        received = await om.next()
        session_id = received.body.split("<SessionId>")[1].split("</SessionId>")[0]
        limits = await sf.call("GET", "/limits", token=session_id)
        assert limits.status == 200
        await outbound.wait_for(lambda: outbound.queue()[0].state == "delivered")


async def test_file_declarations_apply_after_the_seed_and_again_after_a_reset(
    make_client: MakeClient, tmp_path: Path
) -> None:
    async with listener() as om:
        path = tmp_path / "outbound.yaml"
        path.write_text(
            "declarations:\n"
            "  - name: Every_Account\n    object: Account\n    trigger: onCreateOnly\n"
            f"    endpoint_url: {om.url}\n    fields: [Name]\n"
        )
        sf = await make_client(outbound_files=(path,))
        assert await queue(sf) == []  # the seeded accounts sent nothing
        response = await sf.client.get("/__sim/outbound/declarations")
        [declared] = (await response.json())["data"]
        assert declared["name"] == "Every_Account"
        assert declared["action_id"].startswith("04k")
        await link_request(sf)
        await om.next()
        assert len(await queue(sf)) == 1
        assert (await sf.client.post("/__sim/reset")).status == 200
        sf.token = await oauth_token(sf.client)  # a reset ends every session
        await link_request(sf, "After Reset")  # the worker configured the rebuilt org by itself
        received = await om.next()
        assert "<sf:Name>After Reset</sf:Name>" in received.body
        assert [n["record_id"] for n in await queue(sf)] == [
            n.record_id for n in sf.state.default_org().outbound.queue()
        ]
        assert len(await queue(sf)) == 1  # the queue before the reset is gone
        response = await sf.client.get("/__sim/outbound/declarations")
        assert [d["name"] for d in (await response.json())["data"]] == ["Every_Account"]


async def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status == status, await response.text()
    assert response.content_type == "application/problem+json"
    body: dict[str, Any] = await response.json()
    return body


async def test_bad_declarations_get_a_clear_control_plane_error(make_client: MakeClient) -> None:
    sf = await make_client()
    put = "/__sim/outbound/declarations"
    unknown = await problem(
        await sf.client.put(
            put, json={"declarations": [declaration("http://127.0.0.1:1/om", object="Nope__c")]}
        ),
        400,
    )
    assert unknown["code"] == "invalid_declaration"
    assert unknown["param"] == "declarations.object"
    assert unknown["detail"] == (
        "declarations[0] (Link_Request): unknown object 'Nope__c' (no sObject of that name in the org)"
    )
    field = await problem(
        await sf.client.put(
            put, json={"declarations": [declaration("http://127.0.0.1:1/om", fields=["Name", "Nope__c"])]}
        ),
        400,
    )
    assert field["detail"] == "declarations[0] (Link_Request): unknown field 'Nope__c' on Account"
    host = await problem(
        await sf.client.put(put, json={"declarations": [declaration("https://example.com/om")]}), 400
    )
    assert host["param"] == "declarations.endpoint_url"
    assert host["detail"] == (
        "declarations[0] (Link_Request): endpoint_url host 'example.com' is not allowed "
        "(allowed: 127.0.0.1, ::1, localhost)"
    )
    missing = await problem(
        await sf.client.put(put, json={"declarations": [{"name": "X", "object": "Account"}]}), 400
    )
    assert "endpoint_url" in missing["detail"]
    no_org = await problem(await sf.client.get("/__sim/outbound/queue?org_id=00D000000000000AAA"), 404)
    assert no_org["code"] == "not_found"
    assert no_org["detail"] == "no org '00D000000000000AAA' in this simulator"
    no_note = await problem(
        await sf.client.post("/__sim/outbound/queue/retry", json={"ids": ["04l5G0000000009QAA"]}), 404
    )
    assert no_note["detail"] == "no outbound notification '04l5G0000000009QAA'"
    assert (await sf.client.get("/__sim/outbound/declarations")).status == 200  # nothing was installed
