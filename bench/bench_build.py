"""Layer cache: a cold build against rebuilds after small edits of the same profile (issue 1).

On one Debian profile with packages and a pip hook (as profiles/ansible.yaml):
  cold      `envman up NAME` on a base image made for this run, so no step is in the cache
            (not `envman rebuild`: its no-cache build leaves a second cached copy of each step,
            and podman 4.3 may follow either copy, so the next build's hits are a matter of luck)
  (a)       `envman up NAME` after a change in the last build hook     (target: <= 0.15 of cold)
  (b)       `envman up NAME` after one added package                   (target: <= 0.5 of cold)
Each is timed end to end, as a user waits for it. For each rebuild it also prints what
`up --dry-run` said it would reuse and how many steps podman took from its cache.
Run as root on a host set up by scripts/setup-host:  .venv/bin/python bench/bench_build.py
It builds for minutes on a loaded machine; it removes its environment and images at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from envman.engine.podman_api import RETRY_NOTE

ENVMAN = str(Path(sys.executable).parent / "envman")
PROFILE = """\
envman: 1
name: {name}
version: "1.0"
image: docker.io/library/debian:bookworm
packages: [{packages}]
hooks:
  - run: [pip3, install, "ansible-core==2.17.*"]
    env: {{PIP_BREAK_SYSTEM_PACKAGES: "1"}}
  - sh: "echo {last} > /etc/bench-last"
"""
PACKAGES = "git, bash-completion, vim, python3-pip"


def envman(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ENVMAN, *args], env=env, cwd=cwd, capture_output=True, text=True, check=True
    )


def timed(env: dict[str, str], cwd: Path, *args: str) -> tuple[float, int]:
    """Seconds taken, and the steps podman took from its cache."""
    start = time.perf_counter()
    result = envman(env, cwd, *args)
    last_try = result.stderr.rpartition(RETRY_NOTE)[2]
    return time.perf_counter() - start, last_try.count("--> Using cache")


def predicted(env: dict[str, str], cwd: Path, name: str) -> int:
    plan = json.loads(envman(env, cwd, "up", "--dry-run", name, "--json").stdout)
    return int(plan["reused_layers"])


def make_base(tag: str) -> None:
    """A base image of its own: the Debian base plus one file, so the cold build is cold."""
    subprocess.run(
        ["podman", "build", "-t", tag, "-f", "-", "/var/empty"],
        input=f"FROM localhost/debian:bookworm\nRUN echo {tag} > /etc/bench-base\n",
        text=True,
        capture_output=True,
        check=True,
    )


def setup(root: Path, base: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "ENVMAN_"))}
    for part in ("config", "state", "cache"):
        (root / part).mkdir()
        env[f"XDG_{part.upper()}_HOME"] = str(root / part)
    (root / "profiles").mkdir()
    override = ("docker.io/library/debian:bookworm", base)
    envman(env, root, "config", "image-override", *override)
    return env


def main() -> None:
    name = f"bench-build-{uuid.uuid4().hex[:6]}"
    base = f"localhost/envman-bench-base:{name}"
    make_base(base)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env = setup(root, base)
        profile = root / "profiles" / f"{name}.yaml"

        def write(packages: str, last: str) -> None:
            profile.write_text(PROFILE.format(name=name, packages=packages, last=last))

        try:
            write(PACKAGES, "one")
            cold, hits = timed(env, root, "up", name)
            print(f"cold build (new base)             {cold:7.1f} s  ({hits} steps from the cache)")
            write(PACKAGES, "two")
            said = predicted(env, root, name)
            hook, hits = timed(env, root, "up", name)
            report("(a) last hook changed", hook, cold, said=said, hits=hits, target=0.15)
            write(PACKAGES + ", jq", "two")
            said = predicted(env, root, name)
            package, hits = timed(env, root, "up", name)
            report("(b) one package added", package, cold, said=said, hits=hits, target=0.5)
        finally:
            removed = subprocess.run(
                [ENVMAN, "rm", "--yes", name], env=env, cwd=root, capture_output=True, check=False
            )
            if removed.returncode != 0:
                print(f"could not remove {name}: {removed.stderr.strip()}", file=sys.stderr)
            subprocess.run(["podman", "rmi", base], capture_output=True, check=False)
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 cores shared)")


def report(label: str, seconds: float, cold: float, *, said: int, hits: int, target: float) -> None:
    ratio = seconds / cold
    verdict = "ok" if ratio <= target else "MISSED"
    print(
        f"{label:34}{seconds:7.1f} s  ratio {ratio:.3f} (target <= {target}: {verdict})  "
        f"dry-run said {said} steps reused, podman used the cache for {hits}"
    )


if __name__ == "__main__":
    main()
