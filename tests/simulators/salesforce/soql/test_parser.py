from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from simulators.salesforce.errors import SalesforceError
from simulators.salesforce.soql import parse
from simulators.salesforce.soql.lexer import TokenKind, tokenize
from simulators.salesforce.soql.nodes import (
    And,
    Comparison,
    FieldPath,
    FieldsKind,
    FunctionCall,
    Includes,
    Literal,
    LiteralKind,
    Membership,
    Not,
    Or,
    RelativeDate,
    SelectField,
    SelectFields,
    SelectSubquery,
    SelectTypeOf,
    SemiJoin,
)


def malformed(text: str) -> SalesforceError:
    with pytest.raises(SalesforceError) as caught:
        parse(text)
    assert caught.value.status == 400
    assert caught.value.error_code == "MALFORMED_QUERY"
    return caught.value


# --- lexer ----------------------------------------------------------------------------------


def test_tokens_keep_kind_value_and_offset() -> None:
    tokens = tokenize("SELECT Id FROM Account WHERE Amount >= -1.5 AND CloseDate < 2024-01-31")
    kinds = [token.kind for token in tokens]
    assert kinds == [
        TokenKind.IDENT,
        TokenKind.IDENT,
        TokenKind.IDENT,
        TokenKind.IDENT,
        TokenKind.IDENT,
        TokenKind.IDENT,
        TokenKind.OPERATOR,
        TokenKind.NUMBER,
        TokenKind.IDENT,
        TokenKind.IDENT,
        TokenKind.OPERATOR,
        TokenKind.DATE,
        TokenKind.EOF,
    ]
    assert tokens[7].value == Decimal("-1.5")
    assert tokens[11].value == date(2024, 1, 31)
    assert tokens[2].position == 10


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("2024-01-31T00:00:00Z", datetime(2024, 1, 31, tzinfo=UTC)),
        ("2024-01-31T10:00:00+01:00", datetime(2024, 1, 31, 9, tzinfo=UTC)),
        ("2024-01-31T10:00:00-0800", datetime(2024, 1, 31, 18, tzinfo=UTC)),
        ("2024-01-31T00:00:00.000Z", datetime(2024, 1, 31, tzinfo=UTC)),
    ],
)
def test_datetime_literals_are_normalised_to_utc(literal: str, expected: datetime) -> None:
    (token, _eof) = tokenize(literal)
    assert token.kind is TokenKind.DATETIME
    assert token.value == expected


def test_string_escapes_are_decoded_and_raw_text_kept() -> None:
    (token, _eof) = tokenize(r"'O\'Brien \\ \"x\" \n\t 50\% a\_b \u00e9'")
    assert token.value == 'O\'Brien \\ "x" \n\t 50% a_b é'
    assert token.text == r"O\'Brien \\ \"x\" \n\t 50\% a\_b \u00e9"


def test_illegal_escape_is_malformed() -> None:
    error = malformed(r"SELECT Id FROM Account WHERE Name = 'a\qb'")
    assert "Illegal character sequence '\\q' in string literal." in error.message


def test_unterminated_string_is_malformed() -> None:
    error = malformed("SELECT Id FROM Account WHERE Name = 'abc")
    assert error.message == "line 1:40 mismatched character '<EOF>' expecting '''"


def test_invalid_calendar_date_is_malformed() -> None:
    assert "Invalid date: 2024-02-30" in malformed("SELECT Id FROM Account WHERE D__c = 2024-02-30").message


# --- SELECT ---------------------------------------------------------------------------------


def test_field_list_paths_functions_and_aliases() -> None:
    query = parse("select Id, account.owner.name, COUNT(Id) total, toLabel(Industry) from Contact")
    first, second, third, fourth = query.select
    assert first == SelectField(FieldPath(("Id",), 7), None, 7)
    assert isinstance(second, SelectField)
    assert second.operand == FieldPath(("account", "owner", "name"), 11)
    assert isinstance(third, SelectField)
    assert third.operand == FunctionCall("COUNT", FieldPath(("Id",), 37), 31, "COUNT")
    assert third.alias == "total"
    assert isinstance(fourth, SelectField)
    assert isinstance(fourth.operand, FunctionCall)
    assert fourth.operand.name == "TOLABEL"
    assert query.source.name == "Contact"


