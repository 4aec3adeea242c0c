"""An in-memory DataSource for SOQL tests, implementing ports.py honestly: case-insensitive
describe, real indexes on Id and external-id fields (case-insensitive for text), 15/18-character
ids, and counters so tests can tell an index lookup from a scan."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def to18(id15: str) -> str:
    """The documented checksum (salesforce-wire.md 3.6)."""
    return id15 + "".join(
        ALPHABET[sum(1 << i for i, c in enumerate(id15[k : k + 5]) if "A" <= c <= "Z")] for k in (0, 5, 10)
    )


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    reference_to: Sequence[str] = ()
    relationship_name: str | None = None
    indexed: bool = False


@dataclass(frozen=True)
class Child:
    relationship_name: str
    child_object: str
    field: str


@dataclass
class ObjectType:
    name: str
    prefix: str
    field_list: list[Field]
    children: list[Child] = field(default_factory=list)

    def field(self, name: str) -> Field | None:
        lowered = name.lower()
        return next((item for item in self.field_list if item.name.lower() == lowered), None)

    def fields(self) -> Sequence[Field]:
        return list(self.field_list)

    def parent_relationship(self, name: str) -> Field | None:
        lowered = name.lower()
        return next(
            (
                item
                for item in self.field_list
                if item.relationship_name is not None and item.relationship_name.lower() == lowered
            ),
            None,
        )

    def child_relationship(self, name: str) -> Child | None:
        lowered = name.lower()
        return next((item for item in self.children if item.relationship_name.lower() == lowered), None)


def _audit() -> list[Field]:
    return [
        Field("Id", "id", indexed=True),
        Field("IsDeleted", "boolean"),
        Field("CreatedDate", "datetime"),
        Field("SystemModstamp", "datetime"),
    ]


def standard_schema() -> list[ObjectType]:
    return [
        ObjectType(
            "Organization", "00D", [*_audit(), Field("Name", "string"), Field("IsSandbox", "boolean")]
        ),
        ObjectType("User", "005", [*_audit(), Field("Name", "string"), Field("Email", "email")]),
        ObjectType(
            "Account",
            "001",
            [
                *_audit(),
                Field("Name", "string"),
                Field("Industry", "picklist"),
                Field("NumberOfEmployees", "int"),
                Field("AnnualRevenue", "currency"),
                Field("Rating__c", "double"),
                Field("Active__c", "boolean"),
                Field("Billing_Account_Number__c", "string", indexed=True),
                Field("Services__c", "multipicklist"),
                Field("First_Invoice_Date__c", "date"),
                Field("Description", "textarea"),
                Field("ParentId", "reference", ("Account",), "Parent"),
                Field("OwnerId", "reference", ("User",), "Owner"),
                Field("BillingStreet", "textarea"),
                Field("BillingCity", "string"),
                Field("BillingState", "string"),
                Field("BillingPostalCode", "string"),
                Field("BillingCountry", "string"),
                Field("BillingLatitude", "double"),
                Field("BillingLongitude", "double"),
                Field("BillingGeocodeAccuracy", "picklist"),
                Field("BillingAddress", "address"),
            ],
            [
                Child("Contacts", "Contact", "AccountId"),
                Child("ChildAccounts", "Account", "ParentId"),
                Child("Invoices__r", "Invoice__c", "Account__c"),
                Child("Tasks", "Task", "WhatId"),
            ],
        ),
        ObjectType(
            "Contact",
            "003",
            [
                *_audit(),
                Field("FirstName", "string"),
                Field("LastName", "string"),
                Field("Email", "email"),
                Field("Birthdate", "date"),
                Field("AccountId", "reference", ("Account",), "Account"),
            ],
        ),
        ObjectType(
            "Invoice__c",
            "a01",
            [
                *_audit(),
                Field("Name", "string"),
                Field("Amount__c", "currency"),
                Field("Invoice_Date__c", "date"),
                Field("Status__c", "picklist"),
                Field("Account__c", "reference", ("Account",), "Account__r"),
            ],
            [Child("Tasks", "Task", "WhatId")],
        ),
        ObjectType(
            "Task",
            "00T",
            [
                *_audit(),
                Field("Subject", "string"),
                Field("WhatId", "reference", ("Account", "Invoice__c"), "What"),
            ],
        ),
    ]


TODAY = date(2024, 5, 15)  # a Wednesday
NOW = datetime(2024, 5, 15, 13, 30, tzinfo=UTC)


class FakeSource:
    def __init__(
        self, objects: list[ObjectType] | None = None, *, today: date = TODAY, now: datetime = NOW
    ) -> None:
        self.objects = {item.name.lower(): item for item in (objects or standard_schema())}
        self.records: dict[str, list[dict[str, Any]]] = {name: [] for name in self.objects}
        self.by_id: dict[str, dict[str, Any]] = {}
        self.indexes: dict[tuple[str, str], dict[Any, list[dict[str, Any]]]] = {}
        self.counters: dict[str, int] = {}
        self._today = today
        self._now = now
        self.scans: Counter[str] = Counter()
        self.lookups: list[tuple[str, str, tuple[Any, ...]]] = []
        self.gets = 0

    # --- test helpers -----------------------------------------------------------------------

    def insert(self, object_name: str, **values: Any) -> dict[str, Any]:
        info = self.objects[object_name.lower()]
        number = self.counters.get(info.name, 0) + 1
        self.counters[info.name] = number
        digits = ""
        remaining = number
        while remaining:
            remaining, digit = divmod(remaining, 62)
            digits = BASE62[digit] + digits
        record: dict[str, Any] = {item.name: None for item in info.field_list if item.type != "address"}
        record.update(
            Id=to18(info.prefix + "4J" + "0" + digits.rjust(9, "0")), IsDeleted=False, CreatedDate=self._now
        )
        for key, value in values.items():
            canonical = info.field(key)
            assert canonical is not None, key
            record[canonical.name] = value
        self.records[info.name.lower()].append(record)
        self.by_id[record["Id"]] = record
        for item in info.field_list:
            if item.indexed:
                key = _index_key(item, record[item.name])
                self.indexes.setdefault((info.name.lower(), item.name.lower()), {}).setdefault(
                    key, []
                ).append(record)
        return record

    def reset_counters(self) -> None:
        self.scans.clear()
        self.lookups.clear()
        self.gets = 0

    # --- DataSource -------------------------------------------------------------------------

    def describe(self, object_name: str) -> ObjectType | None:
        return self.objects.get(object_name.lower())

    def scan(self, object_name: str, *, include_deleted: bool = False) -> Iterable[dict[str, Any]]:
        info = self.objects[object_name.lower()]
        self.scans[info.name] += 1
        rows = self.records[info.name.lower()]
        return list(rows) if include_deleted else [row for row in rows if not row["IsDeleted"]]

    def lookup(
        self, object_name: str, field: str, values: Collection[Any], *, include_deleted: bool = False
    ) -> Iterable[dict[str, Any]] | None:
        info = self.objects[object_name.lower()]
        definition = info.field(field)
        index = self.indexes.get((info.name.lower(), field.lower()))
        if definition is None or not definition.indexed or index is None:
            return None
        self.lookups.append((info.name, definition.name, tuple(values)))
        out: list[dict[str, Any]] = []
        seen: set[int] = set()
        for value in values:
            for row in index.get(_index_key(definition, value), []):
                if (include_deleted or not row["IsDeleted"]) and id(row) not in seen:
                    seen.add(id(row))
                    out.append(row)
        return out

    def lookup_prefix(
        self, object_name: str, field: str, prefix: str, *, include_deleted: bool = False
    ) -> Iterable[dict[str, Any]] | None:
        """No ordered index here (the real store's is tested in test_store.py): scan instead."""
        return None

    def get(self, record_id: str) -> dict[str, Any] | None:
        self.gets += 1
        if len(record_id) == 15:
            record_id = to18(record_id)
        return self.by_id.get(record_id)

    def now(self) -> datetime:
        return self._now

    def today(self) -> date:
        return self._today


def _index_key(definition: Field, value: Any) -> Any:
    if value is None:
        return None
    if definition.type == "id":
        return to18(value) if len(value) == 15 else value
    return value.casefold() if isinstance(value, str) else value


def record_url(object_name: str, record_id: str) -> str:
    return f"/services/data/v59.0/sobjects/{object_name}/{record_id}"
