"""Profile + host facts -> container spec: desktop integration as distrobox and toolbx give it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace

from envman.engine.types import ContainerSpec, Mount
from envman.errors import ProfileSchemaError
from envman.host.facts import KCM_SOCKETS, SYSTEM_BUS, HostFacts
from envman.profile.keys import engine_options
from envman.profile.model import FileLine, Integration, Profile
from envman.profile.validate import ENV_KEY_RE
from envman.profile.yaml_format import hook_to_data
from envman.render.containerfile import data_file
from envman.render.prompt import prompt_snippet

LABEL_PREFIX = "envman."
SPEC_LABEL = "envman.spec"
SETUP_LABEL = "envman.setup"


@dataclass(frozen=True)
class ExtraFlags:
    """The podman create flags envman applies from `podman_args` (distrobox additional_flags)."""

    env: tuple[tuple[str, str], ...] = ()
    volumes: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()
    cap_add: tuple[str, ...] = ()
    security_opt: tuple[str, ...] = ()


FLAG_FIELDS = {
    "--env": "env",
    "-e": "env",
    "--volume": "volumes",
    "-v": "volumes",
    "--device": "devices",
    "--cap-add": "cap_add",
    "--security-opt": "security_opt",
}


def parse_podman_args(
    args: tuple[str, ...], where: FileLine | str, locations: Mapping[str, FileLine] | None = None
) -> ExtraFlags:
    """Map raw flags onto the spec; anything else is refused rather than passed blindly.

    Errors name the line of the offending item (`locations["podman_args[i]"]`), else `where`.
    """
    found: dict[str, list[str]] = {name: [] for name in set(FLAG_FIELDS.values())}

    def at(index: int) -> str:
        return str((locations or {}).get(f"podman_args[{index}]", where))

    i = 0
    while i < len(args):
        word, start = args[i], i
        i += 1
        flag, eq, value = word.partition("=")
        _check_flag(word, flag, bool(eq), at(start))
        if not eq:
            if i == len(args):
                raise ProfileSchemaError(f"{at(start)}: podman_args: '{word}' needs a value")
            value = args[i]
            i += 1
        _check_flag_value(FLAG_FIELDS[flag], value, at(start))
        found[FLAG_FIELDS[flag]].append(value)
    env = [(item.partition("=")[0], item.partition("=")[2]) for item in found["env"]]
    return ExtraFlags(
        env=tuple(env),
        volumes=tuple(found["volumes"]),
        devices=tuple(found["devices"]),
        cap_add=tuple(found["cap_add"]),
        security_opt=tuple(found["security_opt"]),
    )


def _check_flag(word: str, flag: str, joined: bool, where: str) -> None:
    if flag not in FLAG_FIELDS or (flag in ("-e", "-v") and joined):
        raise ProfileSchemaError(
            f"{where}: podman_args: '{word}' is not a flag envman can apply",
            "envman applies --env, --volume, --device, --cap-add, --security-opt",
        )


def _check_flag_value(field: str, value: str, where: str) -> None:
    if field == "env" and not ENV_KEY_RE.match(value.partition("=")[0]):
        raise ProfileSchemaError(f"{where}: podman_args: '--env {value}' is not NAME=VALUE")


def expand_home(path: str, home: str) -> str:
    """`~`, `$HOME` and `${HOME}` at the start of a host path become the user's home."""
    for prefix in ("${HOME}", "$HOME", "~"):
        if path == prefix or path.startswith(prefix + "/"):
            return home + path[len(prefix) :]
    return path


def _volume_mount(volume: str, home: str) -> Mount:
    parts = volume.split(":")
    options = tuple(parts[2].split(",")) if len(parts) > 2 else ()
    return Mount(expand_home(parts[0], home), parts[1], options)


def entrypoint(profile: Profile) -> tuple[tuple[str, ...], bool]:
    """The main process: envman's idle loop with start hooks, or systemd for init profiles."""
    if profile.integration.init:
        return ("/sbin/init",), True
    return ("/bin/sh", "-c", data_file("entrypoint.sh"), "envman-entrypoint"), False


RSLAVE = ("rslave",)


def _mounts(p: Profile, facts: HostFacts, home: str) -> list[Mount]:
    i = p.integration
    return [
        Mount("/", "/run/host", RSLAVE),
        *_tmp_mounts(i, facts),
        *_home_mounts(i, facts, home),
        *_socket_mounts(i, facts),
        *(Mount(m, m, RSLAVE) for m in ("/media", "/mnt", "/run/media") if facts.has(m)),
    ]


