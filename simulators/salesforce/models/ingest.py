"""One Bulk API 2.0 ingest job's rows through DML, with per-row results for the result CSVs.

CSV rules (salesforce-wire.md §6.1): the header holds field API names or relationship external
ids (``Account.Ext__c``); an empty cell means "no change", ``#N/A`` sets null. Each row succeeds
or fails on its own (a failed row is rolled back, its siblings are not): the model's batch DML
(``Dml.run_batch`` without all-or-none, ``Dml.row_for_write`` for the rows an update names).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulators.salesforce import catalogue
from simulators.salesforce.catalogue import SalesforceError
from simulators.salesforce.models import ids
from simulators.salesforce.models.dml import MultipleMatches, Outcome
from simulators.salesforce.models.schema import ObjectDef

if TYPE_CHECKING:
    from simulators.salesforce.models.bulk import Job
    from simulators.salesforce.models.orgs import Org

NULL_CELL = "#N/A"


class IngestRun:
    def __init__(self, org: Org, job: Job, header: list[str]) -> None:
        self.org = org
        self.job = job
        self.header = header
        obj = org.schema.get(job.object or "")
        assert obj is not None
        self.obj: ObjectDef = obj
        self.user_id = job.created_by
        self.id_column = next((i for i, h in enumerate(header) if h.lower() == "id"), None)
        self.keys = [self._key(name) for name in header]

    def _key(self, name: str) -> tuple[str, str | None]:
        if "." in name:
            relationship, _, field_name = name.partition(".")
            return relationship, field_name
        return name, None

    def process(self, rows: list[list[str]]) -> None:
        outcomes = self.org.dml.run_batch(rows, self._outcome, all_or_none=False)
        for row, outcome in zip(rows, outcomes, strict=True):
            if outcome.error is not None:
                self._fail(row, outcome.error)
            else:
                self.job.processed += 1
                self.job.successes.append([outcome.id or "", "true" if outcome.created else "false", *row])

    def _outcome(self, row: list[str]) -> Outcome:
        if len(row) != len(self.header):
            raise catalogue.WRONG_COLUMN_COUNT.error([])
        try:
            record_id, created = self._apply(row)
        except MultipleMatches as exc:
            raise exc.as_error(self.job.external_id_field or "") from None
        return Outcome(id=record_id, created=created)

    def _fail(self, row: list[str], error: SalesforceError) -> None:
        self.job.processed += 1
        self.job.failed += 1
        record_id = ""
        if self.id_column is not None and self.id_column < len(row) and self.job.operation != "insert":
            record_id = row[self.id_column]
        self.job.failures.append([record_id, error.csv_error(), *row])

    def _data(self, row: list[str], *, skip: str | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for (name, sub), cell in zip(self.keys, row, strict=True):
            if cell == "" or (skip is not None and name.lower() == skip):
                continue
            value: Any = None if cell == NULL_CELL else cell
            if sub is not None:
                data[name] = {sub: value}
            else:
                data[name] = value
        return data

    def _apply(self, row: list[str]) -> tuple[str, bool]:
        dml = self.org.dml
        operation = self.job.operation
        if operation == "insert":
            return dml.create(self.obj, self._data(row), self.user_id).id, True
        if operation == "upsert":
            field_name = self.job.external_id_field or "Id"
            column = next((i for i, h in enumerate(self.header) if h.lower() == field_name.lower()), None)
            value = row[column] if column is not None else ""
            if field_name.lower() == "id" and value and ids.normalize(value) is None:
                raise catalogue.MALFORMED_ID.error(["Id"], id=value)
            data = self._data(row, skip="id") if field_name.lower() == "id" else self._data(row)
            if field_name.lower() != "id" and not value:
                raise catalogue.REQUIRED_FIELD_MISSING.error([field_name], names=field_name)
            record, created = dml.upsert(self.obj, field_name, value, data, self.user_id)
            return record.id, created
        if self.id_column is None or not row[self.id_column]:
            raise catalogue.MISSING_ID.error(["Id"])
        found = dml.row_for_write(
            row[self.id_column], self.obj, deleted_ok=operation == "hardDelete", id_fields=["Id"]
        )
        if operation == "update":
            return dml.update(self.obj, found, self._data(row, skip="id"), self.user_id).id, False
        if operation == "delete":
            dml.delete(found, self.user_id)
        else:
            dml.hard_delete(found)
        return found.id, False
