"""The per-environment lock: one holder, a clear busy error naming the other pid, no stale locks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from envman.errors import Busy, ExitCode
from envman.host.writer_locks import hold, holder, is_held

HOLDER = """
import sys, time
from pathlib import Path
from envman.host.writer_locks import hold
with hold(Path(sys.argv[1]), "x", wait=0):
    print("held", flush=True)
    time.sleep(60)
"""


def _start_holder(path: Path) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "held"
    return child


def test_second_writer_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    path = tmp_path / "locks" / "env-a.lock"
    child = _start_holder(path)
    try:
        assert is_held(path)
        started = time.monotonic()
        with pytest.raises(Busy) as caught, hold(path, "a", wait=0.2):
            pass
        assert time.monotonic() - started >= 0.2
        assert f"pid {child.pid}" in caught.value.message
        assert caught.value.exit_code == ExitCode.BUSY == 29
        assert "--wait" in (caught.value.hint or "")
    finally:
        child.kill()
        child.wait()


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    path = tmp_path / "env-a.lock"
    child = _start_holder(path)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert not is_held(path)
    with hold(path, "a", wait=0):
        assert holder(path) == os.getpid()


def test_waiting_writer_gets_the_lock_when_the_holder_ends(tmp_path: Path) -> None:
    path = tmp_path / "env-a.lock"
    child = _start_holder(path)
    try:
        subprocess.Popen(["sh", "-c", f"sleep 0.3; kill {child.pid}"])
        with hold(path, "a", wait=None):
            assert holder(path) == os.getpid()
    finally:
        child.kill()
        child.wait()
