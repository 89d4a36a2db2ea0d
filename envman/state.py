"""envman's record of each environment: a JSON file each, plus the run-file for the hot path."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from envman.errors import StateCorrupt
from envman.host.files import remove_file, write_atomic
from envman.host.json_state import force_state_hint, read_json
from envman.names import env_name
from envman.paths import Paths

STATE_VERSION = 1


@dataclass(frozen=True)
class EnvState:
    """What `envman up` last did for an environment."""

    name: str
    profile_source: str
    profile_version: str
    content_hash: str
    image: str
    image_id: str
    container_id: str
    spec_hash: str
    updated: str
    user: str
    home: str
    visible_paths: tuple[str, ...] = ()
    forward_env: tuple[str, ...] = ()
    pid_file: str = ""
    podman: str = "podman"
    address: str = ""  # the profile's absolute file or SOURCE/PROFILE@REF (envman/ops/address.py)
    state_version: int = field(default=STATE_VERSION)


def state_file(paths: Paths, name: str) -> Path:
    """The JSON record of one environment."""
    return paths.state / "envs" / f"{env_name(name)}.json"


def run_file(paths: Paths, name: str) -> Path:
    """The flat key=value file `envman run` reads without importing json."""
    return paths.state / "run" / env_name(name)


def load_state(paths: Paths, name: str) -> EnvState | None:
    """The record of an environment, or None when there is none."""
    path = state_file(paths, name)
    hint = force_state_hint(name)
    data = read_json(path, hint)
    if data is None:
        return None
    version = data.get("state_version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise StateCorrupt(f"{path}: state_version is not a number", hint)
    if version > STATE_VERSION:
        raise StateCorrupt(
            f"{path} was written by a newer envman",
            "install a newer envman (`envman upgrade` upgrades environments, not envman)",
        )
    try:
        return state_from_data(data)
    except ValueError as exc:
        raise StateCorrupt(f"{path}: {exc}", hint) from None
    except TypeError as exc:
        raise StateCorrupt(f"{path}: {exc}", hint) from None


def _fits(value: object, annotation: object) -> bool:
    """Whether a decoded JSON value has the type an EnvState field is annotated with."""
    if annotation == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation == "tuple[str, ...]":
        return isinstance(value, tuple) and all(isinstance(item, str) for item in value)
    return isinstance(value, str)


def state_from_data(data: dict[str, Any]) -> EnvState:
    """An EnvState back from its JSON form (unknown keys ignored); ValueError when damaged."""
    values: dict[str, Any] = {}
    for f in fields(EnvState):
        if f.name not in data:
            continue
        value = data[f.name]
        value = tuple(value) if isinstance(value, list) else value
        if not _fits(value, f.type):
            raise ValueError(f"'{f.name}' holds {type(value).__name__}")
        values[f.name] = value
    try:
        return EnvState(**values)
    except TypeError as exc:
        raise ValueError(str(exc)) from None


def save_state(paths: Paths, state: EnvState) -> None:
    """Write the record and the hot path's run-file, each atomically."""
    write_atomic(
        state_file(paths, state.name), json.dumps(asdict(state), indent=2, sort_keys=True) + "\n"
    )
    write_atomic(run_file(paths, state.name), render_run_file(state))


def forget(paths: Paths, name: str) -> list[Path]:
    """Remove envman's records of an environment; returns what was removed."""
    return [p for p in (state_file(paths, name), run_file(paths, name)) if remove_file(p)]


def render_run_file(state: EnvState) -> str:
    """key=value lines; values never contain newlines (paths with newlines are refused earlier)."""
    rows = {
        "container": state.name,
        "id": state.container_id,
        "pidfile": state.pid_file,
        "user": state.user,
        "home": state.home,
        "podman": state.podman,
        "visible": "\t".join(state.visible_paths),
        "forward": " ".join(state.forward_env),
    }
    return "".join(f"{k}={v}\n" for k, v in rows.items() if "\n" not in v)
