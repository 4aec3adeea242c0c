"""One Bulk API 2.0 ingest job's rows through DML, with per-row results for the result CSVs.

CSV rules (salesforce-wire.md §6.1): the header holds field API names or relationship external
ids (``Account.Ext__c``); an empty cell means "no change", ``#N/A`` sets null. Each row succeeds
or fails on its own (a failed row is rolled back, its siblings are not).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulators.salesforce.errors import SalesforceError
from simulators.salesforce.models import ids
from simulators.salesforce.models.dml import MultipleMatches
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
        for row in rows:
            if len(row) != len(self.header):
                self._fail(
                    row, SalesforceError(400, "INVALID_FIELD", "Wrong number of columns in this row", [])
                )
                continue
            try:
                with self.org.store.transaction():
                    record_id, created = self._apply(row)
            except SalesforceError as exc:
                self._fail(row, exc)
            except MultipleMatches as exc:
                self._fail(
                    row,
                    SalesforceError(
                        400,
                        "DUPLICATE_EXTERNAL_ID",
                        f"{self.job.external_id_field}: more than one record found for external id field: "
                        f"{', '.join(exc.ids)}",
                        [self.job.external_id_field or ""],
                    ),
                )
            else:
                self.job.processed += 1
                self.job.successes.append([record_id, "true" if created else "false", *row])

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
                raise SalesforceError(400, "MALFORMED_ID", f"malformed id {value}", ["Id"])
            data = self._data(row, skip="id") if field_name.lower() == "id" else self._data(row)
            if field_name.lower() != "id" and not value:
                raise SalesforceError(
                    400,
                    "REQUIRED_FIELD_MISSING",
                    f"Required fields are missing: [{field_name}]",
                    [field_name],
                )
            record, created = dml.upsert(self.obj, field_name, value, data, self.user_id)
            return record.id, created
        if self.id_column is None or not row[self.id_column]:
            raise SalesforceError(400, "MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])
        raw_id = row[self.id_column]
        canonical = ids.normalize(raw_id)
        if canonical is None:
            raise SalesforceError(400, "MALFORMED_ID", f"malformed id {raw_id}", ["Id"])
        found = dml.store.row(canonical)
        if found is None or found.obj is not self.obj or (found.is_deleted and operation != "hardDelete"):
            if found is not None and found.is_deleted:
                raise SalesforceError(400, "ENTITY_IS_DELETED", "entity is deleted", [])
            raise SalesforceError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [])
        if operation == "update":
            return dml.update(self.obj, found, self._data(row, skip="id"), self.user_id).id, False
        if operation == "delete":
            dml.delete(found, self.user_id)
        else:
            dml.hard_delete(found)
        return found.id, False
