"""Being inside an environment: enter -- CMD, --root, CONTAINER_ID, the prompt, export --list.

Each behaviour is checked over podman's API (ENVMAN_RUN_VIA=api) and through the `podman exec`
fallback (ENVMAN_RUN_VIA=podman) where both paths carry it.
"""

from __future__ import annotations

import json
import os
import pty
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from envman.render.prompt import PROMPT_FILE, prompt_snippet
from tests.integration.envman_cli import ENVMAN, PROFILE_IMAGE, Envman, make_envman, unique
from tests.integration.terminal import exit_status, read_until

pytestmark = pytest.mark.podman

PATHS = {"api": {"ENVMAN_RUN_VIA": "api"}, "podman": {"ENVMAN_RUN_VIA": "podman"}}
LOGIN_MARK = "export ENVMAN_ITEST_LOGIN=from-profile-d\n"
APP = "[Desktop Entry]\nType=Application\nName=Itest Tool\nExec=envman-itest-tool\n"


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Envman, str]]:
    root = tmp_path_factory.mktemp("inside")
    envman = make_envman(root, user_env={"XDG_DATA_HOME": str(root / "data")})
    name = unique("itest-inside")
    envman.write_profile(name, f"envman: 1\nimage: {PROFILE_IMAGE}\n")
    envman.run("up", name, check=True)
    setup = (
        'printf %s "$1" > /etc/profile.d/itest.sh; '
        "mkdir -p /usr/share/applications; "
        'printf %s "$2" > /usr/share/applications/org.example.ItestTool.desktop; '
        "printf '#!/bin/sh\\necho tool\\n' > /usr/local/bin/envman-itest-tool; "
        "chmod 755 /usr/local/bin/envman-itest-tool"
    )
    envman.run("run", name, "--", "sh", "-c", setup, "setup", LOGIN_MARK, APP, check=True)
    yield envman, name
    envman.run("rm", "--yes", name)


def _as_user(envman: Envman, name: str, user: str) -> None:
    """The run-file's user: on a root host the user inside is root, so tests stand in another."""
    path = Path(envman.env["XDG_STATE_HOME"]) / "envman" / "run" / name
    lines = path.read_text().splitlines()
    path.write_text("".join(f"user={user}\n" if x.startswith("user=") else x + "\n" for x in lines))


@pytest.fixture
def as_nobody(box: tuple[Envman, str]) -> Iterator[tuple[Envman, str]]:
    envman, name = box
    _as_user(envman, name, "nobody")
    yield box
    _as_user(envman, name, "root")


def _in_pty(envman: Envman, argv: list[str], extra: dict[str, str]) -> tuple[int, int]:
    pid, master = pty.fork()
    if pid == 0:  # the child: envman on a terminal
        os.chdir("/")
        os.execve(ENVMAN, [ENVMAN, *argv], {**envman.env, **extra, "TERM": "xterm"})
    return pid, master


@pytest.mark.parametrize("path", ["api", "podman"])
def test_enter_runs_a_command_in_the_login_environment_on_a_terminal(
    box: tuple[Envman, str], path: str
) -> None:
    envman, name = box
    script = 'tty; echo "login=${ENVMAN_ITEST_LOGIN:-none}"; exit 3'
    pid, master = _in_pty(envman, ["enter", name, "--", "sh", "-c", script], PATHS[path])
    try:
        seen = read_until(master, b"login=")
        seen += read_until(master, b"\n")
    finally:
        assert exit_status(pid) == 3
        os.close(master)
    assert b"/dev/pts/" in seen and b"login=from-profile-d" in seen
    # `run` does not read the login files: that is the difference
    plain = envman.run("run", name, "--", "printenv", "ENVMAN_ITEST_LOGIN", extra_env=PATHS[path])
    assert plain.returncode == 1 and plain.stdout == ""


def test_enter_keeps_arguments_and_says_a_missing_command_in_one_line(
    box: tuple[Envman, str],
) -> None:
    envman, name = box
    args = ["a b", "$HOME", "`id`", "'\""]
    out = envman.run("enter", name, "--", "printf", "%s\\n", *args, check=True).stdout
    assert out.splitlines() == args
    missing = envman.run("enter", name, "--", "no-such-command-here")
    assert missing.returncode == 127
    assert missing.stderr.splitlines() == [
        "envman: error: 'no-such-command-here' was not found in the environment",
        "hint: check its PATH",
    ]


