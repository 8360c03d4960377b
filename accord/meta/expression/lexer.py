"""Tokenizer: source text → a list of tokens, each with its 0-based offset."""

from __future__ import annotations

from dataclasses import dataclass

from accord.meta.expression.errors import (
    EXPR_SYNTAX,
    EXPR_TOO_COMPLEX,
    MAX_SOURCE_LENGTH,
    ExpressionError,
)

NUMBER = "number"
STRING = "string"
IDENT = "ident"
KEYWORD = "keyword"
OP = "op"
EOF = "eof"

KEYWORDS = frozenset({"true", "false", "null", "and", "or", "not"})

# Longest first, so that "<=" wins over "<".
_OPERATORS = (
    "==",
    "!=",
    "<>",
    "<=",
    ">=",
    "&&",
    "||",
    "+",
    "-",
    "*",
    "/",
    "%",
    "&",
    "=",
    "<",
    ">",
    "!",
    "(",
    ")",
    ",",
    ".",
)

_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t", "r": "\r"}
_HEX = frozenset("0123456789abcdefABCDEF")
_DIGITS = frozenset("0123456789")
# ASCII only: identifiers double as field API names, which are ASCII snake_case.
_IDENT_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_IDENT_CHARS = _IDENT_START | _DIGITS


@dataclass(frozen=True)
class Token:
    kind: str
    # Keywords are lower-cased; strings hold the unescaped text; numbers their digits.
    value: str
    pos: int

    def describe(self) -> str:
        if self.kind == EOF:
            return "end of expression"
        if self.kind == STRING:
            return "text literal"
        return repr(self.value)


def tokenize(source: str) -> list[Token]:
    if len(source) > MAX_SOURCE_LENGTH:
        raise ExpressionError(
            EXPR_TOO_COMPLEX,
            f"expression is {len(source)} characters long; the limit is {MAX_SOURCE_LENGTH}",
        )
    tokens: list[Token] = []
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch.isspace():
            i += 1
        elif ch in _DIGITS:
            i = _number(source, i, tokens)
        elif ch in _IDENT_START:
            start = i
            while i < n and source[i] in _IDENT_CHARS:
                i += 1
            word = source[start:i]
            if word.lower() in KEYWORDS:
                tokens.append(Token(KEYWORD, word.lower(), start))
            else:
                tokens.append(Token(IDENT, word, start))
        elif ch in "'\"":
            i = _string(source, i, tokens)
        else:
            for op in _OPERATORS:
                if source.startswith(op, i):
                    tokens.append(Token(OP, op, i))
                    i += len(op)
                    break
            else:
                raise ExpressionError(EXPR_SYNTAX, f"unexpected character {ch!r}", i)
    tokens.append(Token(EOF, "", n))
    return tokens


def _number(source: str, start: int, tokens: list[Token]) -> int:
    i, n = start, len(source)
    while i < n and source[i] in _DIGITS:
        i += 1
    # "1.5" is a number; "1." or "1.x" is not (the dot would be a path separator).
    if i + 1 < n and source[i] == "." and source[i + 1] in _DIGITS:
        i += 1
        while i < n and source[i] in _DIGITS:
            i += 1
    if i < n and (source[i] in _IDENT_CHARS or source[i] == "."):
        raise ExpressionError(EXPR_SYNTAX, f"invalid number {source[start : i + 1]!r}", start)
    tokens.append(Token(NUMBER, source[start:i], start))
    return i


def _string(source: str, start: int, tokens: list[Token]) -> int:
    quote = source[start]
    i, n = start + 1, len(source)
    parts: list[str] = []
    while True:
        if i >= n:
            raise ExpressionError(EXPR_SYNTAX, "unterminated text literal", start)
        ch = source[i]
        if ch == quote:
            tokens.append(Token(STRING, "".join(parts), start))
            return i + 1
        if ch != "\\":
            parts.append(ch)
            i += 1
            continue
        esc = source[i + 1] if i + 1 < n else ""
        if esc in _ESCAPES:
            parts.append(_ESCAPES[esc])
            i += 2
        elif esc == "u" and len(source[i + 2 : i + 6]) == 4 and set(source[i + 2 : i + 6]) <= _HEX:
            parts.append(chr(int(source[i + 2 : i + 6], 16)))
            i += 6
        else:
            raise ExpressionError(EXPR_SYNTAX, f"invalid escape sequence '\\{esc}'", i)
