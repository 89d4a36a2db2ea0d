"""`envman profile explain` and `profile diff` on local profiles, through the real CLI."""

from __future__ import annotations

import pytest

from envman.errors import ExitCode
from tests.helpers import assert_golden
from tests.integration.envman_cli import Envman
from tests.integration.test_profile_cli import INI

BASE = """\
envman: 1
image: docker.io/library/debian:bookworm
packages: [git, vim]
env: {EDITOR: vim, PAGER: less}
hooks:
  - run: [echo, base]
"""
TOP = """\
envman: 1
include: [base]
description: the top box
image: docker.io/library/debian:trixie
packages: [jq]
env:
  EDITOR: nano
integration: {init: true}
"""


def test_explain_shows_each_value_with_its_file_and_line(envman: Envman) -> None:
    base = envman.write_profile("base", BASE)
    top = envman.write_profile("top", TOP)
    rows = {row["key"]: row for row in envman.json("profile", "explain", "top")["rows"]}
    assert (rows["packages[vim]"]["file"], rows["packages[vim]"]["line"]) == (str(base), 3)
    assert (rows["image"]["value"], rows["image"]["file"], rows["image"]["line"]) == (
        "docker.io/library/debian:trixie",
        str(top),
        4,
    )
    assert (rows["env.PAGER"]["file"], rows["env.EDITOR"]["file"]) == (str(base), str(top))
    assert rows["hooks[0]"]["value"] == '{"run": ["echo", "base"], "when": "build"}'
    assert rows["integration.audio"] == {
        "key": "integration.audio",
        "value": "true",
        "file": "",
        "line": 0,
        "revision": "",
        "commit": "",
    }
    text = envman.run("profile", "explain", "top", check=True).stdout
    assert_golden("profile/explain-include.txt", text.replace(str(envman.work), "WORK"))


def test_explain_an_ini_section_and_an_unset_image(envman: Envman) -> None:
    ini = envman.work / "team.ini"
    ini.write_text(INI)
    rows = {row["key"]: row for row in envman.json("profile", "explain", f"{ini}#tools")["rows"]}
    assert (rows["packages[git]"]["line"], rows["packages[jq]"]["line"]) == (3, 7)
    assert rows["exports.bins[/usr/bin/jq]"]["line"] == 10
    assert rows["hooks[0]"]["line"] == 8
    envman.write_profile("bare", "envman: 1\n")
    image = next(
        r for r in envman.json("profile", "explain", "bare")["rows"] if r["key"] == "image"
    )
    assert (image["value"], image["file"]) == (
        "registry.fedoraproject.org/fedora-toolbox:latest",
        "",
    )


def test_diff_two_local_files(envman: Envman) -> None:
    envman.write_profile("base", BASE)
    old = envman.write_profile("top", TOP)
    new = envman.work / "top2.yaml"
    new.write_text(TOP.replace("[jq]", "[jq, ripgrep]").replace("nano", "emacs"))
    result = envman.run("profile", "diff", str(old), "top2.yaml")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[2:] == [
        "~ name: top -> top2",
        "+ packages: ripgrep",
        "~ env.EDITOR: nano -> emacs",
        "up: would be rebuilt (the build content differs: a new image, a new container)",
    ]
    assert envman.run("profile", "diff", "--exit-code", "top", "top2.yaml").returncode == 1
    data = envman.json("profile", "diff", "top", "top2.yaml")
    assert data["old"]["source"] == str(old) and data["action"] == "rebuilt"
    same = envman.run("profile", "diff", "--exit-code", "top", str(old))
    assert same.returncode == 0
    assert same.stdout.splitlines()[2:] == [
        "no differences",
        "up: up-to-date (an environment made from one runs what the other says)",
    ]


def test_diff_a_runtime_only_change(envman: Envman) -> None:
    envman.write_profile("base", BASE)
    envman.write_profile("top", TOP)
    changed = TOP.replace("{init: true}", "{init: true, home: ~/b}") + "name: top\n"
    (envman.work / "top-home.yaml").write_text(changed)
    data = envman.json("profile", "diff", "top", "top-home.yaml")
    assert data["action"] == "recreated"
    assert [(c["kind"], c["key"]) for c in data["changes"]] == [("changed", "integration.home")]


def test_diff_containerfiles_that_differ_only_in_a_run_line(envman: Envman) -> None:
    text = "FROM docker.io/library/debian:bookworm\nRUN echo {}\n"
    for version in ("1", "2"):
        box = envman.work / f"v{version}" / "box.Containerfile"
        box.parent.mkdir()
        box.write_text(text.format(version))
    result = envman.run("profile", "diff", "v1/box.Containerfile", "v2/box.Containerfile")
    assert result.stdout.splitlines()[2:] == [
        "~ build file: box.Containerfile",
        "up: would be rebuilt (the build content differs: a new image, a new container)",
    ]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["explain", "nosuch"], ExitCode.PROFILE_NOT_FOUND, "no profile named 'nosuch'"),
        (["diff", "top", "nosuch"], ExitCode.PROFILE_NOT_FOUND, "no profile named 'nosuch'"),
        (["diff", "a/b/c@v1", "top"], ExitCode.PROFILE_NOT_FOUND, "a/b/c@v1: no such file"),
        (["diff", "top", "team/top@v2"], ExitCode.SOURCE_NOT_FOUND, "no source named 'team'"),
        (["diff", "top", "@v2"], ExitCode.USAGE, "'@v2': only a team source's profile"),
    ],
)
def test_bad_input(envman: Envman, args: list[str], code: int, message: str) -> None:
    envman.write_profile("base", BASE)
    envman.write_profile("top", TOP)
    result = envman.run("profile", *args)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    first, hint = [line for line in result.stderr.splitlines() if line.strip()]
    assert first.startswith(f"envman: error: {message}") and hint.startswith("hint: ")


def test_diff_needs_two_profiles(envman: Envman) -> None:
    assert envman.run("profile", "diff", "top").returncode == ExitCode.USAGE
