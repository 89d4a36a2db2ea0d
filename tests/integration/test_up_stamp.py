"""The up-to-date stamp (issue 13): a second no-change `up NAME` is answered from the record of
the first, says exactly what the full run says, and never once something it recorded changed.

Which path answered is seen from the outside: the full run removes the stamp and writes a new
one (a new inode) or fails, the replay succeeds and leaves the stamp alone.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from envman.engine.api_reader import INSPECTED, ApiReader, inspected
from envman.errors import ExitCode
from tests.integration.envman_cli import PROFILE_IMAGE, Envman, make_envman, podman, unique

pytestmark = pytest.mark.podman

PROFILE = f"envman: 1\nimage: {PROFILE_IMAGE}\n# a comment\n"
HEAVY = ("typer", "podman", "yaml", "envman.ops.envs", "envman.profile.model")


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Envman, str]]:
    envman = make_envman(tmp_path_factory.mktemp("stamp"))
    name = unique("itest-stamp")
    envman.write_profile(name, PROFILE)
    envman.run("up", name, check=True)
    yield envman, name
    envman.run("rm", "--yes", name)


def stamp_of(envman: Envman, name: str) -> Path:
    return envman.root / "state" / "envman" / "uptodate" / f"{name}.json"


def identity(path: Path) -> tuple[int, int] | None:
    try:
        found = path.stat()
    except FileNotFoundError:
        return None
    return found.st_ino, found.st_mtime_ns


def stamped(envman: Envman, name: str) -> subprocess.CompletedProcess[str]:
    """A full no-change run that leaves a stamp (after the clock moved past every input)."""
    time.sleep(0.25)
    stamp_of(envman, name).unlink(missing_ok=True)
    result = envman.run("up", name, check=True)
    assert identity(stamp_of(envman, name)) is not None, result.stderr
    return result


def replayed(
    envman: Envman, name: str, extra_env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[bool, subprocess.CompletedProcess[str]]:
    """(whether the stamp answered, the result) of `up NAME`: a replay succeeds and leaves the
    stamp as it was (a full run that fails before it holds the environment does too)."""
    before = identity(stamp_of(envman, name))
    result = envman.run("up", name, extra_env=extra_env, cwd=cwd)
    kept = before is not None and identity(stamp_of(envman, name)) == before
    return kept and result.returncode == 0, result


def test_the_stamp_answers_a_second_no_change_up_and_says_the_same(
    box: tuple[Envman, str],
) -> None:
    envman, name = box
    full = stamped(envman, name)
    used, again = replayed(envman, name)
    assert used
    assert (again.returncode, again.stdout, again.stderr) == (0, full.stdout, full.stderr)
    assert again.stdout.startswith(f"{name}: up-to-date (image localhost/envman/{name}:")
    stamp = json.loads(stamp_of(envman, name).read_text())
    assert stamp_of(envman, name).stat().st_mode & 0o077 == 0
    recorded = {path for path, _, _ in stamp["paths"]}
    assert str(envman.work / "profiles" / f"{name}.yaml") in recorded
    assert str(envman.root / "config" / "envman" / "config.yaml") in recorded
    assert str(envman.root / "state" / "envman" / "generations" / f"{name}.json") in recorded


def test_the_replay_loads_neither_the_profile_model_nor_yaml(box: tuple[Envman, str]) -> None:
    envman, name = box
    stamped(envman, name)
    report = (
        "import atexit, sys; atexit.register(lambda: sys.stderr.write('\\nloaded: ' + ' '.join("
        f"m for m in {HEAVY!r} if m in sys.modules))); "
        "from envman.cli import main; sys.argv[0] = 'envman'; main()"
    )
    result = subprocess.run(
        [sys.executable, "-c", report, "up", name],
        capture_output=True,
        text=True,
        env=envman.env,
        cwd=envman.work,
        check=False,
    )
    assert result.returncode == 0
    assert result.stderr.rpartition("\nloaded: ")[2].split() == []


def test_an_edit_of_the_same_size_and_time_is_seen(box: tuple[Envman, str]) -> None:
    envman, name = box
    profile = envman.work / "profiles" / f"{name}.yaml"
    stamped(envman, name)
    old = profile.stat()
    profile.write_text(PROFILE.replace("# a comment", "# b comment"))
    os.utime(profile, ns=(old.st_atime_ns, old.st_mtime_ns))
    used, result = replayed(envman, name)
    assert not used and result.returncode == 0
    assert "up-to-date" in result.stdout


def test_a_changed_setting_or_environment_variable_is_seen(box: tuple[Envman, str]) -> None:
    envman, name = box
    stamped(envman, name)
    assert not replayed(envman, name, extra_env={"ENVMAN_STAMP_TEST": "1"})[0]
    stamped(envman, name)
    config = envman.root / "config" / "envman" / "config.yaml"
    config.write_text(config.read_text() + "\n")
    assert not replayed(envman, name)[0]


def test_a_terminal_of_its_own_keeps_the_stamp_another_directory_does_not(
    box: tuple[Envman, str], tmp_path: Path
) -> None:
    envman, name = box
    stamped(envman, name)
    assert replayed(envman, name, extra_env={"WINDOWID": "42", "SHLVL": "3", "_": "/x"})[0]
    used, result = replayed(envman, name, cwd=tmp_path)
    assert not used and "up-to-date" in result.stdout


def test_a_file_looked_for_and_missing_that_appears_is_seen(box: tuple[Envman, str]) -> None:
    envman, name = box
    stamped(envman, name)
    lock = envman.work / "profiles" / "envman.lock"  # up looks for a lock beside the profile
    lock.write_text("not a lock\n")
    try:
        used, result = replayed(envman, name)
        assert not used and result.returncode != 0
        assert "envman.lock" in result.stderr
    finally:
        lock.unlink()


def test_a_container_stopped_or_removed_behind_envmans_back_is_seen(
    box: tuple[Envman, str],
) -> None:
    envman, name = box
    stamped(envman, name)
    assert podman("stop", "-t", "0", name).returncode == 0
    used, result = replayed(envman, name)
    assert not used and result.stdout.startswith(f"{name}: started")
    stamped(envman, name)
    assert podman("rm", "-f", name).returncode == 0
    used, result = replayed(envman, name)
    assert not used and result.stdout.startswith(f"{name}: created"), result.stderr


def test_a_change_to_the_history_is_seen(box: tuple[Envman, str]) -> None:
    envman, name = box
    stamped(envman, name)
    history = envman.root / "state" / "envman" / "generations" / f"{name}.json"
    history.write_text(history.read_text() + " ")
    assert not replayed(envman, name)[0]


def test_an_environment_held_by_another_envman_is_waited_for(box: tuple[Envman, str]) -> None:
    envman, name = box
    stamped(envman, name)
    lock = envman.root / "state" / "envman" / "locks" / f"env-{name}.lock"
    with lock.open("r+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        used, result = replayed(envman, name)
    assert not used and result.returncode == ExitCode.BUSY
    assert "busy" in result.stderr


def test_every_change_to_the_environment_removes_its_stamp(box: tuple[Envman, str]) -> None:
    envman, name = box
    stamped(envman, name)
    envman.run("stop", name, check=True)
    assert identity(stamp_of(envman, name)) is None or not replayed(envman, name)[0]
    stamped(envman, name)
    envman.run("up", name, "--quiet", check=True)  # through typer: no stamp is kept
    assert identity(stamp_of(envman, name)) is None


def test_what_a_stamp_compares_of_an_inspect_is_all_envman_reads(box: tuple[Envman, str]) -> None:
    """The adapter parses the projection to exactly what it parses the whole answer to."""
    from envman.engine import podman_api

    envman, name = box
    stamped(envman, name)
    reader = ApiReader(json.loads(stamp_of(envman, name).read_text())["socket"])
    container = reader.get(f"/containers/{name}/json")
    image = reader.get(f"/images/{container['Image']}/json")
    for path, raw, parse in (
        (f"/containers/{name}/json", container, podman_api._container_from_inspect),
        (f"/images/{container['Image']}/json", image, podman_api._image_info),
    ):
        view = inspected(path, raw)
        assert view is not None
        rebuilt: dict[str, object] = {}
        for key, value in json.loads(view).items():
            *parents, last = key.split(".")
            at = rebuilt
            for part in parents:
                at = at.setdefault(part, {})  # type: ignore[assignment]
            at[last] = value
        assert parse(rebuilt) == parse(raw)
    assert set(INSPECTED) == {"containers", "images"}


def test_an_exported_wrapper_deleted_behind_envmans_back_is_put_back(tmp_path: Path) -> None:
    envman = make_envman(tmp_path / "user")
    name = unique("itest-stamp-exports")
    bins = tmp_path / "bin"
    envman.write_profile(name, PROFILE + f"exports:\n  bins: [/usr/bin/env]\n  bins_path: {bins}\n")
    try:
        envman.run("up", name, check=True)
        wrapper = bins / "env"
        assert wrapper.is_file()
        stamped(envman, name)
        wrapper.unlink()
        used, result = replayed(envman, name)
        assert not used and result.returncode == 0, result.stderr
        assert wrapper.is_file() and "exported" in result.stdout
    finally:
        envman.run("rm", "--yes", name)
