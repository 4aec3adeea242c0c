"""What every REST operation sees and returns, with no aiohttp in sight.

An operation is a plain function ``op(call) -> Result``. The HTTP handler builds the ``Call``
from an aiohttp request; ``/composite`` and ``/composite/batch`` build one per subrequest. So
one implementation serves both, and a composite transaction never awaits mid-way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from simulators.kit.faults import RecordFault
from simulators.salesforce import catalogue
from simulators.salesforce.errors import SalesforceError
from simulators.salesforce.models.dml import RecordFaults, injected_record_error

if TYPE_CHECKING:
    from simulators.salesforce.models.orgs import Org, Session
    from simulators.salesforce.models.state import SalesforceState

OLDEST_VERSION = 31
NEWEST_VERSION = 66
JSON_TYPE = "application/json;charset=UTF-8"
_VERSION = re.compile(r"^v(\d{2})\.0$")
_SEASONS = ("Winter", "Spring", "Summer")
_NO_BODY = object()


def version_number(version: str) -> int:
    return int(version[1:].split(".")[0])


def resolve_version(segment: str) -> str | None:
    """``v59.0`` -> ``v59.0``; ``latest`` -> the newest; None when not a supported version."""
    if segment == "latest":
        return f"v{NEWEST_VERSION}.0"
    match = _VERSION.match(segment)
    if match is None or not OLDEST_VERSION <= int(match.group(1)) <= NEWEST_VERSION:
        return None
    return segment


def release_label(number: int) -> str:
    """v59.0 is Winter '24; each release adds 1.0 (Winter, Spring, Summer)."""
    step = number - 59
    return f"{_SEASONS[step % 3]} '{24 + step // 3:02d}"


def versions() -> list[dict[str, str]]:
    return [
        {"label": release_label(n), "url": f"/services/data/v{n}.0", "version": f"{n}.0"}
        for n in range(OLDEST_VERSION, NEWEST_VERSION + 1)
    ]


class Router(Protocol):
    """The URL table, as ``/composite`` and ``/composite/batch`` see it.

    ``api.routes`` implements it and hands it over on ``ApiContext``, so the composite operations
    run subrequests through the table without importing the module that imports them.
    """

    def dispatch(
        self,
        ctx: ApiContext,
        method: str,
        url: str,
        body: Any,
        headers: Mapping[str, str],
        *,
        allowed: Collection[str] | None,
    ) -> Result: ...

    def route_name(self, method: str, path: str) -> str | None: ...


@dataclass
class ApiContext:
    state: SalesforceState
    session: Session
    #: Meter ``n`` more calls (composite/batch charges per subrequest); raises 403 when exhausted.
    charge: Callable[[int], None]
    #: The base URL the client reached us on (``https://127.0.0.1:8701``), for absolute URLs.
    base_url: str
    #: The URL table, for operations that run subrequests (composite, batch).
    router: Router
    #: A ``record_error`` fault rule's per-record decisions for this request (batch DML).
    record_fault: RecordFault | None = None

    def record_faults(self) -> RecordFaults | None:
        """The batch DML's view of ``record_fault``: the picked records fail with its error."""
        fault = self.record_fault
        if fault is None:
            return None

        def decide(index: int, record_id: str | None) -> SalesforceError | None:
            if not fault.fails(index):
                return None
            return injected_record_error(fault.error_code, fault.message, record_id)

        return decide

    @property
    def org(self) -> Org:
        return self.session.org

    @property
    def user_id(self) -> str:
        return self.session.user_id


@dataclass
class Call:
    ctx: ApiContext
    method: str
    version: str
    params: dict[str, str]
    query: Mapping[str, list[str]] = field(default_factory=dict)
    #: Case-insensitive (aiohttp's headers), or a dict with lower-case names (subrequests).
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    parsed: Any = _NO_BODY
    content_type: str = ""
    #: True inside /composite or /composite/batch (some resources refuse to nest).
    nested: bool = False

    @property
    def org(self) -> Org:
        return self.ctx.org

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self, *, required: bool = True) -> Any:
        if self.parsed is not _NO_BODY:
            return self.parsed
        if not self.body:
            if required:
                raise catalogue.EMPTY_BODY.error()
            return None
        media = self.content_type.split(";")[0].strip().lower()
        if media and media != "application/json" and not media.endswith("+json"):
            # Real orgs also read XML bodies; this simulator speaks JSON only.
            raise catalogue.UNSUPPORTED_MEDIA_TYPE.error(media=media, detail=" for this resource.")
        self.parsed = parse_json(self.body)
        return self.parsed

    def json_object(self) -> dict[str, Any]:
        body = self.json()
        if not isinstance(body, dict):
            raise catalogue.NOT_AN_OBJECT.error(token=_token_name(body))
        return body


def _token_name(value: Any) -> str:
    if isinstance(value, list):
        return "START_ARRAY"
    if isinstance(value, str):
        return "VALUE_STRING"
    if isinstance(value, bool):
        return "VALUE_TRUE" if value else "VALUE_FALSE"
    if value is None:
        return "VALUE_NULL"
    return "VALUE_NUMBER_INT" if isinstance(value, int) else "VALUE_NUMBER_FLOAT"


def parse_json(body: bytes) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise catalogue.JSON_PARSER_ERROR.error(detail="Invalid UTF-8 in the request body") from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise catalogue.BAD_JSON.error(
            char=text[exc.pos : exc.pos + 1] or "EOF", reason=exc.msg, line=exc.lineno, column=exc.colno
        ) from None
    except (RecursionError, ValueError) as exc:
        raise catalogue.JSON_PARSER_ERROR.error(detail=f"Malformed JSON: {exc}") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"Non-standard token '{name}'")


@dataclass
class Result:
    status: int
    body: Any = None
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    text: str | None = None  # a non-JSON body (CSV, XML)

    @classmethod
    def error(cls, error: SalesforceError) -> Result:
        return cls(error.status, error.items(), headers=dict(error.headers))


def require_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise catalogue.JSON_PARSER_ERROR.error(detail=f"Expected a JSON object for {what}")
    return value


def require_list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise catalogue.JSON_PARSER_ERROR.error(detail=f"Expected a JSON array for {what}")
    return value


def bool_arg(call: Call, name: str, default: bool = False) -> bool:
    value = call.arg(name)
    if value is None:
        return default
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise catalogue.INVALID_BOOLEAN_ARGUMENT.error(name=name, value=value)
