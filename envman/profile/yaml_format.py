"""envman's own YAML profile format: read into a Profile (strict) and write back (deterministic)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import yaml

from envman.profile import validate as v
from envman.profile.boundary import parse_failures
from envman.profile.located import Located, load_yaml
from envman.profile.locations import flatten
from envman.profile.model import (
    HOOK_STAGES,
    HOOK_USERS,
    HOOK_WHENS,
    SCHEMA_VERSION,
    UNSHARE_OPTIONS,
    DistroboxCompat,
    Exports,
    Hook,
    Integration,
    Origin,
    Profile,
)
from envman.profile.reader import Reader

TOP_KEYS = (
    "envman",
    "name",
    "version",
    "description",
    "image",
    "include",
    "packages",
    "build",
    "env",
    "volumes",
    "hooks",
    "exports",
    "integration",
    "hostname",
    "podman_args",
    "distrobox",
)
HOOK_KEYS = ("run", "sh", "script", "args", "when", "stage", "user", "env")
INTEGRATION_SWITCHES = (
    "display",
    "audio",
    "dbus",
    "ssh_agent",
    "gpg_agent",
    "kerberos",
    "host_certificates",
    "nvidia",
    "init",
    "root",
)
INTEGRATION_KEYS = ("home", *INTEGRATION_SWITCHES, "unshare")


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
    name = r.string(("name",), v.check_name) or v.check_name(default_name, Origin(file, 1))
    build = r.mapping(("build",), ("containerfile", "steps"))
    del build
    profile = Profile(
        name=name,
        origin=Origin(file, 1),
        version=r.string(("version",), v.check_text),
        description=r.string(("description",), v.check_text),
        image=r.string(("image",), v.check_image),
        includes=r.strings(("include",), v.check_text, scalar_ok=True),
        packages=r.strings(("packages",), v.check_package),
        containerfile=r.string(("build", "containerfile"), v.check_relative_path),
        build_steps=_build_steps(r),
        env=r.string_map(("env",), v.check_env_key),
        volumes=r.strings(("volumes",), v.check_volume),
        hooks=tuple(_hook(r, i) for i in range(len(r.expect(("hooks",), list) or []))),
        exports=_exports(r),
        integration=_integration(r),
        hostname=r.string(("hostname",), v.check_hostname),
        podman_args=r.strings(("podman_args",), v.check_text),
        distrobox=_distrobox(r),
        format="yaml",
    )
    return replace(profile, locations=_locations(profile, r.doc))


def _locations(p: Profile, doc: Located) -> dict[str, Origin]:
    """The file:line of every value: profile_to_data has the document's own layout."""
    locations = {"name": Origin(doc.file, doc.lines.get(("name",), 0))}
    for key, _, path in flatten(profile_to_data(p)):
        if key not in ("envman", "name"):
            locations.setdefault(key, Origin(doc.file, doc.line(path)))
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
            "upgrade envman",
        )


STEP_INSTRUCTIONS = ("RUN", "ENV", "ARG", "WORKDIR", "LABEL", "SHELL")


def _build_steps(r: Reader) -> tuple[str, ...]:
    steps = r.strings(("build", "steps"), v.check_text)
    for i, step in enumerate(steps):
        word = step.split(None, 1)[0].upper() if step.strip() else ""
        if word not in STEP_INSTRUCTIONS:
            raise r.fail(
                ("build", "steps", i),
                f"'{word or step}' is not an allowed build step",
                f"use one of {', '.join(STEP_INSTRUCTIONS)}; FROM, USER, CMD are envman's",
            )
    return steps


def _hook(r: Reader, i: int) -> Hook:
    path: tuple[str | int, ...] = ("hooks", i)
    r.mapping(path, HOOK_KEYS)
    if not isinstance(r.get(path), dict):
        raise r.fail(path, "a hook must be a mapping with one of run, sh or script")
    bodies = [k for k in ("run", "sh", "script") if r.get((*path, k)) is not None]
    if len(bodies) != 1:
        raise r.fail(
            path, "a hook needs exactly one of run (argv list), sh (string) or script (file)"
        )
    when = _choice(r, (*path, "when"), HOOK_WHENS, "build")
    run = r.strings((*path, "run"), v.check_text)
    if bodies == ["run"] and not run:
        raise r.fail((*path, "run"), "run needs at least the program to run")
    if run and "=" in run[0]:
        raise r.fail(
            (*path, "run"), f"'{run[0]}' is not a program", "put variables under the hook's env:"
        )
    stage = _choice(r, (*path, "stage"), HOOK_STAGES, "after-packages")
    user = _choice(r, (*path, "user"), HOOK_USERS, "root")
    if r.get((*path, "stage")) is not None and when not in ("build", "start"):
        raise r.fail((*path, "stage"), "stage applies only to build and start hooks")
    if r.get((*path, "user")) is not None and when not in ("create",):
        raise r.fail(
            (*path, "user"),
            "user applies only to create hooks",
            "build, start and host hooks run as root/you",
        )
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


