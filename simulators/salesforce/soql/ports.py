"""What the SOQL engine needs from the org's data, as Protocols.

The store (``simulators.salesforce.models``) implements ``DataSource``; the SOQL parser and
evaluator (``simulators.salesforce.soql``) only ever see these Protocols, so each can be tested
without the other.

Values handed to the evaluator are Python values: ``str`` (ids, text, picklists, multipicklists
as ``"A;B"``), ``bool``, ``int``, ``float``, ``datetime.date``, ``datetime.datetime`` (aware,
UTC) or ``None``. Compound address fields are not stored; their components are.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol

Record = Mapping[str, Any]
"""One stored record: canonical field name -> Python value (always has ``Id`` and ``IsDeleted``)."""


class FieldInfo(Protocol):
    @property
    def name(self) -> str:
        """Canonical API name, e.g. ``Billing_Account_Number__c``."""
        ...

    @property
    def type(self) -> str:
        """Describe type: id, string, textarea, boolean, int, double, currency, percent, date,
        datetime, picklist, multipicklist, reference, email, phone, url, address."""
        ...

    @property
    def reference_to(self) -> Sequence[str]:
        """For reference fields, the parent object names (canonical)."""
        ...

    @property
    def relationship_name(self) -> str | None:
        """For reference fields, the parent relationship name (``Account`` for ``AccountId``)."""
        ...


class ChildRelationship(Protocol):
    @property
    def relationship_name(self) -> str:
        """E.g. ``Contacts`` on Account."""
        ...

    @property
    def child_object(self) -> str: ...

    @property
    def field(self) -> str:
        """The child's reference field pointing at the parent, e.g. ``AccountId``."""
        ...


class ObjectInfo(Protocol):
    @property
    def name(self) -> str: ...

    def field(self, name: str) -> FieldInfo | None:
        """Case-insensitive lookup of a field by API name."""
        ...

    def fields(self) -> Sequence[FieldInfo]:
        """Every field, in describe order (for ``FIELDS(ALL)``)."""
        ...

    def parent_relationship(self, name: str) -> FieldInfo | None:
        """Case-insensitive lookup of a reference field by its relationship name."""
        ...

    def child_relationship(self, name: str) -> ChildRelationship | None:
        """Case-insensitive lookup of a child relationship by name."""
        ...


class DataSource(Protocol):
    def describe(self, object_name: str) -> ObjectInfo | None:
        """Case-insensitive; None when the object does not exist."""
        ...

    def scan(self, object_name: str, *, include_deleted: bool = False) -> Iterable[Record]:
        """Every record of the object (deleted ones too when asked), in insertion order."""
        ...

    def lookup(
        self, object_name: str, field: str, values: Collection[Any], *, include_deleted: bool = False
    ) -> Iterable[Record] | None:
        """Index lookup for equality on Id, external-id and unique fields (values compared
        case-insensitively for text); None when the field has no index (scan instead)."""
        ...

    def lookup_prefix(
        self, object_name: str, field: str, prefix: str, *, include_deleted: bool = False
    ) -> Iterable[Record] | None:
        """Index lookup for text fields starting with ``prefix`` (case-insensitive unless the
        field is case-sensitive), in insertion order; None when the field has no index."""
        ...

    def get(self, record_id: str) -> Record | None:
        """By 15- or 18-character id, any object; None when unknown."""
        ...

    def now(self) -> datetime:
        """The org's virtual clock (UTC), for TODAY, LAST_N_DAYS:n and friends."""
        ...

    def today(self) -> date: ...
