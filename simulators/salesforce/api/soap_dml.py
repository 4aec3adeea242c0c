"""SOAP partner DML: ``create``, ``update``, ``delete`` and ``undelete`` (the only API that
undeletes), through the same batch DML as REST, so their changes reach the event bus with
``changeOrigin`` ``com/salesforce/api/soap/<version>;client=<CallOptions client>``.

Requests carry ``<sObjects><type>Account</type><Name>…</Name><fieldsToNull>…</fieldsToNull>``
(create/update) or ``<ids>`` (delete/undelete); ``<AllOrNoneHeader><allOrNone>true`` rolls the
call back as a whole. Each record answers a ``SaveResult``/``DeleteResult``/``UndeleteResult``:
``<errors><fields/><message/><statusCode/></errors><id/><success/>``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape

from simulators.salesforce.catalogue import SoapFault
from simulators.salesforce.events.changes import Origin, origin
from simulators.salesforce.models.dml import Outcome
from simulators.salesforce.models.orgs import Org, Session

SOAP_DML = frozenset({"create", "update", "delete", "undelete"})
MAX_RECORDS = 200
_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _header_value(root: Element, header: str, name: str) -> str | None:
    for element in root.iter():
        if local(element.tag) == header:
            for child in element.iter():
                if local(child.tag) == name and child.text:
                    return child.text.strip()
    return None


def _record(element: Element, org: Org) -> tuple[Any, str | None, dict[str, Any]]:
    """(object, Id, fields) of one ``<sObjects>``: text values (the model coerces them),
    ``xsi:nil`` and ``fieldsToNull`` as null."""
    type_name: str | None = None
    record_id: str | None = None
    data: dict[str, Any] = {}
    for child in element:
        name = local(child.tag)
        if name == "type":
            type_name = (child.text or "").strip()
        elif name == "Id":
            record_id = (child.text or "").strip() or None
        elif name == "fieldsToNull":
            data[(child.text or "").strip()] = None
        else:
            data[name] = None if child.get(_XSI_NIL) == "true" else (child.text or "")
    obj = org.schema.get(type_name or "")
    if obj is None:
        raise SoapFault(
            "INVALID_TYPE",
            f"sObject type '{type_name}' is not supported. If you are attempting to use a custom object, "
            "be sure to append the '__c' after the entity name.",
        )
    return obj, record_id, data


def run(org: Org, session: Session, version: str, root: Element, operation: Element) -> str:
    """The ``<opResponse>`` body of one SOAP DML call."""
    name = local(operation.tag)
    items = [
        child
        for child in operation
        if local(child.tag) == ("sObjects" if name in ("create", "update") else "ids")
    ]
    if len(items) > MAX_RECORDS:
        raise SoapFault(
            "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records into this call"
        )
    all_or_none = (_header_value(root, "AllOrNoneHeader", "allOrNone") or "").lower() == "true"
    client = _header_value(root, "CallOptions", "client")
    user = session.user_id
    dml = org.dml
    records = [_record(item, org) if name in ("create", "update") else item for item in items]

    def given_id(item: Any) -> str | None:
        if isinstance(item, Element):
            return (item.text or "").strip()
        found: str | None = item[1]
        return found

    def apply(item: Any) -> Outcome:
        if name == "create":
            obj, _, data = item
            if obj.is_event:
                published = dml.publish(obj, data, user)
                return Outcome(id=published.id)
            return Outcome(id=dml.create(obj, data, user).id, created=True)
        if name == "update":
            obj, record_id, data = item
            row = dml.row_for_write(record_id, obj, id_fields=["Id"])
            return Outcome(id=dml.update(obj, row, data, user).id)
        record_id = given_id(item)
        if name == "delete":
            row = dml.row_for_write(record_id, id_fields=["Id"])
            dml.delete(row, user)
            return Outcome(id=row.id)
        row = dml.row_for_write(record_id, deleted_ok=True, id_fields=["Id"])
        return Outcome(id=dml.undelete(row, user).id)

    with origin(Origin("soap", version, client, user)):
        outcomes = dml.run_batch(records, apply, all_or_none=all_or_none, given_id=given_id)
    results = "".join(
        _result(outcome, given_id, item) for outcome, item in zip(outcomes, records, strict=True)
    )
    return f"<{name}Response>{results}</{name}Response>"


def _result(outcome: Outcome, given_id: Callable[[Any], str | None], item: Any) -> str:
    if outcome.success:
        return f"<result><id>{escape(outcome.id or '')}</id><success>true</success></result>"
    errors = "".join(
        "<errors>"
        + "".join(f"<fields>{escape(f)}</fields>" for f in error["fields"])
        + f"<message>{escape(error['message'])}</message><statusCode>{escape(error['statusCode'])}</statusCode>"
        "</errors>"
        for error in outcome.errors()
    )
    record_id = outcome.id or given_id(item)
    id_xml = f"<id>{escape(record_id)}</id>" if record_id else '<id xsi:nil="true"/>'
    return f"<result>{errors}{id_xml}<success>false</success></result>"
