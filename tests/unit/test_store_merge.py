"""Profile lookup order, names vs paths, and the include merge rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from envman.errors import ExitCode, ProfileNotFound, ProfileSchemaError
from envman.profile.resolver import find, list_profiles, resolve


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path, Path]:
    return (
        tmp_path / "cwd" / "profiles",
        tmp_path / "config" / "profiles",
        tmp_path / "shipped" / "profiles",
    )


def test_lookup_order_cwd_then_config_then_shipped(
    dirs: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    cwd, config, shipped = dirs
    write(shipped / "a.yaml", "envman: 1\ndescription: shipped\n")
    write(config / "a.yaml", "envman: 1\ndescription: config\n")
    write(shipped / "b.yaml", "envman: 1\n")
    ref, profile = resolve("a", dirs, tmp_path)
    assert ref.path == config / "a.yaml" and profile.description == "config"
    write(cwd / "a.yaml", "envman: 1\ndescription: cwd\n")
    assert resolve("a", dirs, tmp_path)[1].description == "cwd"
    listed = [
        (r.name, str(r.path.parent.parent.name), selected) for r, selected in list_profiles(dirs)
    ]
    assert listed == [
        ("a", "cwd", True),
        ("a", "config", False),
        ("a", "shipped", False),
        ("b", "shipped", True),
    ]


def test_a_file_path_works_as_well_as_a_name(dirs: tuple[Path, Path, Path], tmp_path: Path) -> None:
    path = write(tmp_path / "elsewhere" / "x.yaml", "envman: 1\nname: special\n")
    ref = find(str(path), dirs, tmp_path)
    assert ref.path == path
    assert find("elsewhere/x.yaml", dirs, tmp_path).path == path
    assert resolve("elsewhere/x.yaml", dirs, tmp_path)[1].name == "special"


def test_missing_profile_is_a_clear_error(dirs: tuple[Path, Path, Path], tmp_path: Path) -> None:
    with pytest.raises(ProfileNotFound) as info:
        find("nope", dirs, tmp_path)
    assert "no profile named 'nope'" in info.value.message
    assert info.value.exit_code == ExitCode.PROFILE_NOT_FOUND
    with pytest.raises(ProfileNotFound):
        find("./nope.yaml", dirs, tmp_path)


def test_include_merge_rules(dirs: tuple[Path, Path, Path], tmp_path: Path) -> None:
    cwd = dirs[0]
    write(
        cwd / "base.yaml",
        """\
envman: 1
version: "1"
image: docker.io/library/debian:bookworm
packages: [git, vim]
env: {A: base, B: base}
volumes: ["/a:/a"]
hooks: [{run: [echo, base]}]
integration: {audio: false, nvidia: true}
hostname: basehost
""",
    )
    write(cwd / "extra.yaml", "envman: 1\npackages: [curl]\nenv: {C: extra}\n")
    write(
        cwd / "top.yaml",
        """\
envman: 1
include: [base, extra]
packages: [vim, htop]
env: {B: top}
hooks: [{run: [echo, top]}]
integration: {audio: true}
hostname: tophost
""",
    )
    _, p = resolve("top", dirs, tmp_path)
    assert p.name == "top" and p.includes == ("base", "extra")
    assert p.packages == ("git", "vim", "curl", "htop")  # lists append, duplicates dropped
    assert dict(p.env) == {"A": "base", "B": "top", "C": "extra"}  # maps merge, own keys win
    assert [h.run for h in p.hooks] == [("echo", "base"), ("echo", "top")]  # hooks keep order
    assert (
        p.integration.audio is True and p.integration.nvidia is True
    )  # own scalars win, else base
    assert p.hostname == "tophost" and p.image == "docker.io/library/debian:bookworm"
    assert p.version == "1"


def test_include_cycle_is_an_error(dirs: tuple[Path, Path, Path], tmp_path: Path) -> None:
    cwd = dirs[0]
    write(cwd / "a.yaml", "envman: 1\ninclude: b\n")
    write(cwd / "b.yaml", "envman: 1\ninclude: [c]\n")
    write(cwd / "c.yaml", "envman: 1\ninclude: [a]\n")
    with pytest.raises(ProfileSchemaError) as info:
        resolve("a", dirs, tmp_path)
    assert "include cycle: a -> b -> c -> a" in info.value.message


def test_include_by_path_cannot_leave_the_directory(
    dirs: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    cwd = dirs[0]
    write(tmp_path / "cwd" / "secret.yaml", "envman: 1\n")
    write(cwd / "a.yaml", "envman: 1\ninclude: [../secret.yaml]\n")
    with pytest.raises(ProfileSchemaError) as info:
        resolve("a", dirs, tmp_path)
    assert "points outside" in info.value.message


def test_missing_include_names_the_including_file(
    dirs: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    write(dirs[0] / "a.yaml", "envman: 1\ninclude: [ghost]\n")
    with pytest.raises(ProfileNotFound) as info:
        resolve("a", dirs, tmp_path)
    assert "a.yaml" in info.value.message and "ghost" in info.value.message
