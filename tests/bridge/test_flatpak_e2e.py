"""End to end with real Flatpak apps built offline (TESTBED.md section 5): a browser's
native-messaging call reaches the proxy in the KeePassXC sandbox through the bridged manifest."""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from envman.bridge import flatpak
from tests.bridge.conftest import Running, manifest, wait_until, write_rules
from tests.bridge.flatpak_apps import FIREFOX, KPXC, PROXY, install_apps, run

NAME = "org.keepassxc.keepassxc_browser.json"
EXTENSION = "keepassxc-browser@keepassxc.org"


@pytest.fixture
def installed(home: Path, flatpak_repo: Path) -> Path:
    """The apps installed for the test's HOME (a real --user installation), Firefox run once."""
    install_apps(flatpak_repo, dict(os.environ))
    assert (home / ".var/app" / FIREFOX).is_dir()
    return home / ".local/share/flatpak"


@pytest.fixture
def session_bus(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A private D-Bus session bus; it activates flatpak-session-helper for flatpak-spawn --host."""
    # The session helper's p11-kit socket goes in here, and a unix socket path over 107 bytes
    # fails (tmp_path grew past that at /tmp/pytest-of-root/pytest-100): a short link to it.
    (home.parent / "runtime").mkdir(mode=0o700)
    short = Path(tempfile.mkdtemp(prefix="envman-rt-"))
    runtime = short / "r"
    runtime.symlink_to(home.parent / "runtime")
    address = f"unix:path={runtime}/bus"
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    done = run(["dbus-daemon", "--session", f"--address={address}", "--fork", "--print-pid"])
    pid = int(done.stdout.split()[0])
    yield
    children = [
        int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _ppid(p) == pid
    ]
    os.kill(pid, signal.SIGTERM)
    for child in children:  # flatpak-session-helper, started by our bus only
        try:
            os.kill(child, signal.SIGTERM)
        except ProcessLookupError:
            continue
    runtime.unlink()
    short.rmdir()


def _ppid(proc: Path) -> int:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def message(payload: dict[str, object]) -> bytes:
    body = json.dumps(payload).encode()
    return struct.pack("=I", len(body)) + body


def reply(stdout: bytes) -> dict[str, object]:
    (size,) = struct.unpack("=I", stdout[:4])
    assert len(stdout) == 4 + size, stdout
    return json.loads(stdout[4:])  # type: ignore[no-any-return]


def kpxc_writes(home: Path, directory: str, path: str) -> None:
    """KeePassXC's start-up, from inside its sandbox: mkdir -p, then truncate and write in place."""
    text = manifest("keepassxc-firefox.json", path)
    run(
        [
            "flatpak",
            "run",
            "--command=sh",
            KPXC,
            "-c",
            f'mkdir -p "{directory}" && cat > "{directory}/{NAME}"',
        ],
        input=text.encode(),
    )


def test_flatpak_keepassxc_and_a_host_browser(
    home: Path, installed: Path, start_bridge: Callable[..., Running]
) -> None:
    write_rules(home, "presets: [keepassxc-firefox]\n")
    running = start_bridge()
    nmh = home / ".mozilla/native-messaging-hosts"
    kpxc_writes(home, str(nmh), "/app/bin/keepassxc-proxy")  # what a non-Flathub build writes
    wrapper = home / ".local/share/envman/bridge/bin/org.keepassxc.KeePassXC.keepassxc-proxy"
    target = nmh / NAME
    wait_until(
        lambda: target.exists() and json.loads(target.read_text())["path"] == str(wrapper),
        what="the manifest rewritten",
    )
    assert running.settle() >= 1
    # Firefox's way: exec `path` with the manifest path and the extension ID, one message on stdin.
    path = json.loads(target.read_text())["path"]
    done = run([path, str(target), EXTENSION], input=message({"action": "get-databasehash"}))
    assert reply(done.stdout) == {
        "proxy": KPXC,
        "argc": 2,
        "request": {"action": "get-databasehash"},
    }
    # KeePassXC's next start writes it again; the bridge fixes it again.
    writes = len(running.writes(target))
    kpxc_writes(home, str(nmh), "/app/bin/keepassxc-proxy")
    wait_until(
        lambda: json.loads(target.read_text())["path"] == str(wrapper), what="the second fix"
    )
    running.settle()
    assert len(running.writes(target)) == writes + 1


def inside_firefox(command: str, stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["flatpak", "run", "--command=sh", FIREFOX, "-c", command],
        input=stdin,
        capture_output=True,
        check=False,
        timeout=60,
    )


BROWSER_CALL = (  # what Firefox does in its sandbox: read its manifest, exec `path` with two args
    f'm="$HOME/.mozilla/native-messaging-hosts/{NAME}"; '
    'p=$(grep \'"path"\' "$m" | cut -d\'"\' -f4); exec "$p" "$m" ' + EXTENSION
)


def test_flatpak_keepassxc_and_a_flatpak_browser(
    home: Path, installed: Path, session_bus: None, start_bridge: Callable[..., Running]
) -> None:
    write_rules(home, "presets: [keepassxc-firefox]\n")
    running = start_bridge()
    flathub_path = str(installed / "exports/bin" / KPXC)  # what the Flathub build writes
    kpxc_writes(home, str(home / ".mozilla/native-messaging-hosts"), flathub_path)
    copy = home / ".var/app" / FIREFOX / ".mozilla/native-messaging-hosts" / NAME
    wrapper = (
        home / ".var/app" / FIREFOX / "data/envman-bridge/org.keepassxc.KeePassXC.keepassxc-proxy"
    )
    wait_until(
        lambda: copy.exists() and json.loads(copy.read_text())["path"] == str(wrapper),
        what="the manifest mirrored into Firefox's directory",
    )
    running.settle()
    request = message({"action": "change-public-keys"})
    # Without the permission the sandbox cannot reach the host: the bridge alone is not enough.
    denied = inside_firefox(BROWSER_CALL, request)
    assert denied.returncode != 0
    assert b"org.freedesktop.Flatpak" in denied.stderr
    installs = flatpak.installations(os.environ, home / ".local/share")
    assert not flatpak.permission_granted(FIREFOX, installs)
    granted, err = flatpak.apply_permission(flatpak.permission_for(FIREFOX), os.environ)
    assert granted, err
    assert flatpak.permission_granted(FIREFOX, installs)
    done = inside_firefox(BROWSER_CALL, request)
    assert done.returncode == 0, done.stderr
    assert reply(done.stdout) == {
        "proxy": KPXC,
        "argc": 2,
        "request": {"action": "change-public-keys"},
    }


def test_host_app_and_a_flatpak_browser(
    home: Path, installed: Path, session_bus: None, start_bridge: Callable[..., Running]
) -> None:
    host_proxy = (
        home / "opt/keepassxc-proxy"
    )  # a host build's proxy (not in /usr/bin: this is a test)
    host_proxy.parent.mkdir()
    host_proxy.write_text(PROXY)
    host_proxy.chmod(0o755)
    write_rules(
        home,
        f"""\
rules:
  - id: host-kpxc-for-flatpak-firefox
    dir: ~/.mozilla/native-messaging-hosts
    glob: {NAME}
    json: /path
    match: {host_proxy}
    replace: {{host: {host_proxy}, consumer: {FIREFOX}}}
    mirror: ~/.var/app/{FIREFOX}/.mozilla/native-messaging-hosts
    requires: ~/.var/app/{FIREFOX}
""",
    )
    running = start_bridge()
    source = home / ".mozilla/native-messaging-hosts" / NAME
    source.parent.mkdir(parents=True)
    source.write_text(manifest("keepassxc-firefox.json", str(host_proxy)))
    copy = home / ".var/app" / FIREFOX / ".mozilla/native-messaging-hosts" / NAME
    wait_until(copy.exists, what="the mirrored manifest")
    running.settle()
    assert json.loads(source.read_text())["path"] == str(
        host_proxy
    )  # the host browser's copy stays
    granted, err = flatpak.apply_permission(flatpak.permission_for(FIREFOX), os.environ)
    assert granted, err
    done = inside_firefox(BROWSER_CALL, message({"action": "ping"}))
    assert done.returncode == 0, done.stderr
    assert reply(done.stdout) == {"proxy": "host", "argc": 2, "request": {"action": "ping"}}
