"""Safe file access for the bridge: regular files, O_NOFOLLOW, atomic replace, first backups."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from envman.host.readfile import Refused, read_bytes

MAX_SIZE = 256 * 1024
TEMP_PREFIX = ".envman-bridge."
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class Unsafe(Exception):
    """The bridge refuses to touch this file or directory; the message says why."""


class Changed(Exception):
    """The file changed between reading and replacing it: another write is on its way."""


@dataclass(frozen=True)
class Snapshot:
    """A file as read: bytes plus the identity used to detect a concurrent change."""

    name: str
    content: bytes
    ino: int
    mode: int
    uid: int
    gid: int
    size: int
    mtime_ns: int


def is_temp_name(name: str) -> bool:
    """One of the bridge's own temporary files (their events are ignored)."""
    return name.startswith(TEMP_PREFIX)


def _check_dir(path: Path, st: os.stat_result) -> None:
    if st.st_uid != os.geteuid():
        raise Unsafe(f"{path} belongs to uid {st.st_uid}, not to this user")
    if st.st_mode & stat.S_IWOTH:
        raise Unsafe(f"{path} is world-writable")


@dataclass(frozen=True)
class Roots:
    """The directories the bridge may act below (the user's home, runtime dir, envman's data and
    state dirs). Symlinks leading to a root are followed (/home -> /var/home); below the outermost
    root that holds a path, none is: a sandboxed app could have made it."""

    paths: tuple[Path, ...]

    def split(self, path: Path) -> tuple[Path, tuple[str, ...]]:
        """The outermost root holding PATH and the names below it; Unsafe outside every root."""
        holding = [r for r in self.paths if r != Path("/") and (r == path or r in path.parents)]
        if not holding or ".." in path.parts:
            raise Unsafe(f"{path} is outside your home and runtime directory")
        root = min(holding, key=lambda r: len(r.parts))
        return root, path.parts[len(root.parts) :]


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


@contextlib.contextmanager
def open_dir(path: Path, roots: Roots, *, create: int | None = None) -> Iterator[int]:
    """A fd of PATH, a directory of this user that is not world-writable (checked on the fd
    itself, so it cannot be swapped in between); every later access is by name relative to it.

    PATH is opened one name at a time from its root, never following a symlink (Unsafe names
    the one met); with CREATE, missing directories are made with that mode (mkdir -p)."""
    fd = _open_below(path, roots, create)
    try:
        _check_dir(path, os.fstat(fd))
        yield fd
    finally:
        os.close(fd)


def _open_below(path: Path, roots: Roots, create: int | None) -> int:
    root, names = roots.split(path)
    try:
        fd = os.open(root, _DIR_FLAGS)
    except NotADirectoryError:
        raise Unsafe(f"{root} is not a directory") from None
    here = root
    try:
        for name in names:
            here = here / name
            try:
                step = _step(fd, name, here)
            except FileNotFoundError:
                if create is None:
                    raise
                with contextlib.suppress(FileExistsError):
                    os.mkdir(name, create, dir_fd=fd)
                step = _step(fd, name, here)
            os.close(fd)
            fd = step
    except BaseException:
        os.close(fd)
        raise
    return fd


def _step(dir_fd: int, name: str, shown: Path) -> int:
    """The directory NAME inside DIR_FD, not through a symlink."""
    try:
        return os.open(name, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=dir_fd)
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, "No such directory", str(shown)) from None
    except OSError as exc:
        if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
            raise
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        if stat.S_ISLNK(st.st_mode):
            raise Unsafe(f"{shown} is a symlink (not followed)") from None
        raise Unsafe(f"{shown} is not a directory") from None


def _check_name(name: str) -> None:
    if not name or "/" in name or name in (".", ".."):
        raise Unsafe(f"'{name}' is not a plain file name")


