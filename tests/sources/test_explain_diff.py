"""`envman profile explain` and `profile diff` on a team source's profiles, through the real CLI."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from envman.errors import ExitCode
from tests.integration.envman_cli import Envman
from tests.sources.conftest import Keys, TeamRepo
from tests.sources.test_cli import error_lines

BASE_V1 = """\
envman: 1
image: docker.io/library/debian:bookworm
packages: [git, vim]
"""
TOOL_V1 = """\
envman: 1
include: [base]
packages: [jq]
env: {EDITOR: vim}
hooks:
  - script: setup.sh
"""
TOOL_V2 = """\
envman: 1
include: [base]
image: docker.io/library/debian:trixie
packages: [jq, ripgrep]
env: {EDITOR: nano}
hooks:
  - script: setup.sh
"""


@pytest.fixture
def envman(git_home: Keys, tmp_path: Path) -> Envman:
    return Envman(tmp_path, dict(os.environ))


@pytest.fixture
def repo(make_repo: Callable[[str], TeamRepo]) -> TeamRepo:
    """Tags v1 and v2 of a team source; v1.1 changes only a runtime setting of v1."""
    repo = make_repo("team")
    repo.write("profiles/base.yaml", BASE_V1)
    repo.write("profiles/tool.yaml", TOOL_V1)
    repo.write("hooks/setup.sh", "#!/bin/sh\necho v1\n", 0o755)
    repo.commit("v1")
    repo.tag("v1")
    repo.write("profiles/tool.yaml", TOOL_V1 + "volumes: [/srv:/srv]\n")
    repo.commit("v1.1")
    repo.tag("v1.1")
    repo.write("profiles/tool.yaml", TOOL_V2)
    repo.write("hooks/setup.sh", "#!/bin/sh\necho v2\n", 0o755)
    repo.commit("v2")
    repo.tag("v2")
    return repo


@pytest.fixture
def added(envman: Envman, repo: TeamRepo) -> TeamRepo:
    envman.run("source", "add", "team", str(repo.remote), "--ref", "v2", check=True)
    return repo


def test_explain_names_the_file_line_and_commit(envman: Envman, added: TeamRepo) -> None:
    commit = added.git("rev-parse", "v1^{commit}")
    rows = {row["key"]: row for row in envman.json("profile", "explain", "team/tool@v1")["rows"]}
    git = rows["packages[git]"]
    assert (git["file"], git["line"], git["revision"], git["commit"]) == (
        "profiles/base.yaml",
        3,
        "team/base@v1",  # the address of the file's own profile
        commit,
    )
    assert (rows["packages[jq]"]["file"], rows["packages[jq]"]["line"]) == ("profiles/tool.yaml", 3)
    assert rows["integration.display"]["file"] == ""  # a default: no file wrote it
    text = envman.run("profile", "explain", "team/tool@v1", check=True).stdout.splitlines()
    assert text[:2] == [
        "include base from profiles/tool.yaml:2 -> profiles/base.yaml @ team/base@v1 "
        f"(commit {commit[:12]}, not verified)",
        "",
    ]
    assert text[2].split() == ["KEY", "VALUE", "FROM"]
    line = next(line for line in text if line.split()[:2] == ["env.EDITOR", "vim"])
    assert line.split(None, 2)[2] == f"profiles/tool.yaml:4 @ team/tool@v1 (commit {commit[:12]})"
    default = next(line for line in text if line.startswith("integration.display"))
    assert default.split()[1:] == ["true", "(default)"]


def test_diff_between_two_tags(envman: Envman, added: TeamRepo) -> None:
    result = envman.json("profile", "diff", "team/tool@v1", "team/tool@v2")
    changes = [(c["kind"], c["key"], c["old"], c["new"]) for c in result["changes"]]
    assert changes == [
        (
            "changed",
            "image",
            "docker.io/library/debian:bookworm",
            "docker.io/library/debian:trixie",
        ),
        ("added", "packages", None, "ripgrep"),
        ("changed", "env.EDITOR", "vim", "nano"),
    ]
    assert [(f["kind"], f["key"]) for f in result["files"]] == [
        ("changed", "envman/hooks/setup.sh")
    ]
    assert result["action"] == "rebuilt" and result["identical"] is False
    assert [step["kind"] for step in result["plan"]["steps"]] == ["build", "recreate"]
    assert result["old"]["content_hash"] != result["new"]["content_hash"]
    v1, v2 = (added.git("rev-parse", f"{tag}^{{commit}}") for tag in ("v1", "v2"))
    text = envman.run("profile", "diff", "team/tool@v1", "v2")  # the same profile, another ref
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines() == [
        f"--- team/tool@v1 (commit {v1})  content {result['old']['content_hash'][:12]}",
        f"+++ team/tool@v2 (commit {v2})  content {result['new']['content_hash'][:12]}",
        "~ image: docker.io/library/debian:bookworm -> docker.io/library/debian:trixie",
        "+ packages: ripgrep",
        "~ env.EDITOR: vim -> nano",
        "~ build file: envman/hooks/setup.sh",
        "up: would be rebuilt (the build content differs: a new image, a new container)",
    ]
    assert envman.run("profile", "diff", "--exit-code", "team/tool@v1", "@v2").returncode == 1


def test_a_runtime_only_change_needs_a_recreate(envman: Envman, added: TeamRepo) -> None:
    result = envman.json("profile", "diff", "team/tool@v1", "v1.1")
    assert [(c["kind"], c["key"], c["new"]) for c in result["changes"]] == [
        ("added", "volumes", "/srv:/srv")
    ]
    assert result["action"] == "recreated"
    assert result["old"]["content_hash"] == result["new"]["content_hash"]
    same = envman.run("profile", "diff", "--exit-code", "team/tool@v1", "team/tool@v1")
    assert same.returncode == 0 and "no differences" in same.stdout


def test_diff_bad_input(envman: Envman, added: TeamRepo) -> None:
    missing_ref = envman.run("profile", "diff", "team/tool@v1", "v9")
    assert missing_ref.returncode == ExitCode.REF_NOT_FOUND
    assert "'v9' was read as a ref of team/tool" in error_lines(missing_ref)[1]
    malformed = envman.run("profile", "diff", "team/tool@v1", "team/tool@-v2")
    assert malformed.returncode == ExitCode.REF_NOT_FOUND
    error_lines(malformed)
    unknown = envman.run("profile", "diff", "team/nosuch@v1", "team/tool@v2")
    assert unknown.returncode == ExitCode.PROFILE_NOT_FOUND
    error_lines(unknown)
    no_source = envman.run("profile", "explain", "other/tool@v1")
    assert no_source.returncode == ExitCode.SOURCE_NOT_FOUND
    error_lines(no_source)


def test_explain_lists_each_include_with_the_file_it_resolved_to(
    envman: Envman, make_repo: Callable[[str], TeamRepo]
) -> None:
    """A local include by name that a source's profile shadows (here a shipped one's name)."""
    repo = make_repo("other")
    repo.write("profiles/debian-dev.yaml", "envman: 1\ninclude: [base]\npackages: [team-tool]\n")
    repo.write("profiles/base.yaml", BASE_V1)
    commit = repo.commit("team profiles")
    envman.run("source", "add", "other", str(repo.remote), check=True)
    mine = envman.write_profile("mine", "envman: 1\npackages: [jq]\n")
    local = envman.write_profile("l", "envman: 1\ninclude: [mine, debian-dev]\n")

    explained = envman.json("profile", "explain", "l")

    common = {"commit": commit, "kind": "source", "verified": False}
    assert explained["includes"] == [
        {
            "name": "mine",
            "depth": 1,
            "file": str(mine),
            "kind": "local",
            "included_at": f"{local}:2",
            "revision": "",
            "commit": "",
            "verified": True,
        },
        {
            "name": "debian-dev",
            "depth": 1,
            "file": "profiles/debian-dev.yaml",
            "included_at": f"{local}:2",
            "revision": "other/debian-dev@main",
            **common,
        },
        {
            "name": "base",
            "depth": 2,
            "file": "profiles/base.yaml",
            "included_at": "profiles/debian-dev.yaml:2",
            "revision": "other/base@main",
            **common,
        },
    ]
    rows = {row["key"]: row for row in explained["rows"]}
    tool = rows["packages[team-tool]"]
    assert (tool["file"], tool["line"], tool["revision"], tool["commit"]) == (
        "profiles/debian-dev.yaml",
        3,
        "other/debian-dev@main",
        commit,
    )
    assert (rows["packages[jq]"]["file"], rows["packages[jq]"]["revision"]) == (str(mine), "")

    shadowed = (
        f"{local}:2: include 'debian-dev' is other/debian-dev@main (commit {commit[:12]}) "
        "of a team source, not the shipped profile 'debian-dev'"
    )
    assert explained["warnings"] == [shadowed]
    result = envman.run("profile", "explain", "l", check=True)
    assert result.stderr == f"envman: warning: {shadowed}\n"
    text = result.stdout.splitlines()
    assert text[:4] == [
        f"include mine from {local}:2 -> {mine}",
        f"include debian-dev from {local}:2 -> profiles/debian-dev.yaml @ other/debian-dev@main "
        f"(commit {commit[:12]}, not verified)",
        "  include base from profiles/debian-dev.yaml:2 -> profiles/base.yaml @ other/base@main "
        f"(commit {commit[:12]}, not verified)",
        "",
    ]
    assert text[4].split() == ["KEY", "VALUE", "FROM"]
