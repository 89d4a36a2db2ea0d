"""`envman ls --format`: `{{.Field}}` (as podman ps) or `{field}` placeholders, one line a row."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from envman.cli.output import printable
from envman.errors import UsageError

FIELDS = {
    "name": "name",
    "state": "state",
    "version": "version",
    "hash": "content_hash",
    "image": "image",
    "created": "created",
    "profile": "address",
}
_PLACEHOLDER = re.compile(r"\{\{\s*\.(\w+)\s*\}\}|\{(\w+)\}")


def _field(word: str) -> str:
    key = word.lower()
    if key not in FIELDS:
        raise UsageError(f"--format: no field '{word}'", f"fields: {', '.join(FIELDS)}")
    return FIELDS[key]


def render_rows(rows: Sequence[Any], template: str) -> str:
    """Each row through `template`; \\t and \\n in it are a tab and a newline."""
    template = template.replace("\\t", "\t").replace("\\n", "\n")
    for match in _PLACEHOLDER.finditer(template):
        _field(match.group(1) or match.group(2))  # unknown fields fail even with no rows

    def line(row: Any) -> str:
        return _PLACEHOLDER.sub(
            lambda m: printable(str(getattr(row, _field(m.group(1) or m.group(2))))), template
        )

    return "".join(line(row) + "\n" for row in rows)