def test_count_only_and_aggregate_flags() -> None:
    assert parse("SELECT COUNT() FROM Account").is_count_only
    assert parse("SELECT COUNT() FROM Account").is_aggregate
    assert not parse("SELECT COUNT(Id) FROM Account").is_count_only
    assert parse("SELECT Name FROM Account GROUP BY Name").is_aggregate
    assert not parse("SELECT Name FROM Account").is_aggregate


def test_child_subquery_fields_and_typeof() -> None:
    query = parse(
        "SELECT Name, (SELECT LastName FROM Contacts WHERE LastName != null ORDER BY LastName LIMIT 5), "
        "FIELDS(CUSTOM), TYPEOF What WHEN Account THEN Name, Industry WHEN Invoice__c THEN Amount__c "
        "ELSE Name END FROM Account LIMIT 10"
    )
    _, subquery, fields, type_of = query.select
    assert isinstance(subquery, SelectSubquery)
    assert subquery.query.source.parts == ("Contacts",)
    assert subquery.query.limit == 5
    assert isinstance(fields, SelectFields)
    assert fields.kind is FieldsKind.CUSTOM
    assert isinstance(type_of, SelectTypeOf)
    assert [branch.object_name for branch in type_of.branches] == ["Account", "Invoice__c"]
    assert [path.text for path in type_of.branches[0].fields] == ["Name", "Industry"]
    assert [path.text for path in type_of.else_fields] == ["Name"]


def test_from_alias_and_qualified_child_relationship() -> None:
    query = parse("SELECT a.Name, (SELECT Id FROM a.Contacts) FROM Account a")
    assert query.source.alias == "a"
    subquery = query.select[1]
    assert isinstance(subquery, SelectSubquery)
    assert subquery.query.source.parts == ("a", "Contacts")


# --- WHERE ----------------------------------------------------------------------------------


def test_every_comparison_operator() -> None:
    for operator in ("=", "!=", "<", "<=", ">", ">="):
        where = parse(f"SELECT Id FROM Account WHERE NumberOfEmployees {operator} 10").where
        assert isinstance(where, Comparison)
        assert where.operator == operator
    where = parse("SELECT Id FROM Account WHERE Name <> 'x'").where
    assert isinstance(where, Comparison)
    assert where.operator == "!="


def test_literals() -> None:
    where = parse(
        "SELECT Id FROM A WHERE (a = 'x' AND b = 1.5 AND c = true AND d = FALSE AND e = null "
        "AND f = 2024-01-31 AND g = 2024-01-31T10:00:00Z AND h = TODAY AND i = LAST_N_DAYS:30)"
    ).where
    assert isinstance(where, And)
    values = [item.value for item in where.conditions if isinstance(item, Comparison)]
    assert [value.kind for value in values if isinstance(value, Literal)] == [
        LiteralKind.STRING,
        LiteralKind.NUMBER,
        LiteralKind.BOOLEAN,
        LiteralKind.BOOLEAN,
        LiteralKind.NULL,
        LiteralKind.DATE,
        LiteralKind.DATETIME,
    ]
    assert values[3] == Literal(LiteralKind.BOOLEAN, False, "FALSE", values[3].position)
    assert values[7] == RelativeDate("TODAY", None, values[7].position)
    assert values[8] == RelativeDate("LAST_N_DAYS", 30, values[8].position)


def test_in_not_in_like_includes_excludes() -> None:
    where = parse(
        "SELECT Id FROM Account WHERE Name IN ('a', 'b') AND Name NOT IN ('c') AND Name LIKE 'a%' "
        "AND S__c INCLUDES ('A;B', 'C') AND S__c EXCLUDES ('D')"
    ).where
    assert isinstance(where, And)
    in_list, not_in, like, includes, excludes = where.conditions
    assert isinstance(in_list, Membership)
    assert not in_list.negated
    assert [value.value for value in in_list.values if isinstance(value, Literal)] == ["a", "b"]
    assert isinstance(not_in, Membership)
    assert not_in.negated
    assert isinstance(like, Comparison)
    assert like.operator == "LIKE"
    assert isinstance(includes, Includes)
    assert not includes.excludes
    assert [value.value for value in includes.values] == ["A;B", "C"]
    assert isinstance(excludes, Includes)
    assert excludes.excludes


