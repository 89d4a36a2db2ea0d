"""Generations of an environment: each image and container setup `up` made, kept for rollback."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from envman.engine.types import ContainerSpec, Mount
from envman.host.files import remove_file
from envman.host.json_state import force_state_hint, read_json_record, write_json_record
from envman.names import env_name
from envman.paths import Paths

HISTORY_VERSION = 1


@dataclass(frozen=True)
class CreateStep:
    """A `create` hook as it ran: argv, the user it ran as, and where it was written."""

    argv: tuple[str, ...]
    user: str
    origin: str


@dataclass(frozen=True)
class Generation:
    """One image and container setup of an environment, enough to switch back to it."""

    number: int
    image_id: str
    image: str
    profile_version: str
    content_hash: str
    created: str
    source: str
    revision: str
    spec: ContainerSpec
    create_steps: tuple[CreateStep, ...] = ()
    forward_env: tuple[str, ...] = ()
    layers: tuple[tuple[str, str], ...] = ()
    address: str = ""
    pinned: bool = False
    run_settings: tuple[tuple[str, str], ...] = ()  # profile keys for run/enter (keys.py "run")
    pulled_from: str = ""  # REGISTRY/REPO@sha256:... when verified and pulled, "" when built


@dataclass(frozen=True)
class History:
    """All generations of one environment, which one runs, and whether a rollback holds it."""

    env: str
    generations: tuple[Generation, ...] = ()
    current: int = 0
    held_against: str = ""

    def get(self, number: int) -> Generation | None:
        """A generation by number."""
        return next((g for g in self.generations if g.number == number), None)

    @property
    def next_number(self) -> int:
        """The number the next generation gets (never reused)."""
        return max((g.number for g in self.generations), default=0) + 1

    def replaced(self, generation: Generation) -> History:
        """This history with one generation changed."""
        gens = tuple(generation if g.number == generation.number else g for g in self.generations)
        return replace(self, generations=gens)


def history_file(paths: Paths, env: str) -> Path:
    """Where an environment's generations are kept."""
    return paths.state / "generations" / f"{env_name(env)}.json"


def load_history(paths: Paths, env: str) -> History:
    """The generations of an environment (none yet when there is no file)."""
    path = history_file(paths, env)
    found = read_json_record(
        path, HISTORY_VERSION, "the generation history", _history(env), force_state_hint(env)
    )
    return found if found is not None else History(env)


def _history(env: str) -> Callable[[dict[str, Any]], History]:
    def decode(data: dict[str, Any]) -> History:
        gens = tuple(_generation(g) for g in data["generations"])
        return History(env, gens, int(data["current"]), str(data.get("held_against", "")))

    return decode


def _generation(data: dict[str, Any]) -> Generation:
    steps = tuple(
        CreateStep(tuple(s["argv"]), s["user"], s["origin"]) for s in data["create_steps"]
    )
    return Generation(
        number=int(data["number"]),
        image_id=data["image_id"],
        image=data["image"],
        profile_version=data["profile_version"],
        content_hash=data["content_hash"],
        created=data["created"],
        source=data["source"],
        revision=data["revision"],
        spec=spec_from_data(data["spec"]),
        create_steps=steps,
        forward_env=tuple(data["forward_env"]),
        layers=tuple((text, digest) for text, digest in data.get("layers", ())),
        address=str(data.get("address", "")),
        pinned=bool(data["pinned"]),
        run_settings=tuple((str(k), str(v)) for k, v in data.get("run_settings", ())),
        pulled_from=str(data.get("pulled_from", "")),
    )


def spec_from_data(data: dict[str, Any]) -> ContainerSpec:
    """A ContainerSpec back from its JSON form (lists become tuples again)."""
    values: dict[str, Any] = {}
    for key, value in _neutral(data).items():
        if key == "mounts":
            values[key] = tuple(Mount(m["source"], m["target"], tuple(m["options"])) for m in value)
        elif key in ("env", "labels", "options"):
            values[key] = tuple((k, v) for k, v in value)
        elif isinstance(value, list):
            values[key] = tuple(value)
        else:
            values[key] = value
    return ContainerSpec(**values)


LEGACY_GPU = "nvidia.com/gpu=all"
LEGACY_LABEL = "label=disable"


def _shm_size_as_option(data: dict[str, Any]) -> dict[str, Any]:
    """`shm_size` was a spec field before keys reached the engine as options."""
    if "shm_size" not in data:
        return data
    size = data["shm_size"]
    new = {k: v for k, v in data.items() if k != "shm_size"}
    new["options"] = [["shm_size", size]] if size is not None else []
    return new


def _neutral(data: dict[str, Any]) -> dict[str, Any]:
    """A spec saved before the spec was engine-neutral (podman's userns/network/pid/ipc words,
    the CDI GPU device, label=disable, shm_size as a field) in today's fields, so old
    generations still roll back."""
    data = _shm_size_as_option(data)
    if not {"userns", "network", "pid", "ipc"} & data.keys():
        return data
    new = {k: v for k, v in data.items() if k not in ("userns", "network", "pid", "ipc")}
    new["keep_user_ids"] = data.get("userns") == "keep-id"
    new["host_network"] = data.get("network", "host") == "host"
    new["host_pid"] = data.get("pid", "host") == "host"
    new["host_ipc"] = data.get("ipc", "host") == "host"
    devices = list(data.get("devices", ()))
    new["gpus"] = LEGACY_GPU in devices
    new["devices"] = [d for d in devices if d != LEGACY_GPU]
    options = list(data.get("security_opt", ()))
    new["label_confinement"] = LEGACY_LABEL not in options
    new["security_opt"] = [o for o in options if o != LEGACY_LABEL]
    return new


def history_to_data(history: History) -> dict[str, Any]:
    """The JSON form of a history (also kept in the swap journal)."""
    return {
        "env": history.env,
        "current": history.current,
        "held_against": history.held_against,
        "generations": [asdict(g) for g in history.generations],
    }


def history_from_data(env: str, data: dict[str, Any]) -> History:
    """A history back from its JSON form."""
    return _history(env)(data)


def save_history(paths: Paths, history: History) -> None:
    """Write the history atomically."""
    write_json_record(history_file(paths, history.env), HISTORY_VERSION, history_to_data(history))


def forget_history(paths: Paths, env: str) -> list[Path]:
    """Remove the history file of a removed environment."""
    path = history_file(paths, env)
    return [path] if remove_file(path) else []


def generation_tag(env: str, number: int) -> str:
    """The image name that keeps a generation's image alive: localhost/envman/NAME:gen-N."""
    return f"localhost/envman/{env}:gen-{number}"
