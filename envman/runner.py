"""The one place envman starts other programs and waits (or spawns a service).

`envman run`/`enter` exec podman in place from envman/fastpath.py with os.execvp instead:
importing this module (subprocess, dataclasses) would cost more than the whole hot path may.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Completed:
    """What a finished program left behind."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        """Exit status 0."""
        return self.returncode == 0


def which(program: str) -> str | None:
    """The absolute path of a program on PATH, or None."""
    return shutil.which(program)


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    input_text: str | None = None,
    capture: bool = True,
    timeout: float | None = None,
) -> Completed:
    """Run argv (never through a shell) and wait; callers decide what a non-zero status means."""
    try:
        proc = subprocess.run(
            list(argv),
            env=dict(env) if env is not None else None,
            cwd=cwd,
            input=input_text,
            capture_output=capture,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        return Completed(tuple(argv), 127, "", f"{argv[0]}: command not found")
    except subprocess.TimeoutExpired:
        return Completed(tuple(argv), 124, "", f"{argv[0]}: timed out after {timeout}s")
    return Completed(tuple(argv), proc.returncode, proc.stdout or "", proc.stderr or "")


def spawn_detached(
    argv: Sequence[str], *, log_path: str, env: Mapping[str, str] | None = None
) -> int:
    """Start a long-lived program in its own session, output to a log file; returns its pid.

    It runs in / so that it never holds (or outlives) the caller's working directory.
    """
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            list(argv),
            cwd="/",
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            close_fds=True,
        )
    return proc.pid


def run_foreground(argv: Sequence[str]) -> int:
    """Run argv on this terminal and wait for its exit status.

    Ctrl-C belongs to it while it runs (the terminal sends it there; envman ignores it, as a
    shell does for its foreground job). An exception here (SIGTERM turned into one by the
    caller) ends it before going on, so that nothing outlives envman's clean-up.
    """
    import signal

    try:
        proc = subprocess.Popen(list(argv))
    except FileNotFoundError:
        return 127
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return proc.wait()
    except BaseException:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        raise
    finally:
        signal.signal(signal.SIGINT, previous)
