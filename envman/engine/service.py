"""The podman API socket: CONTAINER_HOST's, else the user's, else a private podman service."""

from __future__ import annotations

import _socket  # see api_reader.py
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from envman.engine.location import locate, unreachable
from envman.errors import EngineUnavailable
from envman.paths import Paths

IDLE_SECONDS = 600


@dataclass(frozen=True)
class Endpoint:
    """A socket that answered, and whether envman had to start the service behind it."""

    path: str
    started: bool


def answers(path: str, timeout: float = 2.0) -> bool:
    """Whether an API service answers `/_ping` on this unix socket."""
    if not Path(path).exists():
        return False
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(path)
        sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: d\r\n\r\n")
        return sock.recv(64).split(b" ", 2)[1:2] == [b"200"]
    except (OSError, IndexError):
        return False
    finally:
        sock.close()


def user_socket(environ: dict[str, str]) -> str | None:
    """The socket podman's own socket unit listens on, for local podman."""
    if os.getuid() == 0:
        return "/run/podman/podman.sock"
    runtime = environ.get("XDG_RUNTIME_DIR")
    return f"{runtime}/podman/podman.sock" if runtime else None


def private_socket(paths: Paths) -> Path:
    """Where envman's own service listens (0700 directory of the user's)."""
    return paths.runtime / "podman.sock"


def connect(paths: Paths, environ: dict[str, str] | None = None) -> Endpoint:
    """CONTAINER_HOST's socket (it must answer), else for local podman the user's socket, then
    envman's private one, else start the private one (location.py has the rule)."""
    env = dict(os.environ) if environ is None else environ
    remote = locate(env)
    if remote is not None:
        if not answers(remote):
            raise unreachable(remote, "it accepts connections but does not answer GET /_ping")
        return Endpoint(remote, started=False)
    own = user_socket(env)
    if own and answers(own):
        return Endpoint(own, started=False)
    private = private_socket(paths)
    if answers(str(private)):
        return Endpoint(str(private), started=False)
    return Endpoint(_start_private(private, env), started=True)


def _stop_stale(pidfile: Path) -> None:
    """A service envman started earlier that no longer answers would, when it finally exits,
    remove the socket of its successor: stop it first (only if it is that service)."""
    try:
        pid = int(pidfile.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return
    if b"system" in cmdline and b"service" in cmdline and any(b"podman" in w for w in cmdline[:1]):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)


def _start_private(sock: Path, environ: dict[str, str]) -> str:
    from envman import runner  # subprocess: only when a service must be started

    podman = runner.which("podman")
    if podman is None:
        raise EngineUnavailable(
            "podman is not installed",
            "install it (Debian: apt install podman; Fedora Atomic ships it)",
        )
    sock.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    _stop_stale(sock.parent / "podman-service.pid")
    if sock.exists():
        sock.unlink()
    log = sock.parent / "podman-service.log"
    # Only local podman is started (locate() said so); an empty CONTAINER_HOST stays out of it.
    env = {k: v for k, v in environ.items() if k not in ("CONTAINER_HOST", "CONTAINER_CONNECTION")}
    argv = [podman, "system", "service", f"--time={IDLE_SECONDS}", f"unix://{sock}"]
    pid = runner.spawn_detached(argv, log_path=str(log), env=env)
    (sock.parent / "podman-service.pid").write_text(f"{pid}\n")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if answers(str(sock), timeout=1.0):
            return str(sock)
        time.sleep(0.05)
    tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
    raise EngineUnavailable(
        f"podman's API service did not come up at {sock}" + (f": {tail[0]}" if tail else ""),
        "check `podman info`; or: systemctl --user enable --now podman.socket",
    )
