"""Recursive-descent SOQL parser: text in, ``nodes.Query`` out, MALFORMED_QUERY on bad syntax.

Grammar (clause order is strict, as in a real org)::

    query     := SELECT items FROM from [USING SCOPE id] [WHERE cond] [WITH ...]
                 [GROUP BY operands] [HAVING cond] [ORDER BY orders] [LIMIT n] [OFFSET n]
                 [FOR VIEW|REFERENCE|UPDATE] [UPDATE TRACKING|VIEWSTAT]
    items     := item ("," item)*
    item      := "(" query ")" | FIELDS "(" ALL|STANDARD|CUSTOM ")" | TYPEOF ... END
               | operand [alias]
    operand   := path | function "(" [path] ")"
    cond      := unary (AND unary)* | unary (OR unary)*     -- mixing needs parentheses
    unary     := NOT unary | "(" cond ")" | predicate
    predicate := operand op value | operand [NOT] IN "(" values | query ")"
               | operand LIKE string | operand INCLUDES|EXCLUDES "(" strings ")"
"""

from __future__ import annotations

from decimal import Decimal

from simulators.salesforce.catalogue import SalesforceError
from simulators.salesforce.soql import messages
from simulators.salesforce.soql.lexer import Token, TokenKind, tokenize
from simulators.salesforce.soql.literals import FIXED_RELATIVE_DATES, PARAMETRIC_RELATIVE_DATES
from simulators.salesforce.soql.nodes import (
    AGGREGATE_FUNCTIONS,
    And,
    Comparison,
    Condition,
    FieldPath,
    FieldsKind,
    FromClause,
    FunctionCall,
    Includes,
    Literal,
    LiteralKind,
    Membership,
    Not,
    Operand,
    Or,
    OrderItem,
    Query,
    RelativeDate,
    SelectField,
    SelectFields,
    SelectItem,
    SelectSubquery,
    SelectTypeOf,
    SemiJoin,
    TypeOfBranch,
    Value,
)

# Words that can never be an alias (a real org rejects them as identifiers in those places).
RESERVED = frozenset(
    {
        "AND", "AS", "ASC", "BY", "CUBE", "DESC", "ELSE", "END", "EXCLUDES", "FIRST", "FOR", "FROM",
        "GROUP", "HAVING", "IN", "INCLUDES", "LAST", "LIKE", "LIMIT", "NOT", "NULL", "NULLS", "OFFSET",
        "OR", "ORDER", "ROLLUP", "SELECT", "THEN", "TYPEOF", "UPDATE", "USING", "WHEN", "WHERE", "WITH",
        "TRUE", "FALSE",
    }
)  # fmt: skip

DATE_FUNCTIONS = frozenset(
    {
        "CALENDAR_MONTH", "CALENDAR_QUARTER", "CALENDAR_YEAR", "DAY_IN_MONTH", "DAY_IN_WEEK",
        "DAY_IN_YEAR", "DAY_ONLY", "FISCAL_MONTH", "FISCAL_QUARTER", "FISCAL_YEAR", "HOUR_IN_DAY",
        "WEEK_IN_MONTH", "WEEK_IN_YEAR",
    }
)  # fmt: skip
# toLabel() and convertCurrency() are accepted and return the stored value (no translations,
# single currency org).
PASS_THROUGH_FUNCTIONS = frozenset({"TOLABEL", "CONVERTCURRENCY"})
KNOWN_FUNCTIONS = AGGREGATE_FUNCTIONS | DATE_FUNCTIONS | PASS_THROUGH_FUNCTIONS

_COMPARISON_OPERATORS = frozenset({"=", "!=", "<", "<=", ">", ">="})
_WITH_FILTERS = frozenset({"SECURITY_ENFORCED", "USER_MODE", "SYSTEM_MODE"})
# Grammar words that are also names of standard objects and relationships (Order, Group): a real
# org reads them as names wherever a name is expected and BY does not follow.
_NAME_KEYWORDS = frozenset({"ORDER", "GROUP"})
_AFTER_FROM = ("USING", "WHERE", "WITH", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "FOR", "UPDATE")


