"""How distrobox 1.x (shell) and 2.x (go-ini) split one ini line: shared by reader and writer."""

from __future__ import annotations

import re

HOME_PREFIXES = ("${HOME}", "$HOME", "~")
SHELL_CHARS = "\"'\\&|<>()"
# 1.x: `sed 's/].*#.*//'`, then `sed 's/ #.*//'`: from the first ']' with a '#' after it, or ' #'
_V1_BRACKET_COMMENT = re.compile(r"\].*#.*")
_V1_COMMENT = re.compile(r" #.*")


def quote_state(text: str) -> str:
    """The shell quote still open at the end of `text`: '"', "'" or ''."""
    state, escaped = "", False
    for ch in text:
        if state == "'":
            state = "" if ch == "'" else state
        elif escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"' or (not state and ch == "'"):
            state = "" if state == ch else ch
    return state


def strip_home(word: str) -> str:
    """`word` without a leading $HOME, ${HOME} or ~ (kept symbolic, expanded by envman)."""
    for prefix in HOME_PREFIXES:
        if word.startswith(prefix) and word[len(prefix) : len(prefix) + 1] in ("", "/", ":"):
            return word[len(prefix) :]
    return word


def v1_line(raw: str) -> str:
    """A line as distrobox 1.x's parse_file keeps it: comments cut, tabs and trailing space gone.

    `read -r` with IFS=newline+tab drops leading and trailing tabs; then tabs become spaces, a
    line starting with '#' is dropped, and the two comment rules above cut the rest.
    """
    line = raw.strip("\t\n").replace("\t", " ")
    if line.startswith("#"):
        return ""
    line = _V1_BRACKET_COMMENT.sub("", line, count=1)
    return _V1_COMMENT.sub("", line, count=1).rstrip()


def v2_section(raw: str) -> str | None:
    """The section name go-ini (distrobox 2.x) reads from a header line; None: it fails."""
    line = raw.strip()
    close = line.rfind("]")
    return line[1:close].strip() if close > 0 else None


def v2_value(rest: str) -> str | None:
    """The value go-ini (distrobox 2.x) reads from the text after '='; None: it reads on into the
    next lines (a multi-line quote or a trailing backslash)."""
    line = rest.lstrip()
    if not line:
        return ""
    quote = '"""' if len(line) > 3 and line.startswith('"""') else ("`" if line[0] == "`" else "")
    if quote:
        end = line.rfind(quote, len(quote))
        return line[len(quote) : end] if end >= len(quote) else None
    return _v2_plain(line.strip())


def _v2_plain(line: str) -> str | None:
    """An unquoted (or simply quoted) go-ini value: comments cut, one pair of quotes dropped."""
    if line.endswith("\\"):
        return None
    cut = [i for i in (line.find("#"), line.find(";")) if i >= 0]
    if cut:
        line = line[: min(cut)].strip()
    if len(line) >= 2 and line[0] == line[-1] and line[0] in "\"'":
        line = line[1:-1]
    return line


def v2_key_differs(raw: str) -> bool:
    """go-ini ends the key at the first '=' or ':'; a ':' first means 2.x reads another key."""
    colon, equals = raw.find(":"), raw.find("=")
    return 0 <= colon < equals
