"""Reconcile on real files: safety rules, mode and backups, mirrors and their wrappers, dry runs."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from envman.bridge.reconcile import Reconciler, RuleVerdict
from envman.ops import bridge as ops
from tests.bridge.conftest import DATA, context, manifest, write_rules

NAME = "org.keepassxc.keepassxc_browser.json"
LITERAL_RULE = """\
rules:
  - id: kpxc
    dir: ~/nmh
    glob: "*.json"
    json: /path
    match: /app/bin/keepassxc-proxy
    replace: /opt/keepassxc/keepassxc-proxy
"""


def reconcile(*, dry_run: bool = False) -> list[RuleVerdict]:
    ctx = context()
    return Reconciler(ops.load(ctx), ops.bridge_env(ctx.paths), dry_run=dry_run).everything()


def statuses(actions: list[RuleVerdict]) -> dict[str, str]:
    return {f"{a.rule} {Path(a.path).name}": a.status for a in actions}


@pytest.fixture
def nmh(home: Path) -> Path:
    write_rules(home, LITERAL_RULE)
    directory = home / "nmh"
    directory.mkdir()
    return directory


def test_rewrite_keeps_mode_and_backs_up_the_first_original_only(home: Path, nmh: Path) -> None:
    target = nmh / NAME
    target.write_text(manifest("keepassxc-firefox.json"))
    target.chmod(0o640)
    [action] = reconcile()
    assert (action.status, action.done, action.old) == ("rewrite", True, "/app/bin/keepassxc-proxy")
    assert json.loads(target.read_text())["path"] == "/opt/keepassxc/keepassxc-proxy"
    assert target.stat().st_mode & 0o7777 == 0o640
    backup = home / ".local/state/envman/bridge/backups" / str(target).lstrip("/")
    assert backup.read_text() == manifest("keepassxc-firefox.json")
    target.write_text(
        manifest("keepassxc-firefox.json", "/app/bin/keepassxc-proxy").replace("stdio", "stdio ")
    )
    reconcile()
    assert backup.read_text() == manifest("keepassxc-firefox.json")  # still the first one
    assert [f.name for f in nmh.iterdir()] == [NAME]  # no temp files left behind


def test_already_right_and_custom_files_are_not_written(nmh: Path) -> None:
    right = nmh / "right.json"
    right.write_text(manifest("keepassxc-firefox.json", "/opt/keepassxc/keepassxc-proxy"))
    custom = nmh / "custom.json"
    custom.write_text(manifest("keepassxc-firefox.json", "/home/me/bin/proxy"))
    inodes = {p: p.stat().st_ino for p in (right, custom)}
    assert statuses(reconcile()) == {"kpxc custom.json": "custom", "kpxc right.json": "ok"}
    assert all(p.stat().st_ino == ino for p, ino in inodes.items())


def test_a_symlinked_manifest_is_never_followed(home: Path, nmh: Path) -> None:
    elsewhere = home / "dotfiles" / NAME
    elsewhere.parent.mkdir()
    elsewhere.write_text(manifest("keepassxc-firefox.json"))
    (nmh / NAME).symlink_to(elsewhere)
    [action] = reconcile()
    assert action.status == "skipped"
    assert "symlink" in action.detail
    assert (nmh / NAME).is_symlink()
    assert elsewhere.read_text() == manifest("keepassxc-firefox.json")


def test_non_regular_files_are_skipped(nmh: Path) -> None:
    os.mkfifo(nmh / "fifo.json")
    (nmh / "dir.json").mkdir()
    expected = {"kpxc dir.json": "skipped", "kpxc fifo.json": "skipped"}
    if os.geteuid() == 0:  # a device where a manifest is expected: /dev/null's numbers
        os.mknod(nmh / "null.json", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
        expected["kpxc null.json"] = "skipped"
    assert statuses(reconcile()) == expected


def test_world_writable_directory_is_refused(nmh: Path) -> None:
    (nmh / NAME).write_text(manifest("keepassxc-firefox.json"))
    nmh.chmod(0o777)
    [action] = reconcile()
    assert (action.status, "world-writable" in action.detail) == ("skipped", True)
    assert json.loads((nmh / NAME).read_text())["path"] == "/app/bin/keepassxc-proxy"


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
def test_another_users_file_is_refused(nmh: Path) -> None:
    target = nmh / NAME
    target.write_text(manifest("keepassxc-firefox.json"))
    os.chown(target, 4242, 4242)
    [action] = reconcile()
    assert (action.status, "uid 4242" in action.detail) == ("skipped", True)


def test_oversized_file_is_refused(nmh: Path) -> None:
    (nmh / "big.json").write_text(
        '{"path": "/app/bin/keepassxc-proxy", "pad": "' + "x" * 300_000 + '"}'
    )
    [action] = reconcile()
    assert action.status == "skipped"


def test_dry_run_writes_nothing_and_shows_the_diff(home: Path, nmh: Path) -> None:
    target = nmh / NAME
    target.write_text(manifest("keepassxc-firefox.json"))
    [action] = reconcile(dry_run=True)
    assert (action.status, action.done) == ("rewrite", False)
    assert '-    "path": "/app/bin/keepassxc-proxy",' in action.diff
    assert '+    "path": "/opt/keepassxc/keepassxc-proxy",' in action.diff
    assert target.read_text() == manifest("keepassxc-firefox.json")
    assert not (home / ".local/state").exists()


def test_absent_directory_is_reported(home: Path) -> None:
    write_rules(home, LITERAL_RULE)
    [action] = reconcile()
    assert action.status == "absent"


def firefox_flatpak(home: Path) -> Path:
    """What a Flatpak Firefox that has run once leaves: its ~/.var/app dir (no manifest dir yet)."""
    var_app = home / ".var/app/org.mozilla.firefox"
    (var_app / "config").mkdir(parents=True)
    return var_app


def test_preset_mirror_into_a_flatpak_browser_with_a_wrapper(home: Path) -> None:
    write_rules(home, "presets: [keepassxc-firefox]\n")
    var_app = firefox_flatpak(home)
    source = home / ".mozilla/native-messaging-hosts" / NAME
    source.parent.mkdir(parents=True)
    flathub = str(home / ".local/share/flatpak/exports/bin/org.keepassxc.KeePassXC")
    source.write_text(manifest("keepassxc-firefox.json", flathub))
    actions = reconcile()
    result = statuses(actions)
    # The exported wrapper works for a host Firefox, so the source stays; the copy is bridged.
    assert result[f"keepassxc-firefox.flatpak-app-host-browser {NAME}"] == "custom"
    assert result[f"keepassxc-firefox.flatpak-app-flatpak-browser {NAME}"] == "mirror"
    assert json.loads(source.read_text())["path"] == flathub
    copy = var_app / ".mozilla/native-messaging-hosts" / NAME
    wrapper = var_app / "data/envman-bridge/org.keepassxc.KeePassXC.keepassxc-proxy"
    assert json.loads(copy.read_text())["path"] == str(wrapper)
    assert "exec flatpak-spawn --host" in wrapper.read_text()
    assert os.access(wrapper, os.X_OK)
    # A second pass changes nothing (the in-place rule of the browser dir sees our copy as right).
    again = statuses(reconcile())
    assert set(again.values()) <= {"ok", "custom"}, again


def test_sandbox_path_is_fixed_in_place_and_mirrored(home: Path) -> None:
    write_rules(home, "presets: [keepassxc-firefox]\n")
    var_app = firefox_flatpak(home)
    source = home / ".mozilla/native-messaging-hosts" / NAME
    source.parent.mkdir(parents=True)
    source.write_text(manifest("keepassxc-firefox.json"))
    reconcile()
    host_wrapper = home / ".local/share/envman/bridge/bin/org.keepassxc.KeePassXC.keepassxc-proxy"
    assert json.loads(source.read_text())["path"] == str(host_wrapper)
    assert "exec /" in host_wrapper.read_text()
    copy = var_app / ".mozilla/native-messaging-hosts" / NAME
    assert "/.var/app/org.mozilla.firefox/" in json.loads(copy.read_text())["path"]


def test_a_customised_copy_is_left_alone_and_removal_follows_the_source(home: Path) -> None:
    write_rules(home, "presets: [keepassxc-firefox]\n")
    var_app = firefox_flatpak(home)
    source = home / ".mozilla/native-messaging-hosts" / NAME
    source.parent.mkdir(parents=True)
    source.write_text(manifest("keepassxc-firefox.json"))
    copy = var_app / ".mozilla/native-messaging-hosts" / NAME
    copy.parent.mkdir(parents=True)
    copy.write_text(manifest("keepassxc-firefox.json", "/home/me/my-own-proxy"))
    result = statuses(reconcile())
    assert result[f"keepassxc-firefox.flatpak-app-flatpak-browser {NAME}"] == "custom"
    assert "my-own-proxy" in copy.read_text()
    copy.unlink()
    reconcile()
    assert copy.exists()
    # KeePassXC deletes the manifest when the browser is unticked: envman's copy goes too.
    source.unlink()
    ctx = context()
    reconciler = Reconciler(ops.load(ctx), ops.bridge_env(ctx.paths))
    actions = reconciler.file(source.parent, NAME)
    assert ("remove", True) in {(a.status, a.done) for a in actions}
    assert not copy.exists()


def test_inactive_without_the_flatpak_browser(home: Path) -> None:
    write_rules(home, "presets: [keepassxc-firefox]\n")
    source = home / ".mozilla/native-messaging-hosts" / NAME
    source.parent.mkdir(parents=True)
    source.write_text(manifest("keepassxc-firefox.json", "/usr/bin/keepassxc-proxy"))
    result = statuses(reconcile())
    assert result[f"keepassxc-firefox.host-app-flatpak-browser {NAME}"] == "inactive"
    assert not (home / ".var").exists()


def test_host_app_for_a_flatpak_browser(home: Path) -> None:
    write_rules(home, "presets: [keepassxc-firefox]\n")
    var_app = firefox_flatpak(home)
    source = home / ".mozilla/native-messaging-hosts" / NAME
    source.parent.mkdir(parents=True)
    source.write_text(manifest("keepassxc-firefox.json", "/usr/bin/keepassxc-proxy"))
    reconcile()
    wrapper = var_app / "data/envman-bridge/host.keepassxc-proxy"
    copy = var_app / ".mozilla/native-messaging-hosts" / NAME
    assert json.loads(copy.read_text())["path"] == str(wrapper)
    assert wrapper.read_text().endswith('exec flatpak-spawn --host /usr/bin/keepassxc-proxy "$@"\n')
    assert json.loads(source.read_text())["path"] == "/usr/bin/keepassxc-proxy"


def test_ini_and_regex_rules_on_real_files(home: Path) -> None:
    write_rules(
        home,
        """\
