"""envman's JSON records, every kind read and written here: one clear error when damaged or newer.

The kinds: environment state (state.py), generation history (history.py), swap journal
(journal.py), export ledger (exports/ledger.py) and a source's sync record (sources/layout.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from envman.errors import StateCorrupt
from envman.host.files import write_atomic
from envman.host.readfile import STATE_MAX, Refused, read_text

T = TypeVar("T")


def force_state_hint(env: str) -> str:
    """The hint for an environment's damaged record: fix it, or let rm drop the records."""
    return f"fix or move it, or remove the environment with `envman rm {env} --force-state`"


def read_json(path: Path, hint: str) -> dict[str, Any] | None:
    """A JSON object from one of envman's files; None when there is none.

    Anything else (not a regular file, too large, not UTF-8, not JSON, nested too deep,
    lone surrogates, not an object) is StateCorrupt naming the file.
    """
    try:
        data = json.loads(read_text(path, STATE_MAX))
        json.dumps(data, ensure_ascii=False).encode("utf-8")  # refuses "\ud800"
    except FileNotFoundError:
        return None
    except Refused as exc:
        where = f"{path}:{exc.line}" if exc.line else str(path)
        raise StateCorrupt(f"{where}: {exc.problem}", hint) from None
    except OSError as exc:
        raise StateCorrupt(f"{path}: {exc.strerror or exc}", hint) from None
    except (ValueError, RecursionError) as exc:
        raise StateCorrupt(f"{path}: {_short(str(exc))}", hint) from None
    if not isinstance(data, dict):
        raise StateCorrupt(f"{path}: not a JSON object", hint)
    return data


def read_json_record(
    path: Path,
    version: int,
    what: str,
    decode: Callable[[dict[str, Any]], T],
    hint: str | None = None,
    *,
    version_key: str = "version",
) -> T | None:
    """Decode a record written by write_json_record; None when there is none.

    `version_key` names the member holding the format version (older kinds use their own name).
    """
    hint = hint or f"{what} is damaged; fix or move it"
    data = read_json(path, hint)
    if data is None:
        return None
    found = data.get(version_key, 0)
    if not isinstance(found, int) or isinstance(found, bool):
        raise StateCorrupt(f"{path}: {version_key} is not a number", hint)
    if found > version:
        raise StateCorrupt(
            f"{path} was written by a newer envman",
            "install a newer envman (`envman upgrade` upgrades environments, not envman)",
        )
    try:
        return decode(data)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError, RecursionError) as exc:
        raise StateCorrupt(f"{path}: unexpected content ({_short(str(exc))})", hint) from None


def write_json_record(
    path: Path,
    version: int,
    data: dict[str, Any],
    mode: int = 0o644,
    *,
    version_key: str = "version",
) -> None:
    """Write a record atomically, keys sorted, with the format version this envman writes."""
    body = {**data, version_key: version}
    write_atomic(path, json.dumps(body, indent=2, sort_keys=True) + "\n", mode)


def _short(text: str) -> str:
    return text if len(text) <= 120 else text[:117] + "..."
