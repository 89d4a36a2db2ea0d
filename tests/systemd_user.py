"""A real `systemd --user` manager on a host without systemd as PID 1, for tests and benches.

It runs in its own mount namespace with a private /run/systemd (research/path-bridge.md section
4.2); `systemctl --user` reaches it through the $XDG_RUNTIME_DIR of the environment it yields.
Needs root, unshare and systemd.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MANAGER = "/lib/systemd/systemd"
# A private /run/systemd (with system/ in it) makes `systemd --user` run without systemd as PID 1.
START = (
    "mkdir -p /run/systemd && mount --make-rprivate / && mount -t tmpfs tmpfs /run/systemd && "
    "mkdir -p /run/systemd/system && exec " + MANAGER + " --user"
)


def available() -> bool:
    """Whether this host can run the private manager."""
    return all(shutil.which(p) or Path(p).is_file() for p in ("unshare", MANAGER, "systemctl"))


def systemctl(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`systemctl --user ARGS` against the private manager."""
    return subprocess.run(
        ["systemctl", "--user", *args], capture_output=True, text=True, env=env, check=False
    )


@contextmanager
def user_manager(base: Path, path: str = "/usr/bin:/bin") -> Iterator[dict[str, str]]:
    """Run a user manager with HOME and XDG_RUNTIME_DIR under `base`; its environment."""
    home, runtime = base / "home", base / "runtime"
    home.mkdir(parents=True, exist_ok=True)
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {"PATH": path, "HOME": str(home), "XDG_RUNTIME_DIR": str(runtime), "LANG": "C.UTF-8"}
    log_path = base / "manager.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            ["unshare", "-m", "sh", "-c", START], env=env, stdout=log, stderr=log
        )
        try:
            deadline = time.monotonic() + 20
            while systemctl(env, "show", "-p", "Version").returncode != 0:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"systemd --user did not start: {log_path.read_text()}")
                time.sleep(0.05)
            yield env
        finally:
            systemctl(env, "exit")
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.wait()
