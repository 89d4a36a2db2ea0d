"""A notice about envman's private podman service is said once per user, not at every restart."""

from __future__ import annotations

from pathlib import Path

from envman.ops.context import Context
from envman.paths import Paths


def test_a_notice_is_first_only_once_per_state_dir(tmp_path: Path) -> None:
    paths = Paths.from_env({"HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")})
    assert Context(paths)._first_notice("private-service") is True
    assert Context(paths)._first_notice("private-service") is False
    assert Context(paths)._first_notice("other") is True


def test_an_unwritable_state_dir_keeps_saying_it(tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the state dir should be", encoding="utf-8")
    paths = Paths.from_env({"HOME": str(tmp_path), "XDG_STATE_HOME": str(blocker)})
    assert Context(paths)._first_notice("private-service") is True
    assert Context(paths)._first_notice("private-service") is True
