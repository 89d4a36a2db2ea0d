"""One writer at a time: advisory file locks per environment and for the team sources."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time

from envman.errors import Busy

TYPE_CHECKING = False  # pathlib and paths.py cost a no-change `up` ~30 ms (see try_hold)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from envman.paths import Paths

DEFAULT_WAIT = 3.0  # seconds a command waits for another before it says "busy"
_POLL = 0.05


def env_lock(paths: Paths, name: str) -> Path:
    """The lock file of one environment (up, rm, rollback, gc, export hold it)."""
    return paths.state / "locks" / f"env-{name}.lock"


def sources_lock(paths: Paths) -> Path:
    """The lock file of the source list and mirrors (source add, sync, rm hold it)."""
    return paths.state / "locks" / "sources.lock"


def holder(path: Path) -> int | None:
    """The pid recorded by the process that holds (or last held) `path`."""
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


@contextlib.contextmanager
def hold(path: Path, what: str, *, wait: float | None = DEFAULT_WAIT) -> Iterator[None]:
    """Hold `path` exclusively for the block; wait up to `wait` seconds (None: for ever).

    The kernel releases the lock when the holder exits, also on SIGKILL: nothing goes stale.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        _acquire(fd, path, what, wait)
        with contextlib.suppress(OSError):  # only for the busy message: a full disk is no reason
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield
    finally:
        os.close(fd)


def _acquire(fd: int, path: Path, what: str, wait: float | None) -> None:
    deadline = None if wait is None else time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
        if deadline is not None and time.monotonic() >= deadline:
            pid = holder(path)
            by = f"another envman (pid {pid})" if pid else "another envman"
            raise Busy(
                f"busy: {by} is changing {what}",
                "wait for it to finish, or run the command again with --wait",
            )
        time.sleep(_POLL)


def try_hold(path: str) -> int | None:
    """Hold an existing lock file now, without waiting: its descriptor (close it to let go), or
    None when another process holds it or it cannot be opened."""
    fd = _open_existing(path)
    if fd is None or _take(fd):
        return fd
    os.close(fd)
    return None


def is_held(path: Path) -> bool:
    """Whether some process holds `path` now (for doctor and repair decisions)."""
    fd = _open_existing(path)
    if fd is None:
        return False
    try:
        return not _take(fd)
    finally:
        os.close(fd)


def _open_existing(path: str | Path) -> int | None:
    try:
        return os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None


def _take(fd: int) -> bool:
    """Whether the lock was free and is now held through `fd`."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False
