"""The builders' word rules: quotes, the escape character and $VAR / ${VAR[:-+?]word}."""

from __future__ import annotations

import re
from collections.abc import Callable

Lookup = Callable[[str], "str | None"]

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_BRACED = r"([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-+?])(.*))?$"

# Expansion limits: `ARG B=$A$A$A...` doubling line after line must end in an error, not 1 GB.
MAX_EXPANDED = 1024 * 1024  # characters variables may add to one word
MAX_NESTING = 16  # ${A:-${B:-...}} levels


class LexError(Exception):
    """A quoting problem inside one instruction; the caller adds file:line."""


def is_name(text: str) -> bool:
    """Whether `text` is a valid variable (ARG or ENV) name."""
    return re.fullmatch(_NAME, text) is not None


def expand_word(text: str, lookup: Lookup, escape: str, missing: list[str]) -> str:
    """Expand one word; names that have no value are appended to `missing`."""
    return "".join(_Lexer(text, lookup, escape, missing).words(split=False))


def _nested(text: str, lookup: Lookup, escape: str, missing: list[str], depth: int) -> str:
    return "".join(_Lexer(text, lookup, escape, missing, depth).words(split=False))


def split_words(text: str, lookup: Lookup, escape: str) -> list[str]:
    """Shell-like words of `text`: quotes removed, variables expanded (unset ones to '')."""
    return _Lexer(text, lookup, escape, []).words(split=True)


class _Lexer:
    """Walks one instruction's text, producing words."""

    def __init__(
        self, text: str, lookup: Lookup, escape: str, missing: list[str], depth: int = 0
    ) -> None:
        if depth > MAX_NESTING:
            raise LexError(f"variables are nested more than {MAX_NESTING} deep")
        self.text = text
        self.pos = 0
        self.lookup = lookup
        self.escape = escape
        self.missing = missing
        self.depth = depth
        self.expanded = 0

    def _grown(self, value: str) -> str:
        """`value`, counted against the expansion limit of this word."""
        self.expanded += len(value)
        if self.expanded > MAX_EXPANDED:
            raise LexError(
                f"variables expand to more than {MAX_EXPANDED // (1024 * 1024)} MiB in one word"
            )
        return value

    def words(self, split: bool) -> list[str]:
        found: list[str] = []
        current: list[str] = []
        started = False
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if split and char in " \t\r\n":
                if started:
                    found.append("".join(current))
                    current, started = [], False
                self.pos += 1
                continue
            current.append(self._piece(char))
            started = True
        if started:
            found.append("".join(current))
        return found

    def _piece(self, char: str) -> str:
        if char == self.escape:
            following = self.text[self.pos + 1 : self.pos + 2]
            self.pos += 2
            return following or self.escape
        if char == "'":
            end = self.text.find("'", self.pos + 1)
            if end < 0:
                raise LexError("a single quote is not closed")
            piece, self.pos = self.text[self.pos + 1 : end], end + 1
            return piece
        if char == '"':
            return self._double_quoted()
        if char == "$":
            return self._dollar()
        self.pos += 1
        return char

    def _double_quoted(self) -> str:
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            following = self.text[self.pos + 1 : self.pos + 2]
            if char == '"':
                self.pos += 1
                return "".join(out)
            if char == self.escape and following and following in ('"', "$", self.escape):
                out.append(following)
                self.pos += 2
            elif char == "$":
                out.append(self._dollar())
            else:
                out.append(char)
                self.pos += 1
        raise LexError("a double quote is not closed")

    def _dollar(self) -> str:
        if self.text.startswith("${", self.pos):
            return self._braced()
        match = re.compile(_NAME).match(self.text, self.pos + 1)
        if not match:
            self.pos += 1
            return "$"
        self.pos = match.end()
        return self._value(match.group(0))

    def _value(self, name: str) -> str:
        value = self.lookup(name)
        if value is None:
            self.missing.append(name)
            return ""
        return self._grown(value)

    def _braced(self) -> str:
        end = _closing_brace(self.text, self.pos + 2)
        if end < 0:
            raise LexError("'${' is not closed with '}'")
        inner = self.text[self.pos + 2 : end]
        self.pos = end + 1
        match = re.match(_BRACED, inner, re.S)
        if not match:
            self.missing.append("${" + inner + "}")
            return ""
        name, colon, op, word = match.groups()
        if op is None:
            return self._value(name)
        return self._operator(name, bool(colon), op, word)

    def _operator(self, name: str, colon: bool, op: str, word: str) -> str:
        """`${name-word}`, `${name+word}`, `${name?word}`; with `:`, empty counts as unset."""
        value = self.lookup(name)
        is_set = value is not None and (value != "" or not colon)
        if op == "+":
            return self._sub(word) if is_set else ""
        if is_set and value is not None:
            return self._grown(value)
        if op == "-":
            return self._sub(word)
        self.missing.append(name)
        return ""

    def _sub(self, word: str) -> str:
        return self._grown(_nested(word, self.lookup, self.escape, self.missing, self.depth + 1))


def _closing_brace(text: str, pos: int) -> int:
    depth = 1
    while pos < len(text):
        if text.startswith("${", pos):
            depth, pos = depth + 1, pos + 2
            continue
        if text[pos] == "}":
            depth -= 1
            if depth == 0:
                return pos
        pos += 1
    return -1