rules:
  - id: desktop
    dir: $XDG_DATA_HOME/applications
    glob: "*.desktop"
    ini: {section: Desktop Entry, key: Exec}
    match: (/app/bin/keepassxc)( .*)?
    replace: /usr/bin/keepassxc
  - id: pinentry
    dir: ~/.gnupg
    glob: gpg-agent.conf
    regex: '^pinentry-program\\s+(\\S+)$'
    match: /app/bin/pinentry-.*
    replace: /usr/bin/pinentry-gnome3
""",
    )
    apps = home / ".local/share/applications"
    apps.mkdir(parents=True)
    (apps / "org.keepassxc.KeePassXC.desktop").write_bytes(
        (DATA / "keepassxc.desktop").read_bytes()
    )
    gnupg = home / ".gnupg"
    gnupg.mkdir(mode=0o700)
    (gnupg / "gpg-agent.conf").write_bytes((DATA / "gpg-agent.conf").read_bytes())
    (gnupg / "gpg-agent.conf").chmod(0o600)
    assert sorted(a.status for a in reconcile()) == ["rewrite", "rewrite"]
    desktop = (apps / "org.keepassxc.KeePassXC.desktop").read_text()
    assert "\nExec=/usr/bin/keepassxc %f\n" in desktop
    assert "pinentry-program /usr/bin/pinentry-gnome3\n" in (gnupg / "gpg-agent.conf").read_text()
    assert (gnupg / "gpg-agent.conf").stat().st_mode & 0o777 == 0o600
    assert sorted(a.status for a in reconcile()) == ["ok", "ok"]


HOST_WRAPPER = ".local/share/envman/bridge/bin/org.keepassxc.KeePassXC.keepassxc-proxy"


def linked_firefox(home: Path, link: str) -> tuple[Path, Path]:
    """The keepassxc-firefox preset, a Flatpak Firefox whose LINK (below its ~/.var/app dir)
    is a symlink to the host's directory of the same name; the host manifest and its text."""
    write_rules(home, "presets: [keepassxc-firefox]\n")
    var_app = firefox_flatpak(home)
    source = home / ".mozilla/native-messaging-hosts" / NAME
    source.parent.mkdir(parents=True)
    source.write_text(manifest("keepassxc-firefox.json"))
    (var_app / link).parent.mkdir(parents=True, exist_ok=True)
    (var_app / link).symlink_to(home / link)
    return source, var_app


