"""shm_size, the key added through the key table: reaches `podman create`, and only recreates."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.envman_cli import PROFILE_IMAGE, Envman, podman, unique

pytestmark = pytest.mark.podman


@pytest.fixture
def name(envman: Envman) -> Iterator[str]:
    env_name = unique("itest-shm")
    yield env_name
    envman.run("rm", "--yes", env_name)


def shm_bytes(name: str) -> int:
    return int(podman("inspect", name, "--format", "{{.HostConfig.ShmSize}}").stdout.strip())


def test_shm_size_sets_dev_shm_and_a_change_only_recreates(envman: Envman, name: str) -> None:
    envman.write_profile(name, f"envman: 1\nname: {name}\nimage: {PROFILE_IMAGE}\nshm_size: 96m\n")
    first = envman.json("up", name)
    assert shm_bytes(name) == 96 * 1024 * 1024
    df = envman.run("run", name, "--", "df", "-k", "/dev/shm", check=True).stdout
    assert " 98304 " in df
    envman.write_profile(name, f"envman: 1\nname: {name}\nimage: {PROFILE_IMAGE}\nshm_size: 1g\n")
    second = envman.json("up", name)
    assert second["action"] == "recreated" and second["built"] is False
    assert second["image"] == first["image"]
    assert shm_bytes(name) == 1024**3
