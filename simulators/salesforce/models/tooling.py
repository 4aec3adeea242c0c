"""The Tooling API's objects, as an org without sandboxes, scratch orgs or source tracking has
them: the objects the Salesforce CLI queries on login and in its data commands exist (so their
queries bind and validate like any SOQL), and hold no rows. Any other object is INVALID_TYPE,
worded as the SOQL engine words it.

A ``DataSource`` for the SOQL engine (``soql.ports``): the same parser, binder and messages
serve ``/tooling/query``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from simulators.salesforce.soql.ports import Record

_SYSTEM = (
    "Id:id",
    "IsDeleted:boolean",
    "CreatedDate:datetime",
    "CreatedById:reference",
    "LastModifiedDate:datetime",
    "LastModifiedById:reference",
    "SystemModstamp:datetime",
)
# Field lists as the Tooling API's describe lists them (the ones clients select).
_OBJECTS: dict[str, tuple[str, ...]] = {
    "SandboxProcess": (
        "Status:picklist",
        "SandboxName:string",
        "SandboxInfoId:reference",
        "LicenseType:picklist",
        "CopyProgress:int",
        "SandboxOrganization:string",
        "SourceId:reference",
        "Description:string",
        "EndDate:datetime",
        "StartDate:datetime",
        "ActivatedDate:datetime",
        "ActivatedById:reference",
        "ApexClassId:reference",
        "AutoActivate:boolean",
        "CopyArchivedActivities:boolean",
        "DeletedById:reference",
        "DeletedDate:datetime",
        "RefreshAction:picklist",
        "Features:multipicklist",
    ),
    "SandboxInfo": (
        "SandboxName:string",
        "LicenseType:picklist",
        "TemplateId:reference",
        "HistoryDays:int",
        "CopyChatter:boolean",
        "AutoActivate:boolean",
        "ApexClassId:reference",
        "Description:string",
        "SourceId:reference",
        "ActivationUserGroupId:reference",
        "Features:multipicklist",
        "PostCopyConfig:string",
    ),
    "SourceMember": (
        "MemberName:string",
        "MemberType:string",
        "RevisionCounter:int",
        "RevisionNum:int",
        "IsNameObsolete:boolean",
        "IsNewMember:boolean",
        "MemberIdOrName:string",
        "ChangedBy:reference",
    ),
    "ApexClass": (
        "Name:string",
        "NamespacePrefix:string",
        "Body:textarea",
        "ApiVersion:double",
        "Status:picklist",
        "IsValid:boolean",
        "LengthWithoutComments:int",
    ),
    "ApexTrigger": (
        "Name:string",
        "NamespacePrefix:string",
        "Body:textarea",
        "ApiVersion:double",
        "Status:picklist",
        "TableEnumOrId:picklist",
        "IsValid:boolean",
    ),
    "FlexiPage": ("DeveloperName:string", "MasterLabel:string", "NamespacePrefix:string", "Type:picklist"),
}


@dataclass(frozen=True)
class ToolingField:
    name: str
    type: str
    reference_to: Sequence[str] = ()
    relationship_name: str | None = None
    createable: bool = False
    updateable: bool = False


@dataclass(frozen=True)
class ToolingObject:
    name: str
    by_name: dict[str, ToolingField] = field(default_factory=dict)
    key_prefix: str | None = None

    def field(self, name: str) -> ToolingField | None:
        return self.by_name.get(name.lower())

    def fields(self) -> Sequence[ToolingField]:
        return list(self.by_name.values())

    def parent_relationship(self, name: str) -> ToolingField | None:
        return None  # no parent rows to walk to in an org without these features

    def child_relationship(self, name: str) -> None:
        return None


def _object(name: str, specs: Iterable[str]) -> ToolingObject:
    fields = []
    for spec in (*_SYSTEM, *specs):
        field_name, field_type = spec.split(":")
        fields.append(ToolingField(field_name, field_type))
    return ToolingObject(name, {f.name.lower(): f for f in fields})


class ToolingSource:
    """The Tooling objects (empty tables) of one org, on the org's clock."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._objects = {name.lower(): _object(name, specs) for name, specs in _OBJECTS.items()}

    def names(self) -> list[str]:
        return [obj.name for obj in self._objects.values()]

    def describe(self, object_name: str) -> ToolingObject | None:
        return self._objects.get(object_name.lower())

    def scan(self, object_name: str, *, include_deleted: bool = False) -> Iterable[Record]:
        return ()

    def lookup(
        self, object_name: str, field: str, values: Collection[Any], *, include_deleted: bool = False
    ) -> Iterable[Record] | None:
        return ()

    def lookup_prefix(
        self, object_name: str, field: str, prefix: str, *, include_deleted: bool = False
    ) -> Iterable[Record] | None:
        return None  # no ordered index: the engine scans (the Tooling objects are small)

    def get(self, record_id: str) -> Record | None:
        return None

    def now(self) -> datetime:
        return self._now()

    def today(self) -> date:
        return self._now().date()
