"""SOAP partner create/update/delete/undelete: results as the partner API answers, all-or-none,
and change events naming the SOAP API and the CallOptions client (the one API that undeletes)."""

from __future__ import annotations

from xml.etree import ElementTree

from simulators.salesforce.events.bus import ALL_CHANGES
from tests.support.salesforce import SfClient

P = "{urn:partner.soap.sforce.com}"


def envelope(sf: SfClient, body: str, *, all_or_none: bool = False, client: str | None = "acme-soap") -> str:
    headers = f"<SessionHeader><sessionId>{sf.token}</sessionId></SessionHeader>"
    if client:
        headers += f"<CallOptions><client>{client}</client></CallOptions>"
    if all_or_none:
        headers += "<AllOrNoneHeader><allOrNone>true</allOrNone></AllOrNoneHeader>"
    return (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<soapenv:Header>{headers}</soapenv:Header><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
    )


async def call(sf: SfClient, body: str, **options: object) -> tuple[int, ElementTree.Element]:
    response = await sf.client.post(
        "/services/Soap/u/66.0",
        data=envelope(sf, body, **options),  # type: ignore[arg-type]
        headers={"Content-Type": "text/xml", "SOAPAction": '""'},
    )
    return response.status, ElementTree.fromstring(await response.text())


def results(root: ElementTree.Element) -> list[tuple[str | None, str | None, list[str | None]]]:
    return [
        (
            r.findtext(f"{P}id"),
            r.findtext(f"{P}success"),
            [e.findtext(f"{P}statusCode") for e in r.findall(f"{P}errors")],
        )
        for r in root.iter(f"{P}result")
    ]


async def test_create_update_delete_undelete_over_soap_emit_change_events(sf: SfClient) -> None:
    reader = sf.state.default_org().events.subscribe(ALL_CHANGES, -1)
    status, root = await call(
        sf,
        "<create><sObjects><type>Account</type><Name>Soapy</Name><NumberOfEmployees>12</NumberOfEmployees>"
        "</sObjects><sObjects><type>Account</type></sObjects></create>",
    )
    assert status == 200
    [(record_id, ok, none), (missing_id, failed, codes)] = results(root)
    assert (ok, none, missing_id, failed, codes) == (
        "true",
        [],
        "",
        "false",
        ["REQUIRED_FIELD_MISSING"],
    )  # xsi:nil id
    assert (record_id or "").startswith("001")
    failure = next(root.iter(f"{P}errors"))
    assert (failure.findtext(f"{P}message"), failure.findtext(f"{P}fields")) == (
        "Required fields are missing: [Name]",
        "Name",
    )
    body = f"<update><sObjects><type>Account</type><Id>{record_id}</Id><Phone>555</Phone></sObjects></update>"
    assert results((await call(sf, body))[1]) == [(record_id, "true", [])]
    assert results((await call(sf, f"<delete><ids>{record_id}</ids></delete>"))[1]) == [
        (record_id, "true", [])
    ]
    assert results((await call(sf, f"<undelete><ids>{record_id}</ids></undelete>"))[1]) == [
        (record_id, "true", [])
    ]
    events = reader.take(10)
    assert [e.header.change_type for e in events if e.header] == ["CREATE", "UPDATE", "DELETE", "UNDELETE"]
    assert {e.header.change_origin for e in events if e.header} == {
        "com/salesforce/api/soap/66.0;client=acme-soap"
    }
    assert events[0].fields["NumberOfEmployees"] == 12
    # Undeleting a live record fails per record.
    assert results((await call(sf, f"<undelete><ids>{record_id}</ids></undelete>"))[1]) == [
        (record_id, "false", ["UNDELETE_FAILED"])
    ]


async def test_all_or_none_over_soap_rolls_back_and_emits_nothing(sf: SfClient) -> None:
    reader = sf.state.default_org().events.subscribe(ALL_CHANGES, -1)
    body = "<create><sObjects><type>Account</type><Name>A</Name></sObjects><sObjects><type>Account</type></sObjects></create>"
    status, root = await call(sf, body, all_or_none=True, client=None)
    assert status == 200
    assert [(ok, codes) for _, ok, codes in results(root)] == [
        ("false", ["ALL_OR_NONE_OPERATION_ROLLED_BACK"]),
        ("false", ["REQUIRED_FIELD_MISSING"]),
    ]
    assert reader.take(10) == []


async def test_soap_dml_faults(sf: SfClient) -> None:
    status, root = await call(sf, "<create><sObjects><type>Nope__c</type><Name>x</Name></sObjects></create>")
    assert status == 500
    assert root.findtext(".//faultcode") == "sf:INVALID_TYPE"
    assert (root.findtext(".//faultstring") or "").startswith(
        "INVALID_TYPE: sObject type 'Nope__c' is not supported."
    )
    many = "".join("<sObjects><type>Account</type><Name>x</Name></sObjects>" for _ in range(201))
    status, root = await call(sf, f"<create>{many}</create>")
    assert status == 500
    assert root.findtext(".//faultcode") == "sf:EXCEEDED_ID_LIMIT"
