"""Generated text: the systemd unit and the wrappers are deterministic (golden) and valid."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from envman.bridge.rules import FlatpakCommand, HostCommand
from envman.bridge.unit import UNIT_NAME, exec_start, quote, render_unit
from envman.bridge.wrapper import Places, wrapper_path, wrapper_text
from tests.bridge.conftest import have, need

GOLDEN = Path(__file__).parent / "golden"
PYTHON = "/var/home/ada/.local/share/pipx/venvs/envman/bin/python"


def assert_golden(name: str, text: str) -> None:
    """Compare with tests/bridge/golden/NAME; ENVMAN_UPDATE_GOLDEN=1 rewrites it."""
    golden = GOLDEN / name
    if os.environ.get("ENVMAN_UPDATE_GOLDEN") == "1":
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"{golden} is missing: run with ENVMAN_UPDATE_GOLDEN=1 and review it"
    assert text == golden.read_text(encoding="utf-8"), f"differs from {golden}"


def test_unit_golden() -> None:
    assert_golden("envman-bridge.service", render_unit(exec_start(PYTHON), {}))


def test_unit_golden_with_xdg_overrides_and_odd_paths() -> None:
    environ = {
        "XDG_CONFIG_HOME": "/var/home/ada/My Config",
        "XDG_DATA_HOME": "/data/100%",
        "XDG_STATE_HOME": "",
        "PATH": "/usr/bin",
    }
    text = render_unit(exec_start("/opt/py env/bin/python3"), environ)
    assert_golden("envman-bridge-xdg.service", text)


def test_quoting() -> None:
    assert quote("/usr/bin/python3") == "/usr/bin/python3"
    assert quote("/a b/$x%i") == '"/a b/$$x%%i"'
    assert quote('/q"\\') == '"/q\\"\\\\"'
    # systemd expands $VAR in arguments only, never in the command path.
    assert quote("/a b/$x%i", command=True) == '"/a b/$x%%i"'


def test_exec_start_uses_this_interpreter_unresolved() -> None:
    # A venv's python is a symlink to the system one: resolving it would lose the venv.
    assert exec_start(sys.executable) == [sys.executable, "-m", "envman.bridge"]


def test_wrappers_golden() -> None:
    flatpak = "/usr/bin/flatpak"
    host = FlatpakCommand("org.keepassxc.KeePassXC", "keepassxc-proxy")
    firefox = FlatpakCommand("org.keepassxc.KeePassXC", "keepassxc-proxy", "org.mozilla.firefox")
    host_app = HostCommand("/opt/1Password/1Password-BrowserSupport", "com.brave.Browser")
    places = Places(Path("/var/home/ada"), Path("/var/home/ada/.local/share/envman"))
    text = "".join(
        f"==> {wrapper_path(r, places)}\n{wrapper_text(r, flatpak)}"
        for r in (host, firefox, host_app)
    )
    assert_golden("wrappers.txt", text)


def test_wrappers_are_valid_posix_sh(tmp_path: Path) -> None:
    need(have("sh"), "sh")
    for replace in (
        FlatpakCommand("org.a.B", "x"),
        FlatpakCommand("org.a.B", "x", "org.c.D"),
        HostCommand("/opt/x y/z", "org.c.D"),
    ):
        script = tmp_path / "w"
        script.write_text(wrapper_text(replace, "/usr/bin/flatpak"))
        assert subprocess.run(["sh", "-n", str(script)], check=False).returncode == 0


def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    need(have("systemd-analyze"), "systemd-analyze")
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    odd = tmp_path / "py env 100%$"  # quoting and %-escaping must survive systemd's parser
    odd.mkdir()
    (odd / "python").symlink_to(sys.executable)
    unit = tmp_path / UNIT_NAME
    environ = {"XDG_CONFIG_HOME": str(tmp_path / "my config")}
    unit.write_text(render_unit(exec_start(str(odd / "python")), environ))
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "HOME": str(tmp_path)}
    done = subprocess.run(
        ["systemd-analyze", "--user", "verify", str(unit)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    # Unknown settings only warn (exit 0): any output at all is a failure.
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_systemd_analyze_catches_a_broken_unit(tmp_path: Path) -> None:
    need(have("systemd-analyze"), "systemd-analyze")
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    unit = tmp_path / UNIT_NAME
    unit.write_text(render_unit(["/nonexistent/python", "-m", "envman.bridge"], {}))
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "HOME": str(tmp_path)}
    done = subprocess.run(
        ["systemd-analyze", "--user", "verify", str(unit)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode != 0 or done.stderr
    if done.returncode == 0:
        pytest.fail(f"a missing ExecStart binary only warned: {done.stderr}")
