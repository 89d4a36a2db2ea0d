"""`envman bridge` through typer's CliRunner: output, --json, and errors as EnvmanError."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from envman.cli.bridge import app
from envman.errors import BridgeError, ExitCode
from tests.bridge.conftest import manifest, without_hanging, write_rules

NAME = "org.keepassxc.keepassxc_browser.json"
runner = CliRunner()


@pytest.fixture
def kpxc(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The keepassxc-firefox preset, a sandbox-path manifest, and no systemd user manager."""
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(home / "no-runtime"))
    write_rules(home, "presets: [keepassxc-firefox]\n")
    target = home / ".mozilla/native-messaging-hosts" / NAME
    target.parent.mkdir(parents=True)
    target.write_text(manifest("keepassxc-firefox.json"))
    return target


def test_rules_show_where_each_rule_comes_from(home: Path, kpxc: Path) -> None:
    result = runner.invoke(app, ["rules"])
    assert result.exit_code == 0, result.output
    rules_file = home / ".config/envman/bridge.yaml"
    assert (
        f"keepassxc-firefox.flatpak-app-host-browser  [preset keepassxc-firefox ({rules_file}:1)]"
        in result.output
    )
    assert (
        "(inactive)" in result.output
    )  # the Flatpak-browser rules: no ~/.var/app/org.mozilla.firefox
    data = json.loads(runner.invoke(app, ["rules", "--json"]).output)
    assert data["rules"][0]["id"] == "keepassxc-firefox.flatpak-app-host-browser"
    assert data["rules"][0]["source"] == f"preset keepassxc-firefox ({rules_file}:1)"
    assert data["files"] == [str(rules_file)]


def test_rules_presets() -> None:
    result = runner.invoke(app, ["rules", "--presets"])
    assert result.exit_code == 0
    assert "keepassxc-brave" in result.output
    assert "1password-chrome" in json.loads(
        runner.invoke(app, ["rules", "--presets", "--json"]).output
    )


def test_once_dry_run_shows_the_diff_and_writes_nothing(kpxc: Path) -> None:
    result = runner.invoke(app, ["once", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert '-    "path": "/app/bin/keepassxc-proxy",' in result.output
    assert "would change 1 file(s)" in result.output
    assert kpxc.read_text() == manifest("keepassxc-firefox.json")


def test_once_writes_then_is_a_no_op(kpxc: Path) -> None:
    first = json.loads(runner.invoke(app, ["once", "--json"]).output)
    assert [(a["status"], a["done"]) for a in first["actions"] if a["status"] == "rewrite"] == [
        ("rewrite", True)
    ]
    second = runner.invoke(app, ["once"])
    assert "changed 0 file(s)" in second.output
    assert json.loads(kpxc.read_text())["path"].endswith(
        "/bridge/bin/org.keepassxc.KeePassXC.keepassxc-proxy"
    )


def test_bad_rules_are_an_envman_error_with_file_and_line(home: Path) -> None:
    write_rules(
        home,
        "rules:\n  - id: x\n    dir: ~/x\n    glob: '*'\n    json: /p\n    match: '['\n"
        "    replace: /x\n",
    )
    result = runner.invoke(app, ["once"])
    assert isinstance(result.exception, BridgeError)
    assert result.exception.exit_code == ExitCode.BRIDGE_FAILED
    assert (
        f"{home}/.config/envman/bridge.yaml:6: rules[0].match: is not a valid regular expression"
        in result.exception.message
    )


def test_install_without_a_user_manager_fails_plainly(home: Path, kpxc: Path) -> None:
    result = runner.invoke(app, ["install", "--preset", "keepassxc-firefox", "--print"])
    assert isinstance(result.exception, BridgeError)
    assert "systemctl --user daemon-reload failed" in result.exception.message
    assert result.exception.hint and "envman bridge run" in result.exception.hint


def test_install_unknown_preset(kpxc: Path) -> None:
    result = runner.invoke(app, ["install", "--preset", "keepassxc-firefx"])
    assert isinstance(result.exception, BridgeError)
    assert result.exception.hint == "did you mean 'keepassxc-firefox'?"


def test_status_without_a_user_manager(kpxc: Path) -> None:
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 1, result.output  # a problem: exit 1, as its --help says
    assert "not installed" in result.output
    assert "problem: the systemd user manager did not answer" in result.output
    as_json = runner.invoke(app, ["status", "--json"])
    assert as_json.exit_code == 1
    data = json.loads(as_json.output)
    assert data["apps"] == {"org.keepassxc.KeePassXC keepassxc-proxy": "not installed"}
    assert data["permissions"][0]["consumer"] == "org.mozilla.firefox"


def test_uninstall_when_not_installed(kpxc: Path) -> None:
    result = runner.invoke(app, ["uninstall"])
    assert result.exit_code == 0
    assert "nothing to do" in result.output


def test_a_deeply_nested_manifest_is_malformed_and_the_other_files_still_bridged(
    home: Path,
) -> None:
    write_rules(
        home,
        "rules:\n  - id: kpxc\n    dir: ~/nmh\n    glob: '*.json'\n    json: /path\n"
        "    match: /app/bin/keepassxc-proxy\n    replace: /opt/keepassxc-proxy\n",
    )
    nmh = home / "nmh"
    nmh.mkdir()
    (nmh / "a-deep.json").write_text('{"path": ' + "[" * 1000 + "]" * 1000 + "}\n")
    (nmh / "b-good.json").write_text(manifest("keepassxc-firefox.json"))
    result = runner.invoke(app, ["once"])
    assert result.exit_code == 0, result.output
    assert f"malformed  kpxc  {nmh / 'a-deep.json'}  nested deeper than 64 levels" in result.output
    assert json.loads((nmh / "b-good.json").read_text())["path"] == "/opt/keepassxc-proxy"


def test_status_with_a_fifo_for_a_flatpak_override_does_not_hang(home: Path, kpxc: Path) -> None:
    overrides = home / ".local/share/flatpak/overrides"
    overrides.mkdir(parents=True)
    os.mkfifo(overrides / "org.mozilla.firefox")
    result = without_hanging(
        lambda: runner.invoke(app, ["status", "--json"]), overrides / "org.mozilla.firefox"
    )
    assert result.exit_code == 1, result.output  # the user manager did not answer: a problem
    assert json.loads(result.output)["permissions"][0]["state"].startswith("needed")


def test_a_rule_on_a_system_file_is_refused(home: Path) -> None:
    rules = write_rules(
        home,
        "rules:\n  - id: passwd\n    dir: /etc\n    glob: passwd\n    regex: '^root:.*:(/.*)$'\n"
        "    match: /.*\n    replace: /tmp/x\n",
    )
    before = Path("/etc/passwd").read_bytes()
    result = runner.invoke(app, ["once", "--dry-run"])
    assert isinstance(result.exception, BridgeError)
    assert result.exception.exit_code == ExitCode.BRIDGE_FAILED
    assert result.exception.message == (
        f"{rules}:3: rules[0].dir: '/etc' is outside your home and runtime directory"
    )
    assert Path("/etc/passwd").read_bytes() == before
