"""Reading from a pseudo-terminal that runs envman, for the tests that need a real TTY."""

from __future__ import annotations

import os
import select
import time


def read_until(master: int, needle: bytes, timeout: float = 60) -> bytes:
    """What the terminal printed, up to `needle` (or all there was when it closed or timed out)."""
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1)
        if ready:
            try:
                seen += os.read(master, 4096)
            except OSError:
                break
    return seen


def exit_status(pid: int) -> int:
    """The exit code of the forked child `pid`."""
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)
