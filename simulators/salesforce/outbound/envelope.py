"""The SOAP ``notifications`` message Salesforce POSTs, and the ``<Ack>`` it waits for
(salesforce-wire.md §9.5; namespace ``http://soap.sforce.com/2005/09/outbound``).

Field values are written as the enterprise WSDL types them: booleans ``true``/``false``, dates
``YYYY-MM-DD``, datetimes ``YYYY-MM-DDTHH:MM:SS.000Z``, numbers plainly. Null fields are left out
(the enterprise sObject has no element for them). A record deleted before delivery goes as an
sObject carrying its Id only: Salesforce sends "no data" for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"
SOBJECT_NS = "urn:sobject.enterprise.soap.sforce.com"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
CONTENT_TYPE = "text/xml; charset=utf-8"
#: The WSDL Salesforce generates for an outbound message declares ``soapAction=""``.
SOAP_ACTION = '""'
ACK = (
    f'<soapenv:Envelope xmlns:soapenv="{SOAP_NS}"><soapenv:Body>'
    f'<notificationsResponse xmlns="{OUTBOUND_NS}"><Ack>true</Ack></notificationsResponse>'
    "</soapenv:Body></soapenv:Envelope>"
)


@dataclass(frozen=True)
class NotificationData:
    id: str
    object_name: str
    #: field name -> value, in the declared order (Id first); empty when the record is gone.
    values: Mapping[str, Any]


@dataclass(frozen=True)
class MessageHeader:
    organization_id: str
    action_id: str
    session_id: str | None
    enterprise_url: str
    partner_url: str


def soap_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return escape(str(value))


def render(header: MessageHeader, notifications: Sequence[NotificationData]) -> bytes:
    """The whole SOAP request body (UTF-8), up to 100 notifications."""
    session = (
        f"<SessionId>{escape(header.session_id)}</SessionId>"
        if header.session_id is not None
        else '<SessionId xsi:nil="true"/>'
    )
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_NS}" xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
        "<soapenv:Body>",
        f'<notifications xmlns="{OUTBOUND_NS}">',
        f"<OrganizationId>{header.organization_id}</OrganizationId>",
        f"<ActionId>{header.action_id}</ActionId>",
        session,
        f"<EnterpriseUrl>{escape(header.enterprise_url)}</EnterpriseUrl>",
        f"<PartnerUrl>{escape(header.partner_url)}</PartnerUrl>",
    ]
    for item in notifications:
        parts.append(f"<Notification><Id>{item.id}</Id>")
        parts.append(f'<sObject xsi:type="sf:{item.object_name}" xmlns:sf="{SOBJECT_NS}">')
        for name, value in item.values.items():
            if value is not None:
                parts.append(f"<sf:{name}>{soap_value(value)}</sf:{name}>")
        parts.append("</sObject></Notification>")
    parts.append("</notifications></soapenv:Body></soapenv:Envelope>")
    return "".join(parts).encode()


def is_ack(body: bytes) -> bool:
    """True when the listener's answer holds ``<Ack>true</Ack>`` (xsd:boolean, so ``1`` too)."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return False
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "Ack":
            return (element.text or "").strip() in ("true", "1")
    return False
