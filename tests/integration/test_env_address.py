"""An environment is global: commands find it and its profile from any directory, by address."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from envman.errors import ExitCode
from tests.integration.envman_cli import PROFILE_IMAGE, Envman, make_envman, unique

pytestmark = pytest.mark.podman


def _profile(var: str) -> str:
    return f'envman: 1\nimage: {PROFILE_IMAGE}\nenv: {{ADDRESS_TEST: "{var}"}}\n'


@pytest.fixture(scope="module")
def envman(tmp_path_factory: pytest.TempPathFactory) -> Envman:
    root = tmp_path_factory.mktemp("address")
    made = make_envman(root)
    (root / "data").mkdir()
    made.env["XDG_DATA_HOME"] = str(root / "data")
    return made


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A directory without profiles, as /tmp is."""
    path = tmp_path / "elsewhere"
    path.mkdir()
    return path


@pytest.fixture
def made(envman: Envman) -> Iterator[tuple[str, Path]]:
    """An environment made from the project's ./profiles (the work directory)."""
    name = unique("itest-addr")
    path = envman.write_profile(name, _profile("one"))
    envman.run("up", name, check=True)
    yield name, path
    envman.run("rm", "--yes", name)


def test_every_command_works_from_another_directory(
    envman: Envman, made: tuple[str, Path], elsewhere: Path
) -> None:
    name, _ = made
    status = envman.run("status", name, "--json", cwd=elsewhere)
    assert status.returncode == 0, status.stderr
    assert '"stale": false' in status.stdout
    ran = envman.run("run", name, "--", "sh", "-c", "echo $ADDRESS_TEST", cwd=elsewhere)
    assert (ran.returncode, ran.stdout) == (0, "one\n"), ran.stderr
    assert envman.run("history", name, cwd=elsewhere).returncode == 0
    again = envman.run("up", name, cwd=elsewhere)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().startswith(f"{name}: up-to-date")
    bins = elsewhere / "bin"
    exported = envman.run(
        "export", name, "--bin", "/usr/bin/env", "--bins-path", str(bins), cwd=elsewhere
    )
    assert exported.returncode == 0 and (bins / "env").is_file(), exported.stderr
    assert envman.run("unexport", name, "--all", cwd=elsewhere).returncode == 0
    assert envman.run("stop", name, cwd=elsewhere).returncode == 0
    assert envman.run("run", name, "--", "true", cwd=elsewhere).returncode == 0


def test_ls_shows_the_profile_address(
    envman: Envman, made: tuple[str, Path], elsewhere: Path
) -> None:
    name, path = made
    rows = {row["name"]: row for row in envman.json("ls")}
    assert rows[name]["address"] == str(path.resolve())
    text = envman.run("ls", cwd=elsewhere, check=True).stdout
    header, *lines = text.splitlines()
    assert header.split()[-1] == "PROFILE"
    line = next(line for line in lines if line.startswith(name + " "))
    assert line.split()[-1] == str(path.resolve())


def test_up_from_another_project_with_a_same_named_profile_refuses(
    envman: Envman, made: tuple[str, Path], tmp_path: Path
) -> None:
    name, path = made
    other = tmp_path / "other-project"
    (other / "profiles").mkdir(parents=True)
    other_file = other / "profiles" / f"{name}.yaml"
    other_file.write_text(_profile("two"), encoding="utf-8")
    before = envman.json("status", name)

    refused = envman.run("up", name, cwd=other)
    assert refused.returncode == ExitCode.PROFILE_MOVED, refused.stderr
    assert str(path.resolve()) in refused.stderr and str(other_file.resolve()) in refused.stderr
    assert "--replace" in refused.stderr and len(refused.stderr.splitlines()) == 2
    assert envman.run("up", name, "--dry-run", cwd=other).returncode == ExitCode.PROFILE_MOVED
    assert envman.json("status", name) == before  # nothing was touched
    ran = envman.run("run", name, "--", "sh", "-c", "echo $ADDRESS_TEST", cwd=other)
    assert ran.stdout == "one\n"

    replaced = envman.run("up", name, "--replace", cwd=other)
    assert replaced.returncode == 0, replaced.stderr
    ran = envman.run("run", name, "--", "sh", "-c", "echo $ADDRESS_TEST")
    assert ran.stdout == "two\n"
    rows = {row["name"]: row for row in envman.json("ls")}
    assert rows[name]["address"] == str(other_file.resolve())
    # now the project's own profile is the other one
    assert envman.run("up", name).returncode == ExitCode.PROFILE_MOVED
    assert envman.json("status", name)["stale"] is False  # compared with the other project's


