"""Fuzzing the .desktop reader, the Exec parser and quoter, and the launcher rewrite (hypothesis).

Any exception other than envman's own errors fails, so does an example slower than 2 s or a
file written outside the temporary directory. Bounded by default; ENVMAN_FUZZ=long runs more.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envman.errors import EnvmanError
from envman.exports.desktop_entry import DesktopEntryError, parse, render
from envman.exports.exec_line import Arg, ExecError, join_exec, split_exec, unescape_string
from envman.exports.launcher import NotLaunchable, exported_entry
from envman.exports.names import UnsafeName

LONG = os.environ.get("ENVMAN_FUZZ") == "long"
FUZZ = settings(
    max_examples=5000 if LONG else 100,
    deadline=timedelta(seconds=2),
    database=None,  # hypothesis writes nothing either
    suppress_health_check=[HealthCheck.too_slow],
)
OWN_ERRORS = (EnvmanError, DesktopEntryError, ExecError, NotLaunchable, UnsafeName)
SHIM = ["/home/u/.local/share/envman/bin/envman"]
T = TypeVar("T")

# --- no writes outside the temporary directory while envman code runs -----------------------

_WRITE_EVENTS = frozenset(
    (
        "os.rename",
        "os.remove",
        "os.rmdir",
        "os.mkdir",
        "os.symlink",
        "os.link",
        "os.chmod",
        "os.chown",
        "os.truncate",
        "os.utime",
        "shutil.copyfile",
        "shutil.rmtree",
        "shutil.move",
    )
)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_guard: dict[str, Path | None] = {"root": None}
_writes: list[str] = []
_roots: list[Path] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    root = _guard["root"]
    if root is None:
        return
    if event == "open":
        path, mode, flags = args
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & _WRITE_FLAGS
        )
        if not writing or path is None or isinstance(path, int):
            return
    elif event in _WRITE_EVENTS:
        path = args[0] if args else None
    else:
        return
    target = Path(os.fsdecode(path)).resolve() if isinstance(path, str | bytes | Path) else None
    if target is None or not target.is_relative_to(root):
        _writes.append(f"{event} {path!r}")


sys.addaudithook(_audit)  # audit hooks cannot be removed: it only acts inside confined()


@pytest.fixture(scope="module", autouse=True)
def temp_root() -> Iterator[Path]:
    """The one directory envman code may write to while fuzzed."""
    with tempfile.TemporaryDirectory(prefix="envman-fuzz-") as tmp:
        _roots.append(Path(tmp).resolve())
        yield _roots[-1]


@contextmanager
def confined() -> Iterator[None]:
    """Record every write attempted outside the temporary directory; fail if there was one."""
    _guard["root"] = _roots[-1]
    try:
        yield
    finally:
        _guard["root"] = None
    assert not _writes, _writes


def run(call: Callable[[], T]) -> T | None:
    """The result, or None for one of envman's own errors; any other exception fails."""
    with confined():
        try:
            return call()
        except OWN_ERRORS:
            return None


def test_the_guard_catches_a_write_outside(temp_root: Path) -> None:
    outside = Path(tempfile.gettempdir()) / f"envman-fuzz-outside-{os.getpid()}"
    with confined():
        (temp_root / "inside").write_text("fine")
    try:
        with confined():
            outside.write_text("caught")
    except AssertionError as caught:
        assert str(outside) in str(caught)
    else:
        raise AssertionError("a write outside the temporary directory went unnoticed")
    finally:
        _writes.clear()
        outside.unlink(missing_ok=True)


# --- strategies --------------------------------------------------------------------------------

