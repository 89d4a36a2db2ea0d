"""Every profile key, declared once: type, merge rule, ini key, what it changes, a doc line."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from envman.profile import validate as v
from envman.profile.model import FileLine, Profile

Kind = Literal["int", "str", "bool", "list", "map", "hooks"]
# own: always the including profile's; scalar: the including profile's unless unset;
# append-dedupe / append: base's items then own's (duplicates dropped / kept, in order);
# map: key by key, own's entries win.
Merge = Literal["own", "scalar", "append-dedupe", "append", "map"]
# image: part of the build (a change rebuilds); container: only how the container is created
# (a change recreates it); both: some of its values each (hooks by their `when`); run: only how
# `envman run`/`enter` start (up rewrites the run-file; nothing is rebuilt or recreated); none.
Affects = Literal["image", "container", "both", "run", "none"]
Check = Callable[[str, FileLine, str], str]

ASSEMBLE_SINCE = "1.5"  # distrobox assemble itself; an ini key newer than this is noted


@dataclass(frozen=True)
class Key:
    """One profile key: `path` as written in YAML, `attr` the model attribute path it fills."""

    path: str
    kind: Kind
    merge: Merge
    affects: Affects
    doc: str
    attr: str | None = None  # defaults to `path`; "" when the key fills no model attribute
    ini: tuple[tuple[str, str], ...] = ()  # (ini key, first distrobox release that reads it)
    check: Check | None = None  # value check of each string (item) the YAML reader applies
    generic: bool = True  # read and written by the table-driven YAML code
    ini_lost: str = ""  # the warning when a set value cannot go into a distrobox ini
    engine_option: str = ""  # passed to the engine as this neutral option (ContainerSpec.options)

    @property
    def field(self) -> str:
        """The model attribute path (`integration.custom_home`), or "" for none."""
        return self.path if self.attr is None else self.attr

    @property
    def group(self) -> str:
        """The top-level YAML key (`integration` for `integration.home`)."""
        return self.path.split(".", 1)[0]

    @property
    def name(self) -> str:
        """The key within its group (`home` for `integration.home`)."""
        return self.path.rsplit(".", 1)[-1]


SIZE_RE = re.compile(r"^[1-9][0-9]{0,12}[bkmg]?$")


def _check_size(value: str, origin: FileLine, key: str) -> str:
    """A podman size: a number with an optional b, k, m or g."""
    if not SIZE_RE.fullmatch(value):
        raise v.schema_error(origin, key, f"'{value}' is not a size", "e.g. 64m or 1g")
    return value


def _since(*keys: str, since: str = ASSEMBLE_SINCE) -> tuple[tuple[str, str], ...]:
    return tuple((key, since) for key in keys)


def _switch(name: str, doc: str) -> Key:
    return Key(f"integration.{name}", "bool", "scalar", "container", doc)


def _compat(name: str, doc: str, kind: Kind = "bool", since: str = ASSEMBLE_SINCE) -> Key:
    check = v.check_name if kind == "str" else None
    return Key(
        f"distrobox.{name}",
        kind,
        "scalar",
        "container",
        doc,
        ini=_since(name, since=since),
        check=check,
    )


KEYS: tuple[Key, ...] = (
    Key("envman", "int", "own", "none", "schema version (required)", attr="", generic=False),
    Key("name", "str", "own", "none", "defaults to the file name", generic=False),
    Key("version", "str", "scalar", "none", "the profile's own version", check=v.check_text),
    Key("description", "str", "scalar", "none", "one line about it", check=v.check_text),
    Key(
        "image",
        "str",
        "scalar",
        "image",
        "the base image, or NAME@sha256:DIGEST",
        ini=_since("image"),
        check=v.check_image,
    ),
    Key(
        "include",
        "list",
        "own",
        "none",
        "other profiles, merged first",
        attr="includes",
        ini=_since("include"),
        generic=False,
    ),
    Key(
        "packages",
        "list",
        "append-dedupe",
        "image",
        "installed with the image's package manager",
        ini=_since("additional_packages"),
        check=v.check_package,
    ),
    Key(
        "build.containerfile",
        "str",
        "scalar",
        "image",
        "built first, as written",
        attr="containerfile",
        check=v.check_relative_path,
        ini_lost="the ini cannot build it; distrobox uses the image",
    ),
    Key(
        "build.steps",
        "list",
        "append",
        "image",
        "RUN, ENV, ARG, WORKDIR, LABEL, SHELL lines",
        attr="build_steps",
        generic=False,
        ini_lost="the ini has no build steps; distrobox uses the image as is",
    ),
    Key(
        "env",
        "map",
        "map",
        "container",
        "environment variables in the container",
        check=v.check_env_key,
    ),
    Key(
        "volumes",
        "list",
        "append-dedupe",
        "container",
        "SRC:DST[:OPTIONS] mounts",
        ini=_since("volume"),
        check=v.check_volume,
    ),
    Key(
        "hooks",
        "hooks",
        "append",
        "both",
        "commands at build, create, start or on the host",
        ini=_since("pre_init_hooks", "init_hooks"),
        generic=False,
    ),
    Key(
        "exports.apps",
        "list",
        "append-dedupe",
        "container",
        "desktop apps exported to the host",
        ini=_since("exported_apps", since="1.6"),
        check=v.check_desktop_app,
    ),
    Key(
        "exports.bins",
        "list",
        "append-dedupe",
        "container",
        "binaries exported to the host",
        ini=_since("exported_bins", since="1.6"),
        check=v.check_absolute_path,
    ),
    Key(
        "exports.bins_path",
        "str",
        "scalar",
        "container",
        "where exported binaries go",
        ini=_since("exported_bins_path", since="1.6"),
        check=v.check_host_path,
    ),
    Key("exports.label", "bool", "scalar", "container", "mark exported apps with the env's name"),
    Key(
        "integration.home",
        "bool",
        "scalar",
        "container",
        "share your home (or a path: own home)",
        generic=False,
    ),
    Key(
        "integration.home",
        "str",
        "scalar",
        "container",
        "a separate home for this environment",
        attr="integration.custom_home",
        ini=_since("home"),
        generic=False,
    ),
    _switch("display", "Wayland/X11 variables forwarded"),
    _switch("audio", "PipeWire/PulseAudio socket"),
    _switch("dbus", "the session bus"),
    _switch("ssh_agent", "the SSH agent socket"),
    _switch("gpg_agent", "the GnuPG agent socket"),
    _switch("kerberos", "the Kerberos credential cache"),
    _switch("host_certificates", "trust the host's locally added CAs (also while building)"),
    Key(
        "integration.nvidia", "bool", "scalar", "container", "GPU through CDI", ini=_since("nvidia")
    ),
    Key("integration.init", "bool", "scalar", "container", "systemd as PID 1", ini=_since("init")),
    Key(
        "integration.root", "bool", "scalar", "container", "a rootful container", ini=_since("root")
    ),
    Key(
        "integration.unshare",
        "list",
        "append-dedupe",
        "container",
        "ipc, netns, process, devsys, groups, all",
        generic=False,
        ini=(
            ("unshare_ipc", "1.5"),
            ("unshare_netns", "1.5"),
            ("unshare_process", "1.6"),
            ("unshare_devsys", "1.6"),
            ("unshare_groups", "1.8.2"),
            ("unshare_all", "1.6"),
        ),
    ),
    Key(
        "hostname",
        "str",
        "scalar",
        "container",
        "the container's host name",
        ini=_since("hostname", since="1.7.2"),
        check=v.check_hostname,
    ),
    Key(
        "podman_args",
        "list",
        "append",
        "container",
        "--env --volume --device --cap-add --security-opt",
        ini=_since("additional_flags"),
        check=v.check_text,
    ),
    Key(
        "shm_size",
        "str",
        "scalar",
        "container",
        "size of a private /dev/shm (unshares ipc): 64m, 1g",
        check=_check_size,
        engine_option="shm_size",
        ini_lost="the ini has no such key; distrobox gives no private /dev/shm",
    ),
    Key(
        "workdir",
        "str",
        "scalar",
        "run",
        "where run and enter start (default: your current directory)",
        check=v.check_absolute_path,
        ini_lost="the ini has no such key; distrobox enter starts in the current directory",
    ),
    _compat("entry", "kept for ini round trips"),
    _compat("start_now", "kept for ini round trips"),
    _compat("pull", "kept for ini round trips"),
    _compat("replace", "kept for ini round trips"),
    _compat("clone", "refused by up", kind="str", since="1.8.1"),
)

BY_FIELD: dict[str, Key] = {key.field: key for key in KEYS if key.field}


def yaml_keys(group: str = "") -> tuple[str, ...]:
    """The YAML keys known at the top (group "") or inside a group, in declaration order."""
    if not group:
        return tuple(dict.fromkeys(k.group for k in KEYS))
    return tuple(dict.fromkeys(k.name for k in KEYS if "." in k.path and k.group == group))


def ini_since() -> dict[str, str]:
    """The ini keys newer than distrobox assemble itself, with the first release reading them."""
    return {ini: since for k in KEYS for ini, since in k.ini if since != ASSEMBLE_SINCE}


def value_of(profile: Profile, key: Key) -> object:
    """The model value a key fills (`integration.init` -> profile.integration.init)."""
    value: object = profile
    for part in key.field.split("."):
        value = getattr(value, part)
    return value


def ini_lost(profile: Profile) -> list[tuple[str, str]]:
    """(key, warning) for each set value a distrobox ini cannot carry."""
    return [(k.path, k.ini_lost) for k in KEYS if k.ini_lost and value_of(profile, k)]


def run_settings(profile: Profile) -> tuple[tuple[str, str], ...]:
    """The set values of `run` keys, which `up` writes into the run-file for run and enter."""
    return tuple(
        (k.path, str(value_of(profile, k)))
        for k in KEYS
        if k.affects == "run" and value_of(profile, k)
    )


def engine_options(profile: Profile) -> tuple[tuple[str, str], ...]:
    """The set values of keys the engine takes as neutral options (`engine_option`), sorted."""
    return tuple(
        sorted(
            (k.engine_option, str(value_of(profile, k)))
            for k in KEYS
            if k.engine_option and value_of(profile, k) is not None
        )
    )


def runtime_groups() -> tuple[str, ...]:
    """Top-level keys with a setting that changes the container only (the lock digests them)."""
    return tuple(sorted({k.group for k in KEYS if k.affects in ("container", "both")}))


MERGE_TEXT = {
    "own": "the including profile's",
    "scalar": "including wins",
    "append-dedupe": "append, dedupe",
    "append": "append, keep order",
    "map": "key by key",
}


def markdown_table() -> str:
    """The README's profile key reference (between its profile-keys markers), one row a key."""
    rows = [
        "| key | type | include merge | changes | ini key (distrobox) | what |",
        "|---" * 6 + "|",
    ]
    for key in KEYS:
        ini = ", ".join(f"`{name}` ({since})" for name, since in key.ini) or "-"
        kind = "path" if key.field == "integration.custom_home" else key.kind
        rows.append(
            f"| `{key.path}` | {kind} | {MERGE_TEXT[key.merge]} | {key.affects} | {ini} "
            f"| {key.doc} |"
        )
    return "\n".join(rows) + "\n"