def _tmp_mounts(i: Integration, facts: HostFacts) -> list[Mount]:
    if not i.init:
        return [Mount("/tmp", "/tmp", RSLAVE)]
    if facts.has("/tmp/.X11-unix"):
        # systemd as PID 1 empties /tmp at boot (tmpfiles.d "D /tmp"): never give it the host's.
        return [Mount("/tmp/.X11-unix", "/tmp/.X11-unix", RSLAVE)]
    return []


def _home_mounts(i: Integration, facts: HostFacts, home: str) -> list[Mount]:
    mounts = [Mount(facts.home, facts.home, RSLAVE)] if i.home else []
    if home != facts.home:
        mounts.append(Mount(home, home, RSLAVE))
    return mounts


def _wants_runtime_dir(i: Integration) -> bool:
    return not i.init and bool(i.display or i.audio or i.dbus or i.gpg_agent or i.ssh_agent)


def _socket_mounts(i: Integration, facts: HostFacts) -> list[Mount]:
    mounts: list[Mount] = []
    if facts.runtime_dir and _wants_runtime_dir(i):
        mounts.append(Mount(facts.runtime_dir, facts.runtime_dir, RSLAVE))
    if i.dbus and facts.has(SYSTEM_BUS):
        mounts.append(Mount(SYSTEM_BUS, SYSTEM_BUS))
    return mounts + (_kerberos_mounts(facts) if i.kerberos else [])


def _kerberos_mounts(facts: HostFacts) -> list[Mount]:
    mounts = [Mount(s, s) for s in KCM_SOCKETS if facts.has(s)]
    krb5 = ("/etc/krb5.conf", "/etc/krb5.conf.d")
    return mounts + [Mount(f, f, ("ro",)) for f in krb5 if facts.has(f)]


def _host_ipc(i: Integration, facts: HostFacts) -> bool:
    # Rootless podman must bind /dev/mqueue for the host IPC namespace and fails where the host
    # has none mounted; there the container keeps its own (SysV shm for X11 then stays private).
    return not i.unshares("ipc") and (not facts.rootless or facts.has("/dev/mqueue"))


def container_spec(
    p: Profile, facts: HostFacts, *, name: str, image: str, labels: dict[str, str]
) -> ContainerSpec:
    """The create spec for a resolved profile (integration defaults applied) on this host."""
    i = p.integration
    home = expand_home(i.custom_home, facts.home) if i.custom_home else facts.home
    extra = parse_podman_args(p.podman_args, p.origin, p.locations)
    mounts = _mounts(p, facts, home)
    mounts.extend(_volume_mount(v, facts.home) for v in (*p.volumes, *extra.volumes))
    env = {
        "HOME": home,
        "SHELL": facts.shell,
        "ENVMAN_ENV": name,
        "TERMINFO_DIRS": "/usr/share/terminfo:/run/host/usr/share/terminfo",
    }
    if home != facts.home:
        env["ENVMAN_HOST_HOME"] = facts.home
    env.update(extra.env)
    env.update(p.env)
    command, systemd = entrypoint(p)
    spec = ContainerSpec(
        name=name,
        image=image,
        hostname=p.hostname or facts.hostname,
        keep_user_ids=True,
        host_network=not i.unshares("netns"),
        host_pid=not (i.unshares("process") or i.init),
        host_ipc=_host_ipc(i, facts) and not p.shm_size,
        privileged=not i.unshares("devsys"),
        gpus=bool(i.nvidia),
        security_opt=extra.security_opt,
        mounts=tuple(mounts),
        env=tuple(sorted(env.items())),
        labels=tuple(sorted({**labels, SETUP_LABEL: setup_hash(p)}.items())),
        entrypoint=command,
        devices=extra.devices,
        cap_add=extra.cap_add,
        systemd=systemd,
        options=engine_options(p),
    )
    return replace(spec, labels=(*spec.labels, (SPEC_LABEL, spec_hash(spec))))


def setup_hash(p: Profile) -> str:
    """What runs once after create (prompt snippet, user setup, create hooks): a change recreates
    the container."""
    creates = [hook_to_data(h) for h in p.hooks if h.when == "create"]
    text = json.dumps([data_file("user-setup.sh"), creates, prompt_snippet()], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def spec_hash(spec: ContainerSpec) -> str:
    """A short hash of everything that goes into `podman create` (its own label left out)."""
    data = asdict(spec)
    # Each option hashes as a field of its own, an unset one not at all: a new key leaves the hash
    # of every container that does not set it as it was.
    data.update(data.pop("options"))
    data["labels"] = [pair for pair in data["labels"] if pair[0] != SPEC_LABEL]
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
