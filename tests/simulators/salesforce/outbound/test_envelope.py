"""The SOAP notification as Salesforce sends it, and what counts as an Ack."""

from __future__ import annotations

from datetime import UTC, date, datetime
from xml.etree import ElementTree

import pytest

from simulators.salesforce.outbound.envelope import ACK, MessageHeader, NotificationData, is_ack, render

HEADER = MessageHeader(
    organization_id="00D5G0000000001AAA",
    action_id="04k5G0000000001QAA",
    session_id=None,
    enterprise_url="https://127.0.0.1:8701/services/Soap/c/66.0/00D5G0000000001",
    partner_url="https://127.0.0.1:8701/services/Soap/u/66.0/00D5G0000000001",
)


def test_the_envelope_is_byte_for_byte_what_salesforce_sends() -> None:
    body = render(
        HEADER,
        [
            NotificationData(
                "04l5G0000000001QAA",
                "Account",
                {
                    "Id": "0015G0000000001AAA",
                    "Name": "Smith & Sons <Ltd>",
                    "Billing_Link_Requested__c": True,
                    "AnnualRevenue": 1250.5,
                    "NumberOfEmployees": 12,
                    "First_Invoice_Date__c": date(2026, 1, 31),
                    "LastModifiedDate": datetime(2026, 1, 5, 9, 0, 1, 250000, tzinfo=UTC),
                    "Description": None,
                },
            )
        ],
    )
    assert body.decode() == (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<soapenv:Body>"
        '<notifications xmlns="http://soap.sforce.com/2005/09/outbound">'
        "<OrganizationId>00D5G0000000001AAA</OrganizationId>"
        "<ActionId>04k5G0000000001QAA</ActionId>"
        '<SessionId xsi:nil="true"/>'
        "<EnterpriseUrl>https://127.0.0.1:8701/services/Soap/c/66.0/00D5G0000000001</EnterpriseUrl>"
        "<PartnerUrl>https://127.0.0.1:8701/services/Soap/u/66.0/00D5G0000000001</PartnerUrl>"
        "<Notification><Id>04l5G0000000001QAA</Id>"
        '<sObject xsi:type="sf:Account" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">'
        "<sf:Id>0015G0000000001AAA</sf:Id>"
        "<sf:Name>Smith &amp; Sons &lt;Ltd&gt;</sf:Name>"
        "<sf:Billing_Link_Requested__c>true</sf:Billing_Link_Requested__c>"
        "<sf:AnnualRevenue>1250.5</sf:AnnualRevenue>"
        "<sf:NumberOfEmployees>12</sf:NumberOfEmployees>"
        "<sf:First_Invoice_Date__c>2026-01-31</sf:First_Invoice_Date__c>"
        "<sf:LastModifiedDate>2026-01-05T09:00:01.250Z</sf:LastModifiedDate>"
        "</sObject></Notification>"
        "</notifications></soapenv:Body></soapenv:Envelope>"
    )
    ElementTree.fromstring(body)  # well-formed


def test_a_configured_session_id_is_sent() -> None:
    header = MessageHeader(**{**HEADER.__dict__, "session_id": "00D5G0000000001!AQtoken"})
    body = render(header, []).decode()
    assert "<SessionId>00D5G0000000001!AQtoken</SessionId>" in body


@pytest.mark.parametrize(
    ("answer", "acked"),
    [
        (ACK, True),
        (ACK.replace(">true<", ">1<"), True),
        (ACK.replace(">true<", ">false<"), False),
        ("<ok/>", False),
        ("OK", False),
        ("", False),
    ],
)
def test_only_an_ack_true_acknowledges(answer: str, acked: bool) -> None:
    assert is_ack(answer.encode()) is acked