@pytest.mark.parametrize("link", [".mozilla/native-messaging-hosts", ".mozilla"])
def test_a_flatpak_browser_dir_linked_to_the_host_one_is_skipped(home: Path, link: str) -> None:
    source, var_app = linked_firefox(home, link)
    copy_dir = var_app / ".mozilla/native-messaging-hosts"
    for _ in range(2):
        result = {(a.rule, a.path): a for a in reconcile()}
        # The host browser's manifest gets the host wrapper, as without the link...
        assert json.loads(source.read_text())["path"] == str(home / HOST_WRAPPER)
        mirror = ("flatpak-app-flatpak-browser", copy_dir / NAME)  # the copy it would write
        in_place = ("flatpak-app-flatpak-browser-dir", copy_dir)  # the directory it would scan
        for rule, path in (mirror, in_place):
            action = result[(f"keepassxc-firefox.{rule}", str(path))]
            assert action.status == "skipped"
            assert f"{var_app / link} is a symlink (not followed)" in action.detail
    # ... and never the sandbox's wrapper; its first version is kept.
    backup = home / ".local/state/envman/bridge/backups" / str(source).lstrip("/")
    assert backup.read_text() == manifest("keepassxc-firefox.json")
    assert not (var_app / "data").exists()


def test_a_symlinked_watched_directory_is_skipped(home: Path) -> None:
    write_rules(home, LITERAL_RULE)
    dotfiles = home / "dotfiles/nmh"
    dotfiles.mkdir(parents=True)
    (dotfiles / NAME).write_text(manifest("keepassxc-firefox.json"))
    (home / "nmh").symlink_to(dotfiles)
    [action] = reconcile()
    assert (action.rule, action.status) == ("kpxc", "skipped")
    assert action.detail == f"{home / 'nmh'} is a symlink (not followed)"
    assert (dotfiles / NAME).read_text() == manifest("keepassxc-firefox.json")


