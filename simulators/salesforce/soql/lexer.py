"""SOQL tokens: one regular expression for everything but string literals, which are scanned by
hand because of their backslash escapes. Every token keeps its offset for caret messages."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from simulators.salesforce.soql.messages import malformed, unterminated_string


class TokenKind(enum.Enum):
    IDENT = "ident"
    STRING = "string"
    NUMBER = "number"
    DATE = "date"
    DATETIME = "datetime"
    OPERATOR = "operator"
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","
    DOT = "."
    COLON = ":"
    OTHER = "other"
    EOF = "<EOF>"


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    text: str
    """The token as written (for strings: the text between the quotes, escapes undecoded)."""
    value: Any
    """Decoded value: str, Decimal, date, datetime; upper-cased text for identifiers."""
    position: int


_PUNCTUATION = {
    "(": TokenKind.LPAREN,
    ")": TokenKind.RPAREN,
    ",": TokenKind.COMMA,
    ".": TokenKind.DOT,
    ":": TokenKind.COLON,
}

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    |(?P<datetime>\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:?\d{2}))
    |(?P<date>\d{4}-\d{2}-\d{2})(?![\w:])
    |(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))
    |(?P<ident>[A-Za-z][A-Za-z0-9_]*)
    |(?P<quote>')
    |(?P<operator>!=|<>|<=|>=|=|<|>)
    |(?P<punctuation>[(),.:])
    """,
    re.VERBOSE,
)

# Escapes SOQL accepts in string literals. ``\%`` and ``\_`` keep their meaning for LIKE only
# (the lexer decodes them to the bare character; LIKE re-reads the raw text).
_ESCAPES = {
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "b": "\b",
    "f": "\f",
    '"': '"',
    "'": "'",
    "\\": "\\",
    "%": "%",
    "_": "_",
}


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    length = len(text)
    while position < length:
        match = _TOKEN.match(text, position)
        if match is None:
            tokens.append(Token(TokenKind.OTHER, text[position], text[position], position))
            position += 1
            continue
        group = match.lastgroup
        lexeme = match.group()
        if group == "quote":
            token, position = _string(text, position)
            tokens.append(token)
            continue
        if group == "ident":
            tokens.append(Token(TokenKind.IDENT, lexeme, lexeme.upper(), position))
        elif group == "number":
            tokens.append(Token(TokenKind.NUMBER, lexeme, Decimal(lexeme), position))
        elif group == "date":
            tokens.append(Token(TokenKind.DATE, lexeme, _date(text, lexeme, position), position))
        elif group == "datetime":
            tokens.append(Token(TokenKind.DATETIME, lexeme, _datetime(text, lexeme, position), position))
        elif group == "operator":
            tokens.append(Token(TokenKind.OPERATOR, lexeme, "!=" if lexeme == "<>" else lexeme, position))
        elif group == "punctuation":
            tokens.append(Token(_PUNCTUATION[lexeme], lexeme, lexeme, position))
        position = match.end()
    tokens.append(Token(TokenKind.EOF, "<EOF>", None, length))
    return tokens


_STRING_BODY = re.compile(r"(?:[^'\\]|\\(?:u[0-9A-Fa-f]{4}|.))*", re.DOTALL)
_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|.)", re.DOTALL)


def decode_string(raw: str) -> str:
    """The value of a string literal's raw text (escapes already validated by the lexer)."""
    if "\\" not in raw:
        return raw
    return _ESCAPE.sub(_unescape, raw)


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    return chr(int(code[1:], 16)) if len(code) == 5 else _ESCAPES[code]


def _string(text: str, start: int) -> tuple[Token, int]:
    body = _STRING_BODY.match(text, start + 1)
    end = body.end() if body is not None else start + 1
    if end >= len(text):
        # The real lexer reports this one without the caret echo.
        raise unterminated_string(text)
    raw = text[start + 1 : end]
    for escape in _ESCAPE.finditer(raw):
        code = escape.group(1)
        if len(code) == 1 and code not in _ESCAPES:
            raise malformed(
                text,
                start,
                f"Invalid string literal '{raw}'. Illegal character sequence '\\{code}' in string literal.",
            )
    return Token(TokenKind.STRING, raw, decode_string(raw), start), end + 1


def _date(text: str, lexeme: str, position: int) -> date:
    try:
        return date.fromisoformat(lexeme)
    except ValueError:
        raise malformed(text, position, f"Invalid date: {lexeme}") from None


def _datetime(text: str, lexeme: str, position: int) -> datetime:
    try:
        value = datetime.fromisoformat(lexeme.replace("t", "T").replace("z", "Z"))
    except ValueError:
        raise malformed(text, position, f"Invalid datetime: {lexeme}") from None
    return value.astimezone(UTC)
