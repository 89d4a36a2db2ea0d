"""`envman profile lint` on real podman: a bare Debian fails, toolbx-compat.sh makes it pass."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from envman.errors import ExitCode
from tests.integration.envman_cli import PROFILE_IMAGE, Envman, make_envman, unique

REPO = Path(__file__).resolve().parent.parent.parent

BARE = f"envman: 1\nimage: {PROFILE_IMAGE}\n"
COMPAT = BARE + "hooks:\n  - script: toolbx-compat.sh\n"


def finding_lines(stdout: str, level: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith(level.upper() + " ")]


@pytest.fixture(scope="module")
def envman(tmp_path_factory: pytest.TempPathFactory) -> Envman:
    return make_envman(tmp_path_factory.mktemp("lint"))


@pytest.fixture(scope="module")
def created(envman: Envman) -> Iterator[list[str]]:
    """Names of the environments the tests bring up; removed at the end."""
    names: list[str] = []
    yield names
    for name in names:
        envman.run("rm", "--yes", name)


def up(envman: Envman, created: list[str], prefix: str, profile: str) -> str:
    name = unique(prefix)
    created.append(name)
    envman.write_profile(name, profile)
    envman.run("up", name, check=True)
    return name


@pytest.mark.podman
def test_a_bare_debian_image_misses_musts(envman: Envman, created: list[str]) -> None:
    name = up(envman, created, "itest-lint-bare", BARE)
    result = envman.run("profile", "lint", name)
    assert result.returncode == ExitCode.LINT_FAILED, result.stdout + result.stderr
    musts = finding_lines(result.stdout, "must")
    assert any(line.startswith("MUST   cmd-capsh: ") for line in musts), result.stdout
    assert "apt-get install -y libcap2-bin" in result.stdout  # Debian's fix
    assert "entrypoint-set" not in result.stdout and "user-not-root" not in result.stdout
    assert result.stdout.splitlines()[-1].startswith(f"{name}: {len(musts)} MUST")
    assert "does not meet toolbx's MUST requirements" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.podman
def test_the_toolbx_compat_hook_meets_every_must(envman: Envman, created: list[str]) -> None:
    name = up(envman, created, "itest-lint-compat", COMPAT)
    result = envman.run("profile", "lint", name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert finding_lines(result.stdout, "must") == []
    report = envman.json("profile", "lint", name)
    assert report["image_checked"] is True
    assert [f for f in report["findings"] if f["level"] == "must"] == []


@pytest.mark.podman
def test_an_image_not_built_yet_gets_a_hint(envman: Envman) -> None:
    name = unique("itest-lint-unbuilt")
    envman.write_profile(name, BARE)
    result = envman.run("profile", "lint", name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"image-not-built: run `envman up {name}`" in result.stdout


def test_the_shipped_toolbx_containerfile_has_no_static_musts(envman: Envman) -> None:
    result = envman.run("profile", "lint", "profiles/ansible.Containerfile", "--no-image", cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert finding_lines(result.stdout, "must") == []
    assert "image-not-built" not in result.stdout
    assert result.stdout.splitlines()[-1] == (
        "ansible: meets toolbx's requirements (image not checked)"
    )
