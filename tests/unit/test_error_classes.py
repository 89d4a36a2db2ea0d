"""One error tree, the right class each time: CLI arguments are usage errors, profile problems
are profile errors, and `envman run`'s errors are the same classes as every command's."""

from __future__ import annotations

from pathlib import Path

import pytest

from envman import fastpath
from envman.engine import exec_api
from envman.errors import (
    CommandNotFound,
    ContainerFailed,
    EnvNotFound,
    ExitCode,
    ProfileSchemaError,
    UsageError,
)
from envman.ops import config, lockfile, profiles
from envman.ops.build_inputs import check_build_hooks
from envman.ops.context import Context
from envman.paths import Paths
from envman.profile.model import FileLine, Hook


def test_unsetting_an_override_that_is_not_there_is_a_usage_error(paths: Paths) -> None:
    with pytest.raises(UsageError):
        config.unset_image_override(Context(paths=paths), "docker.io/library/nothing:1")


@pytest.mark.parametrize(("image", "local"), [("bad image", "x"), ("debian:12", "a local image")])
def test_a_bad_image_argument_is_a_usage_error(paths: Paths, image: str, local: str) -> None:
    with pytest.raises(UsageError) as caught:
        config.set_image_override(Context(paths=paths), image, local)
    assert caught.value.message.startswith("command line: ")
    assert caught.value.exit_code == ExitCode.USAGE


def test_locking_with_no_profiles_here_is_a_usage_error(paths: Paths) -> None:
    (paths.profile_dirs[0]).mkdir(parents=True, exist_ok=True)
    with pytest.raises(UsageError):
        lockfile.lock(Context(paths=paths), [])


def test_locking_a_shipped_profile_is_a_usage_error(paths: Paths) -> None:
    with pytest.raises(UsageError) as caught:
        lockfile.lock(Context(paths=paths), ["debian-dev"])
    assert "beside your own profiles" in caught.value.message


def test_importing_a_file_that_is_no_profile_is_a_usage_error(tmp_path: Path) -> None:
    source = tmp_path / "notes.txt"
    source.write_text("hello\n", encoding="utf-8")
    with pytest.raises(UsageError):
        profiles.import_profiles(source, tmp_path)


def test_importing_a_containerfile_from_outside_is_a_usage_error(tmp_path: Path) -> None:
    source = tmp_path / "elsewhere" / "Containerfile"
    source.parent.mkdir()
    source.write_text("FROM scratch\n", encoding="utf-8")
    out = tmp_path / "profiles"
    out.mkdir()
    with pytest.raises(UsageError):
        profiles.import_profiles(source, out)


def test_a_build_hook_that_needs_the_container_is_a_profile_error() -> None:
    hook = Hook(sh="cp $HOME/.bashrc /etc/skel/", origin=FileLine("dev.yaml", 4))
    with pytest.raises(ProfileSchemaError) as caught:
        check_build_hooks([hook])
    assert caught.value.exit_code == ExitCode.PROFILE_SCHEMA


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (EnvNotFound("gone"), ExitCode.ENV_NOT_FOUND),
        (ContainerFailed("not running"), ExitCode.CONTAINER_FAILED),
        (CommandNotFound("'nope' was not found", "check its PATH"), 127),
    ],
)
def test_run_over_the_api_exits_with_the_error_classes_code(
    monkeypatch: pytest.MonkeyPatch, error: Exception, code: int
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> int:
        raise error

    monkeypatch.setattr(exec_api, "run", refuse)
    monkeypatch.setattr(fastpath, "read_run_file", lambda _name: {"id": "x", "container": "dev"})
    monkeypatch.setattr(fastpath, "locate", lambda: None)
    monkeypatch.setattr(fastpath, "ensure_running", lambda _info, _name: None)
    monkeypatch.delenv("ENVMAN_RUN_VIA", raising=False)
    assert fastpath.main(["run", "dev", "--", "true"]) == code