NASTY_CHARS = st.sampled_from(
    [*" \t\r\n\\\"'`$%=[]#;&|<>*?~(){}", "\x00", "\x1b", "\x7f", "\x85", "\u2028", "\u202e"]
)
TEXT = st.text(st.one_of(NASTY_CHARS, st.characters()), max_size=40)
# Mostly what a desktop file holds, so that most examples get past the reader.
PLAIN = st.text(st.sampled_from([*"abc xyz/.-_019'\"\\$`;%", "é", "\u2028"]), max_size=20)
VALUE = st.one_of(PLAIN, PLAIN, TEXT)
KEYS = st.one_of(
    st.sampled_from(
        [
            "Type",
            "Name",
            "Name[de]",
            "Exec",
            "Exec[de]",
            "Exec[sr@latin]",
            "TryExec",
            "TryExec[x]",
            "Icon",
            "Icon[de]",
            "Actions",
            "X-Y",
            "DBusActivatable",
        ]
    ),
    st.from_regex(r"[A-Za-z0-9-]{1,8}(\[[A-Za-z_@.]{1,5}\])?", fullmatch=True),
)
FIELD = st.sampled_from(["%f", "%F", "%u", "%U", "%i", "%c", "%k", "%%", "%d", "%x", "%"])
EXEC_WORD = st.one_of(FIELD, PLAIN, TEXT, st.from_regex(r'"[^"]{0,10}"', fullmatch=True))
EXEC_VALUE = st.lists(EXEC_WORD, min_size=1, max_size=6).map(" ".join)
LINE = st.one_of(
    st.sampled_from(["[Desktop Action new]", "[X-Other]", "[Desktop Entry]", "[bad", "[]"]),
    st.builds(lambda k, v: f"{k}={v}", KEYS, EXEC_VALUE),
    st.builds(lambda k, v: f"{k}={v}", KEYS, VALUE),
    st.builds(lambda k, v: f"{k} = {v}", KEYS, VALUE),
    st.sampled_from(["", "# comment", "  ", "Type=Application"]),
    TEXT,
)
DESKTOP = st.builds(
    lambda head, lines, sep: sep.join(head + lines),
    st.sampled_from(
        [["[Desktop Entry]", "Type=Application", "Exec=app %u"], ["[Desktop Entry]"], []]
    ),
    st.lists(LINE, max_size=12),
    st.sampled_from(["\n", "\n", "\n", "\r\n", "\u2028", "\x85", "\r"]),
)


# --- properties --------------------------------------------------------------------------------


@FUZZ
@given(DESKTOP)
def test_parse_render_is_stable(text: str) -> None:
    desktop = run(lambda: parse(text))
    if desktop is None:
        return
    rendered = render(desktop)
    assert render(parse(rendered)) == rendered


@FUZZ
@given(st.one_of(TEXT, st.binary(max_size=60).map(lambda b: b.decode("latin-1"))))
def test_parse_never_fails_otherwise_on_any_text(text: str) -> None:
    run(lambda: parse(text))


@FUZZ
@given(st.one_of(EXEC_VALUE, TEXT))
def test_split_then_join_gives_back_the_arguments(value: str) -> None:
    args = run(lambda: split_exec(value))
    run(lambda: unescape_string(value))
    if args is None:
        return
    joined = run(lambda: join_exec(args))
    if joined is not None:
        assert split_exec(joined) == args


@FUZZ
@given(
    st.lists(TEXT.map(Arg), min_size=1, max_size=5),
    st.lists(st.sampled_from(sorted("fFuUick")).map(lambda c: f"%{c}"), max_size=2),
)
def test_join_then_split_gives_back_the_arguments(words: list[Arg], codes: list[str]) -> None:
    args = words + [Arg(code, field_code=True) for code in codes]
    joined = run(lambda: join_exec(args))
    if joined is None:
        return
    parsed = run(lambda: split_exec(joined))
    if args[0].text == "":
        return  # an empty program is refused by split_exec, as a desktop would
    assert parsed == args


@FUZZ
@given(DESKTOP, TEXT)
def test_every_launcher_exec_runs_through_envman(text: str, env: str) -> None:
    desktop = run(lambda: parse(text))
    if desktop is None:
        return
    launcher = run(
        lambda: exported_entry(
            desktop, env=env, app_id="x.desktop", launcher=SHIM, icons={}, label=True
        )
    )
    if launcher is None:
        return
    for group in launcher.groups:
        for entry in group.entries():
            assert entry.base_key != "Exec" or entry.key == "Exec", entry.key
            if entry.key == "Exec":
                words = [a.text for a in split_exec(entry.value)[:4]]
                assert words == [*SHIM, "run", env, "--"]
