"""`.containerignore`/`.dockerignore` rules, matched as the builders do (Go globs plus `**`)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from envman.errors import ProfileSyntaxError
from envman.profile.containerfile.lexer import show

IGNORE_FILES = (".containerignore", ".dockerignore")


@dataclass(frozen=True)
class IgnoreRules:
    """Ignore-file patterns: later lines win, `!` re-includes."""

    rules: tuple[tuple[bool, Glob], ...] = ()

    @classmethod
    def from_text(cls, text: str, file: str = ".containerignore") -> IgnoreRules:
        """The rules of one ignore file (blank lines and `#` comments skipped)."""
        return cls(tuple(_rules(text, file)))

    def excludes(self, rel: str) -> bool:
        """Whether the builder leaves `rel` (or the directory it is in) out of the context."""
        parents = [str(parent) for parent in PurePosixPath(rel).parents]
        candidates = [rel, *(parent for parent in parents if parent != ".")]
        excluded = False
        for negated, pattern in self.rules:
            if any(pattern.fullmatch(candidate) for candidate in candidates):
                excluded = not negated
        return excluded

    def prunes(self, rel_dir: str) -> bool:
        """Whether a whole directory can be skipped (nothing under it can be re-included)."""
        return self.excludes(rel_dir) and not any(negated for negated, _ in self.rules)


def _rules(text: str, file: str) -> Iterator[tuple[bool, Glob]]:
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = posixpath.normpath(line.removeprefix("!").strip()).lstrip("/")
        if pattern and pattern != ".":
            try:
                yield negated, Glob(pattern)
            except re.error as exc:
                raise ProfileSyntaxError(
                    f"{file}:{number}: {show(pattern)} is not a valid pattern ({exc.msg})",
                    "see the [...] character class in the pattern",
                ) from None


_LITERAL, _ONE, _CLASS, _STAR, _ANY, _DIRS = range(6)


class Glob:
    """A Go filepath.Match pattern plus `**`, matched in linear time (no backtracking regex).

    `*` and `?` stay within a path component, `**` crosses them, `**/` is any number of
    leading directories (none included). A regex would backtrack exponentially on
    patterns like `*a*a*a*a*b`.
    """

    def __init__(self, pattern: str) -> None:
        self.tokens: list[tuple[int, str, re.Pattern[str] | None]] = []
        pos = 0
        while pos < len(pattern):
            pos = self._token(pattern, pos)

    def _token(self, pattern: str, pos: int) -> int:
        char = pattern[pos]
        if pattern.startswith("**/", pos):
            self.tokens.append((_DIRS, "", None))
            return pos + 3
        if pattern.startswith("**", pos):
            self.tokens.append((_ANY, "", None))
            return pos + 2
        if char in "*?":
            self.tokens.append((_STAR if char == "*" else _ONE, "", None))
            return pos + 1
        if char == "\\" and pos + 1 < len(pattern):
            self.tokens.append((_LITERAL, pattern[pos + 1], None))
            return pos + 2
        if char == "[":
            end = pattern.find("]", pos + 2)
            if end > 0:
                body = pattern[pos + 1 : end]
                body = "^" + body[1:] if body[:1] in ("!", "^") else body
                escaped = body.replace("\\", "\\\\").replace("[", "\\[")
                regex = re.compile("[" + escaped + "]")
                self.tokens.append((_CLASS, "", regex))
                return end + 1
        self.tokens.append((_LITERAL, char, None))
        return pos + 1

    def fullmatch(self, text: str) -> bool:
        """Whether the whole of `text` matches (a set of positions walked along the text)."""
        states = self._closure({(0, False)})
        for char in text:
            states = self._closure({s for state in states for s in self._step(state, char)})
            if not states:
                return False
        return (len(self.tokens), False) in states

    def _closure(self, states: set[tuple[int, bool]]) -> set[tuple[int, bool]]:
        """Add the states reached by matching nothing (`*`, `**` and `**/` may be empty)."""
        todo = list(states)
        while todo:
            index, inside = todo.pop()
            if inside or index >= len(self.tokens):
                continue
            if self.tokens[index][0] in (_STAR, _ANY, _DIRS) and (index + 1, False) not in states:
                states.add((index + 1, False))
                todo.append((index + 1, False))
        return states

    def _step(self, state: tuple[int, bool], char: str) -> list[tuple[int, bool]]:
        index = state[0]
        if index >= len(self.tokens):
            return []
        kind, literal, regex = self.tokens[index]
        if kind == _DIRS:  # (?:.*/)?: any characters, then a slash ends it
            return [(index, True), *([(index + 1, False)] if char == "/" else [])]
        if kind in (_ANY, _STAR):
            return [state] if kind == _ANY or char != "/" else []
        return [(index + 1, False)] if _one_char(kind, literal, regex, char) else []


def _one_char(kind: int, literal: str, regex: re.Pattern[str] | None, char: str) -> bool:
    if kind == _ONE:
        return char != "/"
    if kind == _CLASS:
        return regex is not None and regex.fullmatch(char) is not None
    return char == literal
