"""What the first `envman run` costs when podman's API service is socket-activated and stopped.

A private `systemd --user` (tests/systemd_user.py) runs podman's own podman.socket and
podman.service units (the service exits after 5 idle seconds, so a desktop meets a stopped one
often). Each round stops the service (its socket keeps listening), times the first
`envman run NAME -- true`, stops it again and times the first `podman exec NAME true`, then one
more call of each with the service up. Medians, and the ratios pair by pair.

  --user tester   the desktop case: rootless, the user's own podman.socket, no CONTAINER_HOST
                  (podman exec is then local podman, which needs no service)
  (no --user)     root's manager, reached through CONTAINER_HOST (podman exec is then podman's
                  remote client, which waits for the service as envman's fallback does)

Run as root on a host set up by scripts/setup-host --tests:
  .venv/bin/python bench/socket_activation.py [--rounds 15] [--user tester]
"""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests import systemd_user

ENVMAN = str(Path(sys.executable).parent / "envman")
PROFILE = "envman: 1\nimage: docker.io/library/debian:bookworm\n"
ROOTFUL_SERVICE = "[Service]\nUnsetEnvironment=XDG_RUNTIME_DIR\n"
NAME = "envman-activation-bench"


class Session:
    """envman and podman as the benched user, in their own XDG directories."""

    def __init__(self, base: Path, manager: dict[str, str], user: str | None) -> None:
        self.user, self.manager = user, manager
        self.env = (
            {**manager}
            if user
            else {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
        )
        for part in ("config", "state", "cache", "work"):
            (base / part).mkdir()
            if user:
                shutil.chown(base / part, user, user)
            if part != "work":
                self.env[f"XDG_{part.upper()}_HOME"] = str(base / part)
        if user:
            self.env["USER"] = user
        else:
            socket = Path(manager["XDG_RUNTIME_DIR"]) / "podman/podman.sock"
            self.env["CONTAINER_HOST"] = f"unix://{socket}"
        self.work = base / "work"
        (self.work / "profiles").mkdir()
        (self.work / "profiles" / f"{NAME}.yaml").write_text(PROFILE)

    def argv(self, *args: str) -> list[str]:
        return [*systemd_user.as_user(self.user, self.env), *args]

    def run(self, *args: str) -> None:
        subprocess.run(
            self.argv(*args), env=self.env, cwd=self.work, check=True, stdout=subprocess.DEVNULL
        )

    def timed(self, *args: str) -> float:
        start = time.perf_counter()
        subprocess.run(
            self.argv(*args),
            env=self.env,
            cwd=self.work,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            check=True,
        )
        return time.perf_counter() - start

    def stop_service(self) -> None:
        systemd_user.systemctl(self.manager, "stop", "podman.service", user=self.user)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--user", default=None, help="a user with rootless podman (tester)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="envman-activation-") as tmp:
        base = Path(tmp)
        os.chmod(base, 0o755)
        if args.user is None:
            dropin = base / "home/.config/systemd/user/podman.service.d/rootful.conf"
            dropin.parent.mkdir(parents=True)
            dropin.write_text(ROOTFUL_SERVICE)
        with systemd_user.user_manager(base, user=args.user) as manager:
            systemd_user.systemctl(manager, "start", "podman.socket", user=args.user)
            session = Session(base, manager, args.user)
            override = ["docker.io/library/debian:bookworm", "localhost/debian:bookworm"]
            session.run(ENVMAN, "config", "image-override", *override)
            session.run(ENVMAN, "up", NAME)
            try:
                measure(session, args.rounds)
            finally:
                session.run(ENVMAN, "rm", "--yes", NAME)


def measure(session: Session, rounds: int) -> None:
    run, exec_ = (ENVMAN, "run", NAME, "--", "true"), ("podman", "exec", NAME, "true")
    times: dict[str, list[float]] = {"run first": [], "exec first": [], "run": [], "exec": []}
    load = os.getloadavg()[0]
    for _ in range(rounds):
        for label, argv in (("run first", run), ("exec first", exec_)):
            session.stop_service()
            times[label].append(session.timed(*argv))
        session.timed(*run)  # the local `podman exec` above started no service
        times["run"].append(session.timed(*run))
        times["exec"].append(session.timed(*exec_))
    who = f"uid {pwd.getpwnam(session.user).pw_uid}" if session.user else "root, CONTAINER_HOST"
    after = os.getloadavg()[0]
    print(f"rounds: {rounds}; {who}; load average {load:.2f} before, {after:.2f} after")
    for label, values in times.items():
        print(f"{label:12} median {statistics.median(values) * 1000:6.1f} ms")
    for mine, theirs in (("run first", "exec first"), ("run", "exec")):
        pairs = statistics.median(a / b for a, b in zip(times[mine], times[theirs], strict=True))
        print(f"{mine} / {theirs}: {pairs:.3f}x per pair")


if __name__ == "__main__":
    main()
