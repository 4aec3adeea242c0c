"""Salesforce's errors: the exception types and the one catalogue of codes and messages.

REST errors are a JSON *array* of ``{"message", "errorCode", "fields"}`` (``fields`` absent for
session, limit and not-found errors). Per-record results (collections, tree, bulk) use
``statusCode`` instead: ``SalesforceError.record_errors()`` gives that form, so models raise the
same exception everywhere and each surface picks its shape. ``errors`` renders them for HTTP.

No aiohttp here: models and the SOQL engine import this module (rule 1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class SalesforceError(Exception):
    """One Salesforce error (plus, rarely, sibling errors reported in the same array)."""

    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        fields: Sequence[str] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        more: Sequence[SalesforceError] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = list(fields) if fields is not None else None
        self.headers = dict(headers or {})
        self.more = list(more)

    def item(self) -> dict[str, Any]:
        item: dict[str, Any] = {"message": self.message, "errorCode": self.error_code}
        if self.fields is not None:
            item["fields"] = self.fields
        return item

    def items(self) -> list[dict[str, Any]]:
        """The REST body: every error, ``errorCode`` form."""
        return [error.item() for error in (self, *self.more)]

    def record_errors(self) -> list[dict[str, Any]]:
        """The per-record form (collections, tree, composite upsert results): ``statusCode``."""
        return [
            {"statusCode": error.error_code, "message": error.message, "fields": error.fields or []}
            for error in (self, *self.more)
        ]

    @classmethod
    def combined(cls, errors: Sequence[SalesforceError]) -> SalesforceError:
        """Several problems with one record, reported together (the first leads)."""
        first = errors[0]
        return cls(first.status, first.error_code, first.message, first.fields, more=errors[1:])

    def csv_error(self) -> str:
        """Bulk API 2.0 ``sf__Error``: ``CODE:message:fields`` (``--`` when no field)."""
        fields = ",".join(self.fields or []) or "--"
        return f"{self.error_code}:{self.message}:{fields}"


class OAuthError(Exception):
    """An OAuth 2.0 token-endpoint error: RFC 6749 ``{"error", "error_description"}``, HTTP 400."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


