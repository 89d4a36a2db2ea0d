"""The Instruction model and parse_instructions: keywords, --flags, exec form, here-documents."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from envman.errors import ProfileSyntaxError
from envman.profile.boundary import parse_failures
from envman.profile.containerfile.lexer import Heredoc, Lines, show

INSTRUCTIONS = frozenset(
    {
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    }
)

_FLAGGED = frozenset({"FROM", "RUN", "COPY", "ADD", "HEALTHCHECK"})
_HEREDOC_CAPABLE = frozenset({"RUN", "COPY", "ADD"})
_EXEC_FORM = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"})
_NOT_IN_ONBUILD = frozenset({"ONBUILD", "FROM", "MAINTAINER"})
_FLAG = r"\s*(--[A-Za-z][A-Za-z0-9-]*(?:=\S*)?)(?:\s+|$)"


@dataclass(frozen=True)
class Instruction:
    """One instruction with its continuation lines joined, as written (variables not expanded).

    `args` is the text after the keyword and its leading `--flags`; `argv` holds the items
    when `json_form` (exec form) is set. `escape` is the file's escape character, which
    word splitting needs.
    """

    keyword: str
    args: str
    line: int
    json_form: bool = False
    argv: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    heredocs: tuple[Heredoc, ...] = ()
    end_line: int = 0
    escape: str = "\\"

    def flag(self, name: str) -> str | None:
        """The value of `--name=value` ('' for a bare `--name`), or None when absent."""
        for item in self.flags:
            key, eq, value = item[2:].partition("=")
            if key.lower() == name:
                return value if eq else ""
        return None


def parse_instructions(text: str, file: str) -> list[Instruction]:
    """The instructions of a Containerfile, in order (syntax only: no stage checks)."""
    with parse_failures(file, "a Containerfile"):
        lines = Lines(text, file)
        found: list[Instruction] = []
        while (logical := lines.next_logical()) is not None:
            found.append(_instruction(lines, *logical))
        return found


def _instruction(lines: Lines, logical: str, line: int, last: int) -> Instruction:
    word, rest = head(logical)
    keyword = word.upper()
    _check_keyword(lines, word, keyword, line)
    flags: tuple[str, ...] = ()
    if keyword in _FLAGGED:
        flags, rest = _split_flags(rest)
    rest = rest.strip()
    json_form, argv = _exec_form(keyword, rest, line, lines.file)
    heredocs: tuple[Heredoc, ...] = ()
    if keyword in _HEREDOC_CAPABLE and not json_form:
        heredocs = lines.read_heredocs(rest, line)
    if not rest:
        raise lines.fail(line, f"{keyword} needs arguments")
    if keyword == "ONBUILD":
        inner = rest.split(None, 1)[0].upper()
        if inner not in INSTRUCTIONS or inner in _NOT_IN_ONBUILD:
            raise lines.fail(line, f"ONBUILD cannot trigger {show(inner)}")
    end = lines.pos if heredocs else last
    return Instruction(keyword, rest, line, json_form, argv, flags, heredocs, end, lines.escape)


def _check_keyword(lines: Lines, word: str, keyword: str, line: int) -> None:
    if keyword in INSTRUCTIONS:
        return
    import difflib  # only on this error path: it is slow to import

    close = difflib.get_close_matches(keyword, sorted(INSTRUCTIONS), n=1, cutoff=0.7)
    hint = (
        f"did you mean {close[0]}?"
        if close
        else f"if it continues the previous instruction, end that line with '{lines.escape}'"
    )
    raise lines.fail(line, f"unknown instruction {show(word)}", hint)


def head(text: str) -> tuple[str, str]:
    """The first word and the rest, split at the first run of whitespace."""
    parts = text.strip().split(None, 1)
    return (parts[0], parts[1] if len(parts) > 1 else "") if parts else ("", "")


def _split_flags(rest: str) -> tuple[tuple[str, ...], str]:
    flags: list[str] = []
    pattern = re.compile(_FLAG)
    pos = 0
    while match := pattern.match(rest, pos):
        flags.append(match.group(1))
        pos = match.end()
    return tuple(flags), rest[pos:]


def _exec_form(keyword: str, rest: str, line: int, file: str) -> tuple[bool, tuple[str, ...]]:
    if keyword not in _EXEC_FORM or not rest.startswith("["):
        if keyword == "SHELL":
            raise ProfileSyntaxError(
                f"{file}:{line}: SHELL takes a JSON array", 'e.g. SHELL ["/bin/bash", "-c"]'
            )
        return False, ()
    try:
        value = json.loads(rest)
    except json.JSONDecodeError as exc:
        if not _meant_as_json(keyword, rest):
            return False, ()
        raise _json_error(keyword, line, file, exc.msg) from None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _json_error(keyword, line, file, "every item must be a string")
    return True, tuple(value)


def _meant_as_json(keyword: str, rest: str) -> bool:
    """Whether text starting with '[' that is not JSON was meant as the exec form anyway."""
    after = rest[1:]
    if keyword == "RUN":
        # `RUN [ -f x ] && ...` is the shell's test command, which needs the space.
        return after[:1] in ('"', "'")
    if keyword in ("COPY", "ADD"):
        # `COPY [a-z]*.conf /etc/` is a glob.
        return after.lstrip()[:1] in ('"', "'")
    return True


def _json_error(keyword: str, line: int, file: str, problem: str) -> ProfileSyntaxError:
    return ProfileSyntaxError(
        f"{file}:{line}: {keyword} looks like a JSON array but is malformed ({problem})",
        'write ["/usr/bin/prog", "arg"] with double quotes; anything else runs as a shell string',
    )
