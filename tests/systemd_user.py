"""A real `systemd --user` manager on a host without systemd as PID 1, for tests and benches.

It runs in its own mount namespace with a private /run/systemd (research/path-bridge.md section
4.2); `systemctl --user` reaches it through the $XDG_RUNTIME_DIR of the environment it yields.
For another user than root it starts in a cgroup made for it and given to that user: a user's
manager must be able to make its own (here PID 1's cgroup is root's). Needs root, unshare and
systemd.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shlex
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MANAGER = "/lib/systemd/systemd"
# A private /run/systemd (with system/ in it) makes `systemd --user` run without systemd as PID 1.
PRIVATE_RUN = (
    "mkdir -p /run/systemd && mount --make-rprivate / && mount -t tmpfs tmpfs /run/systemd && "
    "mkdir -p /run/systemd/system && "
)
CGROUP_ROOTS = ("/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd")  # cgroup v1 with v2 beside


def available() -> bool:
    """Whether this host can run the private manager."""
    return all(shutil.which(p) or Path(p).is_file() for p in ("unshare", MANAGER, "systemctl"))


def as_user(user: str | None, env: dict[str, str]) -> list[str]:
    """The command prefix that runs a program as `user` (None: root) with exactly `env`."""
    if user is None:
        return []
    return [
        "/usr/sbin/runuser",
        "-u",
        user,
        "--",
        "env",
        "-i",
        *(f"{k}={v}" for k, v in env.items()),
    ]


def systemctl(
    env: dict[str, str], *args: str, user: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`systemctl --user ARGS` against the private manager (of `user`, None: root's)."""
    return subprocess.run(
        [*as_user(user, env), "systemctl", "--user", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def _cgroups(user: str, base: Path) -> list[Path]:
    """A cgroup per hierarchy for the user's manager, owned by the user."""
    roots = [Path(r) for r in CGROUP_ROOTS if Path(r).is_dir()] or [Path("/sys/fs/cgroup")]
    made = []
    for root in roots:
        group = root / f"envman-test-{base.name}"
        group.mkdir(exist_ok=True)
        for path in (group, *group.iterdir()):
            shutil.chown(path, user, user)
        made.append(group)
    return made


@contextmanager
def user_manager(
    base: Path, path: str = "/usr/bin:/bin", user: str | None = None
) -> Iterator[dict[str, str]]:
    """Run a user manager with XDG_RUNTIME_DIR under `base` (and HOME too, for root); its
    environment."""
    runtime = base / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    home = base / "home" if user is None else Path(pwd.getpwnam(user).pw_dir)
    home.mkdir(parents=True, exist_ok=True)
    env = {"PATH": path, "HOME": str(home), "XDG_RUNTIME_DIR": str(runtime), "LANG": "C.UTF-8"}
    start = PRIVATE_RUN + f"exec {MANAGER} --user"
    groups: list[Path] = []
    if user is not None:
        shutil.chown(runtime, user, user)
        groups = _cgroups(user, base)
        join = "".join(f"echo $$ > {shlex.quote(str(g))}/cgroup.procs && " for g in groups)
        drop = f"setpriv --reuid={user} --regid={user} --init-groups "
        start = join + PRIVATE_RUN + f"exec {drop}{MANAGER} --user"
    log_path = base / "manager.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            ["unshare", "-m", "sh", "-c", start], env=env, stdout=log, stderr=log
        )
        try:
            deadline = time.monotonic() + 20
            while systemctl(env, "show", "-p", "Version", user=user).returncode != 0:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"systemd --user did not start: {log_path.read_text()}")
                time.sleep(0.05)
            yield env
        finally:
            systemctl(env, "exit", user=user)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.wait()
            for group in groups:
                _remove_cgroup(group)


def _remove_cgroup(group: Path) -> None:
    """Remove a cgroup and those the manager made below it (one a process still uses stays)."""
    for below, _, _ in os.walk(group, topdown=False):
        with contextlib.suppress(OSError):
            os.rmdir(below)