class SoapFault(Exception):
    """A SOAP partner API fault. Real orgs answer these with HTTP 500 and an ``sf:`` detail."""

    def __init__(self, code: str, message: str, *, fault_code: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fault_code = fault_code or f"sf:{code}"


# -- the catalogue ---------------------------------------------------------------------------------


class Entry:
    """One kind of Salesforce error: its code, HTTP status and message template (``str.format``).

    Templates hold Salesforce's own wording (salesforce-wire.md §8.3); a ``{detail}`` template
    marks an error whose text is a caller's (a validation rule's message, a parser's complaint).
    """

    __slots__ = ("code", "name", "status", "template")

    def __init__(self, name: str, code: str, status: int, template: str) -> None:
        self.name = name
        self.code = code
        self.status = status
        self.template = template

    def message(self, **values: Any) -> str:
        return self.template.format(**values)

    def error(
        self,
        fields: Sequence[str] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        more: Sequence[SalesforceError] = (),
        **values: Any,
    ) -> SalesforceError:
        """The exception, message rendered from ``values``; ``fields=None`` leaves the key out."""
        return SalesforceError(
            self.status, self.code, self.message(**values), fields, headers=headers, more=more
        )

    def __repr__(self) -> str:
        return f"Entry({self.name}: {self.status} {self.code} {self.template!r})"


ENTRIES: dict[str, Entry] = {}


def _entry(name: str, code: str, status: int, template: str) -> Entry:
    entry = Entry(name, code, status, template)
    ENTRIES[name] = entry
    return entry


# Sessions, limits, routing.
INVALID_SESSION_ID = _entry("INVALID_SESSION_ID", "INVALID_SESSION_ID", 401, "Session expired or invalid")
REQUEST_LIMIT_EXCEEDED = _entry(
    "REQUEST_LIMIT_EXCEEDED", "REQUEST_LIMIT_EXCEEDED", 403, "TotalRequests Limit exceeded."
)
CONCURRENT_LIMIT_EXCEEDED = _entry(
    "CONCURRENT_LIMIT_EXCEEDED", "REQUEST_LIMIT_EXCEEDED", 403, "ConcurrentPerOrgLongTxn Limit exceeded."
)
NOT_FOUND = _entry("NOT_FOUND", "NOT_FOUND", 404, "The requested resource does not exist")
EXTERNAL_ID_FIELD_NOT_FOUND = _entry(
    "EXTERNAL_ID_FIELD_NOT_FOUND",
    "NOT_FOUND",
    404,
    "Provided external ID field does not exist or is not accessible: {field}",
)
METHOD_NOT_ALLOWED = _entry(
    "METHOD_NOT_ALLOWED",
    "METHOD_NOT_ALLOWED",
    405,
    "HTTP Method '{method}' not allowed. Allowed are {allowed}",
)
UNKNOWN_EXCEPTION = _entry(
    "UNKNOWN_EXCEPTION",
    "UNKNOWN_EXCEPTION",
    500,
    "An unexpected error occurred. Please include this ErrorId if you contact support: {request_id}",
)
REQUEST_ENTITY_TOO_LARGE = _entry(
    "REQUEST_ENTITY_TOO_LARGE", "REQUEST_ENTITY_TOO_LARGE", 413, "The request body is too large."
)
UNSUPPORTED_MEDIA_TYPE = _entry(
    "UNSUPPORTED_MEDIA_TYPE", "UNSUPPORTED_MEDIA_TYPE", 415, "Content type '{media}' is not supported{detail}"
)
INSUFFICIENT_ACCESS = _entry(
    "INSUFFICIENT_ACCESS", "INSUFFICIENT_ACCESS", 403, "You do not have access to this identity"
)
INVALID_API_INPUT = _entry("INVALID_API_INPUT", "INVALID_API_INPUT", 400, "{detail}")
MISSING_ARGUMENT = _entry("MISSING_ARGUMENT", "MISSING_ARGUMENT", 400, "{name}: required parameter missing")
MISSING_DATE_ARGUMENT = _entry(
    "MISSING_DATE_ARGUMENT", "MISSING_ARGUMENT", 400, "Missing required parameter: {name}"
)
MISSING_ID = _entry("MISSING_ID", "MISSING_ARGUMENT", 400, "Id not specified in an update call")
INVALID_BOOLEAN_ARGUMENT = _entry(
    "INVALID_BOOLEAN_ARGUMENT", "INVALID_QUERY_FILTER_OPERATOR", 400, "{name} must be true or false: {value}"
)
INVALID_REPLICATION_DATE = _entry("INVALID_REPLICATION_DATE", "INVALID_REPLICATION_DATE", 400, "{detail}")
INVALID_QUERY_LOCATOR = _entry("INVALID_QUERY_LOCATOR", "INVALID_QUERY_LOCATOR", 400, "invalid query locator")
INVALID_HEADER_TYPE = _entry(
    "INVALID_HEADER_TYPE", "INVALID_HEADER_TYPE", 400, "Sforce-Query-Options: {detail}"
)
NO_QUERY = _entry("NO_QUERY", "MALFORMED_QUERY", 400, "A query string has to be specified")
UNSUPPORTED_TYPE = _entry(
    "UNSUPPORTED_TYPE",
    "INVALID_TYPE",
    400,
    "sObject type '{name}' is not supported. If you are attempting to use a custom object, be sure to append "
    "the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate "
    "names.",
)

# JSON bodies.
JSON_PARSER_ERROR = _entry("JSON_PARSER_ERROR", "JSON_PARSER_ERROR", 400, "{detail}")
EMPTY_BODY = _entry(
    "EMPTY_BODY", "JSON_PARSER_ERROR", 400, "The request body is empty. Expected a JSON document."
)
NOT_AN_OBJECT = _entry(
    "NOT_AN_OBJECT",
    "JSON_PARSER_ERROR",
    400,
    "Cannot deserialize instance of object from {token} value at [line:1, column:1]",
)
BAD_JSON = _entry(
    "BAD_JSON",
    "JSON_PARSER_ERROR",
    400,
    "Unexpected character ('{char}'): {reason} at [line:{line}, column:{column}]",
)
CANNOT_DESERIALIZE = _entry(
    "CANNOT_DESERIALIZE",
    "JSON_PARSER_ERROR",
    400,
    "Cannot deserialize instance of {target} from {kind} value {value} or request may be missing a required field",
)
UNRECOGNIZED_FIELD = _entry(
    "UNRECOGNIZED_FIELD",
    "JSON_PARSER_ERROR",
    400,
    'Unrecognized field "{name}" (not marked as ignorable) at [line:1, column:1]',
)

# Saving records: system validation, in the order a real save runs it.
INVALID_FIELD = _entry(
    "INVALID_FIELD", "INVALID_FIELD", 400, "No such column '{name}' on sobject of type {entity}"
)
INVALID_FIELD_SOQL = _entry(
    "INVALID_FIELD_SOQL",
    "INVALID_FIELD",
    400,
    "No such column '{name}' on entity '{entity}'. If you are attempting to use a custom field, be sure to "
    "append the '__c' after the custom field name. Please reference your WSDL or the describe call for the "
    "appropriate names.",
)
INVALID_FIELD_FOR_INSERT_UPDATE = _entry(
    "INVALID_FIELD_FOR_INSERT_UPDATE",
    "INVALID_FIELD_FOR_INSERT_UPDATE",
    400,
    "Unable to create/update fields: {names}. Please check the security settings of this field and verify "
    "that it is read/write for your profile or permission set.",
)
ID_IN_INSERT = _entry("ID_IN_INSERT", "INVALID_FIELD", 400, "cannot specify Id in an insert call")
NOT_AN_EXTERNAL_ID = _entry(
    "NOT_AN_EXTERNAL_ID",
    "INVALID_FIELD",
    400,
    "Field name provided, {field} is not an External ID or indexed field for {entity}",
)
EXTERNAL_ID_MISMATCH = _entry(
    "EXTERNAL_ID_MISMATCH",
    "INVALID_FIELD",
    400,
    "The value of the external ID field in the URL ({url_value}) and in the body ({body_value}) differ",
)
ONE_FOREIGN_KEY = _entry(
    "ONE_FOREIGN_KEY",
    "INVALID_FIELD",
    400,
    "The relationship {relationship} must name exactly one external ID field",
)
FOREIGN_KEY_NOT_FOUND = _entry(
    "FOREIGN_KEY_NOT_FOUND",
    "INVALID_FIELD",
    400,
    "Foreign key external ID: {value} not found for field {field} in entity {entity}",
)
FOREIGN_KEY_AMBIGUOUS = _entry(
    "FOREIGN_KEY_AMBIGUOUS",
    "INVALID_FIELD",
    400,
    "Foreign key external ID: {value} matches more than one record for field {field} in entity {entity}",
)
WRONG_COLUMN_COUNT = _entry("WRONG_COLUMN_COUNT", "INVALID_FIELD", 400, "Wrong number of columns in this row")
REQUIRED_FIELD_MISSING = _entry(
    "REQUIRED_FIELD_MISSING", "REQUIRED_FIELD_MISSING", 400, "Required fields are missing: [{names}]"
)
# Salesforce quotes the whole value, however long (the label, not the API name, leads).
STRING_TOO_LONG = _entry(
    "STRING_TOO_LONG", "STRING_TOO_LONG", 400, "{label}: data value too large: {value} (max length={length})"
)
RESTRICTED_PICKLIST = _entry(
    "RESTRICTED_PICKLIST",
    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
    400,
    "{label}: bad value for restricted picklist field: {value}",
)
INVALID_EMAIL_ADDRESS = _entry(
    "INVALID_EMAIL_ADDRESS", "INVALID_EMAIL_ADDRESS", 400, "{label}: invalid email address: {value}"
)
NUMBER_OUTSIDE_VALID_RANGE = _entry(
    "NUMBER_OUTSIDE_VALID_RANGE",
    "NUMBER_OUTSIDE_VALID_RANGE",
    400,
    "{label}: value outside of valid range on numeric field: {value}",
)
FIELD_CUSTOM_VALIDATION_EXCEPTION = _entry(
    "FIELD_CUSTOM_VALIDATION_EXCEPTION", "FIELD_CUSTOM_VALIDATION_EXCEPTION", 400, "{detail}"
)
DUPLICATE_VALUE = _entry(
    "DUPLICATE_VALUE",
    "DUPLICATE_VALUE",
    400,
    "duplicate value found: {field} duplicates value on record with id: {id}",
)
DUPLICATE_EXTERNAL_ID = _entry(
    "DUPLICATE_EXTERNAL_ID",
    "DUPLICATE_EXTERNAL_ID",
    400,
    "{field}: more than one record found for external id field: [{ids}]",
)
INVALID_TYPE_FOR_OPERATION = _entry(
    "INVALID_TYPE_FOR_OPERATION", "INVALID_TYPE_FOR_OPERATION", 400, "entity type cannot be {verb}: {entity}"
)

# Lookups for write: the record an update, delete or reference names.
MALFORMED_ID = _entry("MALFORMED_ID", "MALFORMED_ID", 400, "malformed id {id}")
ID_OF_WRONG_TYPE = _entry(
    "ID_OF_WRONG_TYPE", "MALFORMED_ID", 400, "{label}: id value of incorrect type: {id}"
)
INVALID_CROSS_REFERENCE_KEY = _entry(
    "INVALID_CROSS_REFERENCE_KEY", "INVALID_CROSS_REFERENCE_KEY", 400, "invalid cross reference id"
)
ENTITY_IS_DELETED = _entry("ENTITY_IS_DELETED", "ENTITY_IS_DELETED", 400, "entity is deleted")
ENTITY_IS_DELETED_ROW = _entry("ENTITY_IS_DELETED_ROW", "ENTITY_IS_DELETED", 404, "entity is deleted")
# Row-lock contention (another transaction holds the record): integrations retry it.
UNABLE_TO_LOCK_ROW = _entry(
    "UNABLE_TO_LOCK_ROW",
    "UNABLE_TO_LOCK_ROW",
    400,
    "unable to obtain exclusive access to this record or {count} records: {ids}",
)
UNABLE_TO_LOCK_NEW_ROW = _entry(
    "UNABLE_TO_LOCK_NEW_ROW", "UNABLE_TO_LOCK_ROW", 400, "unable to obtain exclusive access to this record"
)

# Batches: sObject Collections, composite, batch, tree.
EXCEEDED_ID_LIMIT = _entry(
    "EXCEEDED_ID_LIMIT",
    "EXCEEDED_ID_LIMIT",
    400,
    "record limit reached. cannot submit more than {limit} records into this call",
)
NO_CONCRETE_TYPE = _entry("NO_CONCRETE_TYPE", "INVALID_TYPE", 400, "Must send a concrete entity type.")
TYPE_MISMATCH = _entry("TYPE_MISMATCH", "INVALID_TYPE", 400, "Record type {name} does not match {expected}")
ALL_OR_NONE_OPERATION_ROLLED_BACK = _entry(
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    400,
    "Record rolled back because not all records were valid and the request was using AllOrNone header",
)
PROCESSING_HALTED = _entry(
    "PROCESSING_HALTED",
    "PROCESSING_HALTED",
    400,
    "The transaction was rolled back since another operation in the same transaction failed.",
)
INVALID_REFERENCE = _entry(
    "INVALID_REFERENCE",
    "PROCESSING_HALTED",
    400,
    "Invalid reference specified. No value for {reference} found in {name}. "
    "Provided referenceId ({name}) must be the referenceId of a previous successful subrequest.",
)
BATCH_PROCESSING_HALTED = _entry(
    "BATCH_PROCESSING_HALTED", "BATCH_PROCESSING_HALTED", 412, "Batch processing halted per request"
)
# The exact code for an over-long composite request is not documented; LIMIT_EXCEEDED is what
# several client libraries report.
LIMIT_EXCEEDED = _entry("LIMIT_EXCEEDED", "LIMIT_EXCEEDED", 400, "{detail}")
DUPLICATE_REFERENCE_ID = _entry(
    "DUPLICATE_REFERENCE_ID",
    "DUPLICATE_VALUE",
    400,
    "Duplicate referenceId provided in the request: {reference}",
)
NOT_IN_COMPOSITE = _entry(
    "NOT_IN_COMPOSITE",
    "INVALID_API_INPUT",
    400,
    "The resource {path} is not supported in this composite request",
)
INVALID_BATCH_REQUEST = _entry("INVALID_BATCH_REQUEST", "INVALID_BATCH_REQUEST", 400, "{detail}")
INVALID_INPUT = _entry("INVALID_INPUT", "INVALID_INPUT", 400, "{detail}")

# Bulk API 2.0.
INVALID_JOB = _entry("INVALID_JOB", "INVALIDJOB", 400, "InvalidJob : {detail}")
INVALID_JOB_STATE = _entry("INVALID_JOB_STATE", "INVALIDJOBSTATE", 409, "{detail}")
INVALID_JOB_STATE_CHANGE = _entry(
    "INVALID_JOB_STATE_CHANGE", "INVALIDJOBSTATE", 400, "Invalid state for a {kind} job: {state}"
)
INVALID_BATCH = _entry("INVALID_BATCH", "INVALIDBATCH", 400, "InvalidBatch : {detail}")
JOB_NOT_COMPLETE = _entry(
    "JOB_NOT_COMPLETE", "JOB_NOT_COMPLETE", 412, "Job {id} is not complete (it is {state})"
)
INVALID_PARAMETER = _entry(
    "INVALID_PARAMETER", "INVALIDPARAMETER", 400, "maxRecords must be a positive integer: {value}"
)
INVALID_LOCATOR = _entry("INVALID_LOCATOR", "INVALIDLOCATOR", 400, "Invalid locator: {locator}")

# Platform events and undelete (the event bus, issue 13).
# An event message may hold 1 MB (salesforce-events.md §2.4); the wording is ours (undocumented).
EVENT_TOO_LARGE = _entry(
    "EVENT_TOO_LARGE", "LIMIT_EXCEEDED", 400, "The event message exceeds the maximum size of {limit} bytes."
)
# Over HourlyPublishedPlatformEvents: LIMIT_EXCEEDED and nothing queued (§1.9).
PUBLISH_LIMIT_EXCEEDED = _entry(
    "PUBLISH_LIMIT_EXCEEDED", "LIMIT_EXCEEDED", 400, "HourlyPublishedPlatformEvents Limit exceeded."
)
# The SOAP/Apex undelete() of a record that is not in the recycle bin.
UNDELETE_FAILED = _entry("UNDELETE_FAILED", "UNDELETE_FAILED", 400, "Entity is not in the recycle bin")

# Catalog and order rules (orders-and-catalog.md §0, §1.9; models/order_rules.py). Verbatim where
# the reference has the text; the rest (marked [inf]) keep the code the reference names.
STANDARD_PRICE_NOT_DEFINED = _entry(
    "STANDARD_PRICE_NOT_DEFINED",
    "STANDARD_PRICE_NOT_DEFINED",
    400,
    "Before creating a custom price, create a standard price.",
)
DUPLICATE_PRICE = _entry(
    "DUPLICATE_PRICE", "DUPLICATE_VALUE", 400, "This price definition already exists in this price book"
)
# [inf] clients can only update the standard price book (§1.2), never delete it.
STANDARD_PRICE_BOOK_DELETE = _entry(
    "STANDARD_PRICE_BOOK_DELETE",
    "INVALID_OPERATION",
    400,
    "The standard price book can't be deleted",
)
ENTRY_NOT_IN_ORDER_PRICE_BOOK = _entry(
    "ENTRY_NOT_IN_ORDER_PRICE_BOOK",
    "FIELD_INTEGRITY_EXCEPTION",
    400,
    "Order Products must have a Price Book Entry that belongs to the Price Book related to the parent"
    " Order.: Price Book Entry ID",
)
INACTIVE_PRICE_BOOK_ENTRY = _entry(
    "INACTIVE_PRICE_BOOK_ENTRY",
    "FIELD_INTEGRITY_EXCEPTION",
    400,
    "field integrity exception: PricebookEntryId (pricebook entry is inactive)",
)
# [inf] Help: "After a price book is assigned to an order, it can't be changed or removed."
ORDER_PRICE_BOOK_FIXED = _entry(
    "ORDER_PRICE_BOOK_FIXED",
    "FIELD_INTEGRITY_EXCEPTION",
    400,
    "You can't change or remove the price book of an order once it is set: Price Book ID",
)
# [inf] Object Reference: Status must be the only field in the activating update.
ACTIVATION_STATUS_ONLY = _entry(
    "ACTIVATION_STATUS_ONLY",
    "FIELD_INTEGRITY_EXCEPTION",
    400,
    "Status must be the only field updated when activating an order: Status",
)
ORDER_CREATED_ACTIVATED = _entry(
    "ORDER_CREATED_ACTIVATED",
    "FIELD_INTEGRITY_EXCEPTION",
    400,
    "You can't create an order in an activated state. Create it as Draft, then activate it: Status",
)
ACTIVATION_NEEDS_PRODUCTS = _entry(
    "ACTIVATION_NEEDS_PRODUCTS",
    "FIELD_INTEGRITY_EXCEPTION",
    400,
    "You can't activate an order without order products",
)
ACTIVATED_ORDER_LOCKED = _entry(
    "ACTIVATED_ORDER_LOCKED",
    "ENTITY_IS_LOCKED",
    400,
    "Unable to modify activated or superseded Order: cannot delete Order, or add or remove Order Products",
)
