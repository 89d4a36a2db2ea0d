"""Guards for fuzzing readers: only envman's own errors, and no write outside a temp dir."""

from __future__ import annotations

import os
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from envman.errors import EnvmanError

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_PATH_EVENTS = (
    "os.rename",
    "os.remove",
    "os.rmdir",
    "os.mkdir",
    "os.chmod",
    "os.chown",
    "os.truncate",
    "os.utime",
    "shutil.rmtree",
    "shutil.copyfile",
    "shutil.move",
    "tempfile.mkstemp",
    "tempfile.mkdtemp",
)
_allowed: list[str] = []  # the temp dirs writes may go to while a guard is on
_outside: list[str] = []  # writes seen outside them


def _written_paths(event: str, args: tuple[Any, ...]) -> list[Any]:
    if event == "open":
        path, mode, flags = args
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & _WRITE_FLAGS
        )
        return [path] if writes else []
    if event in ("os.symlink", "os.link"):
        return [args[1]]  # (target, new link, ...)
    if event in _PATH_EVENTS:
        return [arg for arg in args[:2] if isinstance(arg, str | bytes | os.PathLike)]
    return []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _allowed:
        return
    try:
        for path in _written_paths(event, args):
            if isinstance(path, int):
                continue
            full = os.path.abspath(os.fsdecode(path))
            if not any(full == root or full.startswith(root + os.sep) for root in _allowed):
                _outside.append(f"{event} {full}")
    except Exception:  # an audit hook must never break what it watches
        _outside.append(f"{event} {args!r:.200}")


sys.addaudithook(_audit)


@contextmanager
def scratch() -> Iterator[Path]:
    """A fresh temp dir; inside the block, writing anywhere else fails the test."""
    with tempfile.TemporaryDirectory(prefix="envman-fuzz-") as name:
        root = os.path.realpath(name)
        _allowed.append(root)
        seen = len(_outside)
        try:
            yield Path(root)
        finally:
            _allowed.pop()
            outside = _outside[seen:]
            del _outside[seen:]
        assert not outside, f"wrote outside the temp dir: {outside}"


def soup(
    tokens: list[str], max_size: int = 40, nests: tuple[tuple[str, str], ...] = ()
) -> st.SearchStrategy[str]:
    """Text made of `tokens`, some repeated up to 2000 times (long runs), and balanced `nests`
    (open/close pairs) up to 1500 deep.

    Cut at 16 000 characters: pure-Python YAML needs ~0.3 s for that on a loaded machine.
    """
    repeated = st.tuples(st.sampled_from(tokens), st.integers(2, 2000))
    piece = st.sampled_from(tokens) | repeated.map(lambda pair: (pair[0] * pair[1])[:8000])
    if nests:
        nested = st.tuples(st.sampled_from(nests), st.integers(1, 1500), st.sampled_from(tokens))
        piece |= nested.map(lambda n: n[0][0] * n[1] + n[2] + n[0][1] * n[1])
    return st.lists(piece, max_size=max_size).map(lambda pieces: "".join(pieces)[:16000])


HANG = 10  # seconds: a reader still busy after this is stuck (a FIFO, a runaway loop)


class Hung(Exception):
    """A reader blocked or looped far past the deadline; raised by the alarm."""


def _hung(signum: int, frame: object) -> None:
    raise Hung(f"the reader did not return within {HANG} s")


def own_errors_only(call: Callable[[], object]) -> object:
    """Run a reader: an EnvmanError (a clear message and exit code) is a fine answer; anything
    else propagates and fails the example, as does blocking (an alarm interrupts it)."""
    previous = signal.signal(signal.SIGALRM, _hung)
    signal.alarm(HANG)
    try:
        return call()
    except EnvmanError as exc:
        assert exc.message, "an EnvmanError without a message"
        return exc
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
