"""`.containerignore`/`.dockerignore` rules, matched as the builders do (Go globs plus `**`)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

IGNORE_FILES = (".containerignore", ".dockerignore")


@dataclass(frozen=True)
class IgnoreRules:
    """Ignore-file patterns: later lines win, `!` re-includes."""

    rules: tuple[tuple[bool, re.Pattern[str]], ...] = ()

    @classmethod
    def from_text(cls, text: str) -> IgnoreRules:
        """The rules of one ignore file (blank lines and `#` comments skipped)."""
        return cls(tuple(_rules(text)))

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


def _rules(text: str) -> Iterator[tuple[bool, re.Pattern[str]]]:
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = posixpath.normpath(line.removeprefix("!").strip()).lstrip("/")
        if pattern and pattern != ".":
            yield negated, re.compile(_glob_regex(pattern))


def _glob_regex(pattern: str) -> str:
    """Go filepath.Match syntax plus `**` (any number of directories), as a regex."""
    out: list[str] = []
    pos = 0
    while pos < len(pattern):
        char = pattern[pos]
        if pattern.startswith("**/", pos):
            out.append("(?:.*/)?")
            pos += 3
            continue
        if pattern.startswith("**", pos):
            out.append(".*")
            pos += 2
            continue
        piece, pos = _glob_piece(pattern, pos, char)
        out.append(piece)
    return "".join(out)


def _glob_piece(pattern: str, pos: int, char: str) -> tuple[str, int]:
    if char == "*":
        return "[^/]*", pos + 1
    if char == "?":
        return "[^/]", pos + 1
    if char == "\\" and pos + 1 < len(pattern):
        return re.escape(pattern[pos + 1]), pos + 2
    if char == "[":
        end = pattern.find("]", pos + 2)
        if end > 0:
            body = pattern[pos + 1 : end]
            body = "^" + body[1:] if body[:1] in ("!", "^") else body
            return "[" + body.replace("\\", "\\\\") + "]", end + 1
    return re.escape(char), pos + 1
