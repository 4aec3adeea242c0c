"""An in-memory org for the SOQL engine tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from simulators.salesforce.errors import SalesforceError
from simulators.salesforce.soql import QueryResult, execute
from tests.support.soql_fakes import FakeSource, record_url


@dataclass
class Org:
    source: FakeSource
    ids: dict[str, str] = field(default_factory=dict)

    def add(self, handle: str, object_name: str, **values: Any) -> dict[str, Any]:
        record = self.source.insert(object_name, **values)
        self.ids[handle] = record["Id"]
        return record

    def query(self, soql: str, *, include_deleted: bool = False) -> QueryResult:
        return execute(soql, self.source, include_deleted=include_deleted, record_url=record_url)

    def values(self, soql: str, name: str = "Name") -> list[Any]:
        return [record[name] for record in self.query(soql).records]

    def error(self, soql: str) -> SalesforceError:
        with pytest.raises(SalesforceError) as caught:
            self.query(soql)
        return caught.value


def at(day: str, clock: str = "12:00:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=UTC)