def _choice(r: Reader, path: tuple[str | int, ...], choices: tuple[str, ...], default: str) -> str:
    value = r.string(path)
    if value is None:
        return default
    if value not in choices:
        raise r.fail(
            path, f"'{value}' is not one of {', '.join(choices)}", v.suggest(value, choices)
        )
    return value


def _exports(r: Reader) -> Exports:
    r.mapping(("exports",), ("apps", "bins", "bins_path", "label"))
    return Exports(
        apps=r.strings(("exports", "apps"), v.check_desktop_app),
        bins=r.strings(("exports", "bins"), v.check_absolute_path),
        bins_path=r.string(("exports", "bins_path"), v.check_host_path),
        label=r.boolean(("exports", "label")),
    )


def _integration(r: Reader) -> Integration:
    r.mapping(("integration",), INTEGRATION_KEYS)
    home_value = r.get(("integration", "home"))
    home: bool | None = None
    custom_home: str | None = None
    if isinstance(home_value, str):
        custom_home = r.string(("integration", "home"), v.check_host_path)
        home = True
    else:
        home = r.boolean(("integration", "home"))
    unshare = r.strings(("integration", "unshare"), v.check_text)
    for i, item in enumerate(unshare):
        if item not in UNSHARE_OPTIONS:
            raise r.fail(
                ("integration", "unshare", i),
                f"'{item}' cannot be unshared",
                f"choose from {', '.join(UNSHARE_OPTIONS)}",
            )
    switches = {k: r.boolean(("integration", k)) for k in INTEGRATION_SWITCHES}
    return Integration(home=home, custom_home=custom_home, unshare=unshare, **switches)


def _distrobox(r: Reader) -> DistroboxCompat:
    r.mapping(("distrobox",), ("entry", "start_now", "pull", "replace", "clone"))
    return DistroboxCompat(
        entry=r.boolean(("distrobox", "entry")),
        start_now=r.boolean(("distrobox", "start_now")),
        pull=r.boolean(("distrobox", "pull")),
        replace=r.boolean(("distrobox", "replace")),
        clone=r.string(("distrobox", "clone"), v.check_name),
    )


def profile_to_data(p: Profile) -> dict[str, Any]:
    """The profile as ordered plain data: unset values are left out (YAML writer, `show --json`)."""
    data: dict[str, Any] = {"envman": SCHEMA_VERSION, "name": p.name}
    _put(data, "version", p.version)
    _put(data, "description", p.description)
    _put(data, "image", p.image)
    _put(data, "include", list(p.includes))
    _put(data, "packages", list(p.packages))
    _put(
        data, "build", _drop_empty({"containerfile": p.containerfile, "steps": list(p.build_steps)})
    )
    _put(data, "env", dict(p.env))
    _put(data, "volumes", list(p.volumes))
    _put(data, "hooks", [hook_to_data(h) for h in p.hooks])
    _put(
        data,
        "exports",
        _drop_empty(
            {
                "apps": list(p.exports.apps),
                "bins": list(p.exports.bins),
                "bins_path": p.exports.bins_path,
                "label": p.exports.label,
            }
        ),
    )
    _put(data, "integration", _integration_data(p.integration))
    _put(data, "hostname", p.hostname)
    _put(data, "podman_args", list(p.podman_args))
    d = p.distrobox
    _put(
        data,
        "distrobox",
        _drop_empty(
            {
                "entry": d.entry,
                "start_now": d.start_now,
                "pull": d.pull,
                "replace": d.replace,
                "clone": d.clone,
            }
        ),
    )
    return data


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


def _integration_data(i: Integration) -> dict[str, Any]:
    data: dict[str, Any] = {"home": i.custom_home if i.custom_home else i.home}
    for key in INTEGRATION_SWITCHES:
        data[key] = getattr(i, key)
    data["unshare"] = list(i.unshare)
    return _drop_empty(data)


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
