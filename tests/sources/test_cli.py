"""`envman source ...` and source addresses through the real CLI: output, errors, exit codes."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from envman.errors import ExitCode
from tests.integration.envman_cli import Envman
from tests.sources.conftest import Keys, TeamRepo


@pytest.fixture
def envman(git_home: Keys, tmp_path: Path) -> Envman:
    """The console script with the test's HOME, XDG dirs and git config (no podman needed)."""
    return Envman(tmp_path, dict(os.environ))


@pytest.fixture
def repo(make_repo: Callable[[str], TeamRepo]) -> TeamRepo:
    repo = make_repo("team")
    repo.write("profiles/base.yaml", "envman: 1\npackages: [one]\n")
    repo.write("profiles/tool.yaml", "envman: 1\ninclude: [base]\n")
    repo.commit("first")
    repo.tag("v1", sign=True)
    repo.tag("unsigned")
    return repo


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 2, lines
    assert lines[0].startswith("envman: error: ") and lines[1].startswith("hint: ")
    return lines


def nothing_recorded(envman: Envman, name: str) -> bool:
    sources = Path(envman.env["XDG_CONFIG_HOME"]) / "envman" / "sources.yaml"
    data = Path(envman.env["XDG_DATA_HOME"]) / "envman" / "sources" / name
    return (not sources.exists() or f"name: {name}\n" not in sources.read_text()) and not (
        data.exists()
    )


def test_add_list_sync_show_rm(envman: Envman, repo: TeamRepo) -> None:
    added = envman.run("source", "add", "team", str(repo.remote), "--ref", "v1", "--verify")
    assert added.returncode == 0, added.stderr
    commit = repo.git("rev-parse", "v1^{commit}")
    assert added.stdout == f"team: synced tag v1 at {commit[:12]}, signed by dev@example.com\n"
    [row] = envman.json("source", "list")
    assert (row["name"], row["url"], row["ref"], row["verify"], row["commit"]) == (
        "team",
        str(repo.remote),
        "v1",
        True,
        commit,
    )
    text = envman.run("source", "list", check=True).stdout.splitlines()
    assert text[0].split() == ["NAME", "REF", "COMMIT", "VERIFY", "SYNCED", "URL"]
    assert text[1].split()[:4] == ["team", "v1", commit[:12], "yes"]

    listed = envman.run("profile", "list", check=True).stdout
    assert f"team/tool@v1 ({commit[:12]})" in listed
    shown = envman.run("profile", "show", "team/tool@v1", check=True).stdout
    assert shown.splitlines()[0] == f"# source: team/tool@v1 (commit {commit})"
    assert envman.json("profile", "show", "tool")["profile"]["packages"] == ["one"]

    synced = envman.run("source", "sync", check=True).stdout
    assert synced.startswith("team: up to date (tag v1 at ")
    removed = envman.run("source", "rm", "team", check=True).stdout
    assert removed == f"team: removed ({repo.remote})\n"
    assert envman.json("source", "list") == []
    assert nothing_recorded(envman, "team")


@pytest.mark.parametrize("name", ["../x", "a/b", ".hidden", "x/../../y", "x\n", "a..b"])
def test_a_bad_source_name(envman: Envman, repo: TeamRepo, name: str) -> None:
    result = envman.run("source", "add", name, str(repo.remote))
    assert result.returncode == ExitCode.SOURCE_NAME
    shown = repr(name).replace("\\", "\\")
    assert error_lines(result)[0] == f"envman: error: {shown} is not a valid source name"
    assert not (Path(envman.env["XDG_DATA_HOME"]) / "envman").exists()  # nothing made, anywhere
    assert envman.run("source", "rm", name).returncode == ExitCode.SOURCE_NAME


@pytest.mark.parametrize(
    ("key", "value"),
    [("name", "../x"), ("name", "'x\\n'"), ("url", "--upload-pack=x"), ("ref", "-x")],
)
def test_sources_yaml_is_checked_like_source_add(
    envman: Envman, repo: TeamRepo, key: str, value: str
) -> None:
    """A hand-edited sources.yaml never makes `source sync` write outside the sources dir."""
    config = Path(envman.env["XDG_CONFIG_HOME"]) / "envman" / "sources.yaml"
    config.parent.mkdir(parents=True)
    entry = {"name": "team", "url": str(repo.remote), "ref": "v1"} | {key: value}
    config.write_text(
        "sources:\n"
        + "".join(f"{'- ' if k == 'name' else '  '}{k}: {v}\n" for k, v in entry.items())
    )
    data = Path(envman.env["XDG_DATA_HOME"])
    for args in (["source", "sync"], ["source", "sync", "team"], ["source", "list"]):
        result = envman.run(*args)
        assert result.returncode in (
            ExitCode.SOURCE_NAME,
            ExitCode.SOURCE_INVALID,
            ExitCode.REF_NOT_FOUND,
        ), result.stderr
        line = error_lines(result)[0]
        assert line.startswith(f"envman: error: {config}:"), line
        assert f"sources[0].{key}" in line
    assert not data.exists() or list(data.rglob("*")) == []


