"""Speed of envman's everyday commands, as ratios against their baselines, pair by pair.

Measures, in one process, interleaving the contenders so machine noise hits both alike, and
reports the median of the per-pair ratios (and median over median):
  envman run NAME -- true (API)        vs podman exec NAME true   (target: <= 0.8)
  envman run NAME -- true (fallback)   vs podman exec NAME true   (target: <= 1.1)
  a loop of 100 envman run             vs a loop of 100 podman exec (same targets)
  envman ls                            vs podman ps -a            (target: <= 1.5)
  envman up NAME (no change)                                      (target: <= 0.15 s)
    answered by the up-to-date stamp, and the full run that writes it (its input changed: a
    variable of the environment, new each run) for comparison
  envman --help                                                   (target: <= 0.12 s)
Run as root on a host set up by scripts/setup-host:  .venv/bin/python bench/bench_cli.py
(as a user with rootless podman, the same command measures the rootless path).
envman is byte-compiled first, as an installed wheel is: with PYTHONDONTWRITEBYTECODE set and no
compiled files, every start would compile envman again and the numbers would measure that.
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


def full_runs(argv: list[str], env: dict[str, str], runs: int) -> list[float]:
    """`argv` where nothing changed but the environment's digest: the stamp never answers."""
    return [timed(argv, {**env, "ENVMAN_BENCH_RUN": str(i)}) for i in range(runs)]


def report(label: str, seconds: list[float], target: str) -> None:
    print(
        f"{label:40} median {statistics.median(seconds) * 1000:7.1f} ms  "
        f"mean {statistics.mean(seconds) * 1000:7.1f} ms  (target {target})"
    )


def ratios(label: str, ours: list[float], theirs: list[float], target: str) -> None:
    """Median of the pair-by-pair ratios, and median over median."""
    per_pair = statistics.median(a / b for a, b in zip(ours, theirs, strict=True))
    overall = statistics.median(ours) / statistics.median(theirs)
    print(f"{label:40} {per_pair:.3f}x per pair, {overall:.3f}x median/median (target {target})")


def loop(argv: list[str], count: int) -> list[str]:
    """A shell loop running argv `count` times (what an IDE or a script calling a tool does)."""
    quoted = " ".join(f"'{a}'" for a in argv)
    return ["sh", "-c", f"i=0; while [ $i -lt {count} ]; do {quoted} >/dev/null; i=$((i+1)); done"]


def setup(root: Path, name: str) -> dict[str, str]:
    # XDG_RUNTIME_DIR stays: a rootless user's API sockets are there
    kept = ("XDG_RUNTIME_DIR",)
    env = {k: v for k, v in os.environ.items() if k in kept or not k.startswith("XDG_")}
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


def compiled() -> None:
    """Byte-compile envman (where this user may write; else it is measured as it is)."""
    import envman

    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(envman.__file__).parent)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )


def loadavg() -> str:
    load = os.getloadavg()
    return f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--name", default="envman-bench")
    args = parser.parse_args()
    compiled()
    load_before = loadavg()
    with tempfile.TemporaryDirectory(prefix="envman-bench-") as tmp:
        root = Path(tmp)
        os.chdir(root)
        env = setup(root, args.name)
        fallback = {**env, "ENVMAN_RUN_VIA": "podman"}
        via_api = {**env, "ENVMAN_RUN_VIA": "api"}
        run = [ENVMAN, "run", args.name, "--", "true"]
        exec_ = ["podman", "exec", args.name, "true"]
        try:
            api_run, api_exec = interleaved(run, exec_, via_api, args.runs)
            cli_run, cli_exec = interleaved(run, exec_, fallback, args.runs)
            loops = max(3, args.runs // 10)
            loop_run, loop_exec = interleaved(loop(run, 100), loop(exec_, 100), via_api, loops)
            ls, ps = interleaved([ENVMAN, "ls"], ["podman", "ps", "-a"], env, args.runs)
            full_up = full_runs([ENVMAN, "up", args.name], env, args.runs)
            up = series([ENVMAN, "up", args.name], env, args.runs)
            help_ = series([ENVMAN, "--help"], env, args.runs)
        finally:
            subprocess.run(
                [ENVMAN, "rm", "--yes", args.name],
                env=env,
                cwd=root,
                check=False,
                stdout=subprocess.DEVNULL,
            )
    print(
        f"pairs: {args.runs}; python {sys.version.split()[0]}; {os.cpu_count()} cpus; "
        f"uid {os.getuid()}; load average {load_before} before, {loadavg()} after"
    )
    report("podman exec NAME true", api_exec, "baseline")
    report("envman run NAME -- true (API)", api_run, "")
    ratios("run (API) / podman exec", api_run, api_exec, "<= 0.8")
    ratios("run (fallback) / podman exec", cli_run, cli_exec, "<= 1.1")
    ratios(f"100 x run (API) / 100 x podman exec ({loops})", loop_run, loop_exec, "<= 0.8")
    ratios("envman ls / podman ps -a", ls, ps, "<= 1.5")
    report("envman up NAME (nothing changed)", up, "<= 150 ms")
    report("  the same, the full run (no stamp)", full_up, "none: what the stamp saves")
    report("envman --help", help_, "<= 120 ms")


if __name__ == "__main__":
    main()
