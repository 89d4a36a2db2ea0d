"""`envman up` of a local profile including an unverified source's host hook: refused, exit 11."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from envman.errors import ExitCode
from tests.integration.envman_cli import BASE_IMAGE, PROFILE_IMAGE, Envman, labelled, unique
from tests.sources.conftest import Keys, TeamRepo
from tests.sources.test_cli import error_lines

pytestmark = pytest.mark.podman


@pytest.fixture
def envman(git_home: Keys, tmp_path: Path) -> Envman:
    envman = Envman(tmp_path, dict(os.environ))
    envman.run("config", "image-override", PROFILE_IMAGE, BASE_IMAGE, check=True)
    return envman


@pytest.fixture
def name(envman: Envman) -> Iterator[str]:
    env_name = unique("srchook")
    yield env_name
    envman.run("rm", "--yes", env_name)  # only when the test failed: nothing should exist


def test_up_refuses_an_included_unverified_host_hook(
    envman: Envman, make_repo: Callable[[str], TeamRepo], tmp_path: Path, name: str
) -> None:
    marker = tmp_path / "host-hook-ran"
    repo = make_repo("team")
    hook = f"envman: 1\nhooks:\n  - run: [touch, {marker}]\n    when: host\n"
    repo.write("profiles/h.yaml", hook)
    commit = repo.commit("a host hook")
    envman.run("source", "add", "team", str(repo.remote), check=True)
    envman.write_profile(name, f"envman: 1\nimage: {PROFILE_IMAGE}\ninclude: [h]\n")

    result = envman.run("up", f"profiles/{name}.yaml")

    assert result.returncode == ExitCode.HOOK_FAILED, result.stderr
    lines = error_lines(result)
    assert lines[0] == (
        f"envman: error: profiles/h.yaml:3: a host hook of source 'team' (team/h@main, commit "
        f"{commit[:12]}) would run on this machine, and the source's refs are not verified"
    )
    assert "nothing was built" in lines[1]
    assert not marker.exists()
    assert labelled("images", f"envman.profile={name}") == []
    assert labelled("ps", f"envman.profile={name}") == []
