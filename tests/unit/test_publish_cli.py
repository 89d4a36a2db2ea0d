"""`envman publish` and `envman ci` refuse bad input before any build, push or registry request."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from envman.errors import ExitCode

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
