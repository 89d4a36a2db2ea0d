"""Containers made the way distrobox 1.8.2.5 and toolbx make them, for adopting in tests.

distrobox's arguments come from tests/data/distrobox-1.8.2.5/assemble-dry-run.txt
(the exact `podman create` lines of `distrobox-assemble create --dry-run`), changed only where
they cannot run here: the local base image instead of the registry's, the test's own HOME
instead of /root, a stub for distrobox-init (the real one installs ~60 packages from the
network at the first start), host directories this machine lacks left out, and `--ulimit host`
left out (the test machines refuse it; see the shared TESTBED notes).
"""

from __future__ import annotations

import shlex
import socket
from dataclasses import dataclass
from pathlib import Path

from tests.integration.envman_cli import BASE_IMAGE, podman

# a verbatim copy of the shared fixture, so the tests run on any machine
FIXTURE = Path(__file__).resolve().parent.parent / "data" / "distrobox-1.8.2.5"
STUB_INIT = """#!/bin/sh
# stands in for distrobox-init: takes its arguments, says setup is done, keeps running
echo "distrobox: stub init $*"
echo container_setup_done
exec sleep infinity
"""


def dry_run_text() -> str:
    """The fixture's dry-run output."""
    return (FIXTURE / "assemble-dry-run.txt").read_text(encoding="utf-8")


def create_args(section: str) -> list[str]:
    """The `podman create` arguments distrobox printed for one section, split as sh would."""
    text = dry_run_text()
    start = text.index(f" - Creating {section}...")
    end = text.find(" - Creating ", start + 1)
    block = text[start : end if end >= 0 else len(text)]
    words = shlex.split(block.split("podman create", 1)[1])
    return words


def distrobox_create(section: str, name: str, home: Path, tmp: Path) -> list[str]:
    """`podman create` as distrobox 1.8.2.5 does for `section`, runnable here; returns argv."""
    stubs = tmp / "distrobox-bin"
    stubs.mkdir(exist_ok=True)
    for script in ("distrobox-init", "distrobox-export", "distrobox-host-exec"):
        (stubs / script).write_text(STUB_INIT, encoding="utf-8")
        (stubs / script).chmod(0o755)
    local = Local(section, name, home, stubs, tmp / "srv-data")
    words = create_args(section)
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--ulimit":
            i += 2
            continue
        if word == "--volume":
            volume = local.volume(words[i + 1])
            out += ["--volume", volume] if volume else []
            i += 2
            continue
        out.append(local.word(word))
        i += 1
    return ["create", *out]


@dataclass(frozen=True)
class Local:
    """What one distrobox argument becomes on this machine."""

    section: str
    name: str
    home: Path
    stubs: Path
    data: Path

    def path(self, part: str) -> str:
        if part == "/root":
            return str(self.home)
        if part.startswith("/home/dev/boxes/"):
            return str(self.home / "boxes" / part.rsplit("/", 1)[1])
        return part

    def volume(self, value: str) -> str | None:
        """A volume with the home, the scripts and the user's data dir mapped; None to drop."""
        source, colon, rest = value.partition(":")
        if not colon:
            return value  # an anonymous volume
        target, _, options = rest.partition(":")
        if source.startswith("/usr/bin/distrobox-"):
            source = str(self.stubs / source.rsplit("/", 1)[1])
        elif source == "/srv/data":
            source = str(self.data)
        else:
            source = self.path(source)
        Path(source).parent.mkdir(parents=True, exist_ok=True)
        if source.startswith((str(self.home), str(self.data))):
            Path(source).mkdir(parents=True, exist_ok=True)
        if not Path(source).exists():
            return None  # a top-level host directory this machine does not have
        return ":".join(p for p in (source, self.path(target), options) if p)

    def word(self, word: str) -> str:
        if word.startswith(("registry.", "quay.io/")):
            return BASE_IMAGE
        if word == self.section:
            return self.name
        if word == f"CONTAINER_ID={self.section}":
            return f"CONTAINER_ID={self.name}"
        if word == "HOSTNAME":
            return socket.gethostname()
        for key in ("HOME=", "DISTROBOX_HOST_HOME="):
            if word.startswith(key):
                return key + self.path(word[len(key) :])
        return self.path(word)


def make_distrobox(section: str, name: str, home: Path, tmp: Path) -> None:
    """Create and start the container as distrobox would."""
    result = podman(*distrobox_create(section, name, home, tmp))
    assert result.returncode == 0, result.stderr
    started = podman("start", name)
    assert started.returncode == 0, started.stderr


def make_toolbx(name: str, home: Path, tmp: Path) -> None:
    """A container as `toolbox create` (0.0.99.x, as root) makes one, started."""
    stub = tmp / "toolbox"
    stub.write_text(STUB_INIT, encoding="utf-8")
    stub.chmod(0o755)
    home.mkdir(parents=True, exist_ok=True)
    args = [
        "create",
        "--hostname",
        "toolbox",
        "--name",
        name,
        "--privileged",
        "--security-opt",
        "label=disable",
        "--ipc",
        "host",
        "--network",
        "host",
        "--pid",
        "host",
        "--userns",
        "host",
        "--user",
        "root:root",
        "--label",
        "com.github.containers.toolbox=true",
        "--env",
        "TOOLBOX_PATH=/usr/bin/toolbox",
        "--volume",
        "/:/run/host:rslave",
        "--volume",
        "/dev:/dev:rslave",
        "--volume",
        f"{home}:{home}:rslave",
        "--volume",
        f"{stub}:/usr/bin/toolbox:ro",
        "--mount",
        "type=devpts,destination=/dev/pts",
        BASE_IMAGE,
        "toolbox",
        "--log-level",
        "debug",
        "init-container",
        "--gid",
        "0",
        "--home",
        str(home),
        "--shell",
        "/bin/bash",
        "--uid",
        "0",
        "--user",
        "root",
    ]
    result = podman(*args)
    assert result.returncode == 0, result.stderr
    started = podman("start", name)
    assert started.returncode == 0, started.stderr
