"""workdir, a `run` key: run and enter start there; -w still wins; a change recreates nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.envman_cli import PROFILE_IMAGE, Envman, unique

pytestmark = pytest.mark.podman


@pytest.fixture
def name(envman: Envman) -> Iterator[str]:
    env_name = unique("itest-wd")
    yield env_name
    envman.run("rm", "--yes", env_name)


def test_run_starts_in_the_profiles_workdir(envman: Envman, name: str, tmp_path: Path) -> None:
    head = f"envman: 1\nname: {name}\nimage: {PROFILE_IMAGE}\n"
    envman.write_profile(name, head + "workdir: /usr/share\n")
    first = envman.json("up", name)
    assert envman.run("run", name, "--", "pwd", cwd=tmp_path, check=True).stdout == "/usr/share\n"
    out = envman.run("run", name, "-w", "/etc", "--", "pwd", cwd=tmp_path, check=True).stdout
    assert out == "/etc\n"
    envman.write_profile(name, head)
    second = envman.json("up", name)
    assert second["action"] == "up-to-date" and second["image"] == first["image"]
    assert envman.run("run", name, "--", "pwd", cwd=tmp_path, check=True).stdout == f"{tmp_path}\n"