def test_a_url_that_is_not_a_repository(envman: Envman, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "profiles").mkdir()
    result = envman.run("source", "add", "team", str(plain))
    assert result.returncode == ExitCode.SOURCE_INVALID
    assert error_lines(result)[0].startswith(f"envman: error: source 'team': {plain} is not a git")
    assert nothing_recorded(envman, "team")
    option = envman.run("source", "add", "team", "--", "--upload-pack=touch /tmp/pwned")
    assert option.returncode == ExitCode.SOURCE_INVALID
    error_lines(option)


def test_a_ref_that_does_not_exist(envman: Envman, repo: TeamRepo) -> None:
    result = envman.run("source", "add", "team", str(repo.remote), "--ref", "v9")
    assert result.returncode == ExitCode.REF_NOT_FOUND
    lines = error_lines(result)
    assert lines[0] == "envman: error: source 'team' has no tag, branch or commit 'v9'"
    assert nothing_recorded(envman, "team")
    envman.run("source", "add", "team", str(repo.remote), check=True)
    missing = envman.run("profile", "show", "team/tool@v9")
    assert missing.returncode == ExitCode.REF_NOT_FOUND
    error_lines(missing)
    injected = envman.run("profile", "show", "team/tool@--output=/tmp/x")
    assert injected.returncode == ExitCode.REF_NOT_FOUND
    error_lines(injected)


def test_an_unreachable_remote(envman: Envman, repo: TeamRepo) -> None:
    result = envman.run("source", "add", "team", "http://127.0.0.1:1/team.git")
    assert result.returncode == ExitCode.SOURCE_UNREACHABLE
    assert "cannot reach http://127.0.0.1:1/team.git" in error_lines(result)[0]
    assert nothing_recorded(envman, "team")


def test_unknown_and_duplicate_sources(envman: Envman, repo: TeamRepo) -> None:
    for args in (
        ["source", "sync", "nope"],
        ["source", "rm", "nope"],
        ["profile", "show", "nope/x"],
    ):
        result = envman.run(*args)
        assert result.returncode == ExitCode.SOURCE_NOT_FOUND, args
        assert error_lines(result)[0] == "envman: error: no source named 'nope'"
    envman.run("source", "add", "team", str(repo.remote), check=True)
    again = envman.run("source", "add", "team", str(repo.remote))
    assert again.returncode == ExitCode.SOURCE_NAME
    assert error_lines(again)[0] == "envman: error: a source named 'team' exists"


def test_refused_ref_through_the_cli(envman: Envman, repo: TeamRepo) -> None:
    envman.run("source", "add", "team", str(repo.remote), "--ref", "v1", "--verify", check=True)
    result = envman.run("profile", "show", "team/tool@unsigned")
    assert result.returncode == ExitCode.REF_UNVERIFIED
    assert error_lines(result)[0] == (
        "envman: error: source 'team': tag 'unsigned' is refused: the tag is not signed"
    )


def test_sync_all_reports_each_failure_and_keeps_going(envman: Envman, repo: TeamRepo) -> None:
    envman.run("source", "add", "team", str(repo.remote), check=True)
    envman.run("source", "add", "later", str(repo.remote), check=True)
    config = Path(envman.env["XDG_CONFIG_HOME"]) / "envman" / "sources.yaml"
    config.write_text(config.read_text().replace(str(repo.remote), "http://127.0.0.1:1/x", 1))
    result = envman.run("source", "sync")
    assert result.returncode == ExitCode.SOURCE_UNREACHABLE
    assert result.stdout.startswith("later: up to date")
    assert result.stderr.startswith("envman: error: source 'team': cannot reach")


def test_help_lists_the_source_commands(envman: Envman) -> None:
    assert "source" in envman.run("--help", check=True).stdout
    text = envman.run("source", "--help", check=True).stdout
    for command in ("add", "list", "sync", "rm"):
        assert command in text
