"""Property-based fuzzing of the bridge's readers: manifests (rewrite, reconcile) and rule files.

Whatever a file holds, the bridge answers with a status or an envman error: any other exception,
any example slower than 2 s (hypothesis' deadline) or any write outside the example's temporary
directory fails. A few seconds by default; ENVMAN_FUZZ=long runs many more examples.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from envman.bridge.load import Expander, RuleFile, load_rules
from envman.bridge.presets import PRESETS, flatpak_bad_values
from envman.bridge.reconcile import BridgeEnv, Reconciler
from envman.bridge.rewrite import rewrite
from envman.bridge.rules import Locator
from envman.errors import EnvmanError
from envman.ops import bridge as ops
from envman.paths import Paths
from tests.bridge.conftest import DATA

_COMMON = {
    "deadline": timedelta(seconds=2),
    "database": None,  # nothing written into the repository
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "derandomize": False,
}
settings.register_profile("envman-fuzz", max_examples=60, **_COMMON)
settings.register_profile("envman-fuzz-long", max_examples=3000, **_COMMON)
FUZZ = settings.get_profile(
    "envman-fuzz-long" if os.environ.get("ENVMAN_FUZZ") == "long" else "envman-fuzz"
)

STATUSES = {"rewrite", "ok", "custom", "missing", "malformed"}
KPXC_BAD = flatpak_bad_values("org.keepassxc.KeePassXC", "keepassxc-proxy")
WRAPPER = "/var/home/ada/.local/share/envman/bridge/bin/org.keepassxc.KeePassXC.keepassxc-proxy"
SAMPLES = [
    (DATA / name).read_text(encoding="utf-8")
    for name in (
        "keepassxc-firefox.json",
        "keepassxc-chromium-flathub.json",
        "1password-firefox.json",
        "bitwarden-chrome-compact.json",
        "keepassxc.desktop",
        "gpg-agent.conf",
    )
]

# --- content ---------------------------------------------------------------------------------

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["/app/bin/keepassxc-proxy", WRAPPER, "/usr/bin/keepassxc-proxy"])
)
_json_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["path", "name", "type", "a", "0", "~", "/"]), inner)
    ),
    max_leaves=20,
)


@st.composite
def _json_texts(draw: st.DrawFn) -> str:
    doc = draw(st.dictionaries(st.sampled_from(["path", "name", "type", "x"]), _json_values))
    indent = draw(st.sampled_from([None, 2, 4, "\t"]))
    text = json.dumps(doc, indent=indent, ensure_ascii=draw(st.booleans()))
    return text + draw(st.sampled_from(["", "\n", "\r\n"]))


@st.composite
def _nested(draw: st.DrawFn) -> str:
    depth = draw(st.sampled_from([63, 64, 65, 1000, 3000]) | st.integers(50, 5000))
    opener = draw(st.sampled_from(["[", '{"a":', '{"path": [']))
    closer = {"[": "]", '{"a":': "}", '{"path": [': "]}"}[opener]
    inner = draw(st.sampled_from(["", "1", '"/app/bin/keepassxc-proxy"']))
    return opener * depth + inner + closer * draw(st.integers(min_value=0, max_value=depth))


@st.composite
def _mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SAMPLES))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        start = draw(st.integers(min_value=0, max_value=len(text)))
        end = draw(st.integers(min_value=start, max_value=min(len(text), start + 20)))
        text = text[:start] + draw(st.text(max_size=8)) + text[end:]
    return text


_ini_lines = st.sampled_from(
    [
        "[Desktop Entry]",
        "[Other]",
        "[Desktop Entry",
        "Exec=/app/bin/keepassxc %f",
        "Exec=/usr/bin/keepassxc",
        "Exec = /app/bin/keepassxc ",
        "Exec",
        "=x",
        "# comment",
        "pinentry-program /app/bin/pinentry-gnome3",
        "pinentry-program",
        "",
    ]
) | st.text(max_size=30)
_ini_texts = st.lists(_ini_lines, max_size=12).map(lambda lines: "\n".join(lines) + "\n")

CONTENTS = (
    st.binary(max_size=3000)
    | st.text(max_size=500).map(str.encode)
    | _json_texts().map(str.encode)
    | _nested().map(str.encode)
    | _mutated().map(str.encode)
    | _ini_texts.map(str.encode)
)

LOCATORS = st.sampled_from(
    [
        Locator("json", "/path"),
        Locator("json", "/a/0"),
        Locator("json", "/~0/~1"),
        Locator("json", "/path/0/path"),
        Locator("ini", "Exec", "Desktop Entry"),
        Locator("regex", r"^pinentry-program\s+(\S+)$"),
        Locator("regex", r"(?:^|,)path=([^,\n]*)"),
    ]
) | st.text(max_size=12).map(lambda t: Locator("json", "/" + t))
PATTERNS = st.sampled_from(
    [KPXC_BAD, "/app/bin/keepassxc-proxy", r"(/app/bin/keepassxc)( .*)?", "/app/bin/.*", ".*"]
)
REPLACEMENTS = st.sampled_from([WRAPPER, "/usr/bin/keepassxc", "/opt/a b/é"])


DEEP = b'{"path": ' + b"[" * 1000 + b"]" * 1000 + b"}\n"  # once a RecursionError


@FUZZ
@given(content=CONTENTS, locator=LOCATORS, match=PATTERNS, replacement=REPLACEMENTS)
@example(content=DEEP, locator=Locator("json", "/path"), match=KPXC_BAD, replacement=WRAPPER)
def test_rewrite_answers_every_content_with_a_status(
    content: bytes, locator: Locator, match: str, replacement: str
) -> None:
    out = rewrite(content, locator, re.compile(match), replacement)
    assert out.status in STATUSES
    assert (out.content is not None) == (out.status == "rewrite")
    if out.content is not None:
        # The result is a fixpoint: the bridge never fights itself.
        again = rewrite(out.content, locator, re.compile(match), replacement)
        assert again.status == "ok", (out.content, again)


# --- writes ----------------------------------------------------------------------------------

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _where(path: Any, dir_fd: int | None) -> Path:
    """The absolute path a call names: relative to DIR_FD (or the cwd) when not absolute."""
    if isinstance(path, int):
        return Path(os.readlink(f"/proc/self/fd/{path}"))
    name = Path(os.fsdecode(path))
    if name.is_absolute():
        return name
    base = os.readlink(f"/proc/self/fd/{dir_fd}") if dir_fd is not None else os.getcwd()
    return Path(base) / name


@contextlib.contextmanager
def writes_only_below(root: Path) -> Iterator[list[Path]]:
    """Fail on any write outside ROOT (by os.open, mkdir, replace, rename, unlink, open)."""
    real_root = Path(os.path.realpath(root))
    outside: list[Path] = []
    originals = {name: getattr(os, name) for name in ("mkdir", "replace", "rename", "unlink")}
    real_open, real_builtin_open = os.open, builtins.open

    def check(path: Any, dir_fd: int | None = None) -> None:
        where = _where(path, dir_fd)
        real = Path(os.path.realpath(where))  # a symlink is judged by where it leads
        if real != real_root and real_root not in real.parents:
            outside.append(where)
            raise AssertionError(f"write outside the temporary directory: {where}")

    def guarded_open(path: Any, flags: int, *args: Any, dir_fd: int | None = None) -> int:
        if flags & _WRITE_FLAGS:
            check(path, dir_fd)
        return real_open(path, flags, *args, dir_fd=dir_fd)

    def guarded_builtin_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if not isinstance(file, int) and any(c in mode for c in "wax+"):
            check(file)
        return real_builtin_open(file, mode, *args, **kwargs)

    def guard(name: str) -> Any:
        paths = 2 if name in ("replace", "rename") else 1  # mkdir's second argument is its mode

        def call(*args: Any, **kwargs: Any) -> Any:
            fds = [kwargs.get("dir_fd"), kwargs.get("src_dir_fd"), kwargs.get("dst_dir_fd")]
            for i, path in enumerate(args[:paths]):
                check(path, fds[0] if fds[0] is not None else fds[1 + i])
            return originals[name](*args, **kwargs)

        return call

    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch("os.open", guarded_open))
        stack.enter_context(mock.patch("builtins.open", guarded_builtin_open))
        stack.enter_context(mock.patch("io.open", guarded_builtin_open))  # what pathlib calls
        for name in originals:
            stack.enter_context(mock.patch(f"os.{name}", guard(name)))
        yield outside
    assert outside == []


# --- reconcile on real files -----------------------------------------------------------------

RULES = """\
rules:
  - id: in-place
    dir: ~/nmh
    glob: "*.json"
    json: /path
    match: /app/bin/keepassxc-proxy
    replace: {flatpak: org.keepassxc.KeePassXC, command: keepassxc-proxy}
  - id: mirror
    dir: ~/nmh
    glob: "*.json"
    json: /path
    match: /usr/bin/keepassxc-proxy
    replace: {host: /usr/bin/keepassxc-proxy, consumer: org.mozilla.firefox}
    mirror: ~/.var/app/org.mozilla.firefox/.mozilla/native-messaging-hosts
  - id: desktop
    dir: ~/apps
    glob: "*.desktop"
    ini: {section: Desktop Entry, key: Exec}
    match: (/app/bin/keepassxc)( .*)?
    replace: /usr/bin/keepassxc
