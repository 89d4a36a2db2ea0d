"""bridge.yaml loading: the rule format, precedence between sources, and errors naming file:line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from envman.bridge.load import Expander, RuleFile, load_rules
from envman.bridge.presets import PRESETS
from envman.bridge.rules import FlatpakCommand, HostCommand, LiteralPath, Locator
from envman.errors import BridgeError, ExitCode
from envman.ops import bridge as ops
from tests.bridge.conftest import context, without_hanging

HOME = Path("/var/home/ada")
EXPAND = Expander(HOME, HOME / ".config", HOME / ".local/share")

GOOD = """\
rules:
  - id: kpxc-host
    dir: ~/.mozilla/native-messaging-hosts
    glob: "*.json"
    json: /path
    match: /app/bin/keepassxc-proxy
    replace:
      flatpak: org.keepassxc.KeePassXC
      command: keepassxc-proxy
  - id: desktop
    dir: $XDG_DATA_HOME/applications
    glob: org.keepassxc.KeePassXC.desktop
    ini: {section: Desktop Entry, key: Exec}
    match: (/app/bin/keepassxc)( .*)?
    replace: /usr/bin/keepassxc
  - id: pinentry
    dir: ${HOME}/.gnupg
    glob: gpg-agent.conf
    regex: '^pinentry-program\\s+(\\S+)$'
    match: /app/bin/.*
    replace: {host: /usr/bin/pinentry, consumer: org.example.Editor}
    mirror: ~/.var/app/org.example.Editor/.gnupg
    requires: ~/.var/app/org.example.Editor