def test_up_of_a_path_to_another_file_refuses(
    envman: Envman, made: tuple[str, Path], tmp_path: Path
) -> None:
    name, path = made
    copy = tmp_path / "copy.yaml"
    copy.write_text(f"name: {name}\n" + _profile("one"), encoding="utf-8")
    refused = envman.run("up", str(copy))
    assert refused.returncode == ExitCode.PROFILE_MOVED, refused.stderr
    same = envman.run("up", str(path))  # the file it was made from, by path
    assert same.returncode == 0, same.stderr


def test_rollback_elsewhere_holds_against_its_own_profile(
    envman: Envman, made: tuple[str, Path], elsewhere: Path
) -> None:
    name, path = made
    path.write_text(_profile("changed"), encoding="utf-8")
    assert envman.json("up", name)["action"] == "recreated"

    rolled = envman.run("rollback", name, cwd=elsewhere)
    assert rolled.returncode == 0, rolled.stderr
    assert "keeps generation 1" in rolled.stderr
    status = envman.run("status", name, cwd=elsewhere)
    assert status.returncode == 1  # kept back: stale
    assert "rolled back to generation 1" in status.stdout
    assert envman.json("up", name)["action"] == "kept"
    rows = {row["name"]: row for row in envman.json("ls")}
    assert rows[name]["address"] == str(path.resolve())


def test_status_of_an_unknown_environment(envman: Envman, elsewhere: Path) -> None:
    name = unique("itest-ghost")
    for cwd in (elsewhere, envman.work):
        result = envman.run("status", name, cwd=cwd)
        assert result.returncode == ExitCode.ENV_NOT_FOUND, result.stderr
        assert f"no environment named '{name}'" in result.stderr
    envman.write_profile(name, _profile("never made"))  # a profile alone is no environment
    assert envman.run("status", name).returncode == ExitCode.ENV_NOT_FOUND


def test_a_moved_profile_file_is_named_and_replace_follows_it(
    envman: Envman, made: tuple[str, Path], elsewhere: Path
) -> None:
    name, path = made
    moved = path.with_name("renamed.yaml")
    moved.write_text(f"name: {name}\n" + _profile("one"), encoding="utf-8")
    path.unlink()
    for args in (["status", name], ["up", name]):
        gone = envman.run(*args, cwd=elsewhere)
        assert gone.returncode == ExitCode.PROFILE_NOT_FOUND, gone.stderr
        assert gone.stderr.startswith(
            f"envman: error: environment '{name}' was made from {path.resolve()}: "
        )
        assert "--replace" in gone.stderr and len(gone.stderr.splitlines()) == 2
    refused = envman.run("up", "./profiles/renamed.yaml")
    assert refused.returncode == ExitCode.PROFILE_MOVED, refused.stderr
    assert f"made from {path.resolve()} (no longer there), and" in refused.stderr
    assert str(moved.resolve()) in refused.stderr
    followed = envman.run("up", "./profiles/renamed.yaml", "--replace")
    assert followed.returncode == 0, followed.stderr
    assert envman.json("status", name)["stale"] is False
    assert envman.run("up", name, cwd=elsewhere).returncode == 0


def test_an_environment_of_an_older_envman_is_found_by_its_container_label(
    envman: Envman, made: tuple[str, Path], elsewhere: Path
) -> None:
    name, path = made
    state_dir = Path(envman.env["XDG_STATE_HOME"]) / "envman"
    for record in (state_dir / "envs" / f"{name}.json", state_dir / "generations" / f"{name}.json"):
        text = record.read_text(encoding="utf-8")
        record.write_text(text.replace(f'"{path.resolve()}"', f'"{name}"'), encoding="utf-8")
        assert str(path.resolve()) not in record.read_text(encoding="utf-8")  # a bare name now
    status = envman.run("status", name, cwd=elsewhere)
    assert status.returncode == 0, status.stderr
    rows = {row["name"]: row for row in envman.json("ls")}
    assert rows[name]["address"] == str(path)
