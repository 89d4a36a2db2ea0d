"""The typed profile model every format reads into and writes from: frozen, validated, pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

SCHEMA_VERSION = 1

HookWhen = Literal["build", "create", "start", "host"]
HookStage = Literal["before-packages", "after-packages"]
HookUser = Literal["root", "user"]
HOOK_WHENS: tuple[HookWhen, ...] = ("build", "create", "start", "host")
HOOK_STAGES: tuple[HookStage, ...] = ("before-packages", "after-packages")
HOOK_USERS: tuple[HookUser, ...] = ("root", "user")
UNSHARE_OPTIONS = ("ipc", "netns", "process", "devsys", "groups", "all")


@dataclass(frozen=True)
class FileLine:
    """Where a value was written: file and 1-based line (0 when unknown)."""

    file: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class Hook:
    """One hook: exactly one of `run` (argv), `sh` (a shell snippet) or `script` (a hooks/ file).

    `sh` is evaluated once, by /bin/sh inside the container; it exists for distrobox imports.
    """

    when: HookWhen = "build"
    run: tuple[str, ...] = ()
    sh: str | None = None
    script: str | None = None
    args: tuple[str, ...] = ()
    stage: HookStage = "after-packages"
    user: HookUser = "root"
    env: tuple[tuple[str, str], ...] = ()
    origin: FileLine | None = field(default=None, compare=False)

    @property
    def kind(self) -> str:
        """Which body the hook has: run, sh or script."""
        if self.script is not None:
            return "script"
        return "sh" if self.sh is not None else "run"


@dataclass(frozen=True)
class Exports:
    """Apps (desktop file ids or .desktop paths) and binaries exported to the host."""

    apps: tuple[str, ...] = ()
    bins: tuple[str, ...] = ()
    bins_path: str | None = None
    label: bool | None = None


@dataclass(frozen=True)
class Integration:
    """Desktop integration switches; None means "not set here" until defaults are applied."""

    home: bool | None = None
    custom_home: str | None = None
    display: bool | None = None
    audio: bool | None = None
    dbus: bool | None = None
    ssh_agent: bool | None = None
    gpg_agent: bool | None = None
    kerberos: bool | None = None
    host_certificates: bool | None = None
    nvidia: bool | None = None
    init: bool | None = None
    root: bool | None = None
    unshare: tuple[str, ...] = ()

    def with_defaults(self) -> Integration:
        """Fill unset switches: everything integrated, nothing unshared, no init, no nvidia."""
        on = (
            "home",
            "display",
            "audio",
            "dbus",
            "ssh_agent",
            "gpg_agent",
            "kerberos",
            "host_certificates",
        )
        off = ("nvidia", "init", "root")
        values = {name: getattr(self, name) for name in on + off}
        for name in on:
            values[name] = True if values[name] is None else values[name]
        for name in off:
            values[name] = False if values[name] is None else values[name]
        return replace(self, **values)

    def unshares(self, what: str) -> bool:
        """Whether a namespace or resource is unshared (`all` implies every one)."""
        return what in self.unshare or "all" in self.unshare


@dataclass(frozen=True)
class DistroboxCompat:
    """distrobox-assemble keys envman keeps for a faithful ini round trip."""

    entry: bool | None = None
    start_now: bool | None = None
    pull: bool | None = None
    replace: bool | None = None
    clone: str | None = None


@dataclass(frozen=True)
class Profile:
    """One environment, as declared. Scalars are None when unset so includes can merge."""

    name: str
    origin: FileLine = field(compare=False)
    version: str | None = None
    description: str | None = None
    image: str | None = None
    packages: tuple[str, ...] = ()
    containerfile: str | None = None
    build_steps: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    volumes: tuple[str, ...] = ()
    hooks: tuple[Hook, ...] = ()
    exports: Exports = Exports()
    integration: Integration = Integration()
    hostname: str | None = None
    podman_args: tuple[str, ...] = ()
    shm_size: str | None = None
    workdir: str | None = None
    includes: tuple[str, ...] = ()
    distrobox: DistroboxCompat = DistroboxCompat()
    format: Literal["yaml", "ini", "containerfile"] = "yaml"
    warnings: tuple[str, ...] = field(default=(), compare=False)
    locations: Mapping[str, FileLine] = field(default_factory=dict, compare=False)

    @property
    def env_map(self) -> dict[str, str]:
        """The environment as a dict (later entries win)."""
        return dict(self.env)


DEFAULT_IMAGE = "registry.fedoraproject.org/fedora-toolbox:latest"
