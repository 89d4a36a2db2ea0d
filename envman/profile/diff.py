"""What changed between two profiles as data: scalars, map keys, and list items added or removed."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

ChangeKind = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class Change:
    """One difference: a key set or unset, a value changed, or a list item added or removed."""

    kind: ChangeKind
    key: str
    old: Any = None
    new: Any = None


def diff_data(old: Mapping[str, Any], new: Mapping[str, Any], prefix: str = "") -> list[Change]:
    """Changes from `old` to `new` (profile_to_data dicts), in the order the keys are written."""
    changes: list[Change] = []
    for name in [*old, *(k for k in new if k not in old)]:
        key = f"{prefix}.{name}" if prefix else name
        changes.extend(_diff_value(key, old.get(name), new.get(name)))
    return changes


def _diff_value(key: str, old: Any, new: Any) -> list[Change]:
    if old == new:
        return []
    if _both(dict, old, new):
        return diff_data(old or {}, new or {}, key)
    if _both(list, old, new):
        return _diff_list(key, old or [], new or [])
    return [_scalar_change(key, old, new)]


def _both(kind: type, old: Any, new: Any) -> bool:
    """Whether each side is of `kind` or unset."""
    return isinstance(old, kind | None) and isinstance(new, kind | None)


def _scalar_change(key: str, old: Any, new: Any) -> Change:
    if old is None:
        return Change("added", key, new=new)
    if new is None:
        return Change("removed", key, old=old)
    return Change("changed", key, old, new)


def _diff_list(key: str, old: list[Any], new: list[Any]) -> list[Change]:
    removed = [Change("removed", key, old=item) for item in _minus(old, new)]
    added = [Change("added", key, new=item) for item in _minus(new, old)]
    if not removed and not added:
        return [Change("changed", key, old, new)]  # the same items in another order
    return removed + added


def _minus(items: list[Any], other: list[Any]) -> list[Any]:
    """`items` without those in `other`, repeats counted (items may be hooks, i.e. dicts)."""
    left = Counter(_canonical(item) for item in other)
    out = []
    for item in items:
        text = _canonical(item)
        if left[text]:
            left[text] -= 1
        else:
            out.append(item)
    return out


def _canonical(item: Any) -> str:
    return json.dumps(item, sort_keys=True)


def context_changes(
    old: Mapping[str, tuple[bytes, int]], new: Mapping[str, tuple[bytes, int]]
) -> list[Change]:
    """Build context files (hook scripts, files a Containerfile copies) that differ."""
    changes: list[Change] = []
    for path in sorted({*old, *new}):
        before, after = old.get(path), new.get(path)
        if before == after:
            continue
        kind: ChangeKind = "added" if before is None else "removed" if after is None else "changed"
        changes.append(Change(kind, path, _digest(before), _digest(after)))
    return changes


def _digest(entry: tuple[bytes, int] | None) -> str | None:
    if entry is None:
        return None
    data, mode = entry
    return f"sha256:{hashlib.sha256(data).hexdigest()[:12]} mode {mode:o}"