"""


def load(tmp_path: Path, *texts: str) -> list[RuleFile]:
    files = []
    for i, text in enumerate(texts):
        path = tmp_path / f"rules{i}.yaml"
        path.write_text(text, encoding="utf-8")
        files.append(RuleFile(f"source{i}", path))
    return files


def test_the_three_formats_and_replacements(tmp_path: Path) -> None:
    rules = load_rules(load(tmp_path, GOOD), EXPAND).rules
    assert [r.id for r in rules] == ["kpxc-host", "desktop", "pinentry"]
    kpxc, desktop, pinentry = rules
    assert kpxc.dir == HOME / ".mozilla/native-messaging-hosts"
    assert kpxc.locator == Locator("json", "/path")
    assert kpxc.replace == FlatpakCommand("org.keepassxc.KeePassXC", "keepassxc-proxy", "host")
    assert desktop.dir == HOME / ".local/share/applications"
    assert desktop.locator == Locator("ini", "Exec", "Desktop Entry")
    assert desktop.replace == LiteralPath("/usr/bin/keepassxc")
    assert pinentry.locator.format == "regex"
    assert pinentry.replace == HostCommand("/usr/bin/pinentry", "org.example.Editor")
    assert pinentry.mirror == HOME / ".var/app/org.example.Editor/.gnupg"
    assert pinentry.requires == HOME / ".var/app/org.example.Editor"
    assert str(kpxc.source) == f"source0 ({tmp_path / 'rules0.yaml'}:2)"
    assert pinentry.source.line == 16


def test_later_sources_override_by_id_and_can_disable(tmp_path: Path) -> None:
    team = GOOD
    user = (
        "rules:\n  - id: desktop\n    enabled: false\n"
        "  - id: kpxc-host\n    dir: ~/x\n    glob: a.json\n    json: /path\n"
        "    match: /app/bin/x\n    replace: /usr/bin/x\n"
    )
    ruleset = load_rules(load(tmp_path, team, user), EXPAND)
    assert [r.id for r in ruleset.rules] == ["pinentry", "kpxc-host"]
    assert ruleset.rules[1].source.label == "source1"
    overridden = {(r.id, by.label) for r, by in ruleset.overridden}
    assert overridden == {("desktop", "source1"), ("kpxc-host", "source1")}


def test_presets_expand_with_their_origin(tmp_path: Path) -> None:
    ruleset = load_rules(load(tmp_path, "presets:\n  - keepassxc-firefox\n"), EXPAND)
    ids = [r.id for r in ruleset.rules]
    assert ids == [
        "keepassxc-firefox.flatpak-app-host-browser",
        "keepassxc-firefox.flatpak-app-flatpak-browser",
        "keepassxc-firefox.flatpak-app-flatpak-browser-dir",
        "keepassxc-firefox.host-app-flatpak-browser",
        "keepassxc-firefox.host-app-flatpak-browser-dir",
    ]
    assert {r.source.label for r in ruleset.rules} == {"preset keepassxc-firefox"}
    assert {r.source.line for r in ruleset.rules} == {2}
    mirror = ruleset.rules[1]
    assert mirror.mirror == HOME / ".var/app/org.mozilla.firefox/.mozilla/native-messaging-hosts"
    assert mirror.requires == HOME / ".var/app/org.mozilla.firefox"


def test_every_preset_loads(tmp_path: Path) -> None:
    text = "presets:\n" + "".join(f"  - {name}\n" for name in PRESETS)
    rules = load_rules(load(tmp_path, text), EXPAND).rules
    assert {
        "keepassxc-chromium",
        "keepassxc-chrome",
        "keepassxc-brave",
        "1password-firefox",
    } <= set(PRESETS)
    assert len({r.id for r in rules}) == len(rules)
    for rule in rules:
        assert rule.pattern.fullmatch("") is None  # no preset rewrites an empty value


BASE = {"id": "a", "dir": "~/x", "glob": "'*'", "json": "/p", "match": "a", "replace": "/x"}


def one_rule(**fields: str | None) -> str:
    """A bridge.yaml with one rule: BASE with FIELDS changed (None drops a key); lines 2-7."""
    body = {**BASE, **fields}
    return "rules:\n  - " + "\n    ".join(f"{k}: {v}" for k, v in body.items() if v) + "\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rulez: []\n", "rules0.yaml:1: rulez: unknown key"),
        (
            "presets: [keepassxc-firefx]\n",
            "rules0.yaml:1: presets[0]: unknown preset 'keepassxc-firefx'",
        ),
        (one_rule(match=None), "rules0.yaml:2: rules[0].match: is required"),
        (one_rule(dir="x"), "rules0.yaml:3: rules[0].dir: 'x' is not an absolute path"),
        (one_rule(dir="$EVIL/x"), "rules0.yaml:3: rules[0].dir: $EVIL is not expanded here"),
        (
            one_rule(dir="~/../x"),
            "rules0.yaml:3: rules[0].dir: '/var/home/ada/../x' may not contain",
        ),
        (one_rule(glob="a/b"), "rules0.yaml:4: rules[0].glob: 'a/b' is not a file-name pattern"),
        (
            one_rule(match="'(a'"),
            "rules0.yaml:6: rules[0].match: is not a valid regular expression",
        ),
        (
            one_rule(match="'a{4294967296}'"),
            "rules0.yaml:6: rules[0].match: is not a valid regular expression",
        ),
        (
            one_rule(match="'" + "(" * 1000 + ")" * 1000 + "'"),
            "rules0.yaml:6: rules[0].match: is a regular expression nested too deeply",
        ),
        (
            one_rule(json=None, regex=r"'path=\S+'"),
            "rules0.yaml:7: rules[0].regex: needs exactly 1",
        ),
        (
            one_rule(ini="{section: s, key: k}"),
            "rules0.yaml:2: rules[0]: needs exactly one of json, ini",
        ),
        (one_rule(json="path"), "rules0.yaml:5: rules[0].json: 'path' is not a JSON Pointer"),
        (
            one_rule(replace="{flatpak: keepassxc, command: proxy}"),
            "rules0.yaml:7: rules[0].replace.flatpak: 'keepassxc' is not a Flatpak app ID",
        ),
        (
            one_rule(replace="{host: /usr/bin/x}"),
            "rules0.yaml:7: rules[0].replace.consumer: a host program for a host consumer",
        ),
        (one_rule(replace="{wraper: x}"), "rules0.yaml:7: rules[0].replace.wraper: unknown key"),
        (one_rule(mirror="~/x"), "rules0.yaml:8: rules[0].mirror: is the watched directory itself"),
        ("rules:\n  - id: Bad Id\n", "rules0.yaml:2: rules[0].id: 'Bad Id' is not a rule id"),
        (
            "rules:\n  - id: a\n    enabled: false\n  - id: a\n    enabled: false\n",
            "rules0.yaml:4: rules[1].id: rule 'a' is already defined on line 2",
        ),
        (
            "rules:\n  - id: a\n    dir: ~/x\n    dir: ~/y\n",
            "rules0.yaml:4: key 'dir' repeats the one on line 3",
        ),
        (
            "rules:\n  - id: a\n    enabled: maybe\n",
            "rules0.yaml:3: rules[0].enabled: must be true or false",
        ),
    ],
)
def test_errors_name_file_line_and_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(BridgeError) as caught:
        load_rules(load(tmp_path, text), EXPAND)
    assert message in caught.value.message
    assert str(tmp_path) in caught.value.message
    assert caught.value.exit_code == ExitCode.BRIDGE_FAILED


def test_unknown_preset_gets_a_suggestion(tmp_path: Path) -> None:
    with pytest.raises(BridgeError) as caught:
        load_rules(load(tmp_path, "presets: [keepassxc-firefx]\n"), EXPAND)
    assert caught.value.hint == "did you mean 'keepassxc-firefox'?"


def test_missing_files_are_no_rules(tmp_path: Path) -> None:
    ruleset = load_rules([RuleFile("user", tmp_path / "absent.yaml")], EXPAND)
    assert ruleset.rules == ()


def test_a_fifo_among_the_rule_files_is_an_error_not_a_hang(home: Path) -> None:
    drop_in = home / ".config/envman/bridge.d"
    drop_in.mkdir(parents=True)
    (drop_in / "a.yaml").write_text("presets: [keepassxc-firefox]\n")
    os.mkfifo(drop_in / "b.yaml")
    with pytest.raises(BridgeError) as caught:
        without_hanging(lambda: ops.load(context()), drop_in / "b.yaml")
    assert caught.value.message == f"{drop_in / 'b.yaml'} is a FIFO, not a regular file"
    assert caught.value.exit_code == ExitCode.BRIDGE_FAILED


def test_a_rule_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    text = "rules: []\n" + "# padding\n" * 7_000
    with pytest.raises(BridgeError) as caught:
        load_rules(load(tmp_path, text), EXPAND)
    assert caught.value.message.startswith(f"{tmp_path / 'rules0.yaml'} is larger than 64 KiB")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("rules:\n  - id: a\n    dir: " + "[" * 1000 + "]" * 1000 + "\n", 3),
        ("presets: []\nrules:\n  " + "- " * 800 + "a\n", 3),
        ("presets: " + "{a: " * 800 + "b" + "}" * 800 + "\n", 1),
    ],
)
def test_deeply_nested_rule_files_are_an_error_naming_the_line(
    tmp_path: Path, text: str, line: int
) -> None:
    with pytest.raises(BridgeError) as caught:
        load_rules(load(tmp_path, text), EXPAND)
    assert (
        caught.value.message == f"{tmp_path / 'rules0.yaml'}:{line}: nested too deeply to be read"
    )
    assert caught.value.exit_code == ExitCode.BRIDGE_FAILED


def test_rule_files_that_are_not_utf8_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_bytes(b"rules:\n  - id: \xff\n")
    with pytest.raises(BridgeError) as caught:
        load_rules([RuleFile("user", path)], EXPAND)
    assert caught.value.message == f"{path}:2: not UTF-8 text"


@pytest.mark.parametrize(
    ("fields", "line", "shown"),
    [
        ({"dir": "/etc"}, 3, "dir: '/etc'"),
        ({"dir": "/"}, 3, "dir: '/'"),
        ({"dir": "/var/home/adam/x"}, 3, "dir: '/var/home/adam/x'"),
        ({"dir": "$XDG_CONFIG_HOME/x", "mirror": "/tmp/x"}, 8, "mirror: '/tmp/x'"),
    ],
)
def test_rules_outside_the_home_and_runtime_dir_are_refused(
    tmp_path: Path, fields: dict[str, str], line: int, shown: str
) -> None:
    with pytest.raises(BridgeError) as caught:
        load_rules(load(tmp_path, one_rule(**fields)), EXPAND)
    expected = f"rules0.yaml:{line}: rules[0].{shown} is outside your home and runtime directory"
    assert expected in caught.value.message
    assert caught.value.hint == "the bridge only changes your own files, below /var/home/ada"


def test_rules_in_the_runtime_dir_are_accepted(tmp_path: Path) -> None:
    expand = Expander(HOME, HOME / ".config", HOME / ".local/share", Path("/run/user/1000"))
    text = one_rule(dir="$XDG_RUNTIME_DIR/app", mirror="/run/user/1000/app/copy")
    [rule] = load_rules(load(tmp_path, text), expand).rules
    assert (rule.dir, rule.mirror) == (Path("/run/user/1000/app"), Path("/run/user/1000/app/copy"))


def test_an_error_quoting_a_huge_value_stays_one_short_line(tmp_path: Path) -> None:
    text = one_rule(dir="[" + "x, " * 10_000 + "y]")
    with pytest.raises(BridgeError) as caught:
        load_rules(load(tmp_path, text), EXPAND)
    message = caught.value.message
    assert message.startswith(f"{tmp_path / 'rules0.yaml'}:3: rules[0].dir: must be a string")
    assert len(message) <= 400
    assert "\n" not in message