def test_semi_and_anti_joins() -> None:
    where = parse(
        "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact) "
        "AND Id NOT IN (SELECT Account__c FROM Invoice__c WHERE Status__c = 'Open')"
    ).where
    assert isinstance(where, And)
    semi, anti = where.conditions
    assert isinstance(semi, SemiJoin)
    assert not semi.negated
    assert semi.query.source.name == "Contact"
    assert isinstance(anti, SemiJoin)
    assert anti.negated
    assert anti.query.where is not None


def test_not_and_parentheses_nest() -> None:
    where = parse("SELECT Id FROM Account WHERE NOT (Name = 'a' OR (Name = 'b' AND Industry = 'c'))").where
    assert isinstance(where, Not)
    inner = where.condition
    assert isinstance(inner, Or)
    assert isinstance(inner.conditions[1], And)


def test_mixing_and_or_without_parentheses_is_refused() -> None:
    error = malformed("SELECT Id FROM Account WHERE Name = 'a' AND Name = 'b' OR Name = 'c'")
    assert error.message.endswith("unexpected token: 'OR'")
    assert "ERROR at Row:1:Column:56" in error.message


# --- clauses --------------------------------------------------------------------------------


def test_group_by_having_order_limit_offset() -> None:
    query = parse(
        "SELECT Industry, COUNT(Id) FROM Account WHERE Name != null GROUP BY Industry "
        "HAVING COUNT(Id) > 1 ORDER BY Industry DESC NULLS LAST, COUNT(Id) LIMIT 10 OFFSET 5"
    )
    assert query.group_by == (FieldPath(("Industry",), 68),)
    assert isinstance(query.having, Comparison)
    first, second = query.order_by
    assert (first.descending, first.nulls_last) == (True, True)
    assert (second.descending, second.nulls_last) == (False, False)
    assert isinstance(second.operand, FunctionCall)
    assert (query.limit, query.offset) == (10, 5)


def test_accepted_and_ignored_clauses() -> None:
    query = parse(
        "SELECT Id FROM Account USING SCOPE Everything WHERE Name = 'a' WITH SECURITY_ENFORCED "
        "LIMIT 1 FOR VIEW UPDATE TRACKING"
    )
    assert query.limit == 1
    assert query.where is not None


@pytest.mark.parametrize(
    ("text", "token", "column"),
    [
        ("SELECT Id FORM Account", "FORM", 11),
        ("SELECT FROM Account", "FROM", 8),
        ("SELECT Id FROM", "<EOF>", 15),
        ("SELECT * FROM Account", "*", 8),
        ("SELECT Id FROM Account WHERE", "<EOF>", 29),
        ("SELECT Id FROM Account WHERE Name = Acme", "Acme", 37),
        ("SELECT Id FROM Account LIMIT 5 WHERE Name = 'a'", "WHERE", 32),
        ("SELECT Id FROM Account ORDER Name", "Name", 30),
        ("SELECT Id FROM Account WERE Name = 'a'", "WERE", 24),
        ("SELECT Id, FROM Account", "FROM", 12),
        ("SELECT Id FROM Account LIMIT -1", "-1", 30),
        ("SELECT Id FROM Account WHERE Name = 'a';", ";", 40),
        ("SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS", "<EOF>", 55),
        ("SELECT Nope(Id) FROM Account", "(", 12),
    ],
)
def test_unexpected_tokens(text: str, token: str, column: int) -> None:
    error = malformed(text)
    assert error.message.endswith(f"\nERROR at Row:1:Column:{column}\nunexpected token: '{token}'")
    assert error.message.startswith(f"\n{text}\n{' ' * (column - 1)}^\n")


def test_errors_point_at_the_row_and_column_of_multi_line_queries() -> None:
    error = malformed("SELECT Id\nFROM Account\nWHERE Name = 'a' AND Name = 'b' OR Name = 'c'")
    assert error.message == (
        "\nWHERE Name = 'a' AND Name = 'b' OR Name = 'c'\n"
        + " " * 32
        + "^\nERROR at Row:3:Column:33\nunexpected token: 'OR'"
    )


def test_bind_variables_are_apex_only() -> None:
    assert malformed("SELECT Id FROM Account WHERE Name = :name").message.endswith(
        "Bind variables only allowed in Apex code"
    )


def test_parse_is_cached_on_the_exact_text() -> None:
    text = "SELECT Id FROM Account WHERE Name = 'cached'"
    assert parse(text) is parse(text)
    assert parse(text) is not parse(text + " ")
