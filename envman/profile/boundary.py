"""Reading profile files, and the one boundary that turns any failure to parse one into exit 4."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from envman.errors import EnvmanError, ProfileNotFound, ProfileSyntaxError
from envman.host.readfile import PROFILE_MAX, Refused, read_bytes, read_text

# What a reader hitting input it does not foresee raises (deep nesting, numbers too long to
# convert, a value of the wrong type deep inside a parser): never MemoryError or an OSError.
_PARSE_FAILURES = (
    ArithmeticError,
    AttributeError,
    LookupError,
    RecursionError,
    TypeError,
    ValueError,
)


def read_profile_text(path: Path, limit: int = PROFILE_MAX) -> str:
    """A profile file's text: missing is ProfileNotFound; not a regular file, too big or not
    UTF-8 is ProfileSyntaxError naming the file (and the line of the first bad byte)."""
    try:
        return read_text(path, limit)
    except Refused as exc:
        raise refused_error(exc) from None
    except OSError as exc:
        raise ProfileNotFound(f"{path}: {exc.strerror or exc}") from None


def read_input_bytes(path: Path, limit: int) -> bytes:
    """A file a profile uses (hook script, build context file), with read_profile_text's errors."""
    try:
        return read_bytes(path, limit)
    except Refused as exc:
        raise refused_error(exc) from None
    except OSError as exc:
        raise ProfileNotFound(f"{path}: {exc.strerror or exc}") from None


def refused_error(exc: Refused) -> ProfileSyntaxError:
    """The profile error for a file envman refuses to read."""
    where = f"{exc.path}:{exc.line}" if exc.line else exc.path
    return ProfileSyntaxError(
        f"{where}: {exc.problem}", "profiles and the files they use are small regular text files"
    )


@contextmanager
def parse_failures(file: str, what: str) -> Iterator[None]:
    """Inside: any failure to parse `file` that is not already an EnvmanError becomes exit 4."""
    try:
        yield
    except EnvmanError:
        raise
    except _PARSE_FAILURES as exc:
        if os.environ.get("ENVMAN_DEBUG"):
            raise
        raise ProfileSyntaxError(
            f"{file}: cannot be read as {what} ({type(exc).__name__}: {_short(str(exc))})",
            "simplify the file around the construct named; ENVMAN_DEBUG=1 shows where it failed",
        ) from exc


def _short(text: str) -> str:
    return text if len(text) <= 120 else text[:117] + "..."
