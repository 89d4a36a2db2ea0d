"""Rendering operation results for people (aligned text) and programs (--json)."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Sequence
from typing import Any


def to_data(value: Any) -> Any:
    """Dataclasses, tuples and mappings -> JSON-ready plain data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_data(v) for v in value]
    return value


def emit_json(value: Any) -> None:
    """One JSON document on stdout."""
    sys.stdout.write(json.dumps(to_data(value), indent=2, sort_keys=False) + "\n")


def table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    """Left-aligned columns, two spaces apart."""
    all_rows = [list(header), *[list(r) for r in rows]]
    widths = [max(len(r[i]) for r in all_rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)).rstrip() for r in all_rows
    ]
    return "\n".join(lines) + "\n"


def say(text: str) -> None:
    """A result line on stdout."""
    sys.stdout.write(text + "\n")


def note(text: str) -> None:
    """Progress and notes on stderr, so stdout stays data."""
    sys.stderr.write(f"envman: {text}\n")
    sys.stderr.flush()


def log_line(text: str) -> None:
    """Build output, streamed live to stderr."""
    sys.stderr.write(f"  | {text}\n")
    sys.stderr.flush()
