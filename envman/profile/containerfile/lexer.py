"""Containerfile lines: physical lines, parser directives, continuations and here-documents."""

from __future__ import annotations

import re
from dataclasses import dataclass

from envman.errors import ProfileSyntaxError

# Patterns are compiled on first use (re caches them): Containerfile profiles import this
# module on the `envman up` path.
_DIRECTIVE_KEY = r"[A-Za-z][A-Za-z0-9]*"
_HEREDOC = r"""<<(-?)(?:(["'])([^"'\s]+)\2|([A-Za-z_][A-Za-z0-9_.-]*))(?=$|[\s;&|>])"""


@dataclass(frozen=True)
class Heredoc:
    """A here-document that follows a RUN, COPY or ADD line (`<<EOF` ... `EOF`)."""

    name: str
    body: str
    expand: bool = True
    strip_tabs: bool = False


def show(value: str) -> str:
    """An untrusted string, quoted and cut short, for an error message."""
    text = value if len(value) <= 60 else value[:57] + "..."
    return repr(text) if not text.isprintable() else f"'{text}'"


class Lines:
    """Walks the physical lines: directives first, then one logical line at a time.

    `pos` counts the physical lines consumed so far, which is also the number of the last one.
    """

    def __init__(self, text: str, file: str) -> None:
        self.lines = physical_lines(text)
        self.file = file
        self.pos = 0
        self.escape = "\\"
        self._directives()
        self._trailing = re.compile(re.escape(self.escape) + r"[ \t]*$")

    def fail(self, line: int, problem: str, hint: str | None = None) -> ProfileSyntaxError:
        """An error naming file:line."""
        return ProfileSyntaxError(f"{self.file}:{line}: {problem}", hint)

    def _directives(self) -> None:
        """Parser directives: `# key=value` lines before anything else (a blank line ends them)."""
        seen: set[str] = set()
        while self.pos < len(self.lines):
            directive = _directive(self.lines[self.pos])
            if directive is None:
                return
            key, value = directive
            if key in seen:
                raise self.fail(self.pos + 1, f"the '{key}' parser directive is given twice")
            seen.add(key)
            if key == "escape":
                if value not in ("\\", "`"):
                    raise self.fail(
                        self.pos + 1,
                        f"{show(value)} cannot be the escape character",
                        "use `# escape=\\` (the default) or `# escape=`` ` ``",
                    )
                self.escape = value
            self.pos += 1

    def next_logical(self) -> tuple[str, int, int] | None:
        """The next instruction's text with continuations joined, its first and last line."""
        while self.pos < len(self.lines) and _blank_or_comment(self.lines[self.pos]):
            self.pos += 1
        if self.pos >= len(self.lines):
            return None
        first = self.pos + 1
        logical, last = self._join_continuations()
        return logical, first, last

    def _join_continuations(self) -> tuple[str, int]:
        """One logical line and its last line number; comment lines inside it are dropped."""
        last = self.pos
        parts: list[str] = []
        text = self.lines[self.pos].lstrip()
        while True:
            match = self._trailing.search(text)
            parts.append(text[: match.start()] if match else text)
            self.pos += 1
            if not match:
                return "".join(parts), last + 1
            while self.pos < len(self.lines) and _blank_or_comment(self.lines[self.pos]):
                self.pos += 1
            if self.pos >= len(self.lines):
                raise self.fail(
                    last + 1,
                    f"the line ends with '{self.escape}' (a line continuation) but the file ends",
                    f"remove the trailing '{self.escape}' or add the rest of the instruction",
                )
            last = self.pos
            text = self.lines[self.pos]

    def read_heredocs(self, text: str, line: int) -> tuple[Heredoc, ...]:
        """The bodies of the here-documents `text` (an instruction on `line`) opens, in order."""
        return tuple(
            self._read_heredoc(name, expand, strip_tabs, line)
            for name, expand, strip_tabs in heredoc_markers(text, self.escape)
        )

    def _read_heredoc(self, name: str, expand: bool, strip_tabs: bool, line: int) -> Heredoc:
        body: list[str] = []
        while True:
            if self.pos >= len(self.lines):
                raise self.fail(
                    line,
                    f"the here-document <<{name} is never closed",
                    f"end it with a line that holds only {name}",
                )
            text = self.lines[self.pos]
            text = text.lstrip("\t") if strip_tabs else text
            self.pos += 1
            if text == name:
                return Heredoc(name, "".join(body), expand, strip_tabs)
            body.append(text + "\n")


def _directive(line: str) -> tuple[str, str] | None:
    """`# key=value` as (lowercased key, value), or None. No regex: a long line stays linear."""
    text = line.strip()
    if not text.startswith("#"):
        return None
    key, eq, value = text[1:].partition("=")
    key, value = key.strip(), value.strip()
    if not eq or not value or not re.fullmatch(_DIRECTIVE_KEY, key):
        return None
    return key.lower(), value


def physical_lines(text: str) -> list[str]:
    """The file's lines without a byte order mark, line ends or a final empty line."""
    lines = text.removeprefix("\ufeff").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def _blank_or_comment(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def heredoc_markers(text: str, escape: str) -> list[tuple[str, bool, bool]]:
    """Unquoted `<<NAME`, `<<-NAME`, `<<"NAME"` markers: (name, expand, strip tabs)."""
    found: list[tuple[str, bool, bool]] = []
    pos, quote = 0, ""
    while pos < len(text):
        char = text[pos]
        if quote:
            pos += 2 if (char == escape and quote == '"') else 1
            quote = "" if char == quote else quote
        elif char == escape:
            pos += 2
        elif char in "'\"":
            quote, pos = char, pos + 1
        elif (match := _heredoc_at(text, pos)) is not None:
            name = match.group(3) or match.group(4)
            found.append((name, match.group(2) is None, match.group(1) == "-"))
            pos = match.end()
        else:
            pos += 1
    return found


def _heredoc_at(text: str, pos: int) -> re.Match[str] | None:
    if not text.startswith("<<", pos) or text.startswith("<<<", pos):
        return None
    start = pos
    while start > 0 and text[start - 1].isdigit():
        start -= 1
    if start > 0 and not text[start - 1].isspace():
        return None  # `$((1<<2))` and the like are not here-documents
    return re.compile(_HEREDOC).match(text, pos)
