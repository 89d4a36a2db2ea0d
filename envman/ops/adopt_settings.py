"""What a distrobox or toolbx container's create-time settings mean as an envman profile (pure).

distrobox bakes its create options into the container: namespaces, mounts, labels and the
arguments of its entrypoint (`--init 1 --nvidia 0 --additional-packages "..." -- 'hooks'`).
This module reads them back; it leaves out what distrobox and toolbx add to every container
(the host's root under /run/host, $HOME, /tmp, /dev, their own scripts), which envman adds itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from envman.engine.types import ContainerDetails, MountDetails
from envman.profile.model import UNSHARE_OPTIONS, Hook, HookWhen

Kind = Literal["distrobox", "toolbx"]

TOOLBX_LABELS = ("com.github.containers.toolbox", "com.github.debarshiray.toolbox")
DISTROBOX_TARGETS = frozenset(
    {
        "/tmp",
        "/usr/bin/entrypoint",
        "/usr/bin/distrobox-export",
        "/usr/bin/distrobox-host-exec",
        "/dev",
        "/sys",
        "/dev/pts",
        "/dev/ptmx",
        "/dev/shm",
        "/run/shm",
        "/var/log/journal",
        "/etc/hosts",
        "/etc/resolv.conf",
        "/etc/hostname",
        "/run/.distrobox.rootless",
        "/run/.nopasswd",
        "/sys/fs/selinux",
    }
)
TOOLBX_TARGETS = frozenset(
    {
        "/dev",
        "/dev/pts",
        "/usr/bin/toolbox",
        "/run/toolbox",
        "/run/dbus/system_bus_socket",
        "/run/avahi-daemon/socket",
        "/run/.heim_org.h5l.kcm-socket",
        "/run/pcscd/pcscd.comm",
        "/media",
        "/mnt",
        "/run/media",
        "/etc/profile.d/toolbox.sh",
        "/sys/fs/selinux",
    }
)
OWN_PREFIXES = ("/run/host", "/run/user/", "/run/secrets/")
OWN_ENV = frozenset(
    {
        "HOME",
        "HOSTNAME",
        "PATH",
        "TERM",
        "SHELL",
        "container",
        "TERMINFO_DIRS",
        "CONTAINER_ID",
        "DISTROBOX_HOST_HOME",
        "TOOLBOX_PATH",
        "XDG_RUNTIME_DIR",
        "TOOLBX_DELAY_ENTRY_POINT",
        "TOOLBX_FAIL_ENTRY_POINT",
    }
)
# what distrobox and toolbx always pass, and privileged containers get anyway
OWN_SECURITY_OPT = frozenset({"label=disable", "apparmor=unconfined"})
ANONYMOUS_VOLUME = re.compile(r"[0-9a-f]{64}")


def kind_of(details: ContainerDetails) -> Kind | None:
    """distrobox (its `manager` label), toolbx (its label and entrypoint), or neither.

    A toolbx image carries toolbx's label too: only a container that also runs toolbx's
    `init-container` entrypoint was made by `toolbox create`.
    """
    labels = details.info.labels
    if labels.get("manager") == "distrobox" or any(k.startswith("distrobox.") for k in labels):
        return "distrobox"
    labelled = any(labels.get(key) == "true" for key in TOOLBX_LABELS)
    if labelled and "init-container" in (*details.entrypoint, *details.command):
        return "toolbx"
    return None


ENTRY_OPTIONS = frozenset(
    {
        "--name",
        "--user",
        "--group",
        "--home",
        "--init",
        "--nvidia",
        "--pre-init-hooks",
        "--additional-packages",
        "--upgrade",
    }
)


@dataclass(frozen=True)
class EntryArgs:
    """The options distrobox gave its entrypoint (distrobox-init) at create."""

    init: bool = False
    nvidia: bool = False
    home: str = ""
    additional_packages: tuple[str, ...] = ()
    pre_init_hooks: str = ""
    init_hooks: str = ""


def entry_args(command: tuple[str, ...]) -> EntryArgs:
    """distrobox-init's arguments: `--init 0|1 --nvidia 0|1 ... -- 'init hooks'`."""
    values: dict[str, str] = {}
    words = list(command)
    hooks = ""
    while words:
        word = words.pop(0)
        if word == "--":
            hooks = " ".join(words)
            break
        if word in ENTRY_OPTIONS:
            values[word[2:]] = words.pop(0) if words else ""
    return EntryArgs(
        init=values.get("init", "0").strip() == "1",
        nvidia=values.get("nvidia", "0").strip() == "1",
        home=values.get("home", ""),
        additional_packages=tuple(values.get("additional-packages", "").split()),
        pre_init_hooks=_hook_text(values.get("pre-init-hooks", "")),
        init_hooks=_hook_text(hooks),
    )