def test_a_symlinked_wrapper_directory_is_skipped(home: Path) -> None:
    write_rules(home, "presets: [keepassxc-firefox]\n")
    var_app = firefox_flatpak(home)
    source = home / ".mozilla/native-messaging-hosts" / NAME
    source.parent.mkdir(parents=True)
    source.write_text(manifest("keepassxc-firefox.json", "/usr/bin/keepassxc-proxy"))
    elsewhere = home / ".local/bin"
    elsewhere.mkdir(parents=True)
    (var_app / "data").mkdir()
    (var_app / "data/envman-bridge").symlink_to(elsewhere)
    result = {a.rule: a for a in reconcile()}
    action = result["keepassxc-firefox.host-app-flatpak-browser"]
    assert action.status == "skipped"
    assert f"{var_app / 'data/envman-bridge'} is a symlink (not followed)" in action.detail
    assert list(elsewhere.iterdir()) == []
    assert not (var_app / ".mozilla/native-messaging-hosts" / NAME).exists()


def test_a_mirror_never_replaces_a_copy_envman_did_not_write(home: Path) -> None:
    write_rules(
        home,
        LITERAL_RULE.replace("~/nmh", "~/src") + "    mirror: ~/nmh\n",
    )
    (home / "src").mkdir()
    (home / "src" / NAME).write_text(manifest("keepassxc-firefox.json"))
    copy = home / "nmh" / NAME
    copy.parent.mkdir()
    theirs = manifest("keepassxc-firefox.json").replace("stdio", "stdio ")
    copy.write_text(theirs)  # the known-bad value, but written by someone else
    [action] = reconcile()
    assert (action.status, action.old) == ("skipped", "/app/bin/keepassxc-proxy")
    assert "envman did not write" in action.detail
    assert copy.read_text() == theirs
    # Once the copy is envman's (it names envman's value), the mirror keeps it up to date.
    copy.write_text(theirs.replace("/app/bin/keepassxc-proxy", "/opt/keepassxc/keepassxc-proxy"))
    [action] = reconcile()
    assert (action.status, action.done) == ("mirror", True)
    assert json.loads(copy.read_text())["type"] == "stdio"


def test_a_manifest_the_app_wrote_into_the_flatpak_browser_dir_is_fixed_with_a_backup(
    home: Path,
) -> None:
    write_rules(home, "presets: [keepassxc-firefox]\n")
    var_app = firefox_flatpak(home)
    source = home / ".mozilla/native-messaging-hosts" / NAME
    source.parent.mkdir(parents=True)
    source.write_text(manifest("keepassxc-firefox.json"))
    copy = var_app / ".mozilla/native-messaging-hosts" / NAME
    copy.parent.mkdir(parents=True)
    copy.write_text(manifest("keepassxc-firefox.json"))  # KeePassXC's "custom browser" setting
    reconcile()
    wrapper = var_app / "data/envman-bridge/org.keepassxc.KeePassXC.keepassxc-proxy"
    assert json.loads(copy.read_text())["path"] == str(wrapper)
    backup = home / ".local/state/envman/bridge/backups" / str(copy).lstrip("/")
    assert backup.read_text() == manifest("keepassxc-firefox.json")
    assert set(statuses(reconcile()).values()) <= {"ok", "custom"}