def parse_query(text: str) -> Query:
    return _Parser(text).statement()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0

    # --- token helpers ----------------------------------------------------------------------

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind is not TokenKind.EOF:
            self.index += 1
        return token

    def at(self, *words: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind is TokenKind.IDENT and token.value in words

    def accept(self, word: str) -> bool:
        if self.at(word):
            self.index += 1
            return True
        return False

    def expect_word(self, word: str) -> Token:
        if not self.at(word):
            raise self.unexpected()
        return self.advance()

    def expect(self, kind: TokenKind) -> Token:
        if self.peek().kind is not kind:
            raise self.unexpected()
        return self.advance()

    def identifier(self) -> Token:
        token = self.peek()
        if token.kind is not TokenKind.IDENT or token.value in RESERVED:
            raise self.unexpected()
        return self.advance()

    def name(self) -> Token:
        """An object, relationship or field name: an identifier, or Order/Group used as one."""
        token = self.peek()
        if token.kind is TokenKind.IDENT and token.value in _NAME_KEYWORDS and not self.at("BY", ahead=1):
            return self.advance()
        return self.identifier()

    def unexpected(self, token: Token | None = None) -> SalesforceError:
        token = token or self.peek()
        return messages.unexpected_token(self.text, token.position, token.text)

    # --- statement --------------------------------------------------------------------------

    def statement(self) -> Query:
        query = self.query()
        if self.peek().kind is not TokenKind.EOF:
            raise self.unexpected()
        return query

    def query(self) -> Query:
        start = self.expect_word("SELECT")
        items = [self.select_item()]
        while self.peek().kind is TokenKind.COMMA:
            self.advance()
            items.append(self.select_item())
        self.expect_word("FROM")
        source = self.from_clause()
        if self.accept("USING"):
            self.expect_word("SCOPE")  # accepted and ignored: every record is visible
            self.identifier()
        where = self.condition() if self.accept("WHERE") else None
        if self.accept("WITH"):
            token = self.peek()
            if token.kind is not TokenKind.IDENT or token.value not in _WITH_FILTERS:
                raise self.unexpected()
            self.advance()  # WITH SECURITY_ENFORCED / USER_MODE / SYSTEM_MODE: no sharing model here
        group_by: list[Operand] = []
        if self.accept("GROUP"):
            self.expect_word("BY")
            group_by.append(self.operand())
            while self.peek().kind is TokenKind.COMMA:
                self.advance()
                group_by.append(self.operand())
        having = self.condition() if self.accept("HAVING") else None
        order_by: list[OrderItem] = []
        if self.accept("ORDER"):
            self.expect_word("BY")
            order_by.append(self.order_item())
            while self.peek().kind is TokenKind.COMMA:
                self.advance()
                order_by.append(self.order_item())
        limit = offset = None
        limit_position = -1
        if self.at("LIMIT"):
            limit_position = self.advance().position
            limit = self.whole_number()
        if self.accept("OFFSET"):
            offset = self.whole_number()
        if self.accept("FOR"):
            if not self.at("VIEW", "REFERENCE", "UPDATE"):
                raise self.unexpected()
            self.advance()
        if self.accept("UPDATE"):
            if not self.at("TRACKING", "VIEWSTAT"):
                raise self.unexpected()
            self.advance()
        return Query(
            text=self.text,
            select=tuple(items),
            source=source,
            where=where,
            group_by=tuple(group_by),
            having=having,
            order_by=tuple(order_by),
            limit=limit,
            offset=offset,
            position=start.position,
            limit_position=limit_position,
        )

    def whole_number(self) -> int:
        token = self.peek()
        if token.kind is not TokenKind.NUMBER or not token.text.isdigit():
            raise self.unexpected()
        self.advance()
        return int(token.text)

    def from_clause(self) -> FromClause:
        first = self.name()
        parts = [first.text]
        while self.peek().kind is TokenKind.DOT:
            self.advance()
            parts.append(self.name().text)
        alias = None
        if self.peek().kind is TokenKind.IDENT and self.peek().value not in RESERVED:
            alias_token = self.advance()
            following = self.peek()
            if following.kind not in (TokenKind.EOF, TokenKind.RPAREN) and not self.at(*_AFTER_FROM):
                # ``FROM Account WERE ...``: the typo, not what follows it, is the bad token.
                raise self.unexpected(alias_token)
            alias = alias_token.text
        return FromClause(tuple(parts), alias, first.position)

    # --- SELECT list ------------------------------------------------------------------------

    def select_item(self) -> SelectItem:
        token = self.peek()
        if token.kind is TokenKind.LPAREN:
            self.advance()
            subquery = self.query()
            self.expect(TokenKind.RPAREN)
            return SelectSubquery(subquery, token.position)
        if self.at("FIELDS") and self.peek(1).kind is TokenKind.LPAREN:
            self.advance()
            self.advance()
            kind_token = self.peek()
            if kind_token.kind is not TokenKind.IDENT or kind_token.value not in FieldsKind.__members__:
                raise self.unexpected()
            self.advance()
            self.expect(TokenKind.RPAREN)
            return SelectFields(FieldsKind[kind_token.value], token.position)
        if self.at("TYPEOF"):
            return self.type_of()
        operand = self.operand()
        alias = None
        if self.peek().kind is TokenKind.IDENT and self.peek().value not in RESERVED:
            alias_token = self.advance()
            if self.peek().kind is not TokenKind.COMMA and not self.at("FROM"):
                # ``SELECT Id FORM Account``: report the typo, not the word after it.
                raise self.unexpected(alias_token)
            alias = alias_token.text
        return SelectField(operand, alias, token.position)

    def type_of(self) -> SelectTypeOf:
        start = self.advance()
        relationship = self.identifier().text
        branches: list[TypeOfBranch] = []
        while self.at("WHEN"):
            self.advance()
            object_token = self.identifier()
            self.expect_word("THEN")
            branches.append(TypeOfBranch(object_token.text, self.path_list(), object_token.position))
        if not branches:
            raise self.unexpected()
        else_fields: tuple[FieldPath, ...] = ()
        if self.accept("ELSE"):
            else_fields = self.path_list()
        self.expect_word("END")
        return SelectTypeOf(relationship, tuple(branches), else_fields, start.position)

    def path_list(self) -> tuple[FieldPath, ...]:
        paths = [self.path()]
        # Inside TYPEOF a comma followed by WHEN/ELSE/END cannot occur; a comma always
        # introduces another field of the same branch.
        while self.peek().kind is TokenKind.COMMA:
            self.advance()
            paths.append(self.path())
        return tuple(paths)

    # --- operands ---------------------------------------------------------------------------

    def path(self) -> FieldPath:
        first = self.name()
        parts = [first.text]
        while self.peek().kind is TokenKind.DOT:
            self.advance()
            parts.append(self.name().text)
        return FieldPath(tuple(parts), first.position)

    def operand(self) -> Operand:
        token = self.peek()
        if token.kind is TokenKind.IDENT and self.peek(1).kind is TokenKind.LPAREN:
            if token.value not in KNOWN_FUNCTIONS:
                raise self.unexpected(self.peek(1))
            self.advance()
            self.advance()
            argument = None if self.peek().kind is TokenKind.RPAREN else self.path()
            self.expect(TokenKind.RPAREN)
            if argument is None and token.value != "COUNT":
                raise self.unexpected(self.tokens[self.index - 1])
            return FunctionCall(token.value, argument, token.position, token.text)
        return self.path()

    def order_item(self) -> OrderItem:
        start = self.peek()
        operand = self.operand()
        descending = False
        if self.at("ASC", "DESC"):
            descending = self.advance().value == "DESC"
        nulls_last = False
        if self.accept("NULLS"):
            if not self.at("FIRST", "LAST"):
                raise self.unexpected()
            nulls_last = self.advance().value == "LAST"
        return OrderItem(operand, descending, nulls_last, start.position)

    # --- conditions -------------------------------------------------------------------------

    def condition(self) -> Condition:
        first = self.unary()
        if not self.at("AND", "OR"):
            return first
        joiner = self.peek().value
        items = [first]
        while self.at("AND", "OR"):
            if self.peek().value != joiner:
                # A real org refuses to guess the precedence of AND and OR.
                raise self.unexpected()
            self.advance()
            items.append(self.unary())
        return And(tuple(items)) if joiner == "AND" else Or(tuple(items))

    def unary(self) -> Condition:
        token = self.peek()
        if self.at("NOT"):
            self.advance()
            return Not(self.unary(), token.position)
        if token.kind is TokenKind.LPAREN:
            self.advance()
            inner = self.condition()
            self.expect(TokenKind.RPAREN)
            return inner
        return self.predicate()

    def predicate(self) -> Condition:
        start = self.peek()
        operand = self.operand()
        token = self.peek()
        if token.kind is TokenKind.OPERATOR:
            self.advance()
            return Comparison(operand, token.value, self.value(), start.position)
        if self.at("LIKE"):
            self.advance()
            value = self.value()
            return Comparison(operand, "LIKE", value, start.position)
        negated = False
        if self.at("NOT") and self.at("IN", ahead=1):
            self.advance()
            negated = True
        if self.at("IN"):
            self.advance()
            self.expect(TokenKind.LPAREN)
            if self.at("SELECT"):
                subquery = self.query()
                self.expect(TokenKind.RPAREN)
                return SemiJoin(operand, subquery, negated, start.position)
            values = self.value_list()
            return Membership(operand, values, negated, start.position)
        if self.at("INCLUDES", "EXCLUDES"):
            excludes = self.advance().value == "EXCLUDES"
            self.expect(TokenKind.LPAREN)
            literals: list[Literal] = []
            for value in self.value_list():
                if not isinstance(value, Literal) or value.kind is not LiteralKind.STRING:
                    raise messages.unexpected_token(self.text, value.position, _written(value))
                literals.append(value)
            return Includes(operand, tuple(literals), excludes, start.position)
        raise self.unexpected()

    def value_list(self) -> tuple[Value, ...]:
        """Values up to and including the closing parenthesis."""
        values = [self.value()]
        while self.peek().kind is TokenKind.COMMA:
            self.advance()
            values.append(self.value())
        self.expect(TokenKind.RPAREN)
        return tuple(values)

    def value(self) -> Value:
        token = self.peek()
        kind = token.kind
        if kind is TokenKind.STRING:
            self.advance()
            return Literal(LiteralKind.STRING, token.value, token.text, token.position)
        if kind is TokenKind.NUMBER:
            self.advance()
            number: Decimal = token.value
            return Literal(LiteralKind.NUMBER, number, token.text, token.position)
        if kind is TokenKind.DATE:
            self.advance()
            return Literal(LiteralKind.DATE, token.value, token.text, token.position)
        if kind is TokenKind.DATETIME:
            self.advance()
            return Literal(LiteralKind.DATETIME, token.value, token.text, token.position)
        if kind is TokenKind.COLON:
            raise messages.malformed(self.text, token.position, "Bind variables only allowed in Apex code")
        if kind is TokenKind.IDENT:
            word = token.value
            if word in ("TRUE", "FALSE"):
                self.advance()
                return Literal(LiteralKind.BOOLEAN, word == "TRUE", token.text, token.position)
            if word == "NULL":
                self.advance()
                return Literal(LiteralKind.NULL, None, token.text, token.position)
            if word in FIXED_RELATIVE_DATES:
                self.advance()
                return RelativeDate(word, None, token.position)
            if word in PARAMETRIC_RELATIVE_DATES:
                self.advance()
                self.expect(TokenKind.COLON)
                amount = self.whole_number()
                return RelativeDate(word, amount, token.position)
        raise self.unexpected()


def _written(value: Value) -> str:
    return value.raw if isinstance(value, Literal) else value.name