"""


def _paths(home: Path) -> Paths:
    return Paths.from_env({"HOME": str(home), "XDG_RUNTIME_DIR": str(home / "run")})


@FUZZ
@given(
    source=CONTENTS,
    copy=st.none() | CONTENTS,
    desktop=CONTENTS,
    dry_run=st.booleans(),
)
@example(source=DEEP, copy=DEEP, desktop=DEEP, dry_run=False)
def test_reconcile_answers_every_file_with_an_action_and_writes_only_in_its_home(
    source: bytes, copy: bytes | None, desktop: bytes, dry_run: bool
) -> None:
    with tempfile.TemporaryDirectory() as temp:
        home = Path(temp)
        (home / ".var/app/org.mozilla.firefox/.mozilla/native-messaging-hosts").mkdir(parents=True)
        (home / "nmh").mkdir()
        (home / "apps").mkdir()
        (home / "nmh/org.keepassxc.keepassxc_browser.json").write_bytes(source)
        (home / "apps/org.keepassxc.KeePassXC.desktop").write_bytes(desktop)
        if copy is not None:
            mirror = home / ".var/app/org.mozilla.firefox/.mozilla/native-messaging-hosts"
            (mirror / "org.keepassxc.keepassxc_browser.json").write_bytes(copy)
        rules_file = home / "bridge.yaml"
        rules_file.write_text(RULES, encoding="utf-8")
        paths = _paths(home)
        rules = load_rules([RuleFile("user", rules_file)], ops.expander(paths))
        env: BridgeEnv = ops.bridge_env(paths)
        with writes_only_below(home):
            actions = Reconciler(rules, env, dry_run=dry_run).everything()
        assert actions
        for action in actions:
            assert "internal error" not in action.detail, action
            assert not (dry_run and action.done), action


# --- rule files ------------------------------------------------------------------------------

_fields = {
    "id": st.sampled_from(["a", "b", "Bad Id", ""]) | st.text(max_size=8),
    "dir": st.sampled_from(["~/x", "/etc", "$HOME/y", "$XDG_RUNTIME_DIR/z", "rel", "~/../x"]),
    "glob": st.sampled_from(["*.json", "a/b", "", "*"]),
    "json": st.sampled_from(["/path", "path", ""]),
    "ini": st.fixed_dictionaries({"section": st.text(max_size=6), "key": st.text(max_size=6)}),
    "regex": st.sampled_from([r"path=(\S+)", "(a)(b)", "(", "a{99999999999}", "(" * 400]),
    "match": st.sampled_from(["/app/bin/x", "(", "a{4294967296}", "(" * 2000 + ")" * 2000]),
    "replace": st.sampled_from(["/usr/bin/x", "x"])
    | st.fixed_dictionaries(
        {},
        optional={
            "flatpak": st.sampled_from(["org.keepassxc.KeePassXC", "bad"]),
            "command": st.sampled_from(["keepassxc-proxy", "a b"]),
            "host": st.sampled_from(["/usr/bin/x", "x"]),
            "consumer": st.sampled_from(["host", "org.mozilla.firefox", "bad id"]),
        },
    ),
    "mirror": st.sampled_from(["~/m", "~/x", "/tmp/m"]),
    "requires": st.sampled_from(["~/r", "/"]),
    "enabled": st.sampled_from([True, False, "maybe"]),
}
_rule = st.fixed_dictionaries({}, optional=_fields) | _json_values
_documents = (
    st.fixed_dictionaries(
        {},
        optional={
            "presets": st.lists(st.sampled_from([*sorted(PRESETS)[:3], "nope"]), max_size=3)
            | _json_values,
            "rules": st.lists(_rule, max_size=3) | _json_values,
            "other": _json_values,
        },
    )
    | _json_values
)


@st.composite
def _rule_texts(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["yaml", "mutated", "text", "nested"]))
    if kind == "text":
        return draw(st.text(max_size=400))
    if kind == "nested":
        depth = draw(st.integers(min_value=50, max_value=3000))
        form = draw(st.sampled_from(["rules: " + "[" * depth, "rules:\n  " + "- " * depth]))
        return form + "\n"
    text = yaml.safe_dump(draw(_documents), default_flow_style=draw(st.booleans()))
    if kind == "mutated":
        start = draw(st.integers(min_value=0, max_value=len(text)))
        text = text[:start] + draw(st.text(max_size=10)) + text[start + draw(st.integers(0, 5)) :]
    return text


@FUZZ
@given(text=_rule_texts())
@example(text="rules: " + "[" * 3000 + "\n")  # once seconds in PyYAML's scanner
@example(text="rules:\n  - id: a\n    dir: " + "[" * 1000 + "]" * 1000 + "\n")  # RecursionError
@example(text="rules:\n  - id: a\n    match: 'a{4294967296}'\n")  # OverflowError
def test_rule_files_load_or_fail_with_an_envman_error(text: str) -> None:
    with tempfile.TemporaryDirectory() as temp:
        home = Path(temp)
        path = home / "bridge.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        expand = Expander(home, home / ".config", home / ".local/share", home / "run")
        with writes_only_below(home):
            try:
                load_rules([RuleFile("user", path)], expand)
            except EnvmanError as exc:
                assert str(path) in exc.message, exc.message


def test_the_write_guard_catches_writes_outside(tmp_path: Path) -> None:
    """The guard itself: a write outside its directory fails (else the fuzz tests prove little)."""
    inside = tmp_path / "inside"
    inside.mkdir()
    with pytest.raises(AssertionError, match="outside the temporary directory"):  # noqa: SIM117
        with writes_only_below(inside):
            (tmp_path / "escaped").write_text("x")
    assert not (tmp_path / "escaped").exists()
