"""The SOAP partner endpoint, ``POST /services/Soap/u/<version>[/<orgId>]``: ``login`` (in
``auth.py``) and the session calls clients make besides it: ``logout`` (jsforce's
``conn.logout()``), ``getUserInfo`` and ``getServerTimestamp``; and DML (``create``,
``update``, ``delete``, ``undelete``, in ``soap_dml.py``).

Session calls carry ``<SessionHeader><sessionId>`` and work at every API version (only
``login()`` ends at 64.0). Faults are SOAP faults with HTTP 500, as SOAP 1.1 and real orgs send
them: an unknown operation is ``soapenv:Client`` "No operation available for request {ns}op,
please check the WSDL for the service." (Axis' wording, which the partner endpoint uses), a bad
session is ``sf:INVALID_SESSION_ID``. Not metered: the SOAP API has no Sforce-Limit-Info here.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree

from aiohttp import web

from simulators.kit.pipeline import CONTEXT
from simulators.salesforce.api import soap_dml
from simulators.salesforce.api.auth import SOAP_ENVELOPE, soap_login, soap_user_info
from simulators.salesforce.api.routes import STATE
from simulators.salesforce.api.soap_dml import SOAP_DML
from simulators.salesforce.catalogue import SalesforceError, SoapFault
from simulators.salesforce.models.orgs import Session

PARTNER_NS = "urn:partner.soap.sforce.com"
_NS = re.compile(r"^\{([^}]*)\}(.*)$")


def _split(tag: str) -> tuple[str, str]:
    match = _NS.match(tag)
    return (match.group(1), match.group(2)) if match else ("", tag)


def _operation(body: bytes) -> tuple[str, str, str | None]:
    """(namespace, operation, sessionId) of a SOAP request."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise SoapFault(
            "Client", f"Unable to parse the request: {exc}", fault_code="soapenv:Client"
        ) from None
    soap_body = next((el for el in root if _split(el.tag)[1] == "Body"), None)
    operation = next(iter(soap_body), None) if soap_body is not None else None
    if operation is None:
        raise SoapFault("Client", "No operation available for request", fault_code="soapenv:Client")
    session = next((el.text for el in root.iter() if _split(el.tag)[1] == "sessionId"), None)
    namespace, name = _split(operation.tag)
    return namespace, name, session


def _respond(body: str) -> web.Response:
    return web.Response(text=SOAP_ENVELOPE.format(body=body), content_type="text/xml", charset="UTF-8")


def _user_info(request: web.Request, session: Session) -> str:
    return soap_user_info(request.app[STATE], session.org, session.user_id)


async def soap_endpoint(request: web.Request) -> web.Response:
    raw = await request.read()
    namespace, operation, token = _operation(raw)
    if operation == "login" and namespace == PARTNER_NS:
        return await soap_login(request)
    if namespace != PARTNER_NS or operation not in ("logout", "getUserInfo", "getServerTimestamp", *SOAP_DML):
        raise SoapFault(
            "Client",
            f"No operation available for request {{{namespace}}}{operation}, please check the WSDL for the service.",
            fault_code="soapenv:Client",
        )
    state = request.app[STATE]
    try:
        session = state.orgs.authenticate(token or "")
    except SalesforceError:
        raise SoapFault(
            "INVALID_SESSION_ID", "Invalid Session ID found in SessionHeader: Illegal Session"
        ) from None
    request[CONTEXT].caller = session.caller
    if operation in SOAP_DML:  # create, update, delete, undelete (soap_dml.py)
        root = ElementTree.fromstring(raw)
        soap_body = next(el for el in root if _split(el.tag)[1] == "Body")
        version = request.match_info["version"]
        return _respond(soap_dml.run(session.org, session, version, root, next(iter(soap_body))))
    if operation == "logout":
        state.orgs.expire(session.token)
        return _respond("<logoutResponse/>")
    if operation == "getServerTimestamp":
        now = state.clock.now().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        return _respond(
            f"<getServerTimestampResponse><result><timestamp>{now}</timestamp></result></getServerTimestampResponse>"
        )
    return _respond(
        f"<getUserInfoResponse><result>{_user_info(request, session)}</result></getUserInfoResponse>"
    )


def add_soap_routes(app: web.Application) -> None:
    app.router.add_post("/services/Soap/u/{version}{slash:/?}", soap_endpoint, name="sf_soap_login")
    app.router.add_post(
        "/services/Soap/u/{version}/{org_id}{slash:/?}", soap_endpoint, name="sf_soap_partner"
    )
