"""The `envman run`/`enter` hot path: arguments, the podman argv, the run-file, its imports."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from envman import fastpath
from envman.errors import ExitCode, UsageError
from envman.fastpath import exec_argv, parse, workdir
from envman.paths import Paths
from envman.state import EnvState, load_state, run_file, save_state

STATE = EnvState(
    name="dev",
    profile_source="/p/dev.yaml",
    profile_version="1",
    content_hash="c" * 64,
    image="localhost/envman/dev:ccc",
    image_id="i" * 64,
    container_id="abc123",
    spec_hash="s",
    updated="2026-01-01T00:00:00+00:00",
    user="alice",
    home="/home/alice",
    visible_paths=("/home/alice", "/tmp"),
    forward_env=("DISPLAY", "TERM"),
    pid_file="/nonexistent/pidfile",
    podman="/usr/bin/podman",
)


def test_parse_run_and_enter() -> None:
    assert parse(["run", "dev", "--", "ls", "-l"]) == ("dev", [], None, ["ls", "-l"], False)
    assert parse(["run", "dev", "ls", "--", "x"]) == ("dev", [], None, ["ls", "--", "x"], False)
    assert parse(["run", "-e", "A=1", "--env=B=2", "-w", "/tmp", "dev", "--", "env"]) == (
        "dev",
        ["A=1", "B=2"],
        "/tmp",
        ["env"],
        False,
    )
    assert parse(["enter", "dev"]) == ("dev", [], None, [], False)


def test_enter_takes_a_command_after_dashes_and_root_goes_anywhere_before() -> None:
    assert parse(["enter", "dev", "--", "ls", "-l"]) == ("dev", [], None, ["ls", "-l"], False)
    assert parse(["enter", "--root", "dev"]) == ("dev", [], None, [], True)
    assert parse(["run", "dev", "--root", "--", "id"]) == ("dev", [], None, ["id"], True)
    assert parse(["run", "dev", "--", "id", "--root"]) == ("dev", [], None, ["id", "--root"], False)


@pytest.mark.parametrize(
    "argv",
    [
        ["run"],
        ["run", "dev"],
        ["run", "--bogus", "dev", "x"],
        ["run", "-e", "NOEQUALS", "dev", "x"],
        ["enter", "dev", "ls"],
        ["enter", "dev", "--"],
    ],
)
def test_parse_errors_are_usage_errors(argv: list[str]) -> None:
    with pytest.raises(UsageError) as info:
        parse(argv)
    assert info.value.exit_code == ExitCode.USAGE


def test_exec_argv_forwards_only_present_desktop_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPLAY", ":1")
    monkeypatch.delenv("TERM", raising=False)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")  # not in this env's forward list
    values = {
        "podman": "/usr/bin/podman",
        "user": "alice",
        "id": "abc123",
        "forward": "DISPLAY TERM",
    }
    argv = exec_argv(values, ["X=1"], "/home/alice/src", ["make", "-j2"])
    assert argv[:4] == ["/usr/bin/podman", "exec", "--interactive", "--detach-keys="]
    assert argv[-3:] == ["abc123", "make", "-j2"]
    joined = " ".join(argv)
    assert "--user alice --workdir /home/alice/src" in joined
    assert "--env DISPLAY" in joined and "--env X=1" in joined
    assert "WAYLAND" not in joined and "TERM" not in joined.replace("--", "")
    assert argv.index("CONTAINER_ID=") < argv.index("X=1")  # the user's -e comes later and wins


def test_exec_argv_as_root_and_container_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    values = {"user": "alice", "id": "abc123", "container": "dev", "forward": "DISPLAY"}
    plain = " ".join(exec_argv(values, [], "/", ["id"]))
    assert "--user alice" in plain and "--env CONTAINER_ID=dev" in plain and "HOME=" not in plain
    root = " ".join(exec_argv(values, [], "/", ["id"], root=True))
    assert "--user root" in root and "--env CONTAINER_ID=dev --env HOME=/root" in root


def test_workdir_same_path_when_visible_else_through_run_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inside = tmp_path / "home" / "proj"
    inside.mkdir(parents=True)
    monkeypatch.chdir(inside)
    assert workdir({"visible": str(tmp_path / "home")}, None) == str(inside)
    assert workdir({"visible": "/elsewhere"}, None) == "/run/host" + str(inside)
    assert workdir({"visible": "/x"}, "/explicit") == "/explicit"


def test_workdir_of_the_profile_unless_w_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    info = {"visible": str(tmp_path), "workdir": "/src"}
    assert workdir(info, None) == "/src"
    assert workdir(info, "/explicit") == "/explicit"


def test_run_settings_reach_the_run_file_and_survive_the_state_file(paths: Paths) -> None:
    state = replace(STATE, run_settings=(("workdir", "/src"), ("user", "mallory")))
    save_state(paths, state)
    assert load_state(paths, "dev") == state
    info = fastpath.read_run_file("dev")
    assert info["workdir"] == "/src" and info["user"] == "alice"  # never overrides envman's rows


def test_run_file_round_trip_through_state(paths: Paths) -> None:
    save_state(paths, STATE)
    assert load_state(paths, "dev") == STATE
    text = run_file(paths, "dev").read_text()
    assert "container=dev\n" in text and "pidfile=/nonexistent/pidfile\n" in text
    info = fastpath.read_run_file("dev")
    assert info["id"] == "abc123" and info["visible"].split("\t") == ["/home/alice", "/tmp"]
    assert not fastpath.is_running(info)


def test_unknown_environment_is_a_clear_error(
    paths: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    assert fastpath.main(["run", "ghost", "--", "true"]) == ExitCode.ENV_NOT_FOUND
    err = capsys.readouterr().err
    assert "no environment named 'ghost'" in err and "envman up ghost" in err
    assert fastpath.main(["run", "../etc", "--", "true"]) == ExitCode.ENV_NOT_FOUND


def test_hot_path_imports_nothing_heavy() -> None:
    code = (
        "import sys; from envman.cli import main; import envman.fastpath; "
        "heavy = {'json', 're', 'typing', 'subprocess', 'typer', 'podman', 'yaml', 'enum', "
        "'dataclasses', 'pathlib'}; "
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_dead_container_host_is_engine_unavailable_without_heavy_imports(
    paths: Paths, tmp_path: Path
) -> None:
    save_state(paths, STATE)
    dead = tmp_path / "dead.sock"
    code = (
        "import sys; from envman.fastpath import main; code = main(['run', 'dev', '--', 'true']); "
        "heavy = {'json', 're', 'typing', 'subprocess', 'enum', 'socket', 'pathlib'}; "
        "print(sorted(heavy & set(sys.modules))); sys.exit(code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "CONTAINER_HOST": f"unix://{dead}"},
    )
    assert result.returncode == ExitCode.ENGINE_UNAVAILABLE, result.stderr
    assert result.stdout.strip() == "[]"
    assert result.stderr.splitlines() == [
        f"envman: error: podman at CONTAINER_HOST=unix://{dead} does not answer: "
        "No such file or directory",
        "hint: start its service (systemctl --user start podman.socket, or podman system "
        f"service unix://{dead}), or unset CONTAINER_HOST to use local podman",
    ]


@pytest.mark.parametrize(
    ("command", "code", "err"),
    [
        (["printf", "%s|", "a b", "$x"], 0, ""),  # a builtin that is also on PATH runs, args kept
        (["no-such-command-here"], 127, "'no-such-command-here' was not found"),
        (["cd"], 127, "'cd' was not found"),  # a shell builtin alone is no command to exec
        (["/no/such/path"], 127, "'/no/such/path' was not found"),
    ],
)
def test_the_fallbacks_missing_command_check(command: list[str], code: int, err: str) -> None:
    result = subprocess.run(
        ["/bin/sh", "-c", fastpath.FOUND_OR_127, "envman-run", *command],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == code
    if err:
        assert result.stderr == f"envman: error: {err} in the environment\nhint: check its PATH\n"
    else:
        assert (result.stdout, result.stderr) == ("a b|$x|", "")
