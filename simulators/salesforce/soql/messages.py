"""SOQL error messages, worded like a real org's.

Positional errors echo the offending line of the query with a caret under the column, then
``ERROR at Row:r:Column:c`` and the detail (this is how MALFORMED_QUERY, INVALID_FIELD,
INVALID_TYPE and INVALID_QUERY_FILTER_OPERATOR read on the wire).
"""

from __future__ import annotations

from simulators.salesforce.catalogue import SalesforceError

MALFORMED_QUERY = "MALFORMED_QUERY"
INVALID_FIELD = "INVALID_FIELD"
INVALID_TYPE = "INVALID_TYPE"
INVALID_QUERY_FILTER_OPERATOR = "INVALID_QUERY_FILTER_OPERATOR"
NUMBER_OUTSIDE_VALID_RANGE = "NUMBER_OUTSIDE_VALID_RANGE"
FEATURE_NOT_ENABLED = "FEATURE_NOT_ENABLED"

MAX_OFFSET = 2000
FIELDS_MAX_LIMIT = 200


def row_and_column(text: str, position: int) -> tuple[int, int]:
    """1-based row and column of a character offset."""
    position = max(0, min(position, len(text)))
    row = text.count("\n", 0, position) + 1
    line_start = text.rfind("\n", 0, position) + 1
    return row, position - line_start + 1


def located(code: str, text: str, position: int, detail: str) -> SalesforceError:
    row, column = row_and_column(text, position)
    line = text.splitlines()[row - 1] if text.strip() else ""
    caret = " " * (column - 1) + "^"
    message = f"\n{line}\n{caret}\nERROR at Row:{row}:Column:{column}\n{detail}"
    return SalesforceError(400, code, message)


def unexpected_token(text: str, position: int, token: str) -> SalesforceError:
    return located(MALFORMED_QUERY, text, position, f"unexpected token: '{token}'")


def malformed(text: str, position: int, detail: str) -> SalesforceError:
    return located(MALFORMED_QUERY, text, position, detail)


def no_such_column(text: str, position: int, field: str, entity: str) -> SalesforceError:
    return located(
        INVALID_FIELD,
        text,
        position,
        f"No such column '{field}' on entity '{entity}'. If you are attempting to use a custom field, "
        "be sure to append the '__c' after the custom field name. Please reference your WSDL or the "
        "describe call for the appropriate names.",
    )


def unknown_relationship(text: str, position: int, name: str, where: str = "field path") -> SalesforceError:
    detail = (
        f"Didn't understand relationship '{name}' in {where}. If you are attempting to use a custom "
        "relationship, be sure to append the '__r' after the custom relationship name. Please reference "
        "your WSDL or the describe call for the appropriate names."
    )
    # An unknown child relationship in a subquery's FROM is an INVALID_TYPE in real orgs.
    code = INVALID_TYPE if where.startswith("FROM") else INVALID_FIELD
    return located(code, text, position, detail)


def unsupported_type(text: str, position: int, name: str) -> SalesforceError:
    return located(
        INVALID_TYPE,
        text,
        position,
        f"sObject type '{name}' is not supported. If you are attempting to use a custom object, be sure "
        "to append the '__c' after the entity name. Please reference your WSDL or the describe call for "
        "the appropriate names.",
    )


def invalid_field(text: str, position: int, detail: str) -> SalesforceError:
    return located(INVALID_FIELD, text, position, detail)


def invalid_operator(text: str, position: int, detail: str) -> SalesforceError:
    return located(INVALID_QUERY_FILTER_OPERATOR, text, position, detail)


def duplicate_field(name: str) -> SalesforceError:
    # Observed without the caret echo.
    return SalesforceError(400, INVALID_FIELD, f"duplicate field selected: {name}")


def unterminated_string(text: str) -> SalesforceError:
    return SalesforceError(
        400, MALFORMED_QUERY, f"line 1:{len(text)} mismatched character '<EOF>' expecting '''"
    )


def offset_too_large() -> SalesforceError:
    return SalesforceError(400, NUMBER_OUTSIDE_VALID_RANGE, f"Maximum SOQL offset allowed is {MAX_OFFSET}")


def not_in_bulk(detail: str) -> SalesforceError:
    return SalesforceError(400, FEATURE_NOT_ENABLED, detail)
