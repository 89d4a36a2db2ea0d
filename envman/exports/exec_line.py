"""The Exec key of Desktop Entry files: split it into arguments and join arguments back.

The spec applies two layers: the string escapes of every value (\\s \\n \\t \\r \\\\), then the
quoting rules of Exec (double quotes; inside them \\" \\` \\$ \\\\). Field codes such as %u stand
alone, unquoted; %% is a literal percent sign.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FIELD_CODES = frozenset("fFuUick")
DEPRECATED_FIELD_CODES = frozenset("dDnNvm")
_STRING_ESCAPES = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}
_RESERVED = frozenset(" \t\n\"'\\><~|&;$*?#()`")
_QUOTE_ESCAPED = frozenset('"`$\\')
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


class ExecError(ValueError):
    """An Exec value that cannot be read without guessing."""


@dataclass(frozen=True)
class Arg:
    """One argument: literal text, or a field code the desktop fills in (%u, %F...)."""

    text: str
    field_code: bool = False


def unescape_string(value: str) -> str:
    """Undo the escapes every string value may contain; unknown escapes are kept as written."""
    out: list[str] = []
    chars = iter(value)
    for char in chars:
        if char != "\\":
            out.append(char)
            continue
        following = next(chars, "")
        out.append(_STRING_ESCAPES.get(following, "\\" + following))
    return "".join(out)


def split_exec(value: str) -> list[Arg]:
    """The arguments of an Exec value, with deprecated field codes dropped."""
    text = unescape_string(value)
    args: list[Arg] = []
    index = 0
    while index < len(text):
        if text[index] == " ":
            index += 1
            continue
        if text[index] == '"':
            word, index = _quoted(text, index + 1)
            args.append(Arg(_percent(word, quoted=True)))
            continue
        end = text.find(" ", index)
        end = len(text) if end < 0 else end
        word, index = text[index:end], end
        if '"' in word:
            raise ExecError(f"a quote inside an unquoted argument: {word!r}")
        arg = _unquoted(word)
        if arg is not None:
            args.append(arg)
    if not args or args[0].field_code:
        raise ExecError("no program to run")
    return args


def _quoted(text: str, index: int) -> tuple[str, int]:
    out: list[str] = []
    while index < len(text):
        char = text[index]
        if char == '"':
            if index + 1 < len(text) and text[index + 1] != " ":
                raise ExecError("a quoted argument must be followed by a space")
            return "".join(out), index + 1
        if char == "\\" and index + 1 < len(text) and text[index + 1] in _QUOTE_ESCAPED:
            out.append(text[index + 1])
            index += 2
            continue
        out.append(char)
        index += 1
    raise ExecError("an unterminated double quote")


def _unquoted(word: str) -> Arg | None:
    if len(word) == 2 and word[0] == "%" and word[1] != "%":
        if word[1] in FIELD_CODES:
            return Arg(word, field_code=True)
        if word[1] in DEPRECATED_FIELD_CODES:
            return None
    return Arg(_percent(word, quoted=False))


def _percent(word: str, *, quoted: bool) -> str:
    out: list[str] = []
    index = 0
    while index < len(word):
        if word[index] != "%":
            out.append(word[index])
            index += 1
            continue
        following = word[index + 1 : index + 2]
        if following != "%":
            where = "a quoted argument" if quoted else f"the argument {word!r}"
            raise ExecError(f"a field code inside {where} (%{following}) is not allowed")
        out.append("%")
        index += 2
    return "".join(out)


def join_exec(args: list[Arg]) -> str:
    """An Exec value that split_exec reads back as exactly these arguments."""
    words = [arg.text if arg.field_code else _quote(arg.text) for arg in args]
    return " ".join(words).replace("\\", "\\\\")


def _quote(text: str) -> str:
    if _CONTROL_RE.search(text):
        raise ExecError(f"control characters in an argument: {text!r}")
    text = text.replace("%", "%%")
    if text and not _RESERVED.intersection(text):
        return text
    escaped = "".join("\\" + c if c in _QUOTE_ESCAPED else c for c in text)
    return f'"{escaped}"'
