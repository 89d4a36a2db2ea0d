"""What the first `envman run` costs when podman's API service is socket-activated and stopped.

A private `systemd --user` (tests/systemd_user.py) runs podman's own podman.socket and
podman.service units; envman and podman reach the service through CONTAINER_HOST. Each round
stops the service (its socket keeps listening), times the first `envman run NAME -- true`, stops
it again and times the first `podman exec NAME true`, then one more call of each with the service
up. Medians, and the ratios pair by pair. Run as root on a host set up by scripts/setup-host:
  .venv/bin/python bench/socket_activation.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import os
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


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def user_env(root: Path, socket: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    for part in ("config", "state", "cache"):
        (root / part).mkdir()
        env[f"XDG_{part.upper()}_HOME"] = str(root / part)
    env["CONTAINER_HOST"] = f"unix://{socket}"
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="envman-activation-") as tmp:
        base = Path(tmp)
        dropin = base / "home/.config/systemd/user/podman.service.d/rootful.conf"
        dropin.parent.mkdir(parents=True)
        dropin.write_text(ROOTFUL_SERVICE)
        with systemd_user.user_manager(base) as manager:
            systemd_user.systemctl(manager, "start", "podman.socket")
            env = user_env(base, str(base / "runtime/podman/podman.sock"))
            work = base / "work"
            (work / "profiles").mkdir(parents=True)
            (work / "profiles" / f"{NAME}.yaml").write_text(PROFILE)
            os.chdir(work)
            override = ["docker.io/library/debian:bookworm", "localhost/debian:bookworm"]
            subprocess.run([ENVMAN, "config", "image-override", *override], env=env, check=True)
            subprocess.run([ENVMAN, "up", NAME], env=env, check=True, stdout=subprocess.DEVNULL)
            try:
                measure(manager, env, args.rounds)
            finally:
                subprocess.run([ENVMAN, "rm", "--yes", NAME], env=env, check=False)


def measure(manager: dict[str, str], env: dict[str, str], rounds: int) -> None:
    run, exec_ = [ENVMAN, "run", NAME, "--", "true"], ["podman", "exec", NAME, "true"]
    times: dict[str, list[float]] = {"run first": [], "exec first": [], "run": [], "exec": []}
    load = os.getloadavg()[0]
    for _ in range(rounds):
        for label, argv in (("run first", run), ("exec first", exec_)):
            systemd_user.systemctl(manager, "stop", "podman.service")
            times[label].append(timed(argv, env))
        times["run"].append(timed(run, env))
        times["exec"].append(timed(exec_, env))
    print(f"rounds: {rounds}; load average {load:.2f} before, {os.getloadavg()[0]:.2f} after")
    for label, values in times.items():
        print(f"{label:12} median {statistics.median(values) * 1000:6.1f} ms")
    for mine, theirs in (("run first", "exec first"), ("run", "exec")):
        pairs = statistics.median(a / b for a, b in zip(times[mine], times[theirs], strict=True))
        print(f"{mine} / {theirs}: {pairs:.3f}x per pair")


if __name__ == "__main__":
    main()
