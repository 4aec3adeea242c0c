"""Outbound Message declarations: the rule (object, criteria, when to evaluate) and the message
(endpoint, fields, session id), as Salesforce's Workflow/Flow setup holds them.

One model serves the YAML file and the control plane. Keys are snake_case like the rest of
``/__sim``; each maps onto Salesforce's metadata (``WorkflowOutboundMessage`` and the rule's
``triggerType``): ``endpoint_url`` = ``endpointUrl``, ``include_session_id`` =
``includeSessionId``, ``user`` = ``integrationUser``, ``trigger`` = ``triggerType``.

``criteria`` is a SOQL WHERE expression on the object (``Billing_Link_Requested__c = true``),
evaluated by the simulator's own SOQL engine; empty means every record.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import Field, ValidationError

from contracts.models import StrictModel
from simulators.salesforce.models.schema import YAML_LOADER, ObjectDef, Schema

#: Salesforce's workflow evaluation criteria (``WorkflowRule.triggerType``).
Trigger = Literal["onCreateOnly", "onCreateOrTriggeringUpdate", "onAllChanges"]
_API_NAME = r"^[A-Za-z][A-Za-z0-9_]{0,79}$"
API_VERSION = "66.0"


class Declaration(StrictModel):
    name: str = Field(pattern=_API_NAME, max_length=80)
    object: str = Field(pattern=_API_NAME, max_length=80)
    endpoint_url: str = Field(min_length=1, max_length=1000)
    fields: list[Annotated[str, Field(pattern=_API_NAME, max_length=80)]] = Field(
        default_factory=lambda: ["Id"], min_length=1, max_length=500
    )
    criteria: str = Field(default="", max_length=4000)
    trigger: Trigger = "onCreateOrTriggeringUpdate"
    include_session_id: bool = False
    #: The user the message is sent as (its SessionId): a username of the org; default its first.
    user: str | None = Field(default=None, max_length=200)
    active: bool = True
    api_version: str = Field(default=API_VERSION, pattern=r"^\d{2}\.0$")
    description: str | None = Field(default=None, max_length=1000)


class DeclarationsBody(StrictModel):
    """``PUT /__sim/outbound/declarations`` and the YAML file: the whole set, replaced at once."""

    declarations: list[Declaration] = Field(max_length=200)


class DeclarationError(ValueError):
    """A declaration the org cannot use; ``param`` names the offending part (for problem+json)."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


def load_declarations(source: Path | str) -> list[Declaration]:
    """Declarations from a YAML file (or YAML text): ``{declarations: [...]}`` ."""
    where = str(source) if isinstance(source, Path) else "outbound declarations"
    text = source.read_text(encoding="utf-8") if isinstance(source, Path) else source
    try:
        raw: Any = yaml.load(text, Loader=YAML_LOADER) or {}
    except yaml.YAMLError as exc:
        raise DeclarationError(f"{where}: not valid YAML: {exc}", "declarations") from None
    try:
        # Python mode (not strict JSON): YAML gives native booleans and lists already.
        return DeclarationsBody.model_validate(raw, strict=False).declarations
    except ValidationError as exc:
        first = exc.errors()[0]
        location = ".".join(str(part) for part in first["loc"])
        raise DeclarationError(f"{where}: {location}: {first['msg']}", location or "declarations") from None


def check_url(url: str, allowed_hosts: Iterable[str] | None = None) -> None:
    """An absolute http(s) URL; with ``allowed_hosts``, to one of them (the sandbox calls out to
    its own machine only, as billing's webhooks do)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeclarationError(f"endpoint_url must be an absolute http(s) URL: {url!r}", "endpoint_url")
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise DeclarationError(f"endpoint_url has an invalid port: {url!r}", "endpoint_url") from None
    if allowed_hosts is not None:
        hosts = {host.lower() for host in allowed_hosts}
        if parts.hostname.lower() not in hosts:
            raise DeclarationError(
                f"endpoint_url host {parts.hostname!r} is not allowed (allowed: {', '.join(sorted(hosts))})",
                "endpoint_url",
            )


def resolve_object(schema: Schema, declaration: Declaration, where: str) -> ObjectDef:
    obj = schema.get(declaration.object)
    if obj is None or obj.is_event:
        raise DeclarationError(
            f"{where}: unknown object {declaration.object!r} (no sObject of that name in the org)",
            "object",
        )
    return obj


def resolve_fields(obj: ObjectDef, declaration: Declaration, where: str) -> tuple[str, ...]:
    """Canonical field names, ``Id`` first (Salesforce always sends it), no duplicates.

    Compound address fields are refused: the message lists their components instead."""
    names = ["Id"]
    for name in declaration.fields:
        fdef = obj.field(name)
        if fdef is None:
            raise DeclarationError(f"{where}: unknown field {name!r} on {obj.name}", "fields")
        if not fdef.stored:
            raise DeclarationError(
                f"{where}: field {fdef.name!r} on {obj.name} is a compound field; list its components",
                "fields",
            )
        if fdef.name not in names:
            names.append(fdef.name)
    return tuple(names)


def unique_names(declarations: Sequence[Declaration]) -> None:
    seen: set[str] = set()
    for declaration in declarations:
        key = declaration.name.lower()
        if key in seen:
            raise DeclarationError(f"two declarations are named {declaration.name!r}", "name")
        seen.add(key)
