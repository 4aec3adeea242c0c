"""What every REST operation sees and returns, with no aiohttp in sight.

An operation is a plain function ``op(call) -> Result``. The HTTP handler builds the ``Call``
from an aiohttp request; ``/composite`` and ``/composite/batch`` build one per subrequest. So
one implementation serves both, and a composite transaction never awaits mid-way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simulators.salesforce.errors import SalesforceError

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


@dataclass
class ApiContext:
    state: SalesforceState
    session: Session
    #: Meter ``n`` more calls (composite/batch charges per subrequest); raises 403 when exhausted.
    charge: Callable[[int], None]
    #: The base URL the client reached us on (``https://127.0.0.1:8701``), for absolute URLs.
    base_url: str

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
                raise SalesforceError(
                    400, "JSON_PARSER_ERROR", "The request body is empty. Expected a JSON document."
                )
            return None
        media = self.content_type.split(";")[0].strip().lower()
        if media and media != "application/json" and not media.endswith("+json"):
            # Real orgs also read XML bodies; this simulator speaks JSON only.
            raise SalesforceError(
                415, "UNSUPPORTED_MEDIA_TYPE", f"Content type '{media}' is not supported for this resource."
            )
        self.parsed = parse_json(self.body)
        return self.parsed

    def json_object(self) -> dict[str, Any]:
        body = self.json()
        if not isinstance(body, dict):
            raise SalesforceError(
                400,
                "JSON_PARSER_ERROR",
                f"Cannot deserialize instance of object from {_token_name(body)} value at [line:1, column:1]",
            )
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
        raise SalesforceError(400, "JSON_PARSER_ERROR", "Invalid UTF-8 in the request body") from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise SalesforceError(
            400,
            "JSON_PARSER_ERROR",
            f"Unexpected character ('{text[exc.pos : exc.pos + 1] or 'EOF'}'): {exc.msg} at [line:{exc.lineno}, column:{exc.colno}]",
        ) from None
    except (RecursionError, ValueError) as exc:
        raise SalesforceError(400, "JSON_PARSER_ERROR", f"Malformed JSON: {exc}") from None


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
        raise SalesforceError(400, "JSON_PARSER_ERROR", f"Expected a JSON object for {what}")
    return value


def require_list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise SalesforceError(400, "JSON_PARSER_ERROR", f"Expected a JSON array for {what}")
    return value


def bool_arg(call: Call, name: str, default: bool = False) -> bool:
    value = call.arg(name)
    if value is None:
        return default
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise SalesforceError(400, "INVALID_QUERY_FILTER_OPERATOR", f"{name} must be true or false: {value}")