@pytest.mark.parametrize("path", ["api", "podman"])
def test_root_runs_as_uid_0_with_roots_home(as_nobody: tuple[Envman, str], path: str) -> None:
    envman, name = as_nobody
    script = 'echo "$(id -u) $HOME"'
    user = envman.run("run", name, "--", "sh", "-c", script, extra_env=PATHS[path], check=True)
    assert user.stdout.split()[0] == "65534"  # the run-file's user (here: nobody)
    root = envman.run(
        "run", name, "--root", "--", "sh", "-c", script, extra_env=PATHS[path], check=True
    )
    assert root.stdout.split() == ["0", "/root"]
    entered = envman.run("enter", "--root", name, "--", "id", "-u", extra_env=PATHS[path])
    assert (entered.stdout, entered.returncode) == ("0\n", 0)


@pytest.mark.parametrize("path", ["api", "podman"])
def test_container_id_names_the_environment(box: tuple[Envman, str], path: str) -> None:
    envman, name = box
    out = envman.run("run", name, "--", "printenv", "CONTAINER_ID", extra_env=PATHS[path])
    assert out.stdout == f"{name}\n"
    given = envman.run(
        "run", name, "-e", "CONTAINER_ID=mine", "--", "printenv", "CONTAINER_ID", check=True
    )
    assert given.stdout == "mine\n"  # the user's -e wins


def test_the_prompt_snippet_is_installed_and_marks_an_interactive_shell(
    box: tuple[Envman, str],
) -> None:
    envman, name = box
    installed = envman.run("run", name, "--", "cat", PROMPT_FILE, check=True).stdout
    assert installed == prompt_snippet()
    pid, master = _in_pty(envman, ["enter", name], PATHS["api"])
    try:
        first = read_until(master, "⬢".encode())  # the first prompt: type only once it is up
        first += read_until(master, b"# ", timeout=10)
        os.write(master, b"echo marker-$((6*7)) host-$(uname -n)\n")
        seen = read_until(master, b"marker-42 host-")
        seen += read_until(master, b"\n", timeout=10)
        os.write(master, b"exit 4\n")
    finally:
        assert exit_status(pid) == 4
        os.close(master)
    prompt = first.decode(errors="replace")
    assert f"⬢\x1b[0m {name} " in prompt
    # the hostname is the host's
    assert f"marker-42 host-{socket.gethostname()}" in seen.decode(errors="replace")


def test_a_missing_command_is_one_line_on_the_fallback_too(box: tuple[Envman, str]) -> None:
    envman, name = box
    missing = envman.run("run", name, "--", "no-such-command-here", extra_env=PATHS["podman"])
    assert missing.returncode == 127
    assert missing.stderr.splitlines() == [
        "envman: error: 'no-such-command-here' was not found in the environment",
        "hint: check its PATH",
    ]
    not_exec = envman.run("run", name, "--", "/etc/passwd", extra_env=PATHS["podman"])
    assert not_exec.returncode == 126 and "runc" not in not_exec.stderr
    found = envman.run("run", name, "--", "envman-itest-tool", extra_env=PATHS["podman"])
    assert (found.stdout, found.returncode) == ("tool\n", 0)


def test_export_list_shows_apps_and_binaries_and_marks_exported_ones(
    box: tuple[Envman, str],
) -> None:
    envman, name = box
    rows = json.loads(envman.run("export", name, "--list", "--json", check=True).stdout)
    by_key = {(r["kind"], r["key"]): r for r in rows}
    app = by_key[("app", "org.example.ItestTool")]
    assert app["path"] == "/usr/share/applications/org.example.ItestTool.desktop"
    tool = by_key[("bin", "/usr/local/bin/envman-itest-tool")]
    assert (tool["exported"], tool["on_host"]) == (False, False)
    assert by_key[("bin", "/usr/bin/sh")]["on_host"] is True
    bins = envman.root / "bin"
    envman.run("export", name, "--app", "org.example.ItestTool", check=True)
    envman.run(
        "export",
        name,
        "--bin",
        "/usr/local/bin/envman-itest-tool",
        "--bins-path",
        str(bins),
        check=True,
    )
    text = envman.run("export", name, "--list", check=True)
    lines = text.stdout.splitlines()
    assert lines[0].split() == ["KIND", "NAME", "EXPORTED", "EXPORT", "WITH"]
    assert ["app", "org.example.ItestTool", "yes", "--app", "org.example.ItestTool"] in [
        line.split() for line in lines
    ]
    assert ["bin", "envman-itest-tool", "yes", "--bin", "/usr/local/bin/envman-itest-tool"] in [
        line.split() for line in lines
    ]
    assert not any(line.split()[1] == "sh" for line in lines[1:])  # the host has sh
    assert "binaries the host's PATH also has are not listed" in text.stderr
    envman.run("unexport", name, "--all", check=True)


def test_export_list_with_an_export_is_a_usage_error(box: tuple[Envman, str]) -> None:
    envman, name = box
    result = envman.run("export", name, "--list", "--bin", "/usr/bin/sh")
    assert result.returncode == 2 and result.stderr.startswith("envman: error: --list")
