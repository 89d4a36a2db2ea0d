"""Reading a file envman did not write: a regular file only (never a FIFO or device), size-bounded.

Only os is imported: `envman run` reads its run-file through this on the hot path.
"""

from __future__ import annotations

import os
import stat

KIB = 1024
MIB = 1024 * KIB

# The limits of each kind of file envman reads. Real files are far smaller.
# A YAML/ini profile, a Containerfile, an ignore file: pure-Python YAML parses this in ~1 s.
PROFILE_MAX = 64 * KIB
SCRIPT_MAX = 16 * MIB  # a hook script
CONTEXT_FILE_MAX = 256 * MIB  # one build context file (COPY/ADD source)
STATE_MAX = 16 * MIB  # envman's JSON records (state, generations, ledgers)
RUN_FILE_MAX = 64 * KIB  # the run-file `envman run` reads


class Refused(Exception):
    """A file envman will not read: not a regular file, too large, or not UTF-8 text."""

    def __init__(self, path: str, problem: str, line: int = 0) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem
        self.line = line


def read_bytes(path: str | os.PathLike[str], limit: int) -> bytes:
    """A regular file's bytes, at most `limit` of them.

    Opening never blocks (a FIFO is refused, not waited on). A missing or unreadable file
    raises the OSError open gives; anything that is not a regular file, or is larger than
    `limit`, raises Refused.
    """
    name = os.fspath(path)
    fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise Refused(name, f"is {_kind(mode)}, not a regular file")
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(limit + 1 - total, MIB))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            total += len(chunk)
        raise Refused(name, f"is larger than {_size(limit)}, more than envman reads from it")
    finally:
        os.close(fd)


def read_text(path: str | os.PathLike[str], limit: int) -> str:
    """A regular file's UTF-8 text (see read_bytes); bytes that are not UTF-8 raise Refused."""
    data = read_bytes(path, limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise Refused(os.fspath(path), "is not UTF-8 text", line) from None


def _kind(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    )
    return next((name for test, name in kinds if test(mode)), "a special file")


def _size(limit: int) -> str:
    return f"{limit // MIB} MiB" if limit >= MIB else f"{limit // KIB} KiB"
