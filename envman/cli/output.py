"""Rendering operation results for people (aligned text) and programs (--json).

Imports nothing at the top but sys: `envman run` prints its errors through printable() too.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

# C0 and C1 controls (ESC starts terminal sequences, CSI is also U+009B), line and paragraph
# separators, and the bidirectional overrides that make text read differently than it is.
_UNPRINTABLE = (
    *range(0x00, 0x20),
    *range(0x7F, 0xA0),
    0x200E,
    0x200F,
    *range(0x2028, 0x202F),
    *range(0x2066, 0x206A),
)
_ESCAPES = {c: (f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}") for c in _UNPRINTABLE}


def printable(text: str) -> str:
    """`text` with every control character shown as an escape: one line, no terminal codes."""
    return text.translate(_ESCAPES)


def error(message: str, hint: str | None) -> None:
    """An error and its hint on stderr, each on one line whatever the files said."""
    sys.stderr.write(f"envman: error: {printable(message)}\n")
    if hint:
        sys.stderr.write(f"hint: {printable(hint)}\n")


def to_data(value: Any) -> Any:
    """Dataclasses, tuples and mappings -> JSON-ready plain data."""
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_data(v) for v in value]
    return value


def emit_json(value: Any) -> None:
    """One JSON document on stdout."""
    import json

    sys.stdout.write(json.dumps(to_data(value), indent=2, sort_keys=False) + "\n")


def table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    """Left-aligned columns, two spaces apart (cells come from files: escaped)."""
    all_rows = [list(header), *[[printable(cell) for cell in r] for r in rows]]
    widths = [max(len(r[i]) for r in all_rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)).rstrip() for r in all_rows
    ]
    return "\n".join(lines) + "\n"


def _lines(text: str) -> str:
    """Escaped line by line: the caller's own line breaks are kept, nothing else."""
    return "\n".join(printable(line) for line in text.split("\n"))


def say(text: str) -> None:
    """A result line on stdout."""
    sys.stdout.write(_lines(text) + "\n")


def note(text: str) -> None:
    """Progress and notes on stderr, so stdout stays data."""
    sys.stderr.write(f"envman: {_lines(text)}\n")
    sys.stderr.flush()


def log_line(text: str) -> None:
    """Build output, streamed live to stderr (what a container prints is escaped too)."""
    sys.stderr.write(f"  | {_lines(text)}\n")
    sys.stderr.flush()
