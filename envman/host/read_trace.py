"""What one call looked at on the host: every path it opened, listed, stat'ed or wrote.

`up` records a full no-change run with this, and the up-to-date stamp (ops/up_stamp.py) is that
record: when none of these paths changed, the same run would decide the same. Recording is
complete by construction rather than by a list someone must keep current: opens, listings and
writes come from Python's audit hooks, existence checks from wrapping os.stat and os.lstat for the
duration, and the sockets it connected to. What it cannot see makes the record `opaque`: a
process started, a directory listed by descriptor. Python's own imports are
not inputs and are left out.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# Audit events that change a path (their first argument, and the second for renames).
_WRITES = frozenset(
    {
        "os.remove",
        "os.rmdir",
        "os.mkdir",
        "os.chmod",
        "os.chown",
        "os.utime",
        "os.truncate",
        "os.symlink",
        "os.link",
        "shutil.rmtree",
        "shutil.copyfile",
        "shutil.copymode",
        "shutil.copystat",
        "shutil.move",
    }
)
_RENAMES = frozenset({"os.rename", "shutil.move", "shutil.copyfile", "os.link", "os.symlink"})
_LISTINGS = frozenset({"os.listdir", "os.scandir", "glob.glob", "glob.glob/2"})
_PROCESSES = frozenset(
    {"subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty"}
)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


class Trace:
    """The paths one recorded call used, by how; `opaque` says why the record is incomplete."""

    def __init__(self, cwd: str) -> None:
        self.cwd = cwd
        self.read: set[str] = set()  # opened for reading, or listed: their content matters
        self.probed: set[str] = set()  # stat'ed: whether they exist and what they are
        self.lprobed: set[str] = set()  # the same without following a symbolic link
        self.written: set[str] = set()  # changed by the call itself
        self.sockets: set[str] = set()  # where it connected (unix socket paths)
        self.opaque = ""

    def absolute(self, path: object) -> str | None:
        """`path` as an absolute path; None for a descriptor."""
        if not isinstance(path, str | bytes | os.PathLike):
            return None
        return os.path.normpath(os.path.join(self.cwd, os.fsdecode(path)))

    def refuse(self, why: str) -> None:
        """Mark the record incomplete (the first reason is kept)."""
        self.opaque = self.opaque or why

    def on_event(self, event: str, args: tuple[Any, ...]) -> None:
        """One audit event of the recorded call."""
        if event == "open":
            self._open(args)
        elif event in _LISTINGS:
            self._listing(args[0] if args else None)
        elif event in _WRITES or event == "os.rename":
            self._write(event, args)
        elif event in _PROCESSES:
            self.refuse(f"it ran a process ({event})")
        elif event == "socket.connect":
            address = args[1] if len(args) > 1 else None
            self.sockets.add(address if isinstance(address, str) else repr(address))

    def _open(self, args: tuple[Any, ...]) -> None:
        path = self.absolute(args[0]) if args else None
        if path is None:
            return  # a descriptor opened again: its path was recorded when first opened
        mode = args[1] if len(args) > 1 else None
        flags = args[2] if len(args) > 2 else 0
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool(
            isinstance(flags, int) and flags & _WRITE_FLAGS
        )
        (self.written if writes else self.read).add(path)

    def _listing(self, target: object) -> None:
        path = self.absolute("." if target is None else target)
        if path is None:
            self.refuse("it listed a directory by descriptor")
        else:
            self.read.add(path)

    def _write(self, event: str, args: tuple[Any, ...]) -> None:
        count = 2 if event in _RENAMES else 1
        for arg in args[:count]:
            path = self.absolute(arg)
            if path is not None:  # a descriptor's file was recorded when it was opened
                self.written.add(path)


_active: list[Trace] = []
_hooked: list[bool] = []


def _from_import_system() -> bool:
    """Whether the event comes from Python importing a module (not an input of the call)."""
    frame = sys._getframe(2)  # not an event of _EVENTS
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


_EVENTS = _WRITES | _RENAMES | _LISTINGS | _PROCESSES | {"open", "os.rename", "socket.connect"}


def _audit(event: str, args: tuple[Any, ...]) -> None:
    # sys._getframe is itself audited: looking at the stack only for these events ends there
    if _active and event in _EVENTS and not _from_import_system():
        _active[-1].on_event(event, args)


@contextmanager
def recording() -> Iterator[Trace]:
    """Record what the body does with host paths and where it connects."""
    if not _hooked:
        sys.addaudithook(_audit)  # there is no removing a hook: it does nothing when idle
        _hooked.append(True)
    trace = Trace(os.getcwd())
    real_stat, real_lstat = os.stat, os.lstat

    def probe(real: Callable[..., os.stat_result], follows: bool) -> Callable[..., os.stat_result]:
        def stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
            absolute = None if kwargs.get("dir_fd") is not None else trace.absolute(path)
            if absolute is not None and _active:
                follow = follows and kwargs.get("follow_symlinks", True)
                (trace.probed if follow else trace.lprobed).add(absolute)
            return real(path, *args, **kwargs)

        return stat

    _active.append(trace)
    os.stat, os.lstat = probe(real_stat, True), probe(real_lstat, False)
    try:
        yield trace
    finally:
        os.stat, os.lstat = real_stat, real_lstat
        _active.remove(trace)


Signature = tuple[int, ...] | str | None


def signature(path: str, how: str) -> Signature:
    """What a path is now, as much as `how` it was used needs: "read" (its content: type, inode,
    size and times), "stat" or "lstat" (a directory's existence only; anything else as "read").

    None when it is not there; "error N" when it cannot be looked at.
    """
    try:
        found = os.lstat(path) if how == "lstat" else os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        return f"error {exc.errno}"
    kind = found.st_mode & 0o170000
    if how != "read" and kind == 0o040000:
        return "directory"
    times = (found.st_mtime_ns, found.st_ctime_ns)
    return (kind, found.st_dev, found.st_ino, found.st_size, *times)


def changed_since(sig: Signature, start_ns: int) -> bool:
    """Whether a content signature's times are too recent to tell a later change apart.

    Two changes within one tick of the file system's clock leave the same times (git's "racily
    clean" files): a file changed less than that before the recording began is not trusted. A
    clock without sub-second times (a time on a whole second) gets two seconds.
    """
    if not isinstance(sig, tuple):
        return False
    newest = max(sig[4], sig[5])
    tick = 2_000_000_000 if newest % 1_000_000_000 == 0 else 100_000_000
    return newest >= start_ns - tick