def _hook_text(text: str) -> str:
    """distrobox joins hooks as `: ; h1 && h2`: the no-op it puts first is not the user's."""
    text = text.strip()
    while text.startswith(":"):
        head, semicolon, rest = text[1:].lstrip().partition(";")
        if not semicolon or head:
            break
        text = rest.strip()
    return text


def hooks_from(args: EntryArgs, when: HookWhen) -> tuple[Hook, ...]:
    """The pre-init and init hooks as `sh` hooks (distrobox runs them at every start)."""
    hooks = []
    if args.pre_init_hooks:
        hooks.append(Hook(when=when, sh=args.pre_init_hooks, stage="before-packages"))
    if args.init_hooks:
        hooks.append(Hook(when=when, sh=args.init_hooks))
    return tuple(hooks)


@dataclass(frozen=True)
class Settings:
    """The profile values read from a container's settings, and what could not be carried."""

    volumes: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    unshare: tuple[str, ...] = ()
    custom_home: str | None = None
    hostname: str | None = None
    podman_args: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=(), compare=False)


def settings_of(
    details: ContainerDetails, kind: Kind, host_names: tuple[str, ...], host_home: str
) -> Settings:
    """Volumes, environment, namespaces, home and host name the creator was asked for."""
    env = dict(details.env)
    home = env.get("HOME", "")
    distrobox_home = env.get("DISTROBOX_HOST_HOME", "")
    custom_home = (
        home if kind == "distrobox" and distrobox_home and home != distrobox_home else None
    )
    # toolbx passes the home to its entrypoint (`init-container --home H`), not in HOME
    asked = entry_args(details.command).home
    homes = {h.rstrip("/") for h in (home, distrobox_home, asked, host_home) if h}
    volumes = tuple(v for m in details.mounts if (v := _volume(m, kind, homes)) is not None)
    return Settings(
        volumes=volumes,
        env=_own_env(details),
        unshare=_unshare(details, kind),
        custom_home=custom_home,
        hostname=_hostname(details, kind, host_names),
        podman_args=_podman_args(details),
    )


def _volume(m: MountDetails, kind: Kind, homes: set[str]) -> str | None:
    """The profile's `volumes` item for a mount, None for the creator's own and anonymous ones."""
    if m.kind == "volume" and ANONYMOUS_VOLUME.fullmatch(m.name):
        return None
    if m.kind not in ("bind", "volume"):
        return None
    own = DISTROBOX_TARGETS if kind == "distrobox" else TOOLBX_TARGETS
    target = m.target.rstrip("/") or "/"
    if target in own or target in homes or target.startswith(OWN_PREFIXES):
        return None
    if kind == "toolbx" and target.startswith("/var/home/"):
        return None
    source = m.name if m.kind == "volume" else m.source
    return f"{source}:{target}" + (":ro" if m.read_only else "")


def _own_env(details: ContainerDetails) -> tuple[tuple[str, str], ...]:
    """Variables set at create that neither the image nor distrobox/toolbx set."""
    image = dict(details.image_env)
    return tuple(
        sorted(
            (key, value)
            for key, value in dict(details.env).items()
            if key not in OWN_ENV and image.get(key) != value
        )
    )


def _unshare(details: ContainerDetails, kind: Kind) -> tuple[str, ...]:
    """Namespaces the container does not share with the host (init implies groups, process)."""
    if kind != "distrobox":
        return ()
    init = entry_args(details.command).init or details.systemd
    shares_dev = any(m.target == "/dev" and m.source == "/dev" for m in details.mounts)
    found = {
        "ipc": details.ipc != "host",
        "netns": details.network != "host",
        "process": details.pid != "host" and not init,
        "devsys": not shares_dev,
        "groups": details.info.labels.get("distrobox.unshare_groups") == "1" and not init,
    }
    if all(found.values()):
        return ("all",)
    return tuple(option for option in UNSHARE_OPTIONS if found.get(option))


def _hostname(details: ContainerDetails, kind: Kind, host_names: tuple[str, ...]) -> str | None:
    """The host name, unless it is the creator's default (the host's, `NAME.HOST`, `toolbx`)."""
    defaults = {*host_names, *(f"{details.info.name}.{h}" for h in host_names)}
    if kind == "toolbx":
        defaults |= {"toolbox", "toolbx"}
    return None if not details.hostname or details.hostname in defaults else details.hostname


def _podman_args(details: ContainerDetails) -> tuple[str, ...]:
    """Devices, capabilities and security options beyond what the creator always passes."""
    args: list[str] = []
    for device in details.devices:
        args += ["--device", device]
    if not details.privileged:
        for cap in details.cap_add:
            args += ["--cap-add", cap]
    for option in details.security_opt:
        if option not in OWN_SECURITY_OPT:
            args += ["--security-opt", option]
    return tuple(args)
