"""The include merge rules: lists append, maps merge, the including profile's scalars win."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import fields, is_dataclass, replace
from typing import Any, TypeVar

from envman.profile.keys import BY_FIELD, KEYS
from envman.profile.locations import merge_locations
from envman.profile.model import FileLine, Profile

T = TypeVar("T")
D = TypeVar("D")


def unique(items: Iterable[T]) -> tuple[T, ...]:
    """Items in first-seen order, duplicates dropped."""
    return tuple(dict.fromkeys(items))


def _scalar(own: T | None, base: T | None) -> T | None:
    return own if own is not None else base


def _merge_env(
    base: tuple[tuple[str, str], ...], own: tuple[tuple[str, str], ...]
) -> tuple[tuple[str, str], ...]:
    merged = dict(base)
    merged.update(own)
    return tuple(merged.items())


# Profile attributes that are not profile keys: how each one merges.
META_MERGE = {"origin": "own", "format": "own", "warnings": "append", "locations": "own"}


def merge(base: Profile, own: Profile) -> Profile:
    """`own` includes `base`: the result keeps own's name and origin; each key by its rule."""
    merged = _merge_fields(base, own, "")
    return replace(merged, locations=_locations(base, own))


def _merge_fields(base: D, own: D, prefix: str) -> D:
    """Every field of a dataclass by the merge rule its key declares (nested groups recursed)."""
    values: dict[str, Any] = {}
    for f in fields(own):  # type: ignore[arg-type]
        b, o = getattr(base, f.name), getattr(own, f.name)
        meta = META_MERGE.get(f.name) if not prefix else None
        if meta is None and is_dataclass(o):
            values[f.name] = _merge_fields(b, o, f"{prefix}{f.name}.")
        else:
            values[f.name] = RULES[meta or BY_FIELD[f"{prefix}{f.name}"].merge](b, o)
    return replace(own, **values)  # type: ignore[type-var]


def _own(_base: Any, own: Any) -> Any:
    return own


def _append(base: tuple[Any, ...], own: tuple[Any, ...]) -> tuple[Any, ...]:
    return base + own


def _append_dedupe(base: tuple[Any, ...], own: tuple[Any, ...]) -> tuple[Any, ...]:
    return unique(base + own)


RULES: dict[str, Callable[[Any, Any], Any]] = {
    "own": _own,
    "scalar": lambda base, own: _scalar(own, base),
    "append": _append,
    "append-dedupe": _append_dedupe,
    "map": _merge_env,
}


def _locations(base: Profile, own: Profile) -> dict[str, FileLine]:
    lengths = {k.path: len(getattr(base, k.field)) for k in KEYS if k.merge == "append"}
    merged = merge_locations(base.locations, own.locations, lengths)
    # A custom home from base is what `integration.home` shows even when own sets home: true.
    home = base.locations.get("integration.home")
    if own.integration.custom_home is None and base.integration.custom_home and home:
        merged["integration.home"] = home
    return merged


def conflicting_scalars(base: Profile, own: Profile) -> list[str]:
    """Scalars with an ini key both set to different values (distrobox resolves these
    differently from envman), by their ini names."""
    names = []
    for key in KEYS:
        if key.merge == "scalar" and key.ini:
            b, o = _attr(base, key.field), _attr(own, key.field)
            if b is not None and o is not None and b != o:
                names.append(key.ini[0][0])
    return names


def _attr(value: object, field: str) -> object:
    for part in field.split("."):
        value = getattr(value, part)
    return value
