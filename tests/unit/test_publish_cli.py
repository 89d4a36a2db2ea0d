"""`envman publish` and `envman ci` refuse bad input before any build, push or registry request."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from envman.errors import ExitCode
from envman.ops.keys import generate_key

ENVMAN = str(Path(sys.executable).parent / "envman")


def envman(*args: str, cwd: Path, passphrase: str | None = "x") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ENVMAN_KEY_PASSPHRASE"}
    if passphrase is not None:
        env["ENVMAN_KEY_PASSPHRASE"] = passphrase
    return subprocess.run(
        [ENVMAN, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["publish", "--registry", "r.example.com/team", "--key", "k"], ExitCode.USAGE,
         "nothing to publish"),
        (["publish", "dev", "--all", "--registry", "r.example.com/team", "--key", "k"],
         ExitCode.USAGE, "give profiles or --all, not both"),
        (["publish", "--all", "--registry", "r.example.com/team", "--key", "k"], ExitCode.USAGE,
         "--all: no profiles in"),
        (["publish", "dev", "--registry", "Not A Registry", "--key", "k"], ExitCode.USAGE,
         "--registry 'Not A Registry' is not HOST[:PORT]/NAMESPACE"),
        (["publish", "dev", "--registry", "r.example.com/team", "--key", "missing.private"],
         ExitCode.KEY_INVALID, "cannot read key file missing.private"),
        (["ci", "github"], ExitCode.USAGE, "envman ci github needs --registry"),
        (["ci", "gitlab", "--registry", "r.example.com/Team"], ExitCode.USAGE,
         "--registry 'r.example.com/Team' is not HOST[:PORT]/NAMESPACE"),
    ],
)  # fmt: skip
def test_bad_input_is_one_clear_error(xdg: Path, args: list[str], code: int, message: str) -> None:
    result = envman(*args, cwd=Path.cwd())
    assert result.returncode == code, result.stderr
    assert result.stderr.startswith(f"envman: error: {message}"), result.stderr
    assert len(result.stderr.splitlines()) <= 2


def test_a_file_that_is_not_a_key_exits_33(xdg: Path) -> None:
    Path("k.private").write_text("not a key\n")
    result = envman(
        "publish", "dev", "--registry", "r.example.com/t", "--key", "k.private", cwd=Path.cwd()
    )
    assert result.returncode == ExitCode.KEY_INVALID
    assert "k.private: not a cosign private key" in result.stderr


def test_without_passphrase_or_terminal_it_says_how_to_give_one(xdg: Path) -> None:
    result = envman(
        "publish", "dev", "--registry", "r.example.com/t", "--key", "k", cwd=Path.cwd(),
        passphrase=None,
    )  # fmt: skip
    assert result.returncode == ExitCode.USAGE
    assert "ENVMAN_KEY_PASSPHRASE" in result.stderr


def read_until_exit(fd: int, answer: bytes) -> bytes:
    """Everything envman writes to its terminal; `answer` typed once it asks."""
    output = b""
    answered = False
    while True:
        ready, _, _ = select.select([fd], [], [], 60)
        assert ready, f"envman wrote nothing for 60 s after: {output!r}"
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # the terminal closes when envman exits
            return output
        if not chunk:
            return output
        output += chunk
        if not answered and b"Passphrase" in output:
            wait_for_hidden_input(fd)  # typed earlier, getpass would flush it away
            os.write(fd, answer)
            answered = True


def wait_for_hidden_input(fd: int) -> None:
    """Until the prompt has turned the terminal's echo off (getpass reads then)."""
    for _ in range(600):
        if not termios.tcgetattr(fd)[3] & termios.ECHO:
            return
        time.sleep(0.1)
    raise AssertionError("the passphrase prompt never turned echo off")


def test_without_the_variable_the_passphrase_is_asked_on_the_terminal(xdg: Path) -> None:
    generate_key(Path("k"), "right")
    env = {k: v for k, v in os.environ.items() if k != "ENVMAN_KEY_PASSPHRASE"}
    argv = [ENVMAN, "publish", "dev", "--registry", "r.example.com/t", "--key", "k.private"]
    pid, fd = pty.fork()
    if pid == 0:  # the child: envman on a terminal of its own
        os.execve(ENVMAN, argv, env)
    output = read_until_exit(fd, b"wrong\n")
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == ExitCode.KEY_INVALID, output
    assert b"k.private: wrong passphrase" in output
