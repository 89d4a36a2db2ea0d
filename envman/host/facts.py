"""The stable facts about the host user and desktop that a container's integration is built from."""

from __future__ import annotations

import os
import pwd
import socket
from dataclasses import dataclass
from pathlib import Path

KCM_SOCKETS = ("/run/.heim_org.h5l.kcm-socket", "/var/run/.heim_org.h5l.kcm-socket")
SYSTEM_BUS = "/run/dbus/system_bus_socket"


@dataclass(frozen=True)
class HostFacts:
    """Who the user is and which desktop resources exist; session-specific paths stay out."""

    user: str
    uid: int
    gid: int
    home: str
    shell: str
    hostname: str
    runtime_dir: str | None
    rootless: bool
    existing: frozenset[str]

    def has(self, path: str) -> bool:
        """Whether a well-known host path exists."""
        return path in self.existing


WATCHED_PATHS = (
    "/tmp/.X11-unix",
    SYSTEM_BUS,
    *KCM_SOCKETS,
    "/etc/krb5.conf",
    "/etc/krb5.conf.d",
    "/dev/dri",
    "/dev/snd",
    "/dev/nvidiactl",
    "/dev/nvidia0",
    "/dev/nvidia-uvm",
    "/media",
    "/mnt",
    "/run/media",
    "/var/home",
    "/etc/localtime",
    "/dev/mqueue",
)


def gather(environ: dict[str, str] | None = None) -> HostFacts:
    """Read the facts from this process's user and the filesystem."""
    env = dict(os.environ) if environ is None else environ
    uid = os.getuid()
    entry = pwd.getpwuid(uid)
    home = os.path.realpath(env.get("HOME") or entry.pw_dir)
    runtime_dir = env.get("XDG_RUNTIME_DIR")
    if runtime_dir and not Path(runtime_dir).is_dir():
        runtime_dir = None
    return HostFacts(
        user=entry.pw_name,
        uid=uid,
        gid=os.getgid(),
        home=home,
        shell=entry.pw_shell or "/bin/sh",
        hostname=socket.gethostname().split(".", 1)[0][:64] or "envman",
        runtime_dir=os.path.realpath(runtime_dir) if runtime_dir else None,
        rootless=uid != 0,
        existing=frozenset(p for p in WATCHED_PATHS if os.path.lexists(p)),
    )
