"""Speed of envman's everyday commands, as ratios against their baselines (issue 2, section 9).

Measures, in one process, interleaving the contenders so machine noise hits both alike:
  envman run NAME -- true   vs  podman exec NAME true          (target: ratio <= 1.15)
  envman up NAME (no change)                                    (target: <= 0.5 s)
  envman --help                                                 (target: <= 0.25 s)
  envman ls                                                     (target: <= 0.4 s)
Run as root on a host set up by scripts/setup-host:  .venv/bin/python bench/bench_cli.py
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

ENVMAN = str(Path(sys.executable).parent / "envman")
PROFILE = "envman: 1\nimage: docker.io/library/debian:bookworm\n"


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        argv,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    return time.perf_counter() - start


def interleaved(
    a: list[str], b: list[str], env: dict[str, str], runs: int
) -> tuple[list[float], list[float]]:
    times_a, times_b = [], []
    for _ in range(3):  # warm caches for both
        timed(a, env)
        timed(b, env)
    for i in range(runs):
        first, second = (a, b) if i % 2 == 0 else (b, a)
        t1, t2 = timed(first, env), timed(second, env)
        times_a.append(t1 if first is a else t2)
        times_b.append(t2 if first is a else t1)
    return times_a, times_b


def series(argv: list[str], env: dict[str, str], runs: int) -> list[float]:
    timed(argv, env)
    return [timed(argv, env) for _ in range(runs)]


def report(label: str, seconds: list[float], target: str) -> None:
    print(
        f"{label:34} median {statistics.median(seconds) * 1000:7.1f} ms  "
        f"mean {statistics.mean(seconds) * 1000:7.1f} ms  (target {target})"
    )


def setup(root: Path, name: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    for part in ("config", "state", "cache"):
        (root / part).mkdir()
        env[f"XDG_{part.upper()}_HOME"] = str(root / part)
    (root / "profiles").mkdir()
    (root / "profiles" / f"{name}.yaml").write_text(PROFILE)
    env["PWD"] = str(root)
    subprocess.run(
        [
            ENVMAN,
            "config",
            "image-override",
            "docker.io/library/debian:bookworm",
            "localhost/debian:bookworm",
        ],
        env=env,
        cwd=root,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run([ENVMAN, "up", name], env=env, cwd=root, check=True)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--name", default="envman-bench")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="envman-bench-") as tmp:
        root = Path(tmp)
        os.chdir(root)
        env = setup(root, args.name)
        try:
            envman_run, podman_exec = interleaved(
                [ENVMAN, "run", args.name, "--", "true"],
                ["podman", "exec", args.name, "true"],
                env,
                args.runs,
            )
            up = series([ENVMAN, "up", args.name], env, max(10, args.runs // 4))
            help_ = series([ENVMAN, "--help"], env, args.runs)
            ls = series([ENVMAN, "ls"], env, max(10, args.runs // 2))
        finally:
            subprocess.run(
                [ENVMAN, "rm", "--yes", args.name],
                env=env,
                cwd=root,
                check=False,
                stdout=subprocess.DEVNULL,
            )
    print(f"runs: {args.runs}; python {sys.version.split()[0]}; {os.cpu_count()} cpus")
    report("podman exec NAME true", podman_exec, "baseline")
    report("envman run NAME -- true", envman_run, "<= 1.15x baseline")
    ratio = statistics.median(envman_run) / statistics.median(podman_exec)
    print(f"{'ratio envman run / podman exec':34} {ratio:.3f}x (median over median)")
    report("envman up NAME (nothing changed)", up, "<= 500 ms")
    report("envman --help", help_, "<= 250 ms")
    report("envman ls", ls, "<= 400 ms")


if __name__ == "__main__":
    main()
