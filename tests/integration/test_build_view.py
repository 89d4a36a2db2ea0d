"""How `envman up` shows a real build: live phases on a terminal, the full log elsewhere, -q."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pyte
import pytest

from envman.errors import ExitCode
from tests.integration.envman_cli import ENVMAN, PROFILE_IMAGE, Envman, unique

pytestmark = pytest.mark.podman

ROWS, COLS = 40, 120
APT_WORDS = ("Unpacking", "Setting up", "Selecting previously unselected", "Get:")


def profile(name: str, hook: str = "echo baked > /etc/envman-itest") -> str:
    # The first hook names the environment, so the package step after it never comes from the
    # layer cache of an earlier run: the test sees apt at work.
    return (
        f"envman: 1\nname: {name}\nimage: {PROFILE_IMAGE}\npackages: [less]\n"
        f"hooks:\n  - run: [echo, {name}]\n    stage: before-packages\n  - sh: {hook!r}\n"
    )


@pytest.fixture
def name(envman: Envman) -> Iterator[str]:
    env_name = unique("itest-view")
    yield env_name
    for _ in range(3):  # podman 4.3 lists images badly while other tests remove theirs
        if envman.run("rm", "--yes", env_name).returncode == 0:
            break
        time.sleep(2)


def on_terminal(envman: Envman, *argv: str, timeout: float = 900) -> tuple[int, bytes]:
    """Run envman on a pseudo-terminal of ROWS x COLS: its exit status and all it drew."""
    pid, master = pty.fork()
    if pid == 0:  # the child: envman with stdin, stdout and stderr on the terminal
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        os.chdir(envman.work)
        os.execve(ENVMAN, [ENVMAN, *argv], {**envman.env, "TERM": "xterm"})
    seen = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(master)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), seen


def screen(drawn: bytes) -> list[str]:
    """What the terminal shows at the end (redraws applied), one string a row, non-empty rows."""
    terminal = pyte.Screen(COLS, ROWS)
    pyte.ByteStream(terminal).feed(drawn)
    return [row.rstrip() for row in terminal.display if row.strip()]


def logs(envman: Envman, name: str) -> list[Path]:
    return sorted((envman.root / "state" / "envman" / "logs").glob(f"{name}-*.log"))


def test_a_terminal_sees_phases_with_times_not_the_apt_output(envman: Envman, name: str) -> None:
    envman.write_profile(name, profile(name))
    status, drawn = on_terminal(envman, "up", name)
    shown = screen(drawn)
    assert status == 0, "\n".join(shown)
    rows = [row.split() for row in shown if row.startswith("✓")]
    phases = [r[1] for r in rows if r[1] != "certificates"]  # the host may add its own CAs
    assert phases == ["base", "essentials", "hooks", "packages", "hooks", "finish"], shown
    assert all(r[3] in ("s", "min") for r in rows)  # each phase has its time
    assert any(row.startswith("envman: built in ") for row in shown)
    result = [row for row in shown if row.startswith(f"{name}: created (image localhost/envman/")]
    assert len(result) == 1, shown
    steps = shown[shown.index(result[0]) + 1 :]
    assert steps and all(step.startswith("  ") for step in steps), shown  # the plan's steps
    assert not [row for row in shown if any(word in row for word in APT_WORDS)]
    (log,) = logs(envman, name)  # ... while the whole log is in the file
    assert "Setting up less" in log.read_text()


def test_a_failed_step_leaves_its_output_and_the_log_path(envman: Envman, name: str) -> None:
    envman.write_profile(name, profile(name, "echo marker-before-failing; exit 3"))
    status, drawn = on_terminal(envman, "up", name)
    shown = screen(drawn)
    assert status == ExitCode.BUILD_FAILED, "\n".join(shown)
    text = "\n".join(shown)
    assert "envman: the build failed in phase hooks, step " in text
    assert "  | marker-before-failing" in text
    assert any(row.startswith("✗") and "hooks" in row for row in shown)
    (log,) = logs(envman, name)
    assert f"envman: full build log: {log}\r\n".encode() in drawn  # one line, however long
    assert "marker-before-failing" in log.read_text() and "Setting up less" in log.read_text()
    assert "Setting up less" not in text  # earlier steps' output stays in the file


def test_not_a_terminal_gets_the_full_log_and_q_only_the_result(envman: Envman, name: str) -> None:
    envman.write_profile(name, profile(name))
    quiet = envman.run("up", "-q", name, check=True)
    assert quiet.stdout == f"{name}: created (image {quiet.stdout.split('image ')[1]}"
    assert quiet.stderr == ""
    full = envman.run("rebuild", name, check=True)
    assert "  | STEP 1/" in full.stderr and "  | Setting up less" in full.stderr
    assert "envman: phase packages: " in full.stderr
    assert "envman: built in " in full.stderr and "\x1b[" not in full.stderr
    assert len(logs(envman, name)) == 2
