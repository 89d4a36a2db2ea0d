"""Pure rewriting of a file's bytes: find the value (JSON, ini, regex), replace it if known-bad."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from envman.bridge.rules import Locator

Status = Literal["rewrite", "ok", "custom", "missing", "malformed"]
Decide = Callable[[str], tuple[Status, str | None]]

# Real manifests nest two levels; the limit keeps json's recursive parser and dumper far from
# Python's recursion limit, whatever the file holds.
MAX_JSON_DEPTH = 64
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


@dataclass(frozen=True)
class Outcome:
    """What rewriting would do: new bytes for "rewrite"; otherwise why the file stays as it is.

    ok: the value is already right; custom: the value is not a known-bad one (the user's choice);
    missing: no such key; malformed: the file does not parse (maybe half-written): wait.
    """

    status: Status
    content: bytes | None = None
    old: str | None = None
    new: str | None = None
    detail: str = ""


def rewrite(
    content: bytes,
    locator: Locator,
    match: re.Pattern[str],
    replacement: str,
    *,
    equivalent: frozenset[str] = frozenset(),
) -> Outcome:
    """Replace the value at LOCATOR when MATCH matches all of it (group 1 only, if it has groups).

    Values in EQUIVALENT (envman's wrappers of the same program for other consumers) also count as
    bad.  The result is a fixpoint: rewriting the output again gives status "ok".
    """
    text = _text(content, needs_final_newline=locator.format != "json")
    if isinstance(text, Outcome):
        return text
    decide = _decider(match, replacement, equivalent)
    if locator.format == "json":
        return _json(text, locator.key, decide)
    if locator.format == "ini":
        return _ini(text, locator, decide)
    return _regex(text, re.compile(locator.key, re.MULTILINE), decide)


def _text(content: bytes, *, needs_final_newline: bool) -> str | Outcome:
    """The content as text, or why it cannot be used (yet)."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return Outcome("malformed", detail="not UTF-8")
    if not text.strip():
        return Outcome("malformed", detail="empty (still being written?)")
    if "\0" in text:
        return Outcome("malformed", detail="contains NUL bytes")
    if needs_final_newline and not text.endswith("\n"):
        # A line-based file cut short looks complete; its missing newline gives it away.
        return Outcome("malformed", detail="the last line has no newline (still being written?)")
    return text


def _decider(match: re.Pattern[str], replacement: str, equivalent: frozenset[str]) -> Decide:
    def decide(value: str) -> tuple[Status, str | None]:
        if value == replacement:
            return "ok", None
        if value in equivalent:
            return "rewrite", replacement
        found = match.fullmatch(value)
        if found is None:
            partial_ok = match.groups > 0 and replacement in value
            return ("ok" if partial_ok else "custom"), None
        if match.groups and found.start(1) >= 0:
            new = value[: found.start(1)] + replacement + value[found.end(1) :]
        else:
            new = replacement
        return ("ok", None) if new == value else ("rewrite", new)

    return decide


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def json_depth(text: str) -> int:
    """How deep arrays and objects nest in TEXT (brackets inside strings do not count)."""
    depth = deepest = 0
    for token in _JSON_TOKENS.finditer(text):
        if token.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token.group() in "]}":
            depth = max(depth - 1, 0)
    return deepest


def _load_json(text: str) -> dict[str, Any] | Outcome:
    """The JSON object in TEXT, or the malformed Outcome saying why not."""
    if json_depth(text) > MAX_JSON_DEPTH:
        return Outcome("malformed", detail=f"nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        doc = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:
        return Outcome("malformed", detail=f"not valid JSON: {exc}")
    if not isinstance(doc, dict):
        return Outcome("malformed", detail="not a JSON object")
    return doc


def _json(text: str, pointer: str, decide: Decide) -> Outcome:
    doc = _load_json(text)
    if isinstance(doc, Outcome):
        return doc
    found = _resolve(doc, pointer)
    if found is None:
        return Outcome("missing", detail=f"no {pointer}")
    parent, key = found
    value = parent[key]
    if not isinstance(value, str):
        return Outcome("custom", detail=f"{pointer} is not a string")
    status, new = decide(value)
    if status != "rewrite" or new is None:
        return Outcome(status, old=value)
    parent[key] = new
    return Outcome("rewrite", _dump_like(doc, text).encode("utf-8"), value, new)


def _resolve(doc: Any, pointer: str) -> tuple[Any, Any] | None:
    """RFC 6901: the container and key/index the pointer names, or None."""
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
    node: Any = doc
    for i, token in enumerate(tokens):
        if isinstance(node, dict) and token in node:
            key: Any = token
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            key = int(token)
        else:
            return None
        if i == len(tokens) - 1:
            return node, key
        node = node[key]
    return None


def _dump_like(doc: Any, original: str) -> str:
    """Serialise in the original's style: indent (Qt writes 4 spaces), separators, final newline."""
    ascii_only = original.isascii() and "\\u" in original
    if "\n" in original.strip():
        indent = re.search(r"\n([ \t]+)\S", original)
        out = json.dumps(doc, indent=indent.group(1) if indent else 4, ensure_ascii=ascii_only)
    else:
        spaced = re.search(r'"\s*:\s', original) is not None
        separators = (", ", ": ") if spaced else (",", ":")
        out = json.dumps(doc, separators=separators, ensure_ascii=ascii_only)
    if original.endswith("\n"):
        out += "\n"
    if "\r\n" in original:
        out = out.replace("\n", "\r\n")
    return out


def _ini(text: str, locator: Locator, decide: Decide) -> Outcome:
    lines = text.splitlines(keepends=True)
    hit = _ini_find(lines, locator)
    if isinstance(hit, Outcome):
        return hit
    prefix, _, rest = lines[hit].partition("=")
    body = rest.rstrip("\r\n")
    eol = rest[len(body) :]
    value = body.strip()
    lead = body[: len(body) - len(body.lstrip())]
    trail = body[len(body.rstrip()) :]
    status, new = decide(value)
    if status != "rewrite" or new is None:
        return Outcome(status, old=value)
    lines[hit] = f"{prefix}={lead}{new}{trail}{eol}"
    return Outcome("rewrite", "".join(lines).encode("utf-8"), value, new)


def _ini_find(lines: list[str], locator: Locator) -> int | Outcome:
    """The index of the locator's one line, else why not (malformed, missing)."""
    section: str | None = None
    hit: int | None = None
    for number, line in enumerate(lines, 1):
        kind, name = _ini_line(line)
        if kind == "malformed":
            return Outcome("malformed", detail=f"line {number}{name}")
        if kind == "section":
            section = name
        elif kind == "key" and section == locator.section and name == locator.key:
            if hit is not None:
                return Outcome(
                    "malformed", detail=f"line {number}: {locator.key} repeats line {hit + 1}"
                )
            hit = number - 1
    if hit is None:
        return Outcome("missing", detail=f"no {locator.key} in [{locator.section}]")
    return hit


def _ini_line(line: str) -> tuple[str, str]:
    """("blank" | "section" | "key", its name), or ("malformed", why)."""
    stripped = line.strip()
    if not stripped or stripped[0] in "#;":
        return "blank", ""
    if stripped.startswith("["):
        if not stripped.endswith("]"):
            return "malformed", ": unclosed section header"
        return "section", stripped[1:-1]
    key, sep, _ = line.partition("=")
    if not sep or not key.strip():
        return "malformed", " is neither [section] nor key=value"
    return "key", key.strip()


def _regex(text: str, pattern: re.Pattern[str], decide: Decide) -> Outcome:
    pieces: list[str] = []
    position = 0
    statuses: list[Status] = []
    first: tuple[str, str] | None = None
    for found in pattern.finditer(text):
        value = found.group(1)
        if value is None:
            continue
        status, new = decide(value)
        statuses.append(status)
        if status == "rewrite" and new is not None:
            pieces += [text[position : found.start(1)], new]
            position = found.end(1)
            first = first or (value, new)
    if not statuses:
        return Outcome("missing", detail="the pattern matches nothing")
    if first is None:
        return Outcome("ok" if "ok" in statuses else "custom")
    pieces.append(text[position:])
    return Outcome("rewrite", "".join(pieces).encode("utf-8"), first[0], first[1])
