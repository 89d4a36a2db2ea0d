"""Real inotify: every writer pattern gets one bridge write per external write, none when right."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.bridge.conftest import Running, manifest, wait_until, write_rules

NAME = "org.keepassxc.keepassxc_browser.json"
FIXED = "/opt/keepassxc/keepassxc-proxy"
RULES = """\
rules:
  - id: kpxc
    dir: ~/.mozilla/native-messaging-hosts
    glob: "*.json"
    json: /path
    match: /app/bin/keepassxc-proxy
    replace: /opt/keepassxc/keepassxc-proxy
"""
BAD = manifest("keepassxc-firefox.json")
GOOD = manifest("keepassxc-firefox.json", FIXED)


def in_place(path: Path, text: str) -> None:
    """KeePassXC's way: QFile truncate + write, same inode, no rename."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def atomic(path: Path, text: str) -> None:
    """An editor's way: a temp file in the same directory renamed over the target."""
    temp = path.with_name(f".{path.name}.swp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def path_value(path: Path) -> str | None:
    try:
        return str(json.loads(path.read_text(encoding="utf-8"))["path"])
    except (OSError, ValueError, KeyError):
        return None


def fixed(path: Path) -> Callable[[], bool]:
    return lambda: path_value(path) == FIXED


@pytest.fixture
def nmh(home: Path) -> Path:
    write_rules(home, RULES)
    directory = home / ".mozilla/native-messaging-hosts"
    directory.mkdir(parents=True)
    return directory


@pytest.mark.parametrize("writer", [in_place, atomic], ids=["truncate-in-place", "atomic-rename"])
def test_each_external_write_gets_one_bridge_write(
    nmh: Path, start_bridge: Callable[..., Running], writer: Callable[[Path, str], None]
) -> None:
    running = start_bridge()
    target = nmh / NAME
    for round_ in range(1, 4):
        writer(target, BAD)
        wait_until(fixed(target), what=f"rewrite {round_}")
        assert running.settle() == round_
    assert target.read_text() == GOOD
    assert sorted(p.name for p in nmh.iterdir()) == [NAME]


def test_already_right_file_is_never_written(
    nmh: Path, start_bridge: Callable[..., Running]
) -> None:
    target = nmh / NAME
    target.write_text(GOOD)
    running = start_bridge()
    inode = target.stat().st_ino
    for writer in (in_place, atomic, in_place):
        writer(target, GOOD)
    (nmh / "custom.json").write_text(manifest("keepassxc-firefox.json", "/home/me/proxy"))
    (nmh / "notes.txt").write_text("not a manifest")
    assert running.settle() == 0
    assert target.stat().st_ino != inode  # the atomic writer replaced it; the bridge never did
    assert [a.status for a in running.actions if a.path == str(target)].count("ok") >= 1


def test_cross_directory_rename(
    nmh: Path, home: Path, start_bridge: Callable[..., Running]
) -> None:
    running = start_bridge()
    staged = home / NAME
    staged.write_text(BAD)
    os.rename(staged, nmh / NAME)
    wait_until(fixed(nmh / NAME), what="rewrite of a file moved in")
    assert running.settle() == 1


def test_delete_and_recreate(nmh: Path, start_bridge: Callable[..., Running]) -> None:
    target = nmh / NAME
    target.write_text(BAD)
    running = start_bridge()
    assert path_value(target) == FIXED  # by the start-up reconcile, before any event
    assert running.settle() == 1
    target.unlink()
    in_place(target, BAD)
    wait_until(fixed(target), what="rewrite of the recreated file")
    assert running.settle() == 2


def test_directory_created_late_then_deleted_and_made_again(
    home: Path, start_bridge: Callable[..., Running]
) -> None:
    write_rules(home, RULES)
    running = start_bridge()
    directory = home / ".mozilla/native-messaging-hosts"
    directory.mkdir(parents=True)  # two levels appear at once: the ancestor watch climbs down
    in_place(directory / NAME, BAD)
    wait_until(fixed(directory / NAME), what="rewrite in a directory created after start")
    assert running.settle() == 1
    shutil.rmtree(home / ".mozilla")
    time.sleep(0.2)
    directory.mkdir(parents=True)
    in_place(directory / NAME, BAD)
    wait_until(fixed(directory / NAME), what="rewrite in the re-created directory")
    assert running.settle() == 2


def test_symlinked_manifest_is_not_followed(
    nmh: Path, home: Path, start_bridge: Callable[..., Running]
) -> None:
    running = start_bridge()
    real = home / "dotfiles" / NAME
    real.parent.mkdir()
    real.write_text(BAD)
    (nmh / NAME).symlink_to(real)
    in_place(real, BAD)  # writing through the other name must not wake the bridge either
    wait_until(lambda: any(a.status == "skipped" for a in running.actions), what="the skip")
    assert running.settle() == 0
    assert real.read_text() == BAD
    assert (nmh / NAME).is_symlink()


def test_slow_writer_is_not_rewritten_half_way(
    nmh: Path, start_bridge: Callable[..., Running]
) -> None:
    running = start_bridge()
    target = nmh / NAME
    with open(target, "w", encoding="utf-8") as f:
        f.write(BAD[:60])
        f.flush()
        time.sleep(0.5)  # longer than the settle time: the bridge sees a partial file
        f.write(BAD[60:])
    wait_until(fixed(target), what="rewrite after the slow write")
    assert running.settle() == 1
    assert target.read_text() == GOOD


def test_two_writers_fighting(nmh: Path, start_bridge: Callable[..., Running]) -> None:
    running = start_bridge()
    target = nmh / NAME
    for round_ in range(1, 6):
        in_place(target, BAD)
        wait_until(fixed(target), what=f"rewrite {round_}")
        time.sleep(0.05)
    assert running.settle() == 5
    assert len(running.writes(target)) == 5


def test_a_burst_of_writes_ends_right_with_no_more_writes_than_writes(
    nmh: Path, start_bridge: Callable[..., Running]
) -> None:
    running = start_bridge()
    target = nmh / NAME
    stop = threading.Event()

    def fight() -> None:
        for _ in range(25):
            in_place(target, BAD)
            time.sleep(0.02)
        stop.set()

    writer = threading.Thread(target=fight)
    writer.start()
    writer.join()
    wait_until(fixed(target), timeout=8, what="the final rewrite")
    writes = running.settle(quiet=1.5)
    assert 1 <= writes <= 25
    assert target.read_text() == GOOD


def test_rules_file_change_is_picked_up(
    nmh: Path, home: Path, start_bridge: Callable[..., Running]
) -> None:
    running = start_bridge()
    other = home / "other-nmh"
    other.mkdir()
    write_rules(home, RULES.replace("~/.mozilla/native-messaging-hosts", "~/other-nmh"))
    wait_until(lambda: other in running.bridge.rules.dirs(), what="the reload")
    in_place(other / NAME, BAD)
    wait_until(fixed(other / NAME), what="a rewrite under the new rule")
    write_rules(home, "rules: [oops\n")  # a broken edit keeps the previous rules
    time.sleep(0.5)
    assert other in running.bridge.rules.dirs()


def test_deep_directories_made_at_once_never_lose_the_file(
    home: Path, start_bridge: Callable[..., Running]
) -> None:
    write_rules(home, RULES.replace("~/.mozilla/native-messaging-hosts", "~/deep/a/b/c/d"))
    running = start_bridge()
    directory = home / "deep/a/b/c/d"
    for round_ in range(1, 11):
        directory.mkdir(parents=True)  # four levels, then the file, as fast as Python goes
        in_place(directory / NAME, BAD)
        wait_until(fixed(directory / NAME), what=f"rewrite in fresh directories, round {round_}")
        shutil.rmtree(home / "deep")
    assert running.settle() == 10
