"""Path-bridge speed (issue 5, section 6): rewrite latency, idle wakeups and CPU, resident memory.

Starts the daemon the way the systemd unit does (`python -m envman.bridge`, Type=notify) in a temp
HOME with 20 watched directories, one rule each, and 10 manifests per directory. Then:
  latency  200 KeePassXC-style writes (open O_TRUNC, write, close) of a sandbox path, each into a
           different manifest; time from close() to the bridged file in place (new inode, fixed
           path), polled every 0.25 ms                                   target: p99 <= 50 ms
  idle     60 s without file activity: context switches (voluntary + involuntary, all threads,
           /proc/PID/task/*/status) and CPU time (/proc/PID/stat)        target: no polling
  memory   VmRSS (and VmHWM) of the daemon after both                    target: <= 40 MB
Usage: .venv/bin/python bench/bridge_bench.py [--writes 200] [--idle 60]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DIRS = 20
FILES_PER_DIR = 10
BAD = "/app/bin/keepassxc-proxy"
FIXED = "/opt/keepassxc/keepassxc-proxy"
MANIFEST = (
    '{{\n    "allowed_extensions": [\n        "keepassxc-browser@keepassxc.org"\n    ],\n'
    '    "description": "KeePassXC integration with native messaging support",\n'
    '    "name": "org.keepassxc.keepassxc_browser",\n'
    '    "path": "{path}",\n    "type": "stdio"\n}}\n'
)


def rules(count: int) -> str:
    return "rules:\n" + "".join(
        f"  - id: dir{i}\n    dir: ~/nmh/{i}\n    glob: '*.json'\n    json: /path\n"
        f"    match: {BAD}\n    replace: {FIXED}\n"
        for i in range(count)
    )


def start(home: Path, notify: Path) -> tuple[subprocess.Popen[bytes], socket.socket]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(notify))
    env = {**os.environ, "HOME": str(home), "NOTIFY_SOCKET": str(notify)}
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        env.pop(var, None)
    daemon = subprocess.Popen(
        [sys.executable, "-m", "envman.bridge"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sock.settimeout(30)
    while b"READY=1" not in sock.recv(4096):
        pass
    return daemon, sock


def latency(home: Path, writes: int) -> list[float]:
    targets = [home / "nmh" / str(i % DIRS) / f"m{i // DIRS}.json" for i in range(writes)]
    bad = MANIFEST.format(path=BAD)
    samples = []
    for target in targets:
        before = target.stat().st_ino
        with open(target, "w", encoding="utf-8") as f:  # in place, like KeePassXC
            f.write(bad)
        closed = time.perf_counter()
        while True:
            st = target.stat()
            if st.st_ino != before and FIXED in target.read_text(encoding="utf-8"):
                samples.append(time.perf_counter() - closed)
                break
            if time.perf_counter() - closed > 5:
                raise SystemExit(f"{target} was not rewritten within 5 s")
            time.sleep(0.00025)
        time.sleep(0.01)
    return samples


def counters(pid: int) -> tuple[int, float]:
    """(context switches of all threads, CPU seconds) of PID."""
    switches = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for line in (task / "status").read_text().splitlines():
            if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                switches += int(line.split()[1])
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    return switches, ticks / os.sysconf("SC_CLK_TCK")


def status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=DIRS * FILES_PER_DIR)
    parser.add_argument("--idle", type=float, default=60.0)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="envman-bridge-bench-", dir="/var/tmp"))
    try:
        home = base / "home"
        (home / ".config/envman").mkdir(parents=True)
        (home / ".config/envman/bridge.yaml").write_text(rules(DIRS))
        for i in range(args.writes):
            target = home / "nmh" / str(i % DIRS) / f"m{i // DIRS}.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(MANIFEST.format(path=FIXED))
        daemon, _sock = start(home, base / "notify")
        try:
            samples = sorted(latency(home, args.writes))
            time.sleep(2)
            switches0, cpu0 = counters(daemon.pid)
            time.sleep(args.idle)
            switches1, cpu1 = counters(daemon.pid)
            rss, hwm = status_kb(daemon.pid, "VmRSS"), status_kb(daemon.pid, "VmHWM")
            threads = len(list(Path(f"/proc/{daemon.pid}/task").iterdir()))
        finally:
            daemon.terminate()
            daemon.wait(timeout=10)
        p50 = statistics.median(samples) * 1000
        p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))] * 1000
        print(
            json.dumps(
                {
                    "writes": len(samples),
                    "latency_ms": {
                        "p50": round(p50, 2),
                        "p99": round(p99, 2),
                        "max": round(samples[-1] * 1000, 2),
                    },
                    "idle": {
                        "seconds": args.idle,
                        "watched_dirs": DIRS,
                        "threads": threads,
                        "context_switches": switches1 - switches0,
                        "cpu_seconds": round(cpu1 - cpu0, 3),
                    },
                    "memory_kb": {"VmRSS": rss, "VmHWM": hwm},
                    "targets": {"p99_ms": 50, "idle_wakeups": 0, "rss_kb": 40 * 1024},
                },
                indent=2,
            )
        )
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
