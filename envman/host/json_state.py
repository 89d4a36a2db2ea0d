"""envman's JSON records: one clear error when damaged or newer, written atomically."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from envman.errors import StateCorrupt
from envman.host.files import write_atomic

T = TypeVar("T")


def read_record(
    path: Path, version: int, what: str, decode: Callable[[dict[str, Any]], T]
) -> T | None:
    """Decode a record written by write_record; None when there is none."""
    hint = f"{what} is damaged; fix or move it"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise StateCorrupt(f"{path}: {exc}", hint) from None
    if not isinstance(data, dict):
        raise StateCorrupt(f"{path}: not a JSON object", hint)
    if not isinstance(data.get("version", 0), int) or data.get("version", 0) > version:
        raise StateCorrupt(f"{path} was written by a newer envman", "upgrade envman")
    try:
        return decode(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise StateCorrupt(f"{path}: unexpected content ({exc})", hint) from None


def write_record(path: Path, version: int, data: dict[str, Any], mode: int = 0o644) -> None:
    """Write a record atomically, keys sorted, with its format version."""
    body = {"version": version, **data}
    write_atomic(path, json.dumps(body, indent=2, sort_keys=True) + "\n", mode)
