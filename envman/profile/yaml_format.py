"""envman's own YAML profile format: read into a Profile (strict) and write back (deterministic)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, is_dataclass, replace
from typing import Any, cast

import yaml

from envman.profile import validate as v
from envman.profile.boundary import parse_failures
from envman.profile.keys import KEYS, Key, yaml_keys
from envman.profile.located import Located, load_yaml
from envman.profile.locations import flatten
from envman.profile.model import (
    HOOK_STAGES,
    HOOK_USERS,
    HOOK_WHENS,
    SCHEMA_VERSION,
    UNSHARE_OPTIONS,
    FileLine,
    Hook,
    Profile,
)
from envman.profile.reader import Reader

TOP_KEYS = yaml_keys()
HOOK_KEYS = ("run", "sh", "script", "args", "when", "stage", "user", "env")
INTEGRATION_KEYS = yaml_keys("integration")
INTEGRATION_SWITCHES = tuple(k for k in INTEGRATION_KEYS if k not in ("home", "unshare"))
PathTuple = tuple[str | int, ...]


def read_yaml_profile(text: str, file: str, default_name: str) -> Profile:
    """Parse an envman YAML profile; every problem names file:line and the key."""
    with parse_failures(file, "an envman YAML profile"):
        return _read(text, file, default_name)


def _read(text: str, file: str, default_name: str) -> Profile:
    r = Reader(load_yaml(text, file))
    if not isinstance(r.doc.value, dict):
        raise r.fail((), "a profile must be a mapping of keys", "start with `envman: 1`")
    r.mapping((), TOP_KEYS)
    _check_schema_version(r)
    top = _grouped(_values(r, default_name))
    profile = Profile(origin=FileLine(file, 1), format="yaml", **top)
    return replace(profile, locations=_locations(profile, r.doc))


def _values(r: Reader, default_name: str) -> dict[str, Any]:
    """Every key's value by its model attribute path (`integration.home`)."""
    values: dict[str, Any] = {}
    for key in KEYS:
        if key.group != key.path and key.name == yaml_keys(key.group)[0]:
            r.mapping((key.group,), yaml_keys(key.group))
        if key.generic:
            values[key.field] = _value(r, key)
        elif key.field in SPECIAL:
            values.update(SPECIAL[key.field](r, default_name))
    return values


def _grouped(values: dict[str, Any]) -> dict[str, Any]:
    """Profile's keyword arguments: `group.name` values gathered into their group's dataclass."""
    top = {name: value for name, value in values.items() if "." not in name}
    for f in fields(Profile):
        if is_dataclass(f.default):
            prefix = f"{f.name}."
            group = {
                n.removeprefix(prefix): val for n, val in values.items() if n.startswith(prefix)
            }
            top[f.name] = replace(cast(Any, f.default), **group)
    return top


def _value(r: Reader, key: Key) -> Any:
    """A plain key read by its declared kind and check."""
    path = tuple(key.path.split("."))
    if key.kind == "bool":
        return r.boolean(path)
    if key.kind == "list":
        return r.strings(path, key.check or v.check_text)
    if key.kind == "map":
        return r.string_map(path, key.check or v.check_text)
    return r.string(path, key.check)


def _name(r: Reader, default_name: str) -> dict[str, Any]:
    origin = FileLine(r.doc.file, 1)
    return {"name": r.string(("name",), v.check_name) or v.check_name(default_name, origin)}


def _includes(r: Reader, _default: str) -> dict[str, Any]:
    return {"includes": r.strings(("include",), v.check_text, scalar_ok=True)}


def _hooks(r: Reader, _default: str) -> dict[str, Any]:
    return {"hooks": tuple(_hook(r, i) for i in range(len(r.expect(("hooks",), list) or [])))}


def _locations(p: Profile, doc: Located) -> dict[str, FileLine]:
    """The file:line of every value: profile_to_data has the document's own layout."""
    locations = {"name": FileLine(doc.file, doc.lines.get(("name",), 0))}
    for key, _, path in flatten(profile_to_data(p)):
        if key not in ("envman", "name"):
            locations.setdefault(key, FileLine(doc.file, doc.line(path)))
    return locations


def _check_schema_version(r: Reader) -> None:
    version = r.get(("envman",))
    if version is None:
        raise r.fail(("envman",), "missing schema version", "add `envman: 1` as the first line")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise r.fail(("envman",), f"schema version must be a positive integer, not {version!r}")
    if version > SCHEMA_VERSION:
        raise r.fail(
            ("envman",),
            f"schema version {version} is newer than this envman understands ({SCHEMA_VERSION})",
            "install a newer envman (`envman upgrade` upgrades environments, not envman)",
        )


STEP_INSTRUCTIONS = ("RUN", "ENV", "ARG", "WORKDIR", "LABEL", "SHELL")


def _build_steps(r: Reader, _default: str) -> dict[str, Any]:
    steps = r.strings(("build", "steps"), v.check_text)
    for i, step in enumerate(steps):
        word = step.split(None, 1)[0].upper() if step.strip() else ""
        if word not in STEP_INSTRUCTIONS:
            raise r.fail(
                ("build", "steps", i),
                f"'{word or step}' is not an allowed build step",
                f"use one of {', '.join(STEP_INSTRUCTIONS)}; FROM, USER, CMD are envman's",
            )
    return {"build_steps": steps}


