"""Failures on real podman: clear errors, distinct exit codes, the previous state still working."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from envman.errors import ExitCode
from tests.integration.envman_cli import (
    BASE_IMAGE,
    PROFILE_IMAGE,
    Envman,
    labelled,
    make_envman,
    podman,
    unique,
)

pytestmark = pytest.mark.podman

GOOD = f"""\
envman: 1
image: {PROFILE_IMAGE}
hooks:
  - run: [sh, -c, "echo good > /etc/which"]
"""


@pytest.fixture(scope="module")
def working(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Envman, str]]:
    envman = make_envman(tmp_path_factory.mktemp("fail"))
    name = unique("itest-fail")
    envman.write_profile(name, GOOD)
    envman.run("up", name, check=True)
    yield envman, name
    envman.run("rm", "--yes", name)


def still_good(envman: Envman, name: str) -> None:
    assert envman.run("run", name, "--", "cat", "/etc/which", check=True).stdout == "good\n"
    assert envman.json("up", name)["action"] in ("up-to-date", "started")


def test_failed_build_keeps_the_previous_image_and_container(working: tuple[Envman, str]) -> None:
    envman, name = working
    envman.write_profile(name, GOOD + '  - run: [sh, -c, "echo boom-step >&2; exit 3"]\n')
    result = envman.run("up", name)
    assert result.returncode == ExitCode.BUILD_FAILED, result.stderr
    assert "boom-step" in result.stderr  # the build output streamed to the user
    assert "previous image and container are untouched" in result.stderr
    assert "Traceback" not in result.stderr
    envman.write_profile(name, GOOD)
    still_good(envman, name)


def test_failed_create_hook_keeps_the_previous_container(working: tuple[Envman, str]) -> None:
    envman, name = working
    envman.write_profile(name, GOOD + '  - run: [sh, -c, "exit 4"]\n    when: create\n')
    result = envman.run("up", name)
    assert result.returncode == ExitCode.HOOK_FAILED, result.stderr
    assert f"{name}.yaml:5" in result.stderr and "status 4" in result.stderr
    assert podman("container", "exists", f"{name}.envman-new").returncode == 1
    envman.write_profile(name, GOOD)
    still_good(envman, name)


def test_build_hook_that_needs_the_running_container_says_so(working: tuple[Envman, str]) -> None:
    envman, name = working
    envman.write_profile(name, GOOD + '  - run: [sh, -c, "cp ~/.bashrc /etc/skel/"]\n')
    result = envman.run("up", name)
    assert result.returncode == ExitCode.PROFILE_SCHEMA  # a profile reason, as validate says
    assert f"{name}.yaml:5" in result.stderr and "when: create" in result.stderr
    assert "STEP" not in result.stderr  # refused before building anything
    envman.write_profile(name, GOOD)
    still_good(envman, name)


def test_name_clash_with_a_container_envman_did_not_create(tmp_path: Path) -> None:
    envman = make_envman(tmp_path)
    name = unique("itest-clash")
    podman("create", "--name", name, BASE_IMAGE, "true")
    try:
        envman.write_profile(name, GOOD)
        result = envman.run("up", name)
        assert result.returncode == ExitCode.NAME_CLASH
        assert f"a container named '{name}' exists and envman did not create it" in result.stderr
        assert labelled("images", f"envman.profile={name}") == []  # nothing half-done
        rm = envman.run("rm", "--yes", name)
        assert rm.returncode == ExitCode.NAME_CLASH
        assert podman("container", "exists", name).returncode == 0  # never removed
    finally:
        podman("rm", "-f", name)


def test_unreachable_registry(tmp_path: Path) -> None:
    envman = make_envman(tmp_path)
    name = unique("itest-registry")
    envman.write_profile(name, "envman: 1\nimage: registry.invalid/nothing/here:1\n")
    result = envman.run("up", name)
    assert result.returncode == ExitCode.REGISTRY_UNREACHABLE, result.stderr
    assert "registry.invalid/nothing/here:1" in result.stderr and "image-override" in result.stderr
    assert len(result.stderr.strip().splitlines()[-2:]) == 2


def test_private_api_service_when_no_socket_answers(tmp_path: Path) -> None:
    envman = make_envman(tmp_path)
    envman.env.pop("CONTAINER_HOST", None)  # local podman: a dead CONTAINER_HOST is exit 6
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    envman.env["XDG_RUNTIME_DIR"] = str(runtime)
    result = envman.run("ls")
    assert result.returncode == 0, result.stderr
    assert "started a private podman API service" in result.stderr
    again = envman.run("ls")
    assert again.returncode == 0 and "started a private" not in again.stderr


def test_podman_missing_is_a_clear_error(tmp_path: Path) -> None:
    envman = make_envman(tmp_path)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    envman.env.update(
        {
            "PATH": str(bin_dir),
            "XDG_RUNTIME_DIR": str(runtime),
        }
    )
    envman.env.pop("CONTAINER_HOST", None)
    result = envman.run("ls")
    assert result.returncode == ExitCode.ENGINE_UNAVAILABLE
    assert result.stderr.splitlines() == [
        "envman: error: podman is not installed",
        "hint: install it (Debian: apt install podman; Fedora Atomic ships it)",
    ]
