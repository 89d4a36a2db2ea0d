"""The unit under a real systemd user manager: install (enable + start), rewrite, crash, restart.

systemd is not PID 1 here, so the test runs a private `systemd --user` in its own mount namespace
(tests/systemd_user.py); `systemctl --user` reaches it through $XDG_RUNTIME_DIR.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from envman.bridge.unit import UNIT_NAME
from envman.cli.bridge import app
from tests import systemd_user
from tests.bridge.conftest import have, manifest, need, wait_until, write_rules
from tests.bridge.flatpak_apps import FIREFOX, KPXC, install_apps

NAME = "org.keepassxc.keepassxc_browser.json"
runner = CliRunner()


def show(env: dict[str, str], *props: str) -> dict[str, str]:
    done = subprocess.run(
        ["systemctl", "--user", "show", "-p", ",".join(props), UNIT_NAME],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)


@pytest.fixture(scope="module")
def manager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A running user manager for a temp HOME; its environment for systemctl."""
    need(
        os.geteuid() == 0 and systemd_user.available() and have("systemd-analyze"),
        "root, unshare and systemd (for a private user manager)",
    )
    base = tmp_path_factory.mktemp("systemd")
    with systemd_user.user_manager(base, os.environ.get("PATH", "/usr/bin:/bin")) as env:
        yield env


def path_of(target: Path) -> str | None:
    try:
        return str(json.loads(target.read_text())["path"])
    except (OSError, ValueError, KeyError):
        return None


def use(manager: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point this process (and so the CLI) at the private manager's user; its HOME."""
    for key, value in manager.items():
        monkeypatch.setenv(key, value)
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "DBUS_SESSION_BUS_ADDRESS"):
        monkeypatch.delenv(var, raising=False)
    return Path(manager["HOME"])


def test_install_run_crash_restart_uninstall(
    manager: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = use(manager, monkeypatch)
    write_rules(home, "rules: []\n")
    target = home / ".mozilla/native-messaging-hosts" / NAME
    target.parent.mkdir(parents=True)
    target.write_text(manifest("keepassxc-firefox.json"))
    wrapper = home / ".local/share/envman/bridge/bin/org.keepassxc.KeePassXC.keepassxc-proxy"

    result = runner.invoke(app, ["install", "--preset", "keepassxc-firefox", "--print"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "permission for org.mozilla.firefox: needed: not applied" in result.output
    assert (
        "flatpak override --user --talk-name=org.freedesktop.Flatpak org.mozilla.firefox"
        in result.output
    )
    unit = home / ".config/systemd/user" / UNIT_NAME
    assert (home / ".config/systemd/user/default.target.wants" / UNIT_NAME).is_symlink()
    verify = subprocess.run(
        ["systemd-analyze", "--user", "verify", str(unit)],
        env=manager,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (verify.returncode, verify.stdout, verify.stderr) == (0, "", "")

    state = show(
        manager, "ActiveState", "SubState", "UnitFileState", "StatusText", "MainPID", "NRestarts"
    )
    assert (state["ActiveState"], state["SubState"], state["UnitFileState"]) == (
        "active",
        "running",
        "enabled",
    )
    assert state["StatusText"].startswith("5 rules, 1 directories watched")
    # Type=notify: "active" only after READY=1, which comes after the first reconcile.
    assert path_of(target) == str(wrapper)

    target.write_text(manifest("keepassxc-firefox.json"))  # KeePassXC starts again
    wait_until(lambda: path_of(target) == str(wrapper), what="the running unit's rewrite")

    first_pid = int(state["MainPID"])
    os.kill(first_pid, signal.SIGKILL)
    wait_until(lambda: show(manager, "NRestarts")["NRestarts"] == "1", timeout=15, what="a restart")
    wait_until(
        lambda: show(manager, "ActiveState")["ActiveState"] == "active", timeout=15, what="active"
    )
    assert int(show(manager, "MainPID")["MainPID"]) not in (0, first_pid)
    target.write_text(manifest("keepassxc-firefox.json"))
    wait_until(lambda: path_of(target) == str(wrapper), what="the restarted daemon's rewrite")

    status = runner.invoke(app, ["status", "--json"])
    data = json.loads(status.output)
    assert data["installed"] is True
    assert data["service"]["ActiveState"] == "active"
    assert data["service"]["NRestarts"] == "1"

    removed = runner.invoke(app, ["uninstall"])
    assert removed.exit_code == 0, removed.output
    assert f"stopped and disabled {UNIT_NAME}" in removed.output
    assert not unit.exists()
    assert not (home / ".config/systemd/user/default.target.wants" / UNIT_NAME).exists()
    assert show(manager, "LoadState")["LoadState"] == "not-found"


def test_install_preset_grants_the_flatpak_permission(
    manager: dict[str, str], flatpak_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's `install --preset keepassxc-firefox`: unit, rules and permission, for real."""
    home = use(manager, monkeypatch)
    # Not the manager's runtime dir: its document portal is mounted in its namespace only.
    runtime = home.parent / "flatpak-runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    install_apps(flatpak_repo, {**os.environ, "XDG_RUNTIME_DIR": str(runtime)})
    source = home / ".mozilla/native-messaging-hosts" / NAME
    source.parent.mkdir(parents=True, exist_ok=True)
    flathub = str(home / ".local/share/flatpak/exports/bin" / KPXC)
    source.write_text(manifest("keepassxc-firefox.json", flathub))

    result = runner.invoke(app, ["install", "--preset", "keepassxc-firefox"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert f"permission for {FIREFOX}: applied" in result.output
    assert "a full sandbox escape" in result.output
    shown = subprocess.run(
        ["flatpak", "override", "--user", "--show", FIREFOX],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "org.freedesktop.Flatpak=talk" in shown
    # `restart` returned after READY=1, so the first reconcile has already made the copy.
    copy = home / ".var/app" / FIREFOX / ".mozilla/native-messaging-hosts" / NAME
    assert "/.var/app/org.mozilla.firefox/data/envman-bridge/" in str(path_of(copy))

    data = json.loads(runner.invoke(app, ["status", "--json"]).output)
    assert data["service"]["ActiveState"] == "active"
    assert data["permissions"][0]["state"] == "granted"
    assert data["apps"][f"{KPXC} keepassxc-proxy"].startswith("installed in ")
    assert data["problems"] == []
    assert runner.invoke(app, ["uninstall"]).exit_code == 0