def _hook(r: Reader, i: int) -> Hook:
    path: tuple[str | int, ...] = ("hooks", i)
    bodies = _hook_bodies(r, path)
    when = _choice(r, (*path, "when"), HOOK_WHENS, "build")
    run = _hook_run(r, path, bodies)
    stage = _choice(r, (*path, "stage"), HOOK_STAGES, "after-packages")
    user = _choice(r, (*path, "user"), HOOK_USERS, "root")
    _check_hook_applies(r, path, when)
    return Hook(
        when=when,  # type: ignore[arg-type]
        run=run,
        sh=r.string((*path, "sh"), v.check_text),
        script=r.string((*path, "script"), v.check_relative_path),
        args=r.strings((*path, "args"), v.check_text),
        stage=stage,  # type: ignore[arg-type]
        user=user,  # type: ignore[arg-type]
        env=r.string_map((*path, "env"), v.check_env_key),
        origin=r.origin(path),
    )


def _hook_bodies(r: Reader, path: tuple[str | int, ...]) -> list[str]:
    """Which of run, sh and script the hook has: exactly one."""
    r.mapping(path, HOOK_KEYS)
    if not isinstance(r.get(path), dict):
        raise r.fail(path, "a hook must be a mapping with one of run, sh or script")
    bodies = [k for k in ("run", "sh", "script") if r.get((*path, k)) is not None]
    if len(bodies) != 1:
        raise r.fail(
            path, "a hook needs exactly one of run (argv list), sh (string) or script (file)"
        )
    return bodies


def _hook_run(r: Reader, path: tuple[str | int, ...], bodies: list[str]) -> tuple[str, ...]:
    """A run hook's argv: a program first, not a variable assignment."""
    run = r.strings((*path, "run"), v.check_text)
    if bodies == ["run"] and not run:
        raise r.fail((*path, "run"), "run needs at least the program to run")
    if run and "=" in run[0]:
        raise r.fail(
            (*path, "run"), f"'{run[0]}' is not a program", "put variables under the hook's env:"
        )
    return run


def _check_hook_applies(r: Reader, path: tuple[str | int, ...], when: str) -> None:
    """stage only for build and start hooks, user only for create hooks."""
    if r.get((*path, "stage")) is not None and when not in ("build", "start"):
        raise r.fail((*path, "stage"), "stage applies only to build and start hooks")
    if r.get((*path, "user")) is not None and when not in ("create",):
        raise r.fail(
            (*path, "user"),
            "user applies only to create hooks",
            "build, start and host hooks run as root/you",
        )


def _choice(r: Reader, path: tuple[str | int, ...], choices: tuple[str, ...], default: str) -> str:
    value = r.string(path)
    if value is None:
        return default
    if value not in choices:
        raise r.fail(
            path, f"'{value}' is not one of {', '.join(choices)}", v.suggest(value, choices)
        )
    return value


def _home(r: Reader, _default: str) -> dict[str, Any]:
    """`home: true/false`, or a path: a separate home (which implies home: true)."""
    if isinstance(r.get(("integration", "home")), str):
        custom = r.string(("integration", "home"), v.check_host_path)
        return {"integration.home": True, "integration.custom_home": custom}
    return {"integration.home": r.boolean(("integration", "home"))}


def _unshare(r: Reader, _default: str) -> dict[str, Any]:
    unshare = r.strings(("integration", "unshare"), v.check_text)
    for i, item in enumerate(unshare):
        if item not in UNSHARE_OPTIONS:
            raise r.fail(
                ("integration", "unshare", i),
                f"'{item}' cannot be unshared",
                f"choose from {', '.join(UNSHARE_OPTIONS)}",
            )
    return {"integration.unshare": unshare}


# The keys the table cannot read alone (declared with generic=False), by model attribute.
SPECIAL: dict[str, Callable[[Reader, str], dict[str, Any]]] = {
    "name": _name,
    "includes": _includes,
    "build_steps": _build_steps,
    "hooks": _hooks,
    "integration.home": _home,
    "integration.unshare": _unshare,
}


def profile_to_data(p: Profile) -> dict[str, Any]:
    """The profile as ordered plain data: unset values are left out (YAML writer, `show --json`)."""
    data: dict[str, Any] = {"envman": SCHEMA_VERSION, "name": p.name}
    groups: dict[str, dict[str, Any]] = {}
    for key in KEYS:
        if key.path in ("envman", "name") or key.field == "integration.custom_home":
            continue
        value = _data_value(p, key)
        if key.group == key.path:
            groups.setdefault(key.path, {})[key.path] = value
        else:
            groups.setdefault(key.group, {})[key.name] = value
    for group, values in groups.items():
        _put(data, group, values[group] if group in values else _drop_empty(values))
    return data


def _data_value(p: Profile, key: Key) -> Any:
    value: Any = p
    for part in key.field.split("."):
        value = getattr(value, part)
    if key.field == "hooks":
        return [hook_to_data(h) for h in value]
    if key.field == "integration.home":
        return p.integration.custom_home or value
    if key.kind == "map":
        return dict(value)
    return list(value) if key.kind == "list" else value


def hook_to_data(h: Hook) -> dict[str, Any]:
    """One hook as plain data, defaults left out."""
    data: dict[str, Any] = {}
    if h.script is not None:
        data["script"] = h.script
        _put(data, "args", list(h.args))
    elif h.sh is not None:
        data["sh"] = h.sh
    else:
        data["run"] = list(h.run)
    data["when"] = h.when
    if h.when in ("build", "start") and h.stage != "after-packages":
        data["stage"] = h.stage
    if h.when == "create" and h.user != "root":
        data["user"] = h.user
    _put(data, "env", dict(h.env))
    return data


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {k: val for k, val in data.items() if not _empty(val)}


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, list | dict) and not value)


def _put(data: dict[str, Any], key: str, value: Any) -> None:
    if not _empty(value):
        data[key] = value


def write_yaml_profile(p: Profile) -> str:
    """Deterministic YAML text for a profile (key order fixed, unset values left out)."""
    return yaml.safe_dump(
        profile_to_data(p), sort_keys=False, default_flow_style=False, allow_unicode=True, width=100
    )
