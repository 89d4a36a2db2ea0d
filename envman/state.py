"""envman's record of each environment: a JSON file each, plus the run-file for the hot path."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from envman.host.files import remove_file, write_atomic
from envman.host.json_state import force_state_hint, read_json_record, write_json_record
from envman.names import env_name
from envman.paths import Paths

STATE_VERSION = 1
VERSION_KEY = "state_version"  # the record predates the shared "version" member


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
    run_settings: tuple[tuple[str, str], ...] = ()  # profile keys for run/enter, as key=value
    state_version: int = field(default=STATE_VERSION)


def state_file(paths: Paths, name: str) -> Path:
    """The JSON record of one environment."""
    return paths.state / "envs" / f"{env_name(name)}.json"


def run_file(paths: Paths, name: str) -> Path:
    """The flat key=value file `envman run` reads without importing json."""
    return paths.state / "run" / env_name(name)


def load_state(paths: Paths, name: str) -> EnvState | None:
    """The record of an environment, or None when there is none."""
    return read_json_record(
        state_file(paths, name),
        STATE_VERSION,
        "the environment's record",
        state_from_data,
        force_state_hint(name),
        version_key=VERSION_KEY,
    )


def _fits(value: object, annotation: object) -> bool:
    """Whether a decoded JSON value has the type an EnvState field is annotated with."""
    return _CHECKS.get(str(annotation), _is_str)(value)


def _is_str(value: object) -> bool:
    return isinstance(value, str)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _are_strs(value: object) -> bool:
    return isinstance(value, tuple) and all(isinstance(item, str) for item in value)


def _are_pairs(value: object) -> bool:
    return isinstance(value, tuple) and all(_are_strs(i) and len(i) == 2 for i in value)


_CHECKS = {"int": _is_int, "tuple[str, ...]": _are_strs, "tuple[tuple[str, str], ...]": _are_pairs}


def _tuples(value: object) -> object:
    """JSON lists back as tuples, nested ones too."""
    return tuple(_tuples(item) for item in value) if isinstance(value, list) else value


def state_from_data(data: dict[str, Any]) -> EnvState:
    """An EnvState back from its JSON form (unknown keys ignored); ValueError when damaged."""
    values: dict[str, Any] = {}
    for f in fields(EnvState):
        if f.name not in data:
            continue
        value = _tuples(data[f.name])
        if not _fits(value, f.type):
            raise ValueError(f"'{f.name}' holds {type(value).__name__}")
        values[f.name] = value
    try:
        return EnvState(**values)
    except TypeError as exc:
        raise ValueError(str(exc)) from None


def save_state(paths: Paths, state: EnvState) -> None:
    """Write the record and the hot path's run-file, each atomically."""
    record = asdict(state)
    write_json_record(state_file(paths, state.name), STATE_VERSION, record, version_key=VERSION_KEY)
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
    rows.update((k, v) for k, v in state.run_settings if k not in rows)
    return "".join(f"{k}={v}\n" for k, v in rows.items() if "\n" not in v)
