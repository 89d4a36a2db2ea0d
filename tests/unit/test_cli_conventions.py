"""CLI conventions: help with examples and word metavars, `help CMD`, `-h`, completion, formats."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer

from envman.cli.app import app, run_app
from envman.cli.help import suggest
from envman.cli.listformat import render_rows
from envman.cli.names import did_you_mean, env_names, profile_names
from envman.cli.words import command_tree
from envman.errors import EnvNotFound, ExitCode, ProfileNotFound, UsageError
from envman.fastpath import parse
from envman.paths import Paths

ENVMAN = str(Path(sys.executable).parent / "envman")


def leaves(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    subs = getattr(command, "commands", None)
    if not subs:
        return [(path, command)]
    return [leaf for name, sub in subs.items() for leaf in leaves(sub, (*path, name))]


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        run_app(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


ALL = leaves(command_tree(app))


def test_the_tree_has_the_commands_users_expect() -> None:
    names = {" ".join(path) for path, _ in ALL}
    assert {"up", "run", "enter", "ls", "help", "completion", "profile export"} <= names


@pytest.mark.parametrize(("path", "command"), ALL, ids=[" ".join(p) for p, _ in ALL])
def test_every_command_has_examples_and_word_metavars(path: tuple[str, ...], command: Any) -> None:
    ctx = typer.Context(command, info_name=" ".join(("envman", *path)))
    text = command.get_help(ctx)
    assert "Examples:\n\n    envman " + " ".join(path) in text
    usage = text.splitlines()[0]
    left_columns = [r[0] for p in command.params if (r := p.get_help_record(ctx))]
    for shown in (usage, *left_columns):
        assert not re.search(r"\{\w+\}|<[\w ]+>|\b[a-z_]+:", shown), shown
        assert "TEXT" not in shown and "INTEGER" not in shown and "PATH " not in shown


def test_help_command_shows_a_subcommands_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(["help", "profile", "export"], capsys)
    assert code == 0
    assert out.startswith("Usage: envman profile export [OPTIONS] PROFILE")
    code, _, err = cli(["help", "stpo"], capsys)
    assert code == ExitCode.USAGE
    assert "no command 'stpo'" in err and "did you mean 'stop'?" in err


def test_f_is_never_format_and_o_is_output_in_import_and_export(
    capsys: pytest.CaptureFixture[str],
) -> None:
    export = cli(["help", "profile", "export"], capsys)[1]
    imp = cli(["help", "profile", "import"], capsys)[1]
    assert "-f," not in export and "--format FORMAT" in export
    assert "-o, --output FILE" in export and "-o, --output, --output-dir DIR" in imp


@pytest.mark.parametrize("verb", ["run", "enter"])
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_run_and_enter_help(verb: str, flag: str) -> None:
    for argv in ([verb, flag], [verb, "dev", flag]):
        result = subprocess.run([ENVMAN, *argv], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"Usage: envman {verb} [OPTIONS] NAME")
        assert "-w, --workdir DIR" in result.stdout


def test_run_usage_errors_point_to_a_help_that_works() -> None:
    result = subprocess.run([ENVMAN, "run", "dev"], capture_output=True, text=True, check=False)
    assert result.returncode == ExitCode.USAGE
    assert "see `envman run -h`" in result.stderr


def test_options_after_the_name_are_envmans_until_the_command() -> None:
    assert parse(["run", "dev", "-e", "FOO=1", "--", "cmd"]) == (
        "dev",
        ["FOO=1"],
        None,
        ["cmd"],
        False,
    )
    assert parse(["run", "dev", "-w", "/x", "--env=A=b", "ls", "-e"]) == (
        "dev",
        ["A=b"],
        "/x",
        ["ls", "-e"],
        False,
    )
    assert parse(["run", "dev", "--", "-e", "x"]) == ("dev", [], None, ["-e", "x"], False)
    assert parse(["enter", "dev", "-w", "/tmp"]) == ("dev", [], "/tmp", [], False)
    with pytest.raises(UsageError) as info:
        parse(["run", "dev", "-x", "--", "true"])
    assert info.value.exit_code == ExitCode.USAGE


@dataclass
class Row:
    name: str
    state: str
    version: str = "1"
    content_hash: str = "abc"
    image: str = "img"
    created: str = "now"
    address: str = "/p/dev.yaml"


def test_ls_format_go_template_and_braces() -> None:
    rows = [Row("dev", "running"), Row("web", "exited")]
    assert render_rows(rows, "{{.Name}}\\t{{ .State }}") == "dev\trunning\nweb\texited\n"
    assert render_rows(rows, "{name}:{profile}") == "dev:/p/dev.yaml\nweb:/p/dev.yaml\n"
    assert render_rows([Row("a\x1b[31m", "x")], "{name}") == "a\\x1b[31m\n"
    with pytest.raises(UsageError, match="no field 'Bogus'"):
        render_rows([], "{{.Bogus}}")


def test_names_come_from_records_and_directory_listings(paths: Paths) -> None:
    (paths.state / "envs").mkdir(parents=True)
    (paths.state / "envs" / "dev.json").write_text("not even json")
    (paths.state / "run").mkdir()
    (paths.state / "run" / "web").write_text("")
    assert env_names(paths) == ["dev", "web"]
    profiles = paths.cwd / "profiles"
    profiles.mkdir()
    (profiles / "py.yaml").write_text(": not yaml [")
    (profiles / "boxes.ini").write_text("[rust]\nimage=x\n[ go ]\n")
    (profiles / "tool.Containerfile").write_text("FROM x\n")
    (profiles / "notes.txt").write_text("")
    tree = paths.sources / "team" / "trees" / "c0ffee" / "profiles"
    tree.mkdir(parents=True)
    (tree / "shared.yml").write_text("")
    assert {"py", "rust", "go", "tool", "shared"} <= set(profile_names(paths))
    assert "notes" not in profile_names(paths)


def test_did_you_mean_for_environment_and_profile_names(paths: Paths) -> None:
    (paths.state / "run").mkdir(parents=True)
    (paths.state / "run" / "devbox").write_text("")
    (paths.cwd / "profiles").mkdir()
    (paths.cwd / "profiles" / "python.yaml").write_text("")
    env_error = EnvNotFound("no environment named 'devbx'", "see `envman ls`")
    assert suggest(env_error) == "did you mean 'devbox'? see `envman ls`"
    profile_error = ProfileNotFound("no profile named 'pyhton'", None)
    assert suggest(profile_error) == "did you mean 'python'?"
    assert suggest(EnvNotFound("no environment named 'zzz'", "h")) == "h"
    assert did_you_mean("x", []) is None


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(shell: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(["completion", shell], capsys)
    assert code == 0 and "_ENVMAN_COMPLETE=complete_" + shell in out


def test_completion_of_an_unknown_shell_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = cli(["completion", "tcsh"], capsys)
    assert code == ExitCode.USAGE and "use one of bash, zsh, fish" in err


def complete(words: str, xdg: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(xdg),
        "XDG_STATE_HOME": str(xdg / "xdg_state_home"),
        "XDG_CONFIG_HOME": str(xdg / "xdg_config_home"),
        "XDG_DATA_HOME": str(xdg / "xdg_data_home"),
        "ENVMAN_SHIPPED_DIR": str(xdg / "no-shipped-profiles"),
        "_ENVMAN_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
    }
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "envman"],
        capture_output=True,
        text=True,
        env=env,
        cwd=xdg / "work",
        check=False,
    )


def test_completion_of_commands_options_and_names_without_heavy_imports(
    paths: Paths, xdg: Path
) -> None:
    (paths.state / "run").mkdir(parents=True)
    (paths.state / "run" / "devbox").write_text("")
    (paths.cwd / "profiles").mkdir()
    (paths.cwd / "profiles" / "python.yaml").write_text("")
    assert "status" in complete("envman st", xdg).stdout.split()
    assert "--dry-run" in complete("envman rm --d", xdg).stdout.split()
    assert complete("envman run d", xdg).stdout.split() == ["devbox"]
    assert "--root" in complete("envman run --r", xdg).stdout.split()
    assert "--root" in complete("envman enter --r", xdg).stdout.split()
    assert "--list" in complete("envman export devbox --l", xdg).stdout.split()
    result = complete("envman up ", xdg)
    assert result.stdout.split() == ["devbox", "python"]
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines()}
    assert not {"podman", "yaml", "envman.ops.envs", "envman.profile.resolver"} & imported


def test_config_show_of_a_damaged_file_prints_only_the_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config" / "envman" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text("image_overrides: [not, a, map]\n", encoding="utf-8")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    code, out, err = cli(["config", "show"], capsys)
    assert code == ExitCode.PROFILE_SCHEMA and out == "", (code, out, err)
    assert str(config) in err
