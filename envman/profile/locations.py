"""Where each value of a profile was written: keys like `packages[git]`, merged like the values."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from envman.profile.keys import KEYS
from envman.profile.model import FileLine

DataPath = tuple[str | int, ...]

# Lists that keep repeats are located by index, the others by item (`packages[git]`).
INDEXED_LISTS = tuple(k.path for k in KEYS if k.merge == "append")
SET_LISTS = tuple(k.path for k in KEYS if k.kind == "list" and k.merge != "append")
_INDEXED = re.compile(rf"^({'|'.join(map(re.escape, INDEXED_LISTS))})\[(\d+)\]$")


def item_key(key: str, item: Any, index: int) -> str:
    """`hooks[0]` for lists that keep repeats (order matters), `packages[git]` for the others."""
    return f"{key}[{index}]" if key in INDEXED_LISTS else f"{key}[{item}]"


def flatten(
    data: Mapping[str, Any], prefix: str = "", path: DataPath = ()
) -> Iterator[tuple[str, Any, DataPath]]:
    """Every value of profile data (see profile_to_data) as (key, value, path in the data)."""
    for name, value in data.items():
        key = f"{prefix}.{name}" if prefix else name
        here = (*path, name)
        if isinstance(value, dict):
            yield from flatten(value, key, here)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                yield item_key(key, item, i), item, (*here, i)
        else:
            yield key, value, here


def value_text(value: Any) -> str:
    """A value on one line: plain strings as written, anything else (hooks too) as JSON."""
    if isinstance(value, str) and value.strip() == value and "\n" not in value and value:
        return value
    return json.dumps(value, ensure_ascii=False)


def _is_set_item(key: str) -> bool:
    return any(key.startswith(f"{name}[") for name in SET_LISTS)


def merge_locations(
    base: Mapping[str, FileLine], own: Mapping[str, FileLine], base_lengths: Mapping[str, int]
) -> dict[str, FileLine]:
    """`own` includes `base`: own's scalars and map keys win, a repeated list item keeps the
    first origin, and own's items of ordered lists follow base's (`base_lengths` of them)."""
    merged = {key: origin for key, origin in base.items() if not key.startswith("include[")}
    for key, origin in own.items():
        indexed = _INDEXED.match(key)
        if indexed:
            list_key, index = indexed[1], int(indexed[2])
            merged[f"{list_key}[{index + base_lengths.get(list_key, 0)}]"] = origin
        elif _is_set_item(key):
            merged.setdefault(key, origin)
        else:
            merged[key] = origin
    return merged
