"""Fuzzing the distrobox ini reader (and the store and writer behind it) with hypothesis.

Any exception but envman's own errors fails, as does an example slower than 2 s or a write
outside the example's temporary directory. Bounded by default; ENVMAN_FUZZ=long runs longer.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envman.errors import EnvmanError
from envman.profile.ini_format import read_ini_profiles, write_ini_profiles
from envman.profile.ini_lines import KNOWN_KEYS
from envman.profile.model import FileLine, Profile
from envman.profile.resolver import Resolver, refs_in_file

LONG = os.environ.get("ENVMAN_FUZZ") == "long"
FUZZ = settings(
    max_examples=3000 if LONG else 150,
    deadline=2000,  # milliseconds: an example slower than 2 s fails
    database=None,  # the example database would be a write outside the temporary directory
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# The characters both distrobox parsers treat specially, plus some plain ones.
TRICKY = " \t\"'#;[]=\\`$~&|<>(){}*:/.-_aZ09¤\u00e9\r"
NAMES = st.sampled_from(["a", "b", "base", "tools", "DEFAULT", "x.y", "c-1"])
VALUES = st.text(alphabet=TRICKY, max_size=40)
WORDS = st.sampled_from(
    ["true", "false", "1", "0", "alpine", "$HOME/x", "~/a:/b", "--env A=b", "echo hi;", "&&"]
)


HEADER_ENDS = st.sampled_from(["", " # c", "]", " x", "#"])
INCLUDE_ENDS = st.sampled_from(["", " ", " # c", '"'])
QUOTES = st.sampled_from(["", '"', "'"])


@st.composite
def ini_line(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 9))
    if kind == 0:
        space = draw(st.sampled_from(["", " ", "\t"]))
        return f"{space}[{draw(NAMES)}]{draw(HEADER_ENDS)}"
    if kind == 1:
        return draw(st.sampled_from(["", "# comment", "  # c", "; c", "\t", "junk"]))
    if kind == 2:
        return f"include={draw(NAMES)}{draw(INCLUDE_ENDS)}"
    key = draw(st.sampled_from([*KNOWN_KEYS, "volumes", "imag", "init _hooks", ""]))
    spacing = draw(st.sampled_from(["=", " = ", "= ", "=\t", ":"]))
    value = draw(st.one_of(VALUES, WORDS, st.builds(" ".join, st.lists(WORDS, max_size=4))))
    quote = draw(QUOTES)
    end = draw(st.sampled_from([quote, "", ";", " # c"]))
    return f"{key}{spacing}{quote}{value}{end}"


@st.composite
def ini_file(draw: st.DrawFn) -> str:
    lines = draw(st.lists(ini_line(), max_size=30))
    return draw(st.sampled_from(["\n", "\r\n"])).join(lines)


class WriteGuard:
    """An audit hook that records writes outside the directory a test arms it with."""

    WRITE_EVENTS = (
        "os.rename",
        "os.replace",
        "os.remove",
        "os.rmdir",
        "os.mkdir",
        "os.symlink",
        "os.link",
        "os.truncate",
        "os.chmod",
        "os.chown",
        "os.utime",
        "shutil.copyfile",
        "shutil.rmtree",
    )

    def __init__(self) -> None:
        self.root: str | None = None
        self.outside: list[str] = []
        sys.addaudithook(self.audit)  # cannot be removed: disarmed outside `armed`

    def audit(self, event: str, args: tuple[Any, ...]) -> None:
        if self.root is None:
            return
        if event == "open":
            path, mode, flags = args
            writing = any(c in str(mode or "") for c in "wax+") or bool(
                (flags or 0) & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC)
            )
            if writing:
                self.check(event, path)
        elif event in self.WRITE_EVENTS:
            for arg in args[:2]:
                self.check(event, arg)

    def check(self, event: str, path: object) -> None:
        if isinstance(path, int) or path is None:
            return
        text = os.fsdecode(path) if isinstance(path, bytes) else str(path)
        full = os.path.realpath(os.path.abspath(text))
        assert self.root is not None
        if not (full == self.root or full.startswith(self.root + os.sep)):
            self.outside.append(f"{event} {full}")

    @contextmanager
    def armed(self) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="envman-fuzz-") as tmp:
            self.root = os.path.realpath(tmp)
            try:
                yield Path(tmp)
            finally:
                self.root = None


GUARD = WriteGuard()


def exercise(text: str, tmp: Path) -> None:
    """Read the text, resolve every section from a file, write the readable ones back."""
    try:
        profiles = read_ini_profiles(text, "fuzz.ini")
    except EnvmanError:
        profiles = []
    try:
        written, _ = write_ini_profiles(profiles)
        read_ini_profiles(written, "again.ini")
    except EnvmanError:
        pass
    path = tmp / "team.ini"
    path.write_text(text, encoding="utf-8", newline="")
    try:
        refs = refs_in_file(path)
    except EnvmanError:
        return
    resolver = Resolver((tmp,), tmp)
    for ref in refs:
        with suppress(EnvmanError):
            resolver.resolve(ref)


@FUZZ
@given(ini_file())
def test_structured_ini_files_raise_only_envman_errors(text: str) -> None:
    with GUARD.armed() as tmp:
        exercise(text, tmp)
    assert GUARD.outside == [], GUARD.outside


@FUZZ
@given(st.text(max_size=400))
def test_arbitrary_text_raises_only_envman_errors(text: str) -> None:
    with GUARD.armed() as tmp:
        exercise(text, tmp)
    assert GUARD.outside == [], GUARD.outside


def comparable(profile: Profile) -> Profile:
    """What a write and read back keeps: hooks may come back split at ';' (same commands)."""
    return replace(profile, origin=FileLine("-"), includes=(), warnings=(), locations={}, hooks=())


@FUZZ
@given(ini_file())
def test_what_export_writes_reads_back_the_same(text: str) -> None:
    try:
        profiles = [p for p in read_ini_profiles(text, "fuzz.ini") if not p.includes]
        written, _ = write_ini_profiles(profiles)
    except EnvmanError:
        return
    again = read_ini_profiles(written, "again.ini")
    assert [comparable(p) for p in again] == [comparable(p) for p in profiles]
    assert [len(p.hooks) > 0 for p in again] == [len(p.hooks) > 0 for p in profiles]


def test_the_write_guard_sees_a_write_outside_the_temporary_directory() -> None:
    outside = Path(tempfile.gettempdir()) / f"envman-fuzz-guard-{os.getpid()}"
    with GUARD.armed():
        outside.write_text("x")
    outside.unlink()
    assert GUARD.outside == [f"open {os.path.realpath(outside)}"]
    GUARD.outside.clear()