def read_file(dir_fd: int, name: str) -> Snapshot | None:
    """The regular file NAME in the directory, or None if it does not exist; Unsafe otherwise."""
    _check_name(name)
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        raise Unsafe(f"{name} is a symlink (not followed)")
    if not stat.S_ISREG(st.st_mode):
        raise Unsafe(f"{name} is not a regular file")
    try:
        fd = os.open(name, _READ_FLAGS, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Unsafe(f"{name} became a symlink (not followed)") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Unsafe(f"{name} is not a regular file")
        if st.st_uid != os.geteuid():
            raise Unsafe(f"{name} belongs to uid {st.st_uid}, not to this user")
        if st.st_size > MAX_SIZE:
            raise Unsafe(f"{name} is larger than {MAX_SIZE} bytes")
        content = _read_all(fd)
    finally:
        os.close(fd)
    return Snapshot(
        name, content, st.st_ino, st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns
    )


def _read_all(fd: int, limit: int = MAX_SIZE) -> bytes:
    chunks = []
    total = 0
    while total <= limit:
        chunk = os.read(fd, limit + 1 - total)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if total > limit:
        raise Unsafe(f"grew past {limit} bytes while being read")
    return b"".join(chunks)


def read_regular(path: Path, limit: int = MAX_SIZE) -> bytes:
    """The bytes of PATH, a regular file of at most LIMIT bytes (symlinks to one are fine: this is
    for the user's own configuration); FileNotFoundError if absent, Unsafe for anything else.

    The open never blocks, so a FIFO or device is refused rather than waited on."""
    try:
        return read_bytes(path, limit)
    except IsADirectoryError:
        raise Unsafe(f"{path} is a directory, not a regular file") from None
    except Refused as exc:
        raise Unsafe(f"{path} {exc.problem}") from None


def same_file(dir_fd: int, expect: Snapshot | None, name: str) -> bool:
    """Whether NAME is still the file of EXPECT (or still absent when EXPECT is None)."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return expect is None
    if expect is None:
        return False
    return (st.st_ino, st.st_size, st.st_mtime_ns) == (expect.ino, expect.size, expect.mtime_ns)


def replace_file(dir_fd: int, name: str, content: bytes, mode: int, expect: Snapshot | None) -> int:
    """Atomically put CONTENT at NAME with MODE (Changed if NAME is no longer EXPECT)."""
    _check_name(name)
    temp = f"{TEMP_PREFIX}{name}.{secrets.token_hex(4)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(temp, flags, 0o600, dir_fd=dir_fd)
    try:
        try:
            os.fchmod(fd, mode & 0o7777)
            _write_all(fd, content)
            os.fsync(fd)
            ino = os.fstat(fd).st_ino
        finally:
            os.close(fd)
        if not same_file(dir_fd, expect, name):
            raise Changed(name)
        os.replace(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp, dir_fd=dir_fd)
        raise
    os.fsync(dir_fd)
    return ino


def _write_all(fd: int, content: bytes) -> None:
    view = memoryview(content)
    while view:
        view = view[os.write(fd, view) :]


def remove_file(dir_fd: int, name: str, expect: Snapshot) -> None:
    """Unlink NAME if it is still the file of EXPECT."""
    _check_name(name)
    if not same_file(dir_fd, expect, name):
        raise Changed(name)
    os.unlink(name, dir_fd=dir_fd)


def write_if_changed(path: Path, content: bytes, mode: int, roots: Roots) -> bool:
    """Atomically write PATH (a regular file or absent) unless it already holds CONTENT and MODE;
    its directory is made if missing."""
    with open_dir(path.parent, roots, create=0o755) as dir_fd:
        current = read_file(dir_fd, path.name)
        if current and current.content == content and current.mode & 0o7777 == mode:
            return False
        replace_file(dir_fd, path.name, content, mode, current)
        return True


def backup_once(backup_root: Path, original: Path, content: bytes, roots: Roots) -> Path | None:
    """Keep the first version of ORIGINAL the bridge ever replaced; later calls keep that one."""
    target = backup_root / str(original).lstrip("/")
    _check_name(target.name)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    with open_dir(target.parent, roots, create=0o700) as dir_fd:
        try:
            fd = os.open(target.name, flags, 0o600, dir_fd=dir_fd)
        except FileExistsError:
            return None
        try:
            _write_all(fd, content)
        finally:
            os.close(fd)
    return target
