"""The daemon as systemd runs it: `python -m envman.bridge`, Type=notify on a real NOTIFY_SOCKET."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bridge.conftest import manifest, wait_until, write_rules

NAME = "org.keepassxc.keepassxc_browser.json"
RULES = """\
rules:
  - id: kpxc
    dir: ~/nmh
    glob: "*.json"
    json: /path
    match: /app/bin/keepassxc-proxy
    replace: {flatpak: org.keepassxc.KeePassXC, command: keepassxc-proxy}
"""


class Notifications:
    """A unix datagram socket standing in for systemd's notify socket."""

    def __init__(self, address: str, bind_to: str) -> None:
        self.address = address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(bind_to)
        self.messages: list[str] = []

    def wait_for(self, prefix: str, timeout: float = 15.0) -> str:
        """The first message (seen now or before) with a line starting with PREFIX."""
        deadline = time.monotonic() + timeout
        while True:
            for message in self.messages:
                if any(line.startswith(prefix) for line in message.splitlines()):
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"no {prefix!r} from the daemon; got {self.messages}")
            self.sock.settimeout(remaining)
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except TimeoutError:
                continue


@pytest.fixture(params=["path", "abstract"])
def notify(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Notifications]:
    if request.param == "path":
        path = str(tmp_path / "notify.sock")
        notifications = Notifications(path, path)
    else:
        name = f"envman-bridge-test-{secrets.token_hex(4)}"
        notifications = Notifications(f"@{name}", f"\0{name}")
    yield notifications
    notifications.sock.close()


def spawn(home: Path, notify: Notifications) -> subprocess.Popen[str]:
    env = {**os.environ, "HOME": str(home), "NOTIFY_SOCKET": notify.address}
    return subprocess.Popen(
        [sys.executable, "-m", "envman.bridge"],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_ready_after_the_first_reconcile_then_events_reload_and_stop(
    home: Path, notify: Notifications
) -> None:
    write_rules(home, RULES)
    nmh = home / "nmh"
    nmh.mkdir()
    target = nmh / NAME
    target.write_text(manifest("keepassxc-firefox.json"))
    daemon = spawn(home, notify)
    try:
        ready = notify.wait_for("READY=1")
        wrapper = home / ".local/share/envman/bridge/bin/org.keepassxc.KeePassXC.keepassxc-proxy"
        # READY means "watching, and everything already reconciled".
        assert json.loads(target.read_text())["path"] == str(wrapper)
        assert "STATUS=1 rules, 1 directories watched" in ready
        target.write_text(manifest("keepassxc-firefox.json"))
        wait_until(lambda: json.loads(target.read_text())["path"] == str(wrapper), what="rewrite")
        notify.wait_for("STATUS=1 rules, 1 directories watched, 0 waiting to exist; 2 writes")
        daemon.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=10) == 0
        notify.wait_for("STOPPING=1")
    finally:
        if daemon.poll() is None:
            daemon.kill()
    _, err = daemon.communicate()
    assert "INFO: kpxc: rewrite" in err
    assert err.count("rules reloaded") == 1


def test_bad_rules_exit_non_zero_naming_the_line(home: Path, notify: Notifications) -> None:
    write_rules(home, RULES.replace("~/nmh", "relative"))
    daemon = spawn(home, notify)
    assert daemon.wait(timeout=15) == 1
    _, err = daemon.communicate()
    assert "bridge.yaml:3: rules[0].dir: 'relative' is not an absolute path" in err
    assert not any("READY=1" in m for m in notify.messages)


def test_a_file_that_cannot_be_parsed_never_stops_the_daemon(
    home: Path, notify: Notifications
) -> None:
    write_rules(home, RULES)
    nmh = home / "nmh"
    nmh.mkdir()
    deep = '{"path": ' + "[" * 1000 + "]" * 1000 + "}\n"
    (nmh / "a-deep.json").write_text(deep)  # there at start: the first reconcile meets it
    target = nmh / NAME
    target.write_text(manifest("keepassxc-firefox.json"))
    daemon = spawn(home, notify)
    try:
        notify.wait_for("READY=1")
        wrapper = home / ".local/share/envman/bridge/bin/org.keepassxc.KeePassXC.keepassxc-proxy"
        assert json.loads(target.read_text())["path"] == str(wrapper)
        (nmh / "b-deep.json").write_text(deep)  # and one written while it runs
        target.write_text(manifest("keepassxc-firefox.json"))
        wait_until(lambda: json.loads(target.read_text())["path"] == str(wrapper), what="rewrite")
        assert daemon.poll() is None
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=10) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
    _, err = daemon.communicate()
    assert f"kpxc: malformed {nmh / 'a-deep.json'}: nested deeper than 64 levels" in err
    assert f"kpxc: malformed {nmh / 'b-deep.json'}: nested deeper than 64 levels" in err
    assert "internal error" not in err
