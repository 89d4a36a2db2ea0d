"""`envman run` and `enter`: exit codes, stdin/stdout, TTY, forwarded environment, workdir."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from envman.errors import ExitCode
from tests.integration.envman_cli import ENVMAN, PROFILE_IMAGE, Envman, make_envman, unique

pytestmark = pytest.mark.podman


@pytest.fixture(scope="module")
def ready(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Envman, str]]:
    envman = make_envman(tmp_path_factory.mktemp("run"))
    name = unique("itest-run")
    envman.write_profile(
        name, f"envman: 1\nimage: {PROFILE_IMAGE}\nenv: {{FROM_PROFILE: yes-it-is}}\n"
    )
    envman.run("up", name, check=True)
    yield envman, name
    envman.run("rm", "--yes", name)


@pytest.mark.parametrize("code", [0, 1, 7, 42, 255])
def test_exit_code_passes_through(ready: tuple[Envman, str], code: int) -> None:
    envman, name = ready
    assert envman.run("run", name, "--", "sh", "-c", f"exit {code}").returncode == code


def test_stdin_and_stdout_are_kept(ready: tuple[Envman, str]) -> None:
    envman, name = ready
    data = "line one\nline two with 'quotes' and $dollars\n" * 100
    assert envman.run("run", name, "--", "cat", input_text=data).stdout == data
    assert envman.run("run", name, "--", "sh", "-c", "echo err >&2").stderr == "err\n"


def test_arguments_are_not_reinterpreted_by_a_shell(ready: tuple[Envman, str]) -> None:
    envman, name = ready
    args = ["a b", "$HOME", "`id`", "; rm -rf /", "*", "'\""]
    out = envman.run("run", name, "--", "printf", "%s\\n", *args, check=True).stdout
    assert out.splitlines() == args


def test_desktop_environment_is_forwarded_and_nothing_else(ready: tuple[Envman, str]) -> None:
    envman, name = ready
    extra = {
        "DISPLAY": ":99",
        "WAYLAND_DISPLAY": "wayland-7",
        "SSH_AUTH_SOCK": "/tmp/agent.sock",
        "LANG": "C.UTF-8",
        "ENVMAN_ITEST_SECRET": "must-not-leak",
    }
    script = (
        "echo $DISPLAY $WAYLAND_DISPLAY $SSH_AUTH_SOCK $LANG; echo ${ENVMAN_ITEST_SECRET:-absent}"
    )
    out = envman.run("run", name, "--", "sh", "-c", script, extra_env=extra, check=True).stdout
    assert out.splitlines() == [":99 wayland-7 /tmp/agent.sock C.UTF-8", "absent"]
    out = envman.run(
        "run",
        "-e",
        "EXTRA=given",
        name,
        "--",
        "printenv",
        "EXTRA",
        "FROM_PROFILE",
        "ENVMAN_ENV",
        check=True,
    ).stdout
    assert out.splitlines() == ["given", "yes-it-is", name]


def test_working_directory_follows_the_host(ready: tuple[Envman, str], tmp_path: Path) -> None:
    envman, name = ready
    here = tmp_path / "project dir"
    here.mkdir()
    (here / "marker").write_text("seen\n")
    out = envman.run("run", name, "--", "sh", "-c", "pwd; cat marker", cwd=here, check=True).stdout
    assert out.splitlines() == [str(here), "seen"]  # /tmp is shared at the same path
    out = envman.run("run", name, "--", "pwd", cwd=Path("/usr/share"), check=True).stdout
    assert out.strip() == "/run/host/usr/share"  # elsewhere: through the host's root


def test_tty_when_there_is_one(ready: tuple[Envman, str]) -> None:
    envman, name = ready
    without = envman.run("run", name, "--", "sh", "-c", "tty || true", check=True).stdout
    assert "not a tty" in without
    command = f"{ENVMAN} run {name} -- sh -c 'tty; exit 3'"
    result = subprocess.run(
        ["script", "-qec", command, "/dev/null"],
        capture_output=True,
        text=True,
        env=envman.env,
        cwd=envman.work,
        check=False,
        timeout=60,
    )
    assert "/dev/pts/" in result.stdout and result.returncode == 3


def test_enter_opens_a_login_shell(ready: tuple[Envman, str]) -> None:
    envman, name = ready
    result = envman.run("enter", name, input_text="echo inside-$ENVMAN_ENV; exit 5\n")
    assert "inside-" + name in result.stdout and result.returncode == 5


def test_unknown_environment(ready: tuple[Envman, str]) -> None:
    envman, _ = ready
    result = envman.run("run", "no-such-env", "--", "true")
    assert result.returncode == ExitCode.ENV_NOT_FOUND
    assert result.stderr.startswith("envman: error: no environment named 'no-such-env'")
