"""JSON bytes as Go's encoding/json writes them: compact, HTML-safe escapes, UTF-8."""

from __future__ import annotations

import json
from typing import Any

_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def marshal(value: Any, *, sort_keys: bool) -> bytes:
    """Go's json.Marshal: maps come out with sorted keys (`sort_keys`), structs in field order."""
    text = json.dumps(value, separators=(",", ":"), sort_keys=sort_keys, ensure_ascii=False)
    # These characters only occur inside JSON strings, where Go writes them escaped.
    for char, escaped in _ESCAPES:
        text = text.replace(char, escaped)
    return text.encode("utf-8")
