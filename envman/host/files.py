"""Writing envman's own files on the host: atomically, so a crash never leaves half a file."""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from envman.errors import WriteFailed

_NO_ROOM = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)


def write_atomic(path: Path, content: str | bytes, mode: int = 0o644) -> None:
    """Write to a temporary file beside `path`, fsync, then rename over it.

    A full disk or a read-only directory is WriteFailed (exit 15); the old file stays as it was.
    """
    try:
        _write_atomic(path, content, mode)
    except OSError as exc:
        if exc.errno not in _NO_ROOM:
            raise
        raise WriteFailed(
            f"cannot write {path}: {exc.strerror}",
            "free space (or fix permissions) there and run the command again",
        ) from None


def _write_atomic(path: Path, content: str | bytes, mode: int) -> None:
    data = content.encode("utf-8") if isinstance(content, str) else content
    path.parent.mkdir(parents=True, exist_ok=True)
    import tempfile  # here: it imports shutil and random, which reading commands never need

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).chmod(mode)
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
        raise


def remove_file(path: Path) -> bool:
    """Remove a file envman wrote; False when it was not there."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
